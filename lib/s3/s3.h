/* s3: a client of S3-compatible object storage (the AWS S3 REST API: path-style URLs, Signature
 * Version 4 by libcurl's CURLOPT_AWS_SIGV4, the payload's SHA-256 sent and signed by us, as
 * libcurl 7.88 does not; docs/ARCHITECTURE.md, "The bucket"). Keys are relative to the
 * configured prefix. A struct s3 holds one curl handle, so its connection is kept from request
 * to request; s3_free frees it. Bodies stream from and to descriptors in S3_CHUNK pieces, so
 * memory stays bounded whatever an object's size. Every failure comes back as a struct err
 * naming its cause in the operator's words (a wrong secret, an unknown bucket, an endpoint
 * that does not answer or is no S3 server). */
#ifndef SPANDEX_S3_S3_H
#define SPANDEX_S3_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/base/status.h"

/* Limits and timeouts, each with its reason. */
#define S3_CONNECT_MS 5000 /* a connection (TCP and TLS) takes longer: the endpoint is down */
#define S3_STALL_SEC                                                                               \
	15 /* no byte moved for that long: the server hangs (SIGSTOP, a stuck disk)                \
	    */
#define S3_CHUNK (1u << 20)	 /* bytes read from a file at a time, to hash or to send */
#define S3_LIST_MAX 1000	 /* keys per ListObjectsV2 page: S3's own maximum */
#define S3_MAX_KEY 1024		 /* S3's limit on a key's length (bytes) */
#define S3_ERR_BODY 4096	 /* bytes of an error answer kept to read its S3 error code */
#define S3_MAX_SMALL (64u << 20) /* the largest object s3_get reads into memory */

/* Where the objects are: SPANDEX_S3=s3://BUCKET/PREFIX, SPANDEX_S3_ENDPOINT (http(s)://host[:port],
 * for anything but AWS), SPANDEX_S3_REGION (us-east-1), AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY. */
struct s3_conf {
	char bucket[64];
	char prefix[512];   /* without leading or trailing '/'; "" for none */
	char endpoint[512]; /* scheme, host and port, no trailing '/' */
	char region[64];
	char key_id[256], secret[256];
	int stall_sec; /* SPANDEX_S3_TIMEOUT: no byte moved for this long ends a request */
};
/* Fills c from the settings (NULL or "" where unset): ST_OK, or ST_BAD_REQUEST with e naming
 * the setting and what is wrong with it. url NULL or "" is ST_NOT_FOUND: not configured.
 * stall_sec is S3_STALL_SEC (s3_conf_timeout sets another). */
enum status s3_conf_parse(struct s3_conf *c, const char *url, const char *endpoint,
			  const char *region, const char *key_id, const char *secret,
			  struct err *e);
/* SPANDEX_S3_TIMEOUT (seconds, 1 to S3_STALL_MAX; NULL or "": S3_STALL_SEC) into c. */
#define S3_STALL_MAX 3600
enum status s3_conf_timeout(struct s3_conf *c, const char *v, struct err *e);
/* "s3://bucket/prefix at endpoint", for messages (out >= 1200). */
void s3_conf_name(const struct s3_conf *c, char *out, size_t n);

struct s3;
struct s3 *s3_new(const struct s3_conf *c);
void s3_free(struct s3 *s);
const struct s3_conf *s3_conf_of(const struct s3 *s);

/* A piece of a body to send: mem's len bytes when mem is not NULL, else len bytes of the
 * descriptor fd at off (read with pread, so the descriptor's offset is left alone). */
struct s3_part {
	const void *mem;
	int fd;
	uint64_t off, len;
};

/* What a PUT does when the key exists: S3_REPLACE overwrites it; S3_CREATE sends
 * If-None-Match: * and answers ST_CONFLICT (412) instead, leaving it as it was. */
enum s3_put_mode { S3_REPLACE, S3_CREATE };
/* The SHA-256 of the parts (read once to hash, once to send), hex, into sha (65 bytes); NULL
 * when not wanted. */
enum status s3_sha256(const struct s3_part *parts, size_t n, char sha[65], struct err *e);
/* Hashing ahead: the SHA-256 of bodies to be PUT one after another, computed in order on a
 * thread of its own while the earlier ones are sent (hashq.c says why). The thread hashes at
 * most S3_HASH_AHEAD bodies past the one last asked for, so a body is hashed shortly before it
 * is sent (still in the page cache) and memory stays one S3_CHUNK whatever the bodies' sizes.
 * The parts' arrays are copied; the memory and descriptors they name must stay valid until
 * s3_hashq_free. s3_hashq_get asks for body i (in order, each once) and waits for its hash;
 * s3_hashq_free stops the thread (at the end of the body it is hashing) and frees q. */
