/* state: the shipper's files on the host (state.h), as JSON a person can read. */
#include "lib/ship/state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/ship/logobj.h"

bool state_path(char *out, const char *root, const char *ws, const char *ext)
{
	int n = ws ? snprintf(out, PATH_MAX, "%s/%s/%s%s", root, SHIP_DIR, ws, ext)
		   : snprintf(out, PATH_MAX, "%s/%s/%s", root, SHIP_DIR, ext);
	return n > 0 && n < PATH_MAX;
}

/* DATA/.spandex-ship, made when missing. */
static int state_dir(const char *root)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof p, "%s/%s", root, SHIP_DIR) >= (int)sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdir(p, 0750) == 0 || errno == EEXIST ? 0 : -1;
}

/* Reads a whole small file into out; -1 with errno (ENOENT: none). */
static int slurp(const char *p, struct buf *out, size_t max)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_size > max) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	buf_reserve(out, (size_t)sb.st_size);
	ssize_t k = (size_t)sb.st_size ? read(fd, out->p + out->len, (size_t)sb.st_size) : 0;
	close(fd);
	if (k != sb.st_size) {
		errno = EIO;
		return -1;
	}
	out->len += (size_t)k;
	out->p[out->len] = '\0';
	return 0;
}

/* Writes p[0..n) as path, aside and renamed over, synced. */
static int put_file(const char *path, const char *p, size_t n)
{
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, p, n);
	if (w != (ssize_t)n || fdatasync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		int err = w != (ssize_t)n && w >= 0 ? EIO : errno;
		unlink(tmp);
		errno = err;
		return -1;
	}
	return 0;
}

/* Writes o (taken: released here) as the file p, as put_file does. */
static enum status put_json(const char *p, json_t *o, struct err *e)
{
	struct buf text;
	buf_init(&text);
	logobj_json(o, &text);
	json_decref(o);
	int rc = put_file(p, text.p, text.len);
	buf_free(&text);
	return rc < 0 ? err_sys(e, errno, "%s", p) : ST_OK;
}

static json_t *encode_days(const struct sstate *s)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->n; i++) {
		const struct sday *d = &s->days[i];
		char day[11], h[17];
		time_day_format(d->day, day);
		snprintf(h, sizeof h, "%016" PRIx64, d->last_h);
		json_array_append_new(
		    a, json_pack("[s,s,I,I,I,s,I,I,b]", logobj_kind_names[d->kind], day,
				 (json_int_t)d->recs, (json_int_t)d->end, (json_int_t)d->sealed, h,
				 (json_int_t)d->last_ing, (json_int_t)d->snap_end, d->snap_sealed));
	}
	return a;
}

enum status state_save(const char *root, const char *ws, const struct sstate *s, struct err *e)
{
	char p[PATH_MAX];
	if (state_dir(root) < 0 || !state_path(p, root, ws, ".state"))
		return err_sys(e, errno, "%s/%s", root, SHIP_DIR);
	json_t *files = json_object();
	for (size_t i = 0; i < s->nfiles; i++)
		json_object_set_new(files, s->files[i].name, json_string(s->files[i].sha));
	json_t *o = json_pack("{s:i,s:s,s:I,s:I,s:I,s:I,s:[I,I],s:o,s:o,s:I,s:I,s:I,s:s,s:I,s:I}",
			      "version", 1, "bucket", s->bucket, "seq", (json_int_t)s->seq, "snap",
			      (json_int_t)s->snap, "log_objects", (json_int_t)s->log_objects,
			      "log_bytes", (json_int_t)s->log_bytes, "dir", (json_int_t)s->dev,
			      (json_int_t)s->ino, "days", encode_days(s), "files", files, "pass_at",
			      (json_int_t)s->pass_at, "caught_up_at", (json_int_t)s->caught_up_at,
			      "lag_bytes", (json_int_t)s->lag_bytes, "error", s->error, "error_at",
			      (json_int_t)s->error_at, "checked_at", (json_int_t)s->checked_at);
	return put_json(p, o, e);
}

static uint64_t u64(json_t *o, const char *name)
{
	json_int_t v = json_integer_value(json_object_get(o, name));
	return v > 0 ? (uint64_t)v : 0;
}

static bool decode_day(json_t *a, struct sday *d)
{
	const char *kind, *day, *h;
	json_int_t recs, end, sealed, ing, snap_end;
	int zs;
	if (json_unpack(a, "[s,s,I,I,I,s,I,I,b]", &kind, &day, &recs, &end, &sealed, &h, &ing,
			&snap_end, &zs) < 0 ||
	    !time_day_parse(day, &d->day) || strlen(h) != 16)
		return false;
	d->kind =
	    strcmp(kind, logobj_kind_names[STORE_JUDGEMENTS]) ? STORE_SPANS : STORE_JUDGEMENTS;
	d->recs = (uint64_t)recs;
	d->end = (uint64_t)end;
	d->sealed = (uint64_t)sealed;
	d->last_h = strtoull(h, NULL, 16);
	d->last_ing = ing;
	d->snap_end = (uint64_t)snap_end;
	d->snap_sealed = zs;
	return true;
}

