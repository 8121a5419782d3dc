/* media: a workspace's media files (store.h, "Media files"): content-addressed, written once,
 * aside and renamed, so that a reader and a backup see a file whole or not at all, and a
 * batch commits its references only after their files are on disk. */
#include "lib/store/media.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/hash.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool store_media_name(const char *s, size_t n)
{
	if (n != STORE_MEDIA_HEX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_hex(s[i]))
			return false;
	return true;
}

bool media_dir(char *out, const struct store *st, const char *ws)
{
	struct store spans = *st;
	spans.kind = STORE_SPANS; /* a workspace's media are beside its spans */
	char d[PATH_MAX];
	if (!layout_dir(d, &spans, ws))
		return false;
	int n = snprintf(out, PATH_MAX, "%s/%s", d, STORE_MEDIA_DIR);
	return n > 0 && n < PATH_MAX;
}

bool media_path(char *out, const struct store *st, const char *ws, const char *hex)
{
	char d[PATH_MAX];
	if (!hex || !store_media_name(hex, strlen(hex)) || !media_dir(d, st, ws))
		return false;
	int n = snprintf(out, PATH_MAX, "%s/%.2s/%s", d, hex, hex);
	return n > 0 && n < PATH_MAX;
}

/* mkdir dir, and when it is new, sync its parent so the name survives a power cut. */
static int mkdir_synced(const char *dir, bool sync)
{
	if (mkdir(dir, 0750) == 0) {
		if (sync) {
			char parent[PATH_MAX];
			snprintf(parent, sizeof parent, "%s", dir);
			char *slash = strrchr(parent, '/');
			if (slash) {
				*slash = 0;
				io_sync_dir(parent);
			}
		}
		return 0;
	}
	return errno == EEXIST ? 0 : -1;
}

/* Writes p[0..n) to tmp, synced when sync; 0, or -1 with errno (tmp removed). */
static int write_aside(const char *tmp, const void *p, size_t n, bool sync)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	int rc = io_write_all(fd, p, n);
	if (rc == 0 && sync)
		rc = fdatasync(fd);
	int en = errno;
	if (close(fd) < 0 && rc == 0) {
		rc = -1;
		en = errno;
	}
	if (rc < 0) {
		unlink(tmp);
		errno = en;
	}
	return rc;
}

enum status store_media_put(struct store *st, const char *ws, const char *hex, const void *p,
			    size_t n, struct err *e)
{
	char dir[PATH_MAX], sub[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX];
	struct stat sb;
	if (!workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", ws);
	if (!media_dir(dir, st, ws) || !media_path(path, st, ws, hex) ||
	    snprintf(sub, sizeof sub, "%s/%.2s", dir, hex) >= (int)sizeof sub ||
	    snprintf(tmp, sizeof tmp, "%s%s%ld", path, MEDIA_TMP, (long)getpid()) >=
		(int)sizeof tmp)
		return err_set(e, ST_BAD_REQUEST, "media %s: path too long", hex);
	/* Stored once, however often it is sent: a file of that size is this content (a damaged
	 * one is spandex verify's to find). Its new time keeps it from a sweep running now. */
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == n) {
		if (utimensat(AT_FDCWD, path, NULL, 0) == 0)
			return ST_OK;
		/* Gone meanwhile (a sweep took it: ops_media_sweep): written afresh below. */
		if (errno != ENOENT)
			return err_sys(e, errno, "media file");
	}
	struct store spans = *st;
	spans.kind = STORE_SPANS;
	if (layout_mkdir(&spans, ws) < 0 || mkdir_synced(dir, st->sync) < 0 ||
	    mkdir_synced(sub, st->sync) < 0)
		return err_sys(e, errno, "media directory");
	if (write_aside(tmp, p, n, st->sync) < 0)
		return err_sys(e, errno, "media file");
	if (rename(tmp, path) < 0) {
		int en = errno;
		unlink(tmp);
		return err_sys(e, en, "media file");
	}
	if (st->sync)
		io_sync_dir(sub);
	return ST_OK;
}

enum status store_media_open(struct store *st, const char *ws, const char *hex, int *fd,
			     uint64_t *size)
{
	char path[PATH_MAX];
	struct stat sb;
	*fd = -1;
	if (!workspace_valid(ws) || !media_path(path, st, ws, hex))
		return ST_NOT_FOUND;
	int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0 && errno == ENOENT) {
		/* A sweep holds it aside for a moment, or was killed doing so (MEDIA_SWEEP). */
		char aside[PATH_MAX];
		if (snprintf(aside, sizeof aside, "%s%s", path, MEDIA_SWEEP) < (int)sizeof aside)
			f = open(aside, O_RDONLY | O_CLOEXEC);
	}
	if (f < 0)
		return errno == ENOENT || errno == ENOTDIR ? ST_NOT_FOUND
							   : status_from_errno(errno);
	if (fstat(f, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(f);
		return ST_NOT_FOUND;
	}
	*fd = f;
	*size = (uint64_t)sb.st_size;
	return ST_OK;
}

