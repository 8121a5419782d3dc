/* auth: the key file, its parse cache keyed by the file's identity, the per-request check,
 * and the writes of `spandex key`. */
#include "lib/auth/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/stamp.h"
#include "lib/base/time.h"
#include "lib/model/workspace.h"

const char *const auth_role_names[] = {"read", "write", "admin", NULL};

int auth_role_parse(const char *s)
{
	for (int i = 0; auth_role_names[i]; i++)
		if (!strcmp(s, auth_role_names[i]))
			return i;
	return -1;
}

/* One line of the file: id, workspace, role, created, sha256 (hex) of the key, label. */
struct entry {
	struct auth_key k;
	uint8_t hash[32];
};

/* The parsed file and the identity it was parsed from: another file (a rename), another
 * size or another change time means another parse. A damaged file is remembered as well (st
 * ST_INVALID, why), so it is not read again on every request. */
static struct {
	struct stamp stamp;
	struct entry *e;
	size_t n;
	enum status st;
	char why[200];
} cache;

/* Why the last check refused every request ("" when it did not), and what auth_unlogged last
 * handed out, so each reason reaches the log once per process, not once per request. */
static char problem[PATH_MAX + 256], told[sizeof problem];

static bool path_in(char *out, const char *root, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", root, name);
	return n > 0 && n < PATH_MAX;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parses one line in place into out: 1 for a key, 0 for a comment or a blank, -1 for a line
 * that is neither, its reason in why (a whole file is then refused: auth_check). */
static int parse_line(char *line, struct entry *out, char *why, size_t whylen)
{
	char *f[6];
	size_t nf = 0;

	if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
		return 0;
	/* Six tab-separated fields; the last (the label) may be absent. */
	for (char *p = line; p && nf < 6;) {
		f[nf++] = p;
		if ((p = nf < 6 ? strchr(p, '\t') : NULL))
			*p++ = '\0';
	}
	if (nf < 5) {
		snprintf(why, whylen, "%zu tab-separated fields where 5 or 6 are needed", nf);
		return -1;
	}
	memset(out, 0, sizeof *out);
	int role = auth_role_parse(f[2]);
	if (role < 0) {
		snprintf(why, whylen, "'%.32s' is not a role (read, write or admin)", f[2]);
		return -1;
	}
	if (strlen(f[0]) >= sizeof out->k.id || strlen(f[4]) != 64 ||
	    (strcmp(f[1], AUTH_ALL_WORKSPACES) && !workspace_valid(f[1])) ||
	    !time_parse(f[3], true, &out->k.created_us)) {
		snprintf(why, whylen, "a bad id, workspace, creation time or key digest");
		return -1;
	}
	for (int i = 0; i < 32; i++) {
		int hi = hexval(f[4][2 * i]), lo = hexval(f[4][2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(why, whylen, "the key digest is not 64 hex digits");
			return -1;
		}
		out->hash[i] = (uint8_t)(hi << 4 | lo);
	}
	snprintf(out->k.id, sizeof out->k.id, "%s", f[0]);
	snprintf(out->k.workspace, sizeof out->k.workspace, "%s", f[1]);
	snprintf(out->k.label, sizeof out->k.label, "%s", nf > 5 ? f[5] : "");
	out->k.role = (enum auth_role)role;
	return 1;
}

/* Reads the file behind fd into a fresh entry array. ST_INVALID when a line is no key, no
 * comment and no blank, or there are more than AUTH_MAX_KEYS keys (why says which); a file
 * that says something else than its writer meant authorizes nothing at all. */
static enum status parse_file(int fd, struct entry **out, size_t *n, char *why, size_t whylen)
{
	FILE *f = fdopen(dup(fd), "r");
	char *line = NULL, reason[160];
	size_t cap = 0;
	ssize_t len;
	enum status st = ST_OK;

	*out = NULL;
	*n = 0;
	if (!f) {
		snprintf(why, whylen, "%s", strerror(errno));
		return ST_UNAVAILABLE;
	}
	for (unsigned lineno = 1; st == ST_OK && (len = getline(&line, &cap, f)) >= 0; lineno++) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		char *text = line;
		/* A byte-order mark a Windows editor put first is no part of the line; a NUL byte
		 * is, and is no key (it once read as a blank line). */
		if (lineno == 1 && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3))
			text += 3, len -= 3;
		int r = -1;
		if (memchr(text, '\0', (size_t)len))
			snprintf(reason, sizeof reason, "a NUL byte");
		else
			r = parse_line(text, &(*out)[*n], reason, sizeof reason);
		if (r < 0)
			snprintf(why, whylen, "line %u: %s", lineno, reason);
		else if (r > 0 && *n == AUTH_MAX_KEYS)
			snprintf(why, whylen, "more than %d keys", AUTH_MAX_KEYS);
		if (r < 0 || (r > 0 && *n == AUTH_MAX_KEYS))
			st = ST_INVALID;
		*n += r > 0;
	}
	/* A read that fails (a directory at the path: EISDIR) is no empty file: it is
	 * unreadable, and refuses every request (issue 30). */
	if (st == ST_OK && ferror(f)) {
		snprintf(why, whylen, "%s", strerror(errno));
		st = ST_UNAVAILABLE;
	}
	free(line);
	fclose(f);
	if (st != ST_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return st;
}

/* Whether no file of that name exists: not even a symbolic link. A link to a missing file is
 * a key file that cannot be read, not an absent one (keys never fail open). */
static bool absent(const char *p)
{
	struct stat sb;
	return lstat(p, &sb) < 0 && errno == ENOENT;
}

/* How the key file's path opened (keys_open). */
enum keys_opened {
	KO_OPEN,     /* *fd open, *sb its stat */
	KO_ABSENT,   /* no file of that name: no keys */
	KO_DANGLING, /* a symbolic link to a file that is not there */
	KO_NOT_FILE, /* a FIFO, a socket or a device */
	KO_ERROR,    /* errno says why */
};

/* Opens the key file p for reading, for both of its readers (load, read_keys). A FIFO, a
 * socket or a device is no key file (a link to /dev/zero was read as one endless line, until
 * the worker ran out of memory); it is opened with O_NONBLOCK, so a FIFO there does not wait
 * for a writer (it held every worker of every program, and `spandex key`). A directory is left
 * to the read, which says so (EISDIR). */
static enum keys_opened keys_open(const char *p, int *fd, struct stat *sb)
{
	*fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (*fd < 0)
		return errno != ENOENT ? KO_ERROR : absent(p) ? KO_ABSENT : KO_DANGLING;
	int err = 0;
	if (fstat(*fd, sb) < 0)
		err = errno;
	else if (S_ISREG(sb->st_mode) || S_ISDIR(sb->st_mode))
		return KO_OPEN;
	close(*fd);
	*fd = -1;
	errno = err;
	return err ? KO_ERROR : KO_NOT_FILE;
}

/* The keys of root, parsed again only when the file changed. ST_NOT_FOUND when there is no
 * key file; ST_UNAVAILABLE (unreadable) or ST_INVALID (damaged) with the reason in why. */
static enum status load(const char *root, struct entry **e, size_t *n, char *why, size_t whylen)
{
	char p[PATH_MAX];
	struct stat sb;

	*e = NULL;
	*n = 0;
	if (!path_in(p, root, AUTH_FILE)) {
		snprintf(why, whylen, "path too long");
		return ST_UNAVAILABLE;
	}
	int fd;
	switch (keys_open(p, &fd, &sb)) {
	case KO_OPEN:
		break;
	case KO_ABSENT:
		snprintf(why, whylen, "%s", strerror(ENOENT));
		return ST_NOT_FOUND;
	case KO_DANGLING:
		snprintf(why, whylen, "a symbolic link to a file that is not there");
		return ST_UNAVAILABLE;
	case KO_NOT_FILE:
		snprintf(why, whylen, "not a regular file");
		return ST_UNAVAILABLE;
	case KO_ERROR:
		snprintf(why, whylen, "%s", strerror(errno));
		return ST_UNAVAILABLE;
	}
	enum status st = ST_OK;
	if (!stamp_same(&cache.stamp, p, &sb)) {
		struct entry *ne;
		size_t nn;
		char w[sizeof cache.why] = "";
		enum status ps = parse_file(fd, &ne, &nn, w, sizeof w);
		if (ps == ST_UNAVAILABLE) {
			snprintf(why, whylen, "%s", w);
			st = ps;
		} else {
			free(cache.e);
			cache.e = ne;
			cache.n = nn;
			cache.st = ps;
			snprintf(cache.why, sizeof cache.why, "%s", w);
			stamp_set(&cache.stamp, p, &sb);
		}
	}
	close(fd);
	if (st == ST_OK && cache.st != ST_OK) {
		snprintf(why, whylen, "%s", cache.why);
		st = cache.st;
	}
	if (st == ST_OK) {
		*e = cache.e;
		*n = cache.n;
	}
	return st;
}

bool auth_enabled(const char *root, const char *token)
{
	struct entry *e;
	size_t n;
	char why[sizeof cache.why];

	/* A key file, even an empty or damaged one, keeps authentication on. */
	return (token && *token) || load(root, &e, &n, why, sizeof why) != ST_NOT_FOUND;
}

const char *auth_unlogged(void)
{
	if (!problem[0] || !strcmp(problem, told))
		return NULL;
	memcpy(told, problem, sizeof told);
	return told;
}

/* Compares two digests in time independent of where they differ. */
static bool same_digest(const uint8_t *a, const uint8_t *b)
{
	unsigned diff = 0;

	for (int i = 0; i < 32; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/* Refreshes the last-use stamp of key id when it is older than AUTH_USED_EVERY_SEC. */
static void mark_used(const char *root, const char *id)
{
	char d[PATH_MAX], p[PATH_MAX + 32];
	struct stat sb;

	if (!path_in(d, root, AUTH_USED_DIR) ||
	    snprintf(p, sizeof p, "%s/%s", d, id) >= (int)sizeof p)
		return;
	if (stat(p, &sb) == 0 && time(NULL) - sb.st_mtime < AUTH_USED_EVERY_SEC)
		return;
	mkdir(d, 0750);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	if (fd >= 0) {
		futimens(fd, NULL);
		close(fd);
	}
}

enum status auth_resolve(const char *root, const char *token, const char *presented,
			 struct auth_grant *g, struct err *e)
{
	struct entry *keys;
	size_t n;
	uint8_t got[32], want[32];
	bool have_token = token && *token;

	memset(g, 0, sizeof *g);
	snprintf(g->workspace, sizeof g->workspace, "%s", AUTH_ALL_WORKSPACES);
	g->role = AUTH_ADMIN;
	char why[sizeof cache.why];
	enum status ls = load(root, &keys, &n, why, sizeof why);
	if (ls == ST_UNAVAILABLE || ls == ST_INVALID) {
		/* The operator's reason goes to the log (auth_unlogged); the client learns only
		 * that nothing gets in until the file is fixed. */
		const char *what = ls == ST_INVALID ? "does not parse" : "cannot be read";
		snprintf(problem, sizeof problem,
			 "%s/%s %s: %s; every request is refused until it is fixed", root,
			 AUTH_FILE, what, why);
		return err_set(e, ST_UNAVAILABLE,
			       "Authentication is unavailable: the server's key file %s", what);
	}
	problem[0] = told[0] = '\0';
	/* No key file: authentication is off. A key file with no key refuses everyone. */
	if (!have_token && ls == ST_NOT_FOUND) {
		g->open = true;
		return ST_OK;
	}
	if (!presented || !*presented)
		return err_set(e, ST_UNAUTHORIZED, "Not authenticated");
	hash_sha256(presented, strlen(presented), got);
	if (have_token) {
		hash_sha256(token, strlen(token), want);
		if (same_digest(got, want))
			return ST_OK; /* SPANDEX_TOKEN: a global admin key */
	}
	/* Every stored digest is compared whole, matching or not. */
	const struct entry *match = NULL;
	for (size_t i = 0; i < n; i++)
		if (same_digest(got, keys[i].hash) && !match)
			match = &keys[i];
	if (!match)
		return err_set(e, ST_UNAUTHORIZED, AUTH_UNKNOWN_KEY);
	memcpy(g->id, match->k.id, sizeof g->id);
	memcpy(g->workspace, match->k.workspace, sizeof g->workspace);
	g->role = match->k.role;
	return ST_OK;
}

enum status auth_allow(const char *root, const struct auth_grant *g, const char *ws,
		       enum auth_role need, struct err *e)
{
	if (g->open)
		return ST_OK;
	if (ws && strcmp(g->workspace, AUTH_ALL_WORKSPACES) && strcmp(g->workspace, ws))
		return err_set(e, ST_FORBIDDEN, "This key is not valid for workspace '%s'", ws);
	if (g->role < need)
		return err_set(e, ST_FORBIDDEN,
			       "This key's role (%s) does not allow this (%s needed)",
			       auth_role_names[g->role], auth_role_names[need]);
	if (g->id[0])
		mark_used(root, g->id);
	return ST_OK;
}

enum status auth_check(const char *root, const char *token, const char *presented, const char *ws,
		       enum auth_role need, struct err *e)
{
	struct auth_grant g;
	enum status st = auth_resolve(root, token, presented, &g, e);

	return st == ST_OK ? auth_allow(root, &g, ws, need, e) : st;
}

/* ---- spandex key ---- */

/* Run as root, the CLI gives the files it creates to the owner of the data directory: the
 * programs run as that user and must read the key file (0600), and a later `spandex key` run
 * as that user must take the lock. Nothing to do for any other user (the files are its own).
 * -1 with errno when the change fails. */
static int give_to_data_owner(int fd, const char *root)
{
	struct stat sb;

	if (geteuid() != 0)
		return 0;
	if (stat(root, &sb) < 0)
		return -1;
	return fchown(fd, sb.st_uid, sb.st_gid);
}

static int lock_keys(const char *root, struct err *e)
{
	char p[PATH_MAX];

	if (!path_in(p, root, AUTH_FILE ".lock")) {
		err_set(e, ST_BAD_REQUEST, "data directory path too long");
		return -1;
	}
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || give_to_data_owner(fd, root) < 0 || flock(fd, LOCK_EX) < 0) {
		err_sys(e, errno, "%s", p);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The line of the file that holds key k. */
static void entry_line(const struct entry *k, struct buf *out)
{
	char ts[40], hex[65];
	time_format(k->k.created_us, ts);
	hash_hex(k->hash, 32, hex);
	buf_printf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", k->k.id, k->k.workspace,
		   auth_role_names[k->k.role], ts, hex, k->k.label);
}

/* Writes keys (n of them) as the new file, atomically. */
static enum status write_keys(const char *root, const struct entry *keys, size_t n, struct err *e)
{
	char p[PATH_MAX], tmp[PATH_MAX];

	if (!path_in(p, root, AUTH_FILE) || !path_in(tmp, root, AUTH_FILE ".tmp"))
		return err_set(e, ST_BAD_REQUEST, "data directory path too long");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 && give_to_data_owner(fd, root) == 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		int err = errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return err_sys(e, err, "%s", tmp);
	}
	fprintf(f, "# spandex API keys (spandex key create|list|revoke): id, workspace, role, "
		   "created, SHA-256 of the key, label\n");
	struct buf line;
	buf_init(&line);
	for (size_t i = 0; i < n; i++) {
		line.len = 0;
		entry_line(&keys[i], &line);
		fputs(line.p, f);
	}
	buf_free(&line);
	bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	int err = errno;
	if (fclose(f) != 0 && ok) {
		ok = false;
		err = errno;
	}
	if (!ok || rename(tmp, p) < 0) {
		err = ok ? errno : err;
		unlink(tmp);
		return err_sys(e, err, "%s", p);
	}
	return ST_OK;
}

/* The entries of the file as it is now (not the cache: a writer reads under its lock). */
static enum status read_keys(const char *root, struct entry **keys, size_t *n, struct err *e)
{
	char p[PATH_MAX];

	*keys = NULL;
	*n = 0;
	if (!path_in(p, root, AUTH_FILE))
		return err_set(e, ST_BAD_REQUEST, "data directory path too long");
	int fd;
	struct stat sb;
	switch (keys_open(p, &fd, &sb)) {
	case KO_OPEN:
		break;
	case KO_ABSENT:
		return ST_OK;
	case KO_DANGLING:
		return err_set(
		    e, ST_UNAVAILABLE,
		    "%s is a symbolic link to a file that is not there: every request is "
		    "refused until it is fixed",
		    p);
	case KO_NOT_FILE:
		return err_set(
		    e, ST_UNAVAILABLE,
		    "%s is not a regular file: every request is refused until it is fixed", p);
	case KO_ERROR:
		return err_sys(e, errno, "%s", p);
	}
	char why[sizeof cache.why];
	enum status st = parse_file(fd, keys, n, why, sizeof why);
	close(fd);
	if (st == ST_INVALID)
		return err_set(e, st,
			       "%s %s: every request is refused until it is fixed; correct the "
			       "line, or remove it (its key is then gone)",
			       p, why);
	return st == ST_OK ? ST_OK : err_set(e, st, "%s: %s", p, why);
}

static void random_hex(char *out, size_t bytes)
{
	uint8_t r[64];

	if (bytes > sizeof r || getrandom(r, bytes, 0) != (ssize_t)bytes)
		abort(); /* the kernel's random source does not fail for a few bytes */
	hash_hex(r, bytes, out);
}

enum status auth_create(const char *root, const char *ws, enum auth_role role, const char *label,
			char *key, size_t keylen, struct auth_key *k, struct err *e)
{
	struct entry *keys;
	size_t n;
	char secret[65];

	if (strcmp(ws, AUTH_ALL_WORKSPACES) && !workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", ws);
	if (label && (strlen(label) > AUTH_MAX_LABEL || strpbrk(label, "\t\r\n")))
		return err_set(e, ST_BAD_REQUEST,
			       "a label is at most %d bytes, without tabs or line breaks",
			       AUTH_MAX_LABEL);
	if (keylen < 64)
		return err_set(e, ST_INTERNAL, "key buffer too small");
	int lfd = lock_keys(root, e);
	if (lfd < 0)
		return e ? e->st : ST_UNAVAILABLE;
	enum status st = read_keys(root, &keys, &n, e);
	if (st == ST_OK && n >= AUTH_MAX_KEYS)
		st = err_set(e, ST_CONFLICT, "at most %d keys", AUTH_MAX_KEYS);
	if (st == ST_OK) {
		struct entry ne;
		memset(&ne, 0, sizeof ne);
		/* 160 random bits: guessing is hopeless, so one SHA-256 is the right hash. */
		random_hex(secret, 20);
		snprintf(key, keylen, "spx_%s", secret);
		hash_sha256(key, strlen(key), ne.hash);
		ne.k.id[0] = 'k';
		random_hex(ne.k.id + 1, 5);
		snprintf(ne.k.workspace, sizeof ne.k.workspace, "%s", ws);
		ne.k.role = role;
		ne.k.created_us = time_now() / 1000000 * 1000000;
		snprintf(ne.k.label, sizeof ne.k.label, "%s", label ? label : "");
		keys = xrealloc(keys, (n + 1) * sizeof *keys);
		keys[n++] = ne;
		st = write_keys(root, keys, n, e);
		if (st == ST_OK)
			*k = ne.k;
	}
	free(keys);
	close(lfd);
	return st;
}

enum status auth_list(const char *root, const char *ws, struct auth_key **out, size_t *n,
		      struct err *e)
{
	struct entry *keys;
	size_t nk;
	enum status st = read_keys(root, &keys, &nk, e);

	*out = NULL;
	*n = 0;
	if (st != ST_OK)
		return st;
	*out = xmalloc((nk ? nk : 1) * sizeof **out);
	for (size_t i = 0; i < nk; i++) {
		char p[PATH_MAX + 32];
		struct stat sb;
		/* A key for every workspace works on ws too: listed with it. */
		if (ws && strcmp(keys[i].k.workspace, ws) &&
		    strcmp(keys[i].k.workspace, AUTH_ALL_WORKSPACES))
			continue;
		struct auth_key *k = &(*out)[(*n)++];
		*k = keys[i].k;
		k->used_us = 0;
		if (snprintf(p, sizeof p, "%s/%s/%s", root, AUTH_USED_DIR, k->id) < (int)sizeof p &&
		    stat(p, &sb) == 0)
			k->used_us =
			    (int64_t)sb.st_mtim.tv_sec * 1000000 + sb.st_mtim.tv_nsec / 1000;
	}
	free(keys);
	return ST_OK;
}

enum status auth_revoke(const char *root, const char *id, struct err *e)
{
	struct entry *keys;
	size_t n, k = 0;
	int lfd = lock_keys(root, e);

	if (lfd < 0)
		return e ? e->st : ST_UNAVAILABLE;
	enum status st = read_keys(root, &keys, &n, e);
	for (size_t i = 0; st == ST_OK && i < n; i++)
		if (strcmp(keys[i].k.id, id))
			keys[k++] = keys[i];
	if (st == ST_OK && k == n)
		st = err_set(e, ST_NOT_FOUND, "no key with id '%s'", id);
	if (st == ST_OK)
		st = write_keys(root, keys, k, e);
	if (st == ST_OK) {
		char p[PATH_MAX + 32];
		if (snprintf(p, sizeof p, "%s/%s/%s", root, AUTH_USED_DIR, id) < (int)sizeof p)
			unlink(p);
	}
	free(keys);
	close(lfd);
	return st;
}

/* The bucket's copy: by id, so the same keys give the same bytes. */
static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->k.id, ((const struct entry *)b)->k.id);
}

enum status auth_export(const char *root, const char *ws, struct buf *out, struct err *e)
{
	struct entry *keys;
	size_t n;
	enum status st = read_keys(root, &keys, &n, e);
	if (st != ST_OK)
		return st;
	if (n) /* no key file: keys is NULL, which qsort must not be given */
		qsort(keys, n, sizeof *keys, entry_cmp);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i].k.workspace, ws) ||
		    !strcmp(keys[i].k.workspace, AUTH_ALL_WORKSPACES))
			entry_line(&keys[i], out);
	free(keys);
	return ST_OK;
}

