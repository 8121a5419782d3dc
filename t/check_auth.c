/* check_auth: lib/auth over a temporary data directory: keys created, listed and revoked; the
 * check's answers for every role, workspace and key; a revoke seen by the next check of the
 * same process (no restart); a key file that stays on with no key, and one that does not parse
 * refusing everything; the lines the bucket carries. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/auth/auth.h"

static char root[64];

static void setup(void)
{
	snprintf(root, sizeof root, "/tmp/check_auth.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

static void create(const char *ws, enum auth_role role, char *key, struct auth_key *k)
{
	struct err e = {0};
	ck_assert_int_eq(auth_create(root, ws, role, "label", key, 80, k, &e), ST_OK);
	ck_assert_int_eq(strncmp(key, "spx_", 4), 0);
	ck_assert_uint_eq(strlen(key), 44);
}

static enum status check(const char *key, const char *ws, enum auth_role need)
{
	return auth_check(root, NULL, key, ws, need, NULL);
}

START_TEST(off_until_a_key_exists)
{
	char key[80];
	struct auth_key k;

	ck_assert(!auth_enabled(root, NULL));
	ck_assert(auth_enabled(root, "tok"));
	ck_assert_int_eq(check(NULL, "team-a", AUTH_ADMIN), ST_OK);
	create("team-a", AUTH_READ, key, &k);
	ck_assert(auth_enabled(root, NULL));
	ck_assert_int_eq(check(NULL, "team-a", AUTH_READ), ST_UNAUTHORIZED);
	ck_assert_int_eq(check("", "team-a", AUTH_READ), ST_UNAUTHORIZED);
}
END_TEST

START_TEST(roles_and_workspaces)
{
	char r[80], w[80], a[80], all[80];
	struct auth_key k;
	struct err e = {0};

	create("team-a", AUTH_READ, r, &k);
	create("team-a", AUTH_WRITE, w, &k);
	create("team-a", AUTH_ADMIN, a, &k);
	create("*", AUTH_WRITE, all, &k);
	ck_assert_int_eq(check(r, "team-a", AUTH_READ), ST_OK);
	ck_assert_int_eq(auth_check(root, NULL, r, "team-a", AUTH_WRITE, &e), ST_FORBIDDEN);
	ck_assert_ptr_nonnull(strstr(e.msg, "read"));
	ck_assert_int_eq(check(w, "team-a", AUTH_WRITE), ST_OK);
	ck_assert_int_eq(check(w, "team-a", AUTH_READ), ST_OK);
	ck_assert_int_eq(check(w, "team-a", AUTH_ADMIN), ST_FORBIDDEN);
	ck_assert_int_eq(check(a, "team-a", AUTH_ADMIN), ST_OK);
	ck_assert_int_eq(auth_check(root, NULL, a, "team-b", AUTH_READ, &e), ST_FORBIDDEN);
	ck_assert_str_eq(e.msg, "This key is not valid for workspace 'team-b'");
	ck_assert_int_eq(check(all, "team-b", AUTH_WRITE), ST_OK);
	ck_assert_int_eq(check(all, "team-b", AUTH_ADMIN), ST_FORBIDDEN);
	/* unknown keys, and a known key with a byte more or less: each said to be read, and
	 * unknown; no key at all is not authenticated */
	ck_assert_int_eq(auth_check(root, NULL, "spx_0000", "team-a", AUTH_READ, &e),
			 ST_UNAUTHORIZED);
	ck_assert_str_eq(e.msg, AUTH_UNKNOWN_KEY);
	ck_assert_int_eq(auth_check(root, NULL, NULL, "team-a", AUTH_READ, &e), ST_UNAUTHORIZED);
	ck_assert_str_eq(e.msg, "Not authenticated");
	r[20] ^= 1;
	ck_assert_int_eq(check(r, "team-a", AUTH_READ), ST_UNAUTHORIZED);
	w[strlen(w) - 1] = '\0';
	ck_assert_int_eq(check(w, "team-a", AUTH_READ), ST_UNAUTHORIZED);
	/* SPANDEX_TOKEN stays a global admin key beside the stored ones */
	ck_assert_int_eq(auth_check(root, "tok", "tok", "any-ws", AUTH_ADMIN, NULL), ST_OK);
	ck_assert_int_eq(auth_check(root, "tok", a, "team-a", AUTH_ADMIN, NULL), ST_OK);
	ck_assert_int_eq(auth_check(root, "tok", "tok2", "team-a", AUTH_READ, NULL),
			 ST_UNAUTHORIZED);
}
END_TEST