enum status state_load(const char *root, const char *ws, struct sstate *s, struct err *e)
{
	char p[PATH_MAX];
	struct buf b;
	memset(s, 0, sizeof(*s));
	if (!state_path(p, root, ws, ".state"))
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", root);
	buf_init(&b);
	if (slurp(p, &b, STATE_MAX_BYTES) < 0) {
		buf_free(&b);
		return errno == ENOENT ? ST_OK : err_sys(e, errno, "%s", p);
	}
	json_error_t je;
	json_t *o = json_loadb(b.p, b.len, 0, &je), *days = json_object_get(o, "days");
	buf_free(&b);
	const char *bucket = json_string_value(json_object_get(o, "bucket"));
	json_t *dir = json_object_get(o, "dir");
	bool ok = o && bucket && strlen(bucket) < sizeof s->bucket && json_is_array(days) &&
		  json_array_size(dir) == 2;
	if (ok) {
		s->exists = true;
		strcpy(s->bucket, bucket);
		s->seq = u64(o, "seq");
		s->snap = u64(o, "snap");
		s->log_objects = u64(o, "log_objects");
		s->log_bytes = u64(o, "log_bytes");
		s->dev = (uint64_t)json_integer_value(json_array_get(dir, 0));
		s->ino = (uint64_t)json_integer_value(json_array_get(dir, 1));
		s->pass_at = (int64_t)u64(o, "pass_at");
		s->caught_up_at = (int64_t)u64(o, "caught_up_at");
		s->lag_bytes = u64(o, "lag_bytes");
		s->error_at = (int64_t)u64(o, "error_at");
		s->checked_at = (int64_t)u64(o, "checked_at");
		snprintf(s->error, sizeof s->error, "%s",
			 json_string_value(json_object_get(o, "error")) ?: "");
	}
	for (size_t i = 0; ok && i < json_array_size(days); i++) {
		struct sday d = {0};
		ok = decode_day(json_array_get(days, i), &d);
		if (ok)
			*state_add_day(s, d.kind, d.day) = d;
	}
	const char *name;
	json_t *v;
	json_object_foreach(json_object_get(o, "files"), name, v)
	{
		if (ok && json_is_string(v))
			state_set_file(s, name, json_string_value(v));
	}
	json_decref(o);
	if (!ok) {
		state_free(s);
		return err_set(e, ST_INVALID,
			       "%s is damaged (%s): remove it and run spandex pull to take the "
			       "workspace from the bucket",
			       p, o ? "a member is wrong" : je.text);
	}
	state_sort(s);
	return ST_OK;
}

void state_free(struct sstate *s)
{
	free(s->days);
	memset(s, 0, sizeof(*s));
}

static int day_cmp(const void *a, const void *b)
{
	const struct sday *x = a, *y = b;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->day > y->day) - (x->day < y->day);
}

void state_sort(struct sstate *s)
{
	if (s->n)
		qsort(s->days, s->n, sizeof *s->days, day_cmp);
}

struct sday *state_day(struct sstate *s, enum store_kind k, int32_t day)
{
	struct sday key = {.kind = k, .day = day};
	return s->n ? bsearch(&key, s->days, s->n, sizeof *s->days, day_cmp) : NULL;
}

struct sday *state_add_day(struct sstate *s, enum store_kind k, int32_t day)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->days = xrealloc(s->days, s->cap * sizeof *s->days);
	}
	struct sday *d = &s->days[s->n++];
	*d = (struct sday){.kind = k, .day = day};
	return d;
}

void state_drop_day(struct sstate *s, struct sday *d)
{
	size_t i = (size_t)(d - s->days);
	memmove(d, d + 1, (s->n - i - 1) * sizeof *d);
	s->n--;
}

const char *state_file(const struct sstate *s, const char *name)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (!strcmp(s->files[i].name, name))
			return s->files[i].sha;
	return "";
}

void state_set_file(struct sstate *s, const char *name, const char *sha)
{
	size_t i = 0;
	while (i < s->nfiles && strcmp(s->files[i].name, name))
		i++;
	if (i == s->nfiles) {
		if (i == STATE_FILES || strlen(name) >= sizeof s->files[i].name)
			return;
		s->nfiles++;
		snprintf(s->files[i].name, sizeof s->files[i].name, "%s", name);
	}
	snprintf(s->files[i].sha, sizeof s->files[i].sha, "%s", sha);
}