/* The files of one <aa>/ directory. */
static int each_in(const char *dpath, const char *aa, bool (*fn)(void *, const struct media_file *),
		   void *ctx, bool *stop)
{
	DIR *d = opendir(dpath);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	struct dirent *de;
	while (!*stop && (de = readdir(d))) {
		char p[PATH_MAX];
		struct stat sb;
		if (de->d_name[0] == '.' ||
		    snprintf(p, sizeof p, "%s/%s", dpath, de->d_name) >= (int)sizeof p ||
		    lstat(p, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		size_t len = strlen(de->d_name);
		struct media_file f = {
		    .name = de->d_name,
		    .path = p,
		    .size = (uint64_t)sb.st_size,
		    .mtime_us = (int64_t)sb.st_mtim.tv_sec * 1000000 + sb.st_mtim.tv_nsec / 1000,
		    .media = store_media_name(de->d_name, len) && !memcmp(de->d_name, aa, 2)};
		*stop = !fn(ctx, &f);
	}
	closedir(d);
	return 0;
}

int media_each(const struct store *st, const char *ws,
	       bool (*fn)(void *ctx, const struct media_file *f), void *ctx)
{
	char dir[PATH_MAX];
	if (!media_dir(dir, st, ws))
		return -1;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *de;
	bool stop = false;
	int rc = 0;
	while (rc == 0 && !stop && (de = readdir(d))) {
		char p[PATH_MAX];
		if (strlen(de->d_name) != 2 || de->d_name[0] == '.' ||
		    snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int)sizeof p)
			continue;
		rc = each_in(p, de->d_name, fn, ctx, &stop);
	}
	closedir(d);
	return rc;
}

int media_hash_file(const char *path, char *hex)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return -1;
	}
	uint8_t dig[32];
	if (sb.st_size == 0) {
		hash_sha256("", 0, dig);
	} else {
		void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			close(fd);
			return -1;
		}
		hash_sha256(m, (size_t)sb.st_size, dig);
		munmap(m, (size_t)sb.st_size);
	}
	close(fd);
	hash_hex(dig, 32, hex);
	return 0;
}

enum status store_media_touch(struct store *st, const char *ws, const char *hex, uint64_t size)
{
	char path[PATH_MAX];
	struct stat sb;
	if (!workspace_valid(ws) || !media_path(path, st, ws, hex) || stat(path, &sb) < 0 ||
	    !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != size)
		return ST_NOT_FOUND;
	/* A sweep that took it meanwhile: the caller has it written again. */
	return utimensat(AT_FDCWD, path, NULL, 0) == 0 ? ST_OK : ST_NOT_FOUND;
}

enum status store_media_find(struct store *st, const char *ws, const char *prefix, char hex[65])
{
	char dir[PATH_MAX], sub[PATH_MAX];
	size_t n = strlen(prefix);
	if (n < 2 || n > STORE_MEDIA_HEX || !workspace_valid(ws) || !media_dir(dir, st, ws))
		return ST_NOT_FOUND;
	for (size_t i = 0; i < n; i++)
		if (!is_hex(prefix[i]))
			return ST_NOT_FOUND;
	if (snprintf(sub, sizeof sub, "%s/%.2s", dir, prefix) >= (int)sizeof sub)
		return ST_NOT_FOUND;
	DIR *d = opendir(sub);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? ST_NOT_FOUND
							   : status_from_errno(errno);
	enum status rc = ST_NOT_FOUND;
	struct dirent *de;
	while (rc == ST_NOT_FOUND && (de = readdir(d))) {
		/* A file a sweep holds aside (<hex>.sweep) is still the content: open finds it. */
		size_t len = strcspn(de->d_name, ".");
		if (store_media_name(de->d_name, len) && !memcmp(de->d_name, prefix, n) &&
		    (!de->d_name[len] || !strcmp(de->d_name + len, MEDIA_SWEEP))) {
			memcpy(hex, de->d_name, STORE_MEDIA_HEX);
			hex[STORE_MEDIA_HEX] = 0;
			rc = ST_OK;
		}
	}
	closedir(d);
	return rc;
}

