/* key: `spandex key create|list|revoke`, the API keys of lib/auth (one per workspace and
 * role, stored hashed in DATA/.spandex-keys). */
#include "src/key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "lib/auth/auth.h"
#include "lib/base/time.h"
#include "src/cli.h"

const char key_usage[] =
    "usage: spandex key create DATA --workspace W|'*' --role read|write|admin [--name LABEL]\n"
    "       spandex key list DATA [--workspace W]\n"
    "       spandex key revoke DATA ID\n"
    "create prints the new key on stdout, once: it is stored hashed and cannot be shown again.\n"
    "Roles: read (every GET and search), write (ingest and every write, plus read), admin\n"
    "(everything, deletes too). --workspace '*' makes a key for every workspace; list with\n"
    "--workspace W shows those too (workspace '*'), since they work on W.\n"
    "Keys are kept hashed in DATA/.spandex-keys. Run spandex key as the owner of DATA (the\n"
    "user the programs run as); run as root, it gives the files it creates to that owner.\n"
    "Authentication is on as soon as the key file exists (the first create makes it), for every\n"
    "workspace; it stays on when the last key is revoked (nobody gets in) until the file is\n"
    "removed. A key file that cannot be read or has a line that does not parse refuses every\n"
    "request (503) and says why in the programs' log. SPANDEX_TOKEN stays a global admin key.\n"
    "A revoke counts from the next request, with no restart.\n";

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "spandex: key: %s\n", why);
	fputs(key_usage, stderr);
	return 2;
}

/* The value after option name in argv[from..), or NULL. */
static const char *opt(int argc, char **argv, int from, const char *name)
{
	for (int i = from; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

/* Whether every argument from argv[from] on is one of the allowed options with a value; else
 * says which is not. */
static bool only(int argc, char **argv, int from, const char *const *allowed)
{
	for (int i = from; i < argc; i += 2) {
		bool ok = false;
		for (size_t k = 0; allowed[k]; k++)
			ok |= !strcmp(argv[i], allowed[k]);
		if (!ok || i + 1 >= argc) {
			fprintf(stderr, "spandex: key %s: %s '%s'\n", argv[2],
				ok ? "no value for" : "unknown option", argv[i]);
			return false;
		}
	}
	return true;
}

static int create(int argc, char **argv)
{
	static const char *const allowed[] = {"--workspace", "--role", "--name", NULL};
	const char *ws = opt(argc, argv, 4, "--workspace"), *role = opt(argc, argv, 4, "--role");
	char key[80];
	struct auth_key k;
	struct err e = {0};

	if (argc < 4 || !only(argc, argv, 4, allowed) || !ws || !role)
		return usage("create needs DATA, --workspace and --role");
	int r = auth_role_parse(role);
	if (r < 0)
		return usage("--role is read, write or admin");
	if (!cli_data_dir("key", argv[3]))
		return 1;
	bool was_on = auth_enabled(argv[3], NULL);
	if (auth_create(argv[3], ws, (enum auth_role)r, opt(argc, argv, 4, "--name"), key,
			sizeof key, &k, &e) != ST_OK) {
		fprintf(stderr, "spandex: key create: %s\n", err_text(&e));
		return e.st == ST_BAD_REQUEST ? 2 : 1;
	}
	printf("%s\n", key);
	fprintf(stderr, "spandex: key %s for workspace %s (%s) created; it is shown only now\n",
		k.id, k.workspace, auth_role_names[k.role]);
	/* The first key shuts every other workspace too (issue 31): say so. */
	if (!was_on)
		fprintf(stderr,
			"spandex: authentication is now on for every workspace of %s: a request "
			"without a valid key gets 401%s\n",
			argv[3],
			strcmp(k.workspace, AUTH_ALL_WORKSPACES)
			    ? ", and workspaces other than this key's need keys of their own"
			    : "");
	return 0;
}

static int list(int argc, char **argv)
{
	static const char *const allowed[] = {"--workspace", NULL};
	struct auth_key *ks;
	size_t n;
	struct err e = {0};

	if (argc < 4 || !only(argc, argv, 4, allowed))
		return usage("list takes DATA and an optional --workspace");
	if (!cli_data_dir("key", argv[3]))
		return 1;
	if (auth_list(argv[3], opt(argc, argv, 4, "--workspace"), &ks, &n, &e) != ST_OK) {
		fprintf(stderr, "spandex: key list: %s\n", err_text(&e));
		return 1;
	}
	printf("%-12s %-32s %-6s %-20s %-20s %s\n", "id", "workspace", "role", "created",
	       "last used", "label");
	for (size_t i = 0; i < n; i++) {
		char created[40], used[40] = "never";
		time_format(ks[i].created_us, created);
		if (ks[i].used_us)
			time_format(ks[i].used_us / 1000000 * 1000000, used);
		printf("%-12s %-32s %-6s %-20s %-20s %s\n", ks[i].id, ks[i].workspace,
		       auth_role_names[ks[i].role], created, used, ks[i].label);
	}
	free(ks);
	return 0;
}

/* After the revoke of a key of workspace ws: says so when no key is left, since
 * authentication stays on and nobody can get in (issue 30: the revoke of a leaked last key once
 * opened every workspace), or when none is left that works on ws. */
static void lockout(const char *root, const char *ws)
{
	struct auth_key *ks;
	size_t n, on_ws;
	struct err e = {0};

	if (auth_list(root, NULL, &ks, &n, &e) != ST_OK)
		return;
	free(ks);
	if (n && strcmp(ws, AUTH_ALL_WORKSPACES) && auth_list(root, ws, &ks, &on_ws, &e) == ST_OK) {
		free(ks);
		if (!on_ws)
			fprintf(stderr,
				"spandex: no key is left that works on workspace %s: its requests "
				"get 401 "
				"until one is made for it (or for '*')\n",
				ws);
	}
	if (n == 0)
		fprintf(
		    stderr,
		    "spandex: no key is left: authentication stays on, and every request to every "
		    "workspace gets 401 until spandex key create makes one (SPANDEX_TOKEN, when "
		    "set, still works); remove %s/%s to turn authentication off\n",
		    root, AUTH_FILE);
}

static int revoke(int argc, char **argv)
{
	struct err e = {0};

	if (argc != 5)
		return usage("revoke takes DATA and the key's ID");
	if (!cli_data_dir("key", argv[3]))
		return 1;
	/* Its workspace, for what the revoke leaves (lockout). */
	struct auth_key *ks;
	size_t n;
	char ws[sizeof ks->workspace] = AUTH_ALL_WORKSPACES;
	if (auth_list(argv[3], NULL, &ks, &n, &e) == ST_OK) {
		for (size_t i = 0; i < n; i++)
			if (!strcmp(ks[i].id, argv[4]))
				snprintf(ws, sizeof ws, "%s", ks[i].workspace);
		free(ks);
	}
	if (auth_revoke(argv[3], argv[4], &e) != ST_OK) {
		fprintf(stderr, "spandex: key revoke: %s\n", err_text(&e));
		return 1;
	}
	lockout(argv[3], ws);
	return 0;
}

int key_main(int argc, char **argv)
{
	if (argc < 3)
		return usage(NULL);
	/* spandex key --help, and spandex key create|list|revoke ... --help */
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(key_usage, stdout);
			return 0;
		}
	if (!strcmp(argv[2], "create"))
		return create(argc, argv);
	if (!strcmp(argv[2], "list"))
		return list(argc, argv);
	if (!strcmp(argv[2], "revoke"))
		return revoke(argc, argv);
	return usage("the subcommands are create, list and revoke");
}