int state_lock(const char *root, const char *ws)
{
	char p[PATH_MAX];
	if (state_dir(root) < 0 || !state_path(p, root, ws, ".lock"))
		return -1;
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int err = errno;
			close(fd);
			errno = err;
			return -1;
		}
	return fd;
}

enum status state_mark(const char *root, const char *ws, const char *kind, const char *to,
		       uint64_t seq, const struct buf *report, struct err *e)
{
	char p[PATH_MAX], at[40];
	if (state_dir(root) < 0 || !state_path(p, root, ws, ".lost"))
		return err_sys(e, errno, "%s/%s", root, SHIP_DIR);
	time_format(time_now(), at);
	json_t *o = json_pack("{s:s,s:s,s:I,s:s}", "kind", kind, "to", to, "seq", (json_int_t)seq,
			      "at", at);
	json_t *r = report && report->len ? json_loadb(report->p, report->len, 0, NULL) : NULL;
	json_object_set_new(o, "report", r ? r : json_object());
	return put_json(p, o, e);
}

bool state_fenced(const char *root, const char *ws, struct err *e)
{
	char p[PATH_MAX];
	struct stat sb;
	if (!state_path(p, root, ws, ".lost") || stat(p, &sb) < 0)
		return false;
	struct buf b;
	buf_init(&b);
	json_t *o = slurp(p, &b, STATE_MAX_BYTES) == 0 ? json_loadb(b.p, b.len, 0, NULL) : NULL;
	const char *kind = json_string_value(json_object_get(o, "kind")) ?: "lost";
	const char *to = json_string_value(json_object_get(o, "to")) ?: "?";
	if (!strcmp(kind, "copy"))
		err_set(
		    e, ST_UNAVAILABLE,
		    "workspace %s is a copy pulled from the bucket to read (spandex pull --copy): "
		    "it takes no writes here",
		    ws);
	else if (!strcmp(kind, "behind"))
		err_set(e, ST_UNAVAILABLE,
			"workspace %s: the bucket holds more of it than this host (restored or "
			"copied here): no write until `spandex pull DATA --workspace %s`",
			ws, ws);
	else
		err_set(e, ST_UNAVAILABLE,
			"workspace %s was taken over by host %s through the bucket (object %" PRIu64
			"): this host takes no more writes for it",
			ws, to, (uint64_t)json_integer_value(json_object_get(o, "seq")));
	json_decref(o);
	buf_free(&b);
	return true;
}

void state_unmark(const char *root, const char *ws)
{
	char p[PATH_MAX];
	if (state_path(p, root, ws, ".lost"))
		unlink(p);
}

enum status state_host(const char *root, char out[17], struct err *e)
{
	char p[PATH_MAX];
	struct buf b;
	if (state_dir(root) < 0 || !state_path(p, root, NULL, "host"))
		return err_sys(e, errno, "%s/%s", root, SHIP_DIR);
	buf_init(&b);
	for (int tries = 0; tries < 2; tries++) {
		b.len = 0;
		if (slurp(p, &b, 64) == 0 && b.len >= 16 && strspn(b.p, "0123456789abcdef") >= 16) {
			memcpy(out, b.p, 16);
			out[16] = '\0';
			buf_free(&b);
			return ST_OK;
		}
		if (errno != ENOENT)
			break;
		/* Made once: O_EXCL, so two first passes agree on one id. */
		uint8_t r[8];
		char hex[18];
		if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
			abort(); /* the kernel's random source does not fail for a few bytes */
		hash_hex(r, sizeof r, hex);
		hex[16] = '\n';
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd >= 0) {
			if (write(fd, hex, 17) != 17 || fdatasync(fd) < 0) {
				close(fd);
				unlink(p);
				break;
			}
			close(fd);
		}
	}
	buf_free(&b);
	return err_sys(e, errno ? errno : EIO, "%s", p);
}

void state_check_save(const char *root, const struct err *e)
{
	char p[PATH_MAX], line[ERR_MSG + 32];
	if (!state_path(p, root, NULL, STATE_CHECK))
		return;
	if (!e) {
		unlink(p);
		return;
	}
	int n = snprintf(line, sizeof line, "%" PRId64 " %s\n", time_now(), err_text(e));
	if (state_dir(root) == 0)
		put_file(p, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

bool ship_check_failed(const char *root, char *out, int64_t *at)
{
	char p[PATH_MAX];
	struct buf b;
	bool failed = false;
	buf_init(&b);
	if (state_path(p, root, NULL, STATE_CHECK) && slurp(p, &b, ERR_MSG + 32) == 0) {
		char *end;
		long long t = strtoll(b.p, &end, 10);
		if (*end == ' ') {
			end[strcspn(end, "\n")] = '\0';
			snprintf(out, ERR_MSG, "%s", end + 1);
			*at = t;
			failed = true;
		}
	}
	buf_free(&b);
	return failed;
}