#define S3_HASH_AHEAD 1 /* bodies hashed ahead: one overlaps hashing with sending */
struct s3_body {
	const struct s3_part *parts;
	size_t n;
};
struct s3_hashq;
struct s3_hashq *s3_hashq_new(const struct s3_body *b, size_t n);
enum status s3_hashq_get(struct s3_hashq *q, size_t i, char sha[65], struct err *e);
void s3_hashq_free(struct s3_hashq *q);
/* PUTs the parts as key. sha: their hex SHA-256 when the caller has it (s3_sha256), else NULL
 * (computed here). ST_CONFLICT for S3_CREATE on an existing key. A 500 on a create-only PUT
 * does not say whether it was stored: ST_UNAVAILABLE, read the key again (reference/s3.md). */
enum status s3_put(struct s3 *s, const char *key, const struct s3_part *parts, size_t n,
		   const char *sha, enum s3_put_mode mode, struct err *e);
/* GETs key whole into out (appended; at most S3_MAX_SMALL bytes). ST_NOT_FOUND when there is
 * no such key. */
enum status s3_get(struct s3 *s, const char *key, struct buf *out, struct err *e);
/* GETs len bytes of key from off (len 0: to its end) and writes them to fd at its offset
 * (write), *got bytes (may be NULL). ST_NOT_FOUND when there is no such key. */
enum status s3_get_fd(struct s3 *s, const char *key, uint64_t off, uint64_t len, int fd,
		      uint64_t *got, struct err *e);
/* The size of key; ST_NOT_FOUND when there is none. */
enum status s3_head(struct s3 *s, const char *key, uint64_t *size, struct err *e);
/* Deletes key (none there is no error). */
enum status s3_delete(struct s3 *s, const char *key, struct err *e);

/* One key of a listing: relative to the prefix, its size and when it was last written (us). */
struct s3_obj {
	const char *key;
	uint64_t size;
	int64_t mtime;
};
/* Calls fn for each key under pfx (relative to the prefix) that sorts after start_after (NULL:
 * from the first), in key order, until fn returns false or max keys were given (0: all).
 * Pages of S3_LIST_MAX keys. */
typedef bool (*s3_list_fn)(void *ctx, const struct s3_obj *o);
enum status s3_list(struct s3 *s, const char *pfx, const char *start_after, size_t max,
		    s3_list_fn fn, void *ctx, struct err *e);

/* Calls fn with each "directory" under pfx (relative to the prefix, ending in '/'): the common
 * prefixes of a listing by '/'. */
typedef bool (*s3_dir_fn)(void *ctx, const char *dir);
enum status s3_list_dirs(struct s3 *s, const char *pfx, s3_dir_fn fn, void *ctx, struct err *e);

/* Checks that the bucket answers as S3 and takes these credentials: a listing of one key
 * under the prefix. The error names the cause (credentials, bucket, endpoint, not S3). */
enum status s3_check(struct s3 *s, struct err *e);

/* Requests made through s since s3_new, and bytes sent and received (the benchmarks). */
struct s3_counts {
	uint64_t puts, gets, heads, lists, deletes;
	uint64_t sent, received;
};
const struct s3_counts *s3_counts(const struct s3 *s);

/* Parsing the answers (exposed for t/check_s3): the S3 error code of an error body (<Code>),
 * "" when it has none; the keys of a ListObjectsV2 page (fn as s3_list's), whether it is
 * truncated and its continuation token (tok >= 1024). False when the body is no
 * ListBucketResult. */
void s3_error_code(const char *body, size_t n, char *code, size_t cn);
bool s3_list_parse(const char *body, size_t n, size_t plen, s3_list_fn fn, void *ctx, bool *more,
		   char *tok, size_t tn, size_t *count, bool *stop);
/* The CommonPrefixes of a page, each given to fn without the first plen bytes. */
void s3_dirs_parse(const char *body, size_t n, size_t plen, s3_dir_fn fn, void *ctx);
/* A key (or a query value) as a URL carries it: every byte but RFC 3986's unreserved ones
 * (and '/' when keep_slash) as %XX. */
void s3_uri_encode(struct buf *out, const char *s, size_t n, bool keep_slash);

#endif