enum status auth_import(const char *root, const char *ws, const char *lines, size_t len,
			struct err *e)
{
	struct entry *keys = NULL, *in = NULL;
	size_t n = 0, nin = 0;
	char why[160];
	enum status st = ST_OK;
	/* The lines first: a bad one imports nothing. */
	char *copy = xmalloc(len + 1);
	memcpy(copy, lines, len);
	copy[len] = '\0';
	for (char *l = copy, *next; st == ST_OK && l && *l; l = next) {
		if ((next = strchr(l, '\n')))
			*next++ = '\0';
		in = xrealloc(in, (nin + 1) * sizeof *in);
		int r = parse_line(l, &in[nin], why, sizeof why);
		if (r < 0)
			st = err_set(e, ST_INVALID, "the keys to import: %s", why);
		else if (r > 0 && (!strcmp(in[nin].k.workspace, ws) ||
				   !strcmp(in[nin].k.workspace, AUTH_ALL_WORKSPACES)))
			nin++;
	}
	free(copy);
	int lfd = st == ST_OK ? lock_keys(root, e) : -1;
	if (st == ST_OK && lfd < 0)
		st = e ? e->st : ST_UNAVAILABLE;
	if (st == ST_OK)
		st = read_keys(root, &keys, &n, e);
	if (st == ST_OK) {
		/* ws's own keys become the imported ones (a revoke there reaches here); a key for
		 * every workspace is added when this file does not have it. */
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (strcmp(keys[i].k.workspace, ws))
				keys[k++] = keys[i];
		keys = xrealloc(keys, (k + nin + 1) * sizeof *keys);
		for (size_t i = 0; i < nin; i++) {
			bool have = false;
			for (size_t j = 0; j < k && !have; j++)
				have = !strcmp(keys[j].k.id, in[i].k.id);
			if (!have)
				keys[k++] = in[i];
		}
		if (k > AUTH_MAX_KEYS)
			st = err_set(e, ST_CONFLICT, "at most %d keys", AUTH_MAX_KEYS);
		else if (k != n || nin)
			st = write_keys(root, keys, k, e);
	}
	if (lfd >= 0)
		close(lfd);
	free(keys);
	free(in);
	return st;
}
