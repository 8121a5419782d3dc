/* auth: API keys per workspace with a role, kept hashed in DATA/.spandex-keys (a file the web
 * server never serves: the data directory is never served), and the check every request of
 * every API passes through. Programs stay stateless: the file is parsed again whenever its
 * identity or change time moves, so a revoke counts from the next request. Nothing returned
 * here needs freeing by the caller except what auth_list hands out. */
#ifndef SPANDEX_AUTH_AUTH_H
#define SPANDEX_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/base/status.h"

#define AUTH_FILE ".spandex-keys"	   /* in DATA; not a valid workspace name */
#define AUTH_USED_DIR ".spandex-keys.used" /* in DATA: one file per key, its mtime the last use */
#define AUTH_MAX_KEYS 4096		   /* keys in one file: a list, not a user database */
#define AUTH_MAX_LABEL 128		   /* bytes of a key's label */
#define AUTH_USED_EVERY_SEC 60 /* a key's last-use stamp is refreshed at most this often */
#define AUTH_ALL_WORKSPACES "*"
/* The 401 of a key that was read and matches none (without a key: "Not authenticated"). */
#define AUTH_UNKNOWN_KEY                                                                           \
	"Unknown API key: the request's key was read, and this server has no such key "            \
	"(revoked, mistyped, or another server's)"

/* Roles, each including the ones before it: read every GET and search; write ingest and every
 * write of Opik and Scale GP; admin everything, deletes included. */
enum auth_role { AUTH_READ, AUTH_WRITE, AUTH_ADMIN };
extern const char *const auth_role_names[]; /* "read", "write", "admin", NULL */
int auth_role_parse(const char *s);	    /* -1 when not a role */

/* A key as listed (never the key itself). */
struct auth_key {
	char id[16];	    /* "k" and 10 hex digits */
	char workspace[64]; /* a workspace name or "*" */
	enum auth_role role;
	int64_t created_us, used_us; /* used_us 0 when never used */
	char label[AUTH_MAX_LABEL + 1];
};

/* Is authentication on for DATA: token set (SPANDEX_TOKEN, a global admin key; may be NULL),
 * or a key file, whatever it holds. Once DATA/.spandex-keys exists authentication stays on:
 * with no key left it lets nobody in, and removing the file is what turns it off. */
bool auth_enabled(const char *root, const char *token);

/* What a presented key may do: its workspace and role. */
struct auth_grant {
	bool open;	    /* authentication is off: anyone may do anything */
	char id[16];	    /* the stored key's id; "" for the token and when open */
	char workspace[64]; /* its workspace, or AUTH_ALL_WORKSPACES */
	enum auth_role role;
};

/* Resolves presented (the key the request carried, NULL when none) into *g. ST_OK when
 * authentication is off (g->open), or the key is token (every workspace, admin) or a stored
 * key; ST_UNAUTHORIZED without a key ("Not authenticated") or with one that matches none
 * (AUTH_UNKNOWN_KEY; every key when the file holds none); ST_UNAVAILABLE for every request
 * while the key file cannot be read or has a line that is no key, comment or blank (the
 * client is told which, auth_unlogged says why). Comparisons take the same time whatever the
 * key. e (may be NULL) gets the reason for the client. */
enum status auth_resolve(const char *root, const char *token, const char *presented,
			 struct auth_grant *g, struct err *e);
/* Whether g (from auth_resolve) allows a need of at least role on workspace ws (NULL for
 * none): ST_OK, and the key's last use stamped; ST_FORBIDDEN for a key of another workspace
 * or a lesser role. */
enum status auth_allow(const char *root, const struct auth_grant *g, const char *ws,
		       enum auth_role need, struct err *e);
/* auth_resolve, then auth_allow. */
enum status auth_check(const char *root, const char *token, const char *presented, const char *ws,
		       enum auth_role need, struct err *e);
/* For the programs' log: why auth_check refuses every request (the key file and what is wrong
 * with it), the first time after that reason appeared or changed; NULL otherwise. */
const char *auth_unlogged(void);

/* The CLI side (spandex key). Each rewrites DATA/.spandex-keys through a temporary file and a
 * rename, under an exclusive lock on it. Run as root, the files it creates are given to the
 * owner of DATA (the user the programs run as), so they can read them. */
/* Creates a key for ws (a workspace name or "*") with role and label (may be NULL); the key
 * itself (high entropy, shown once) goes to key (>= 64 bytes), its id to k. */
enum status auth_create(const char *root, const char *ws, enum auth_role role, const char *label,
			char *key, size_t keylen, struct auth_key *k, struct err *e);
/* The keys; when ws is not NULL, those that work on ws: its own and the "*" keys. *out is
 * malloc'd (caller frees). create, list and revoke refuse a damaged file (ST_INVALID, naming
 * the line) rather than rewrite it without the line. */
enum status auth_list(const char *root, const char *ws, struct auth_key **out, size_t *n,
		      struct err *e);
/* Removes key id; ST_NOT_FOUND when there is none. */
enum status auth_revoke(const char *root, const char *id, struct err *e);

/* For the bucket (lib/ship), which carries a workspace's keys to the host that pulls it: the
 * lines of the key file that work on ws (its own and the "*" keys), as the file holds them
 * (the SHA-256 of each key, never the key), sorted by id, into out; none without a file. */
enum status auth_export(const char *root, const char *ws, struct buf *out, struct err *e);
/* Takes such lines into this file, under its lock: ws's own keys become exactly those of the
 * lines (so a revoke travels too); a "*" key is added when the file has none of its id. A
 * line that is no key imports nothing (ST_INVALID). */
enum status auth_import(const char *root, const char *ws, const char *lines, size_t len,
			struct err *e);

/* sign.c: the signature of a URL this server hands out to be used without a key (a media
 * upload or download, docs/media.md): HMAC-SHA256 of msg under the data directory's secret,
 * DATA/AUTH_SIGN_FILE (made on first use: 32 random bytes as hex, mode 0600; FORMAT.md), as
 * 64 hex digits into out. ST_UNAVAILABLE (e says why) when the secret cannot be read or made. */
#define AUTH_SIGN_FILE ".spandex-sign"
enum status auth_sign(const char *root, const char *msg, size_t n, char out[65], struct err *e);
/* Whether sig is auth_sign's of msg, compared in the same time whatever it holds. */
bool auth_signed(const char *root, const char *msg, size_t n, const char *sig);
/* For backups and the bucket (lib/ship), which carry the secret with the workspaces so that
 * the URLs signed before still work where they are restored or pulled: the file as it holds
 * it into out (nothing when there is none yet). */
enum status auth_sign_export(const char *root, struct buf *out, struct err *e);
/* Takes p[0..n) (as auth_sign_export gave it) as root's secret unless root has one (its own
 * stays: the URLs it signed stay good); mode 0600. ST_INVALID when p is no secret. */
enum status auth_sign_import(const char *root, const char *p, size_t n, struct err *e);

#endif