/* The value of a base64url digit (RFC 4648 section 5), or -1. */
static int b64url(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

bool store_media_tag_prefix(const char *id, size_t n, char out[STORE_MEDIA_TAG_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	if (n != STORE_MEDIA_TAG_ID)
		return false;
	/* 22 digits of 6 bits are the hash's first 132 bits: 33 hex digits of 4. */
	unsigned acc = 0, bits = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64url(id[i]);
		if (v < 0)
			return false;
		acc = (acc << 6 | (unsigned)v) & 0x3ff;
		for (bits += 6; bits >= 4; bits -= 4)
			out[k++] = digits[(acc >> (bits - 4)) & 15];
	}
	out[k] = 0;
	return true;
}

/* The first reference in [s, end): where it starts (NULL: none), its name into hex, and where
 * to look on into *next. */
static const char *next_ref(const char *s, const char *end, char hex[STORE_MEDIA_HEX + 1],
			    const char **next)
{
	static const char ref[] = STORE_MEDIA_REF;
	const size_t rn = sizeof ref - 1;
	while ((size_t)(end - s) >= rn + STORE_MEDIA_HEX) {
		const char *m = memmem(s, (size_t)(end - s), ref, rn);
		if (!m || (size_t)(end - m) < rn + STORE_MEDIA_HEX)
			return NULL;
		const char *h = m + rn;
		s = h;
		/* The name ends there: no 65th hex digit. */
		if (!store_media_name(h, STORE_MEDIA_HEX) ||
		    (h + STORE_MEDIA_HEX < end && is_hex(h[STORE_MEDIA_HEX])))
			continue;
		memcpy(hex, h, STORE_MEDIA_HEX);
		hex[STORE_MEDIA_HEX] = 0;
		*next = h + STORE_MEDIA_HEX;
		return m;
	}
	return NULL;
}

/* The first tag in [s, end) whose id is one, as next_ref: the prefix its id names. */
static const char *next_tag(const char *s, const char *end, char prefix[STORE_MEDIA_TAG_HEX + 1],
			    const char **next)
{
	static const char open[] = STORE_MEDIA_TAG_OPEN, kind[] = STORE_MEDIA_TAG_KIND;
	const size_t on = sizeof open - 1, kn = sizeof kind - 1;
	while ((size_t)(end - s) > on + kn + 1) {
		const char *m = memmem(s, (size_t)(end - s), open, on);
		if (!m)
			return NULL;
		/* Letters, the client's name and then the kind, and a colon: else look on from the
		 * next byte ("@@@@x" holds one at its second). */
		const char *k = m + on;
		while (k < end && (size_t)(k - (m + on)) < STORE_MEDIA_TAG_NAME + kn &&
		       ((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z')))
			k++;
		if ((size_t)(k - (m + on)) <= kn || k == end || *k != ':' ||
		    memcmp(k - kn, kind, kn)) {
			s = m + 1;
			continue;
		}
		s = k + 1;
		/* Its fields up to the closing "@@@", within a bound: type=...|id=...|source=... */
		size_t room = (size_t)(end - s) < STORE_MEDIA_TAG_MAX ? (size_t)(end - s)
								      : STORE_MEDIA_TAG_MAX;
		const char *close = memmem(s, room, "@@@", 3);
		if (!close)
			continue;
		for (const char *f = s; f < close;) {
			const char *bar = memchr(f, '|', (size_t)(close - f));
			const char *fe = bar ? bar : close;
			if (fe - f > 3 && !memcmp(f, "id=", 3) &&
			    store_media_tag_prefix(f + 3, (size_t)(fe - f - 3), prefix)) {
				*next = close + 3;
				return m;
			}
			f = fe + 1;
		}
		s = close + 3;
	}
	return NULL;
}

size_t store_media_refs(const char *p, size_t n, void (*fn)(void *ctx, const char *hex), void *ctx)
{
	char rh[STORE_MEDIA_HEX + 1], th[STORE_MEDIA_TAG_HEX + 1];
	const char *end = p + n, *rn = p, *tn = p;
	const char *r = next_ref(p, end, rh, &rn), *t = next_tag(p, end, th, &tn);
	size_t found = 0;
	while (r || t) {
		bool ref = r && (!t || r < t);
		found++;
		if (fn)
			fn(ctx, ref ? rh : th);
		if (ref)
			r = next_ref(rn, end, rh, &rn);
		else
			t = next_tag(tn, end, th, &tn);
	}
	return found;
}

enum status store_media_named(struct store *st, const char *ws, const char *hex,
			      char out[STORE_MEDIA_HEX + 1])
{
	if (strlen(hex) != STORE_MEDIA_HEX)
		return store_media_find(st, ws, hex, out);
	memcpy(out, hex, STORE_MEDIA_HEX + 1);
	return ST_OK;
}