START_TEST(list_and_revoke)
{
	char k1[80], k2[80];
	struct auth_key a, b, *ks;
	size_t n;
	struct err e = {0};

	create("team-a", AUTH_WRITE, k1, &a);
	create("team-b", AUTH_READ, k2, &b);
	ck_assert_int_eq(check(k1, "team-a", AUTH_WRITE), ST_OK); /* stamps the last use */
	ck_assert_int_eq(auth_list(root, NULL, &ks, &n, &e), ST_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ks[0].id, a.id);
	ck_assert_str_eq(ks[0].workspace, "team-a");
	ck_assert_int_eq(ks[0].role, AUTH_WRITE);
	ck_assert_str_eq(ks[0].label, "label");
	ck_assert_int_gt(ks[0].used_us, 0);
	ck_assert_int_eq(ks[1].used_us, 0);
	free(ks);
	ck_assert_int_eq(auth_list(root, "team-b", &ks, &n, &e), ST_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ks[0].id, b.id);
	free(ks);
	/* A key for every workspace is listed with each workspace it works on. */
	char k3[80];
	struct auth_key c;
	create(AUTH_ALL_WORKSPACES, AUTH_READ, k3, &c);
	ck_assert_int_eq(auth_list(root, "team-b", &ks, &n, &e), ST_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ks[1].id, c.id);
	ck_assert_str_eq(ks[1].workspace, AUTH_ALL_WORKSPACES);
	free(ks);
	ck_assert_int_eq(auth_revoke(root, c.id, &e), ST_OK);
	/* The key itself is nowhere in the file. */
	char p[128], text[4096];
	snprintf(p, sizeof p, "%s/%s", root, AUTH_FILE);
	FILE *f = fopen(p, "r");
	size_t len = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[len] = '\0';
	ck_assert_ptr_null(strstr(text, k1 + 4));
	struct stat sb;
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 077, 0);
	/* A revoke counts from the next check, in the same process. */
	ck_assert_int_eq(auth_revoke(root, a.id, &e), ST_OK);
	ck_assert_int_eq(check(k1, "team-a", AUTH_READ), ST_UNAUTHORIZED);
	ck_assert_int_eq(check(k2, "team-b", AUTH_READ), ST_OK);
	ck_assert_int_eq(auth_revoke(root, a.id, &e), ST_NOT_FOUND);
	ck_assert_int_eq(auth_revoke(root, b.id, &e), ST_OK);
	/* No key left: authentication stays on (issue 30) and lets nobody in, the revoked keys
	 * least of all; only removing the file turns it off. */
	ck_assert(auth_enabled(root, NULL));
	ck_assert_int_eq(check(NULL, "team-b", AUTH_ADMIN), ST_UNAUTHORIZED);
	ck_assert_int_eq(check(k2, "team-b", AUTH_READ), ST_UNAUTHORIZED);
	ck_assert_int_eq(auth_list(root, NULL, &ks, &n, &e), ST_OK);
	ck_assert_uint_eq(n, 0);
	free(ks);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert(!auth_enabled(root, NULL));
	ck_assert_int_eq(check(NULL, "team-b", AUTH_ADMIN), ST_OK);
}
END_TEST

