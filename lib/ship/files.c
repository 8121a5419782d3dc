/* files: what travels with a workspace besides its lines: its retention rules
 * (<ws>/retention.json, whole), the API keys that work on it (lib/auth's lines of
 * DATA/.spandex-keys: its own and the "*" ones, hashed as the file holds them) and the secret
 * its media URLs are signed with (DATA/.spandex-sign, whole: the host that pulls it takes it
 * when it has none, so the URLs handed out here work there). */
#include "lib/ship/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/auth/auth.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"

static enum status read_rules(const char *root, const char *ws, struct buf *out, struct err *e)
{
	char p[PATH_MAX];
	struct stat sb;
	if (snprintf(p, sizeof p, "%s/%s/%s", root, ws, STORE_RULES_FILE) >= (int)sizeof p)
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", ws);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? ST_OK : err_sys(e, errno, "%s", p);
	enum status st = ST_OK;
	if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_size > LOGOBJ_FILE_MAX) {
		st = err_set(e, ST_UNAVAILABLE, "%s: too large or unreadable", p);
	} else {
		buf_reserve(out, (size_t)sb.st_size);
		if (pread(fd, out->p, (size_t)sb.st_size, 0) != sb.st_size)
			st = err_sys(e, errno ? errno : EIO, "%s", p);
		else
			out->len = (size_t)sb.st_size;
	}
	close(fd);
	return st;
}

/* The rules a pull brought, written as the workspace's (none: the file goes). */
static enum status apply_rules(const char *root, const char *data, const char *ws, const char *b,
			       size_t len, struct err *e)
{
	(void)data;
	char p[PATH_MAX];
	int out = -1;
	enum status st = ST_OK;
	if (snprintf(p, sizeof p, "%s/%s/%s", root, ws, STORE_RULES_FILE) >= (int)sizeof p)
		st = err_set(e, ST_BAD_REQUEST, "%s: path too long", ws);
	else if (!len)
		unlink(p);
	else if ((out = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0 ||
		 write(out, b, len) != (ssize_t)len || fdatasync(out) < 0)
		st = err_sys(e, errno ? errno : EIO, "%s", p);
	if (out >= 0)
		close(out);
	return st;
}

static enum status apply_keys(const char *root, const char *data, const char *ws, const char *b,
			      size_t len, struct err *e)
{
	(void)root;
	return auth_import(data, ws, b, len, e);
}

static enum status read_sign(const char *data, const char *ws, struct buf *out, struct err *e)
{
	(void)ws;
	return auth_sign_export(data, out, e);
}

static enum status apply_sign(const char *root, const char *data, const char *ws, const char *b,
			      size_t len, struct err *e)
{
	(void)root, (void)ws;
	return len ? auth_sign_import(data, b, len, e) : ST_OK;
}

/* Each file of a pass: its name in the bucket, how a pass reads it from DATA (empty: none) and
 * how a pull applies what it brought. */
static const struct {
	const char *name;
	enum status (*read)(const char *data, const char *ws, struct buf *out, struct err *e);
	enum status (*apply)(const char *root, const char *data, const char *ws, const char *b,
			     size_t len, struct err *e);
} file_kinds[PASS_FILES] = {
    {.name = STORE_RULES_FILE, .read = read_rules, .apply = apply_rules},
    {.name = "keys", .read = auth_export, .apply = apply_keys},
    {.name = "sign", .read = read_sign, .apply = apply_sign},
};

enum status files_read(struct pass *p, struct err *e)
{
	for (int i = 0; i < PASS_FILES; i++) {
		struct pfile *f = &p->files[i];
		f->name = file_kinds[i].name;
		buf_init(&f->data);
		enum status st = file_kinds[i].read(p->s->root, p->ws, &f->data, e);
		if (st != ST_OK)
			return st;
		uint8_t d[32];
		f->sha[0] = '\0';
		if (f->data.len) {
			hash_sha256(f->data.p, f->data.len, d);
			hash_hex(d, sizeof d, f->sha);
		}
		f->changed = strcmp(f->sha, state_file(&p->state, f->name)) != 0;
	}
	return ST_OK;
}

void files_free(struct pass *p)
{
	for (int i = 0; i < PASS_FILES; i++)
		if (p->files[i].name)
			buf_free(&p->files[i].data);
}

enum status files_apply(const char *root, const char *data, const char *ws, const char *name,
			int fd, uint64_t off, uint64_t len, struct err *e)
{
	if (len > LOGOBJ_FILE_MAX)
		return err_set(e, ST_INVALID, "%s of %s: too large", name, ws);
	char *b = xmalloc(len + 1);
	enum status st = ST_OK;
	if (len && pread(fd, b, len, (off_t)off) != (ssize_t)len) {
		st = err_sys(e, errno ? errno : EIO, "%s of %s", name, ws);
	} else {
		for (int i = 0; i < PASS_FILES; i++)
			if (!strcmp(name, file_kinds[i].name))
				st = file_kinds[i].apply(root, data, ws, b, len, e);
	}
	/* A file this version does not know is left alone: a newer one may carry more. */
	free(b);
	return st;
}
