/* sign: the server's own signature of the URLs it hands out to be used without a key (a
 * media upload or download a client's SDK fetches bare, as it would an S3 presigned URL):
 * HMAC-SHA256 (RFC 2104, nettle's) under a secret of the data directory, DATA/.spandex-sign
 * (FORMAT.md), made by the first program that needs it. Every program and host sharing the
 * directory signs alike; removing the file voids every URL handed out, nothing else. */
#include "lib/auth/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/hmac.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "lib/base/hash.h"

#define SECRET_BYTES 32 /* SHA-256's block of entropy: a longer key adds nothing to HMAC */

/* The secret of root, as the file holds it (hex), read into out; -1 with errno. */
static int read_secret(const char *path, char out[2 * SECRET_BYTES + 1])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, out, 2 * SECRET_BYTES);
	close(fd);
	if (n != 2 * SECRET_BYTES) {
		errno = EINVAL;
		return -1;
	}
	out[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		if (!((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f'))) {
			errno = EINVAL;
			return -1;
		}
	return 0;
}

/* Puts the file hex (its 64 digits and a newline) in place once: written whole aside, then
 * linked to its name, so that two programs starting at once agree on the one that links first,
 * and none reads half a file. 0 also when the file was there (that one stays). */
static int link_secret(const char *path, const char *hex)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, hex, strlen(hex));
	int rc = w == (ssize_t)strlen(hex) && fdatasync(fd) == 0 ? 0 : -1;
	close(fd);
	if (rc == 0 && link(tmp, path) < 0 && errno != EEXIST)
		rc = -1;
	unlink(tmp);
	return rc;
}

static int make_secret(const char *path)
{
	char hex[2 * SECRET_BYTES + 2];
	uint8_t r[SECRET_BYTES];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		return -1;
	hash_hex(r, sizeof r, hex);
	strcat(hex, "\n");
	return link_secret(path, hex);
}

enum status auth_sign_export(const char *root, struct buf *out, struct err *e)
{
	char path[PATH_MAX], secret[2 * SECRET_BYTES + 1];
	if (snprintf(path, sizeof path, "%s/%s", root, AUTH_SIGN_FILE) >= (int)sizeof path)
		return err_set(e, ST_UNAVAILABLE, "%s: path too long", AUTH_SIGN_FILE);
	if (read_secret(path, secret) < 0)
		return errno == ENOENT
			   ? ST_OK
			   : err_set(e, ST_UNAVAILABLE, "%s: %s", path, strerror(errno));
	buf_printf(out, "%s\n", secret);
	return ST_OK;
}

enum status auth_sign_import(const char *root, const char *p, size_t n, struct err *e)
{
	char path[PATH_MAX], hex[2 * SECRET_BYTES + 2];
	if (snprintf(path, sizeof path, "%s/%s", root, AUTH_SIGN_FILE) >= (int)sizeof path)
		return err_set(e, ST_UNAVAILABLE, "%s: path too long", AUTH_SIGN_FILE);
	bool ok = n == 2 * SECRET_BYTES + 1 && p[n - 1] == '\n';
	for (size_t i = 0; ok && i < n - 1; i++)
		ok = (p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f');
	if (!ok)
		return err_set(e, ST_INVALID, "%s: not a secret (64 hex digits and a newline)",
			       AUTH_SIGN_FILE);
	memcpy(hex, p, n);
	hex[n] = 0;
	if (link_secret(path, hex) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", path, strerror(errno));
	return ST_OK;
}

enum status auth_sign(const char *root, const char *msg, size_t n, char out[65], struct err *e)
{
	char path[PATH_MAX], secret[2 * SECRET_BYTES + 1];
	if (snprintf(path, sizeof path, "%s/%s", root, AUTH_SIGN_FILE) >= (int)sizeof path)
		return err_set(e, ST_UNAVAILABLE, "%s: path too long", AUTH_SIGN_FILE);
	if (read_secret(path, secret) < 0 &&
	    (errno != ENOENT || make_secret(path) < 0 || read_secret(path, secret) < 0))
		return err_set(e, ST_UNAVAILABLE, "%s/%s: %s", root, AUTH_SIGN_FILE,
			       strerror(errno));
	struct hmac_sha256_ctx h;
	uint8_t mac[SHA256_DIGEST_SIZE];
	hmac_sha256_set_key(&h, strlen(secret), (const uint8_t *)secret);
	hmac_sha256_update(&h, n, (const uint8_t *)msg);
	hmac_sha256_digest(&h, sizeof mac, mac);
	hash_hex(mac, sizeof mac, out);
	return ST_OK;
}

bool auth_signed(const char *root, const char *msg, size_t n, const char *sig)
{
	char want[65];
	struct err e = {0};
	if (!sig || strlen(sig) != 64 || auth_sign(root, msg, n, want, &e) != ST_OK)
		return false;
	/* The same time whatever sig holds: no byte of a valid signature is found by timing. */
	unsigned diff = 0;
	for (size_t i = 0; i < 64; i++)
		diff |= (unsigned)(want[i] ^ sig[i]);
	return diff == 0;
}