START_TEST(bad_input)
{
	char key[80], p[128];
	struct auth_key k;
	struct err e = {0};

	ck_assert_int_eq(auth_create(root, "Bad/Name", AUTH_READ, NULL, key, 80, &k, &e),
			 ST_BAD_REQUEST);
	ck_assert_int_eq(auth_create(root, "ok-ws", AUTH_READ, "tab\there", key, 80, &k, &e),
			 ST_BAD_REQUEST);
	ck_assert_int_eq(auth_role_parse("admin"), AUTH_ADMIN);
	ck_assert_int_eq(auth_role_parse("root"), -1);
	/* A line that is no key, comment or blank makes the whole file refuse every request
	 * (issue 30: a file whose tabs became spaces, or a role typed "Admin", once opened every
	 * workspace), the log told once why; the CLI will not rewrite it without the line. */
	create("ok-ws", AUTH_READ, key, &k);
	snprintf(p, sizeof p, "%s/%s", root, AUTH_FILE);
	FILE *f = fopen(p, "r");
	char good[512];
	ck_assert_ptr_nonnull(fgets(good, sizeof good, f)); /* the comment */
	ck_assert_ptr_nonnull(fgets(good, sizeof good, f)); /* the key */
	fclose(f);
	char spaces[512], admin[512];
	snprintf(spaces, sizeof spaces, "%s", good);
	for (char *c = spaces; *c; c++)
		*c = *c == '\t' ? ' ' : *c;
	snprintf(admin, sizeof admin, "%s", good);
	char *r = strstr(admin, "\tread\t");
	ck_assert_ptr_nonnull(r);
	memcpy(r, "\tAdmn\t", 6); /* same length: "Admn" */
	const char *damaged[][2] = {
	    {spaces, "line 2: 1 tab-separated fields"},
	    {admin, "line 2: 'Admn' is not a role"},
	    {"kdamaged\tok-ws\tadmin\tnot-a-time\t00\n", "line 2: a bad id"}};
	for (size_t i = 0; i < sizeof damaged / sizeof *damaged; i++) {
		f = fopen(p, "w");
		fprintf(f, "# keys\n%s", damaged[i][0]);
		fclose(f);
		ck_assert(auth_enabled(root, NULL));
		for (int twice = 0; twice < 2; twice++) {
			ck_assert_int_eq(auth_check(root, NULL, key, "ok-ws", AUTH_READ, &e),
					 ST_UNAVAILABLE);
			ck_assert_int_eq(check(NULL, "ok-ws", AUTH_READ), ST_UNAVAILABLE);
			ck_assert_ptr_null(strstr(e.msg, root)); /* no path for the client */
			ck_assert_str_eq(e.msg, "Authentication is unavailable: the server's key "
						"file does not parse");
			const char *why = auth_unlogged();
			if (twice) {
				ck_assert_ptr_null(why); /* once per reason, not per request */
				continue;
			}
			ck_assert_ptr_nonnull(why);
			ck_assert_msg(strstr(why, AUTH_FILE " does not parse") &&
					  strstr(why, damaged[i][1]) &&
					  strstr(why, "every request"),
				      "%s", why);
		}
		struct auth_key *ks;
		size_t n;
		ck_assert_int_eq(auth_list(root, NULL, &ks, &n, &e), ST_INVALID);
		ck_assert_ptr_nonnull(strstr(e.msg, "line 2"));
		ck_assert_int_eq(auth_create(root, "ok-ws", AUTH_READ, NULL, key + 0, 80, &k, &e),
				 ST_INVALID);
		ck_assert_int_eq(auth_revoke(root, k.id, &e), ST_INVALID);
	}
	/* A NUL byte in a line is no key: the file refuses every request. A byte-order mark
	 * first (a Windows editor's) is no part of the file's first line. */
	static const struct {
		const char *head;
		size_t n;
		enum status st;
	} around[] = {{"# keys\n\0", 8, ST_UNAVAILABLE},
		      {"\xEF\xBB\xBF# keys\n", 10, ST_OK},
		      {"\xEF\xBB\xBF", 3, ST_OK}};
	for (size_t i = 0; i < sizeof around / sizeof *around; i++) {
		f = fopen(p, "w");
		fwrite(around[i].head, 1, around[i].n, f);
		fprintf(f, "%s", good);
		fclose(f);
		ck_assert_int_eq(check(key, "ok-ws", AUTH_READ), around[i].st);
	}
	/* Mended, it works again, and a new breakage is logged anew. */
	f = fopen(p, "w");
	fprintf(f, "# keys\n\n%s", good);
	fclose(f);
	ck_assert_int_eq(check(key, "ok-ws", AUTH_READ), ST_OK);
	ck_assert_ptr_null(auth_unlogged());
	/* A key file that cannot be read keeps the door shut. A directory at its path cannot be
	 * read even by root (CI runs as root; a mode of 0 stops only others): it once read as an
	 * empty file, a 401 for everyone rather than the 503 that says the file is at fault. */
	char aside[160];
	snprintf(aside, sizeof aside, "%s.aside", p);
	ck_assert_int_eq(rename(p, aside), 0);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert(auth_enabled(root, NULL));
	for (int twice = 0; twice < 2; twice++) {
		ck_assert_int_eq(auth_check(root, NULL, key, "ok-ws", AUTH_READ, &e),
				 ST_UNAVAILABLE);
		ck_assert_str_eq(
		    e.msg, "Authentication is unavailable: the server's key file cannot be read");
		ck_assert_int_eq(check(NULL, "ok-ws", AUTH_READ), ST_UNAVAILABLE);
		const char *why = auth_unlogged();
		if (twice) {
			ck_assert_ptr_null(why);
			continue;
		}
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strstr(why, "cannot be read: Is a directory"), "%s", why);
	}
	ck_assert_int_eq(rmdir(p), 0);
	/* A symbolic link to a file that is not there (a secret not mounted yet) is no absent key
	 * file: it was read as none, and authentication went off. */
	char gone[200];
	snprintf(gone, sizeof gone, "%s.not-mounted", p);
	ck_assert_int_eq(symlink(gone, p), 0);
	ck_assert(auth_enabled(root, NULL));
	ck_assert_int_eq(check(NULL, "ok-ws", AUTH_READ), ST_UNAVAILABLE);
	ck_assert_int_eq(check(key, "ok-ws", AUTH_READ), ST_UNAVAILABLE);
	const char *why = auth_unlogged();
	ck_assert_msg(why && strstr(why, "symbolic link"), "%s", why ? why : "(none)");
	struct auth_key *keys;
	size_t nkeys;
	ck_assert_int_ne(auth_list(root, NULL, &keys, &nkeys, &e), ST_OK);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(rename(aside, p), 0);
	ck_assert_int_eq(check(key, "ok-ws", AUTH_READ), ST_OK);
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(p, 0), 0);
		ck_assert(auth_enabled(root, NULL));
		ck_assert_int_eq(check(key, "ok-ws", AUTH_READ), ST_UNAVAILABLE);
		const char *why = auth_unlogged();
		ck_assert_ptr_nonnull(why);
		ck_assert_ptr_nonnull(strstr(why, "cannot be read"));
	}
}
END_TEST

/* The bucket's copy of a workspace's keys (lib/ship): nothing without a key file (a NULL list
 * of none, which qsort must not be given: UBSan said so), then its own and the "*" ones. */
START_TEST(export_for_the_bucket)
{
	char key[80];
	struct auth_key k;
	struct buf out;
	struct err e = {0};

	buf_init(&out);
	ck_assert_int_eq(auth_export(root, "team-a", &out, &e), ST_OK);
	ck_assert_uint_eq(out.len, 0);
	create("team-a", AUTH_READ, key, &k);
	create("team-b", AUTH_READ, key, &k);
	create(AUTH_ALL_WORKSPACES, AUTH_ADMIN, key, &k);
	ck_assert_int_eq(auth_export(root, "team-a", &out, &e), ST_OK);
	size_t lines = 0;
	for (size_t i = 0; i < out.len; i++)
		lines += out.p[i] == '\n';
	ck_assert_uint_eq(lines, 2);
	buf_free(&out);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, off_until_a_key_exists);
	tcase_add_test(tc, roles_and_workspaces);
	tcase_add_test(tc, list_and_revoke);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, export_for_the_bucket);
	suite_add_tcase(s, tc);
	return s;
}
