/* import: validate JSONL span lines and store them in batches (spandex import). */
#include "lib/ingest/import.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/base/arena.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/base/hash.h"
#include "lib/ingest/direct.h"
#include "lib/redact/redact.h"
#include "lib/ingest/media.h"
#include "lib/json/jsonx.h"
#include "lib/base/buf.h"
#include "lib/base/status.h"
#include "lib/json/jsonw.h"
#include "lib/model/catalog_value.h"
#include "lib/model/workspace.h"

#define IMPORT_BATCH 1000	      /* spans per store_append: DIRECT_MAX_SPANS, as one request */
#define IMPORT_BATCH_BYTES (8u << 20) /* or fewer, so a batch stays about one request body */

/* The fields DirectSpanInput shares with Span (reference section 4.4): direct_parse checks
 * them. Every other field of the Span schema (lib/model/fields.h) is checked here for its JSON
 * type, and input and output too: a Span holds them as strings where a request may not. */
static const char *const shared_fields[] = {
    "span_id", "trace_id",   "session_id", "parent_span_id", "name",   "kind",
    "status",  "started_at", "ended_at",   "input",	     "output", NULL,
};
static const char *const typed_shared[] = {"input", "output", NULL};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

/* Why v cannot be the value of field f, or NULL. */
static const char *type_problem(json_t *v, const struct span_field_info *f)
{
	int64_t us;
	switch (f->type) {
	case SFT_STR:
	case SFT_SSTR:
	case SFT_ENUM:
		return json_is_string(v) ? NULL : "Input should be a valid string";
	case SFT_TIME:
		return json_is_string(v) && time_parse(json_string_value(v), true, &us)
			   ? NULL
			   : "Input should be a valid datetime with timezone info";
	case SFT_INT:
		/* The counts and costs any ingest takes (catalog_value.h). */
		return json_is_integer(v) && json_integer_value(v) >= 0 &&
			       json_integer_value(v) <= CATALOG_MAX_TOKENS
			   ? NULL
			   : "Input should be an integer from 0 to 4294967295";
	case SFT_NUM:
		return json_is_number(v) && json_number_value(v) <= CATALOG_MAX_USD
			   ? NULL
			   : "Input should be a number of at most 1000000000";
	case SFT_OBJ:
		return json_is_object(v) ? NULL : "Input should be a valid dictionary";
	case SFT_RAW: {
		json_t *o = json_is_string(v) ? json_loads(json_string_value(v), 0, NULL) : NULL;
		bool ok = json_is_object(o);
		json_decref(o);
		return ok ? NULL : "Input should be a string holding a JSON object";
	}
	}
	return "unknown field type";
}

/* Whether every key of o is a Span field and the typed ones have their type; why gets the
 * first problem. */
static bool keys_check(json_t *o, struct err *why)
{
	const char *k;
	json_t *x;
	json_object_foreach(o, k, x)
	{
		int f = span_field_find(k, strlen(k));
		if (f < 0) {
			err_set(why, ST_INVALID, "%s: Extra inputs are not permitted", k);
			return false;
		}
		if (in_list(shared_fields, k) && !in_list(typed_shared, k))
			continue;
		const char *bad = json_is_null(x) ? NULL : type_problem(x, &span_fields[f]);
		if (bad) {
			err_set(why, ST_INVALID, "%s: %s", k, bad);
			return false;
		}
	}
	return true;
}

/* The shared fields of o through ingest's own validation, as one direct-ingest span: that span
 * (its strings in a and in *body, which the caller releases), or NULL with why set. A Span may
 * lack trace_id (the request requires it): the span id stands in for the check. */
static struct span *shared_check(struct arena *a, const char *ws, json_t *o, json_t **body,
				 struct verrs *v, struct err *why)
{
	json_t *in = json_object(), *x;
	for (const char *const *f = shared_fields; *f; f++)
		if ((x = json_object_get(o, *f)))
			json_object_set(in, *f, x);
	if (!json_object_get(in, "trace_id") || json_is_null(json_object_get(in, "trace_id")))
		json_object_set(in, "trace_id", json_object_get(o, "span_id"));
	/* Not direct ingest's model rules: a span its own parent, an end before the start. Other
	 * APIs store such spans (OTLP, Opik), and an export of them must import again; the line
	 * keeps them as they are. */
	const char *sid = json_string_value(json_object_get(in, "span_id"));
	const char *pid = json_string_value(json_object_get(in, "parent_span_id"));
	if (sid && pid && !strcmp(sid, pid))
		json_object_del(in, "parent_span_id");
	int64_t t0, t1;
	const char *st = json_string_value(json_object_get(in, "started_at"));
	const char *et = json_string_value(json_object_get(in, "ended_at"));
	if (st && et && time_parse(st, true, &t0) && time_parse(et, true, &t1) && t1 < t0)
		json_object_del(in, "ended_at");
	*body = json_pack("{s:[o]}", "spans", in);
	if ((x = json_object_get(o, "source")))
		json_object_set(*body, "source", x);
	struct span *ds;
	if (!direct_parse(a, ws, *body, &ds, v)) {
		json_t *e = json_array_get(v->list, 0);
		json_t *loc = json_object_get(e, "loc");
		json_t *last = json_array_get(loc, json_array_size(loc) - 1);
		err_set(why, ST_INVALID, "%s: %s",
			json_is_string(last) ? json_string_value(last) : "span",
			json_string_value(json_object_get(e, "msg")));
		return NULL;
	}
	return ds;
}

/* Defaults as ingest applies them (from ds, the line's direct-ingest span) into o. A session
 * the store made for a span that named none is of the workspace it was made in
 * (span_session_default): made again for this one, or into another workspace the span would
 * name a session of its own (its trace's other spans' session lost, a thread more in Opik). */
static void defaults_apply(struct arena *a, const char *ws, json_t *o, const struct span *ds)
{
	struct span was;
	span_init(&was);
	was.workspace = json_string_value(json_object_get(o, "workspace"));
	was.trace_id = json_string_value(json_object_get(o, "trace_id"));
	was.session_id = json_string_value(json_object_get(o, "session_id"));
	if (was.workspace && strcmp(was.workspace, ws) && span_session_default(&was) &&
	    strcmp(was.session_id, was.trace_id))
		json_object_set_new(o, "session_id",
				    json_string(span_session_default_id(a, ws, was.trace_id)));
	json_object_set_new(o, "workspace", json_string(ws));
	if (!json_is_string(json_object_get(o, "session_id")))
		json_object_set_new(o, "session_id", json_string(ds->session_id));
	if (!json_is_string(json_object_get(o, "kind")))
		json_object_set_new(o, "kind", json_string(span_kind_names[ds->kind]));
	if (!json_is_string(json_object_get(o, "status")))
		json_object_set_new(o, "status", json_string(span_status_names[ds->status]));
	json_object_set_new(o, "ingested_at", json_string("1970-01-01T00:00:00Z")); /* set anew */
}

/* Validates one line into a span whose strings live in *root (the caller releases both).
 * why gets the first problem (ST_INVALID), as "field: message". */
static bool import_line(const char *ws, const char *line, size_t len, struct span *s, json_t **root,
			struct err *why)
{
	size_t pos;
	struct err e;
	json_t *o = NULL, *body = NULL;
	struct arena *a = arena_new();
	struct span *ds;
	struct verrs v;
	verrs_init(&v);
	*root = NULL;
	bool ok = false;
	if (len > STORE_MAX_LINE) {
		err_set(why, ST_INVALID, "longer than %u bytes", STORE_MAX_LINE);
		goto out;
	}
	if (!(o = jsonx_parse(line, len, &pos, &e))) {
		err_set(why, ST_INVALID, "invalid JSON at byte %zu: %.200s", pos, e.msg);
		goto out;
	}
	if (!json_is_object(o)) {
		err_set(why, ST_INVALID, "not a JSON object");
		goto out;
	}
	if (!keys_check(o, why) || !(ds = shared_check(a, ws, o, &body, &v, why)))
		goto out;
	/* Defaults as ingest applies them, then the Span as the store reads its own lines. */
	defaults_apply(a, ws, o, &ds[0]);
	span_clear(&ds[0]);
	struct buf canon;
	buf_init(&canon);
	jsonw_value(&canon, o);
	ok = span_parse(canon.p, canon.len, s, root);
	buf_free(&canon);
	if (!ok)
		err_set(why, ST_INVALID, "not a valid Span");
out:
	json_decref(o);
	json_decref(body);
	verrs_free(&v);
	arena_free(a);
	return ok;
}

/* ---- media ---- */

/* The media names of im->media, sorted, read once by the first tag that looks there (a tag
 * names its file by a prefix: store_media_refs). */
struct dir_names {
	char (*hex)[STORE_MEDIA_HEX + 1];
	size_t n;
	bool read;
};

/* The media references of one line, checked (and, when storing, their files brought in). */
struct line_media {
	struct import *im;
	struct dir_names *names;
	struct err *why;
	bool ok;
};

static int cmp_name(const void *a, const void *b)
{
	return memcmp(a, b, STORE_MEDIA_HEX);
}

static int cmp_prefix(const void *key, const void *name)
{
	return memcmp(key, name, STORE_MEDIA_TAG_HEX);
}

/* The file of dir whose name starts with prefix into hex; false when there is none. */
static bool dir_find(struct dir_names *d, const char *dir, const char *prefix,
		     char hex[STORE_MEDIA_HEX + 1])
{
	if (!d->read) {
		DIR *dp = opendir(dir);
		struct dirent *de;
		size_t cap = 0;
		d->read = true;
		while (dp && (de = readdir(dp))) {
			if (!store_media_name(de->d_name, strlen(de->d_name)))
				continue;
			if (d->n == cap)
				d->hex =
				    xrealloc(d->hex, (cap = cap ? cap * 2 : 64) * sizeof *d->hex);
			memcpy(d->hex[d->n++], de->d_name, STORE_MEDIA_HEX + 1);
		}
		if (dp)
			closedir(dp);
		if (d->n)
			qsort(d->hex, d->n, sizeof *d->hex, cmp_name);
	}
	const char(*h)[STORE_MEDIA_HEX + 1] =
	    d->n ? bsearch(prefix, d->hex, d->n, sizeof *d->hex, cmp_prefix) : NULL;
	if (h)
		memcpy(hex, *h, STORE_MEDIA_HEX + 1);
	return h != NULL;
}

/* The file im->media holds for hex, whole in *p (the caller frees it), when its bytes hash to
 * that name; false otherwise. */
static bool media_from_dir(const char *dir, const char *hex, uint8_t **p, size_t *n)
{
	char path[PATH_MAX];
	uint8_t dig[32];
	char got[STORE_MEDIA_HEX + 1];
	*p = NULL;
	if (snprintf(path, sizeof path, "%s/%s", dir, hex) >= (int)sizeof path)
		return false;
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	struct buf b;
	buf_init(&b);
	char chunk[1 << 16];
	size_t k;
	while (b.len <= MEDIA_MAX_BYTES && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, k);
	bool ok = !ferror(f) && b.len <= MEDIA_MAX_BYTES;
	fclose(f);
	if (ok) {
		hash_sha256(b.p ? b.p : "", b.len, dig);
		hash_hex(dig, sizeof dig, got);
		ok = !strcmp(got, hex);
	}
	if (!ok) {
		buf_free(&b);
		return false;
	}
	*p = (uint8_t *)b.p;
	*n = b.len;
	return true;
}

static void line_ref(void *ctx, const char *ref)
{
	struct line_media *lm = ctx;
	struct import *im = lm->im;
	char hex[STORE_MEDIA_HEX + 1];
	int fd;
	uint64_t size;
	uint8_t *p;
	size_t n;
	if (!lm->ok)
		return;
	if (store_media_named(im->st, im->ws, ref, hex) == ST_OK &&
	    store_media_open(im->st, im->ws, hex, &fd, &size) == ST_OK) {
		close(fd);
		return;
	}
	/* A tag whose file neither holds is text, as ingest takes it: Langfuse's SDKs send it
	 * whether or not their upload came (docs/media.md, "Uploads"). */
	if (strlen(ref) != STORE_MEDIA_HEX &&
	    (!im->media || !dir_find(lm->names, im->media, ref, hex)))
		return;
	if (!im->media || !media_from_dir(im->media, hex, &p, &n)) {
		lm->ok = false;
		err_set(lm->why, ST_INVALID,
			"references media %s, which neither the workspace nor %s holds with "
			"those bytes",
			hex, im->media ? im->media : "--media DIR");
		return;
	}
	struct err e = {ST_OK, ""};
	if (!im->check_only && store_media_put(im->st, im->ws, hex, p, n, &e) != ST_OK) {
		lm->ok = false;
		err_set(lm->why, e.st, "media %s: %s", hex, err_text(&e));
	}
	free(p);
}

/* A batch of validated spans waiting for store_append, and the arena their redacted strings
 * and media_span's references live in until then. */
struct batch {
	struct span s[IMPORT_BATCH];
	json_t *root[IMPORT_BATCH];
	size_t n, bytes;
	struct arena *a;
};

static void batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		span_clear(&b->s[i]);
		json_decref(b->root[i]);
	}
	b->n = b->bytes = 0;
	arena_reset(b->a);
}

static enum status batch_store(struct import *im, struct batch *b, struct err *e)
{
	struct err why = {ST_OK, ""};
	const struct redact_rules *rules = NULL;
	enum status rc = b->n ? redact_load(im->rules, im->key, &rules, &why) : ST_OK;
	for (size_t i = 0; rc == ST_OK && i < b->n; i++)
		redact_span(rules, b->a, im->ws, &b->s[i]);
	if (rc == ST_OK && b->n)
		rc = store_append(im->st, im->ws, b->s, b->n, &why);
	if (rc == ST_OK)
		im->spans += b->n;
	else
		err_set(e, rc, "storing into %s: %s", im->ws,
			why.msg[0] ? why.msg : strerror(errno));
	batch_clear(b);
	return rc;
}

/* The next line of f (its newline dropped) in *b, read no further into memory than
 * STORE_MAX_LINE + 1 bytes: the rest of a longer line is read past, and *len says its length
 * was over the limit (import_line refuses it). A NUL byte is kept, so the line's JSON is
 * refused for it. False at the end of f. */
static bool next_line(FILE *f, struct buf *b, size_t *len)
{
	int c = EOF;
	b->len = 0;
	*len = 0;
	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (b->len <= STORE_MAX_LINE)
			buf_addc(b, (char)c);
		++*len;
	}
	return c != EOF || *len;
}

enum status import_stream(struct import *im, const char *path, FILE *f, struct err *e)
{
	if (!workspace_valid(im->ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", im->ws);
	struct batch *b = xmalloc(sizeof(*b));
	b->n = b->bytes = 0;
	b->a = arena_new();
	struct buf lb;
	buf_init(&lb);
	struct dir_names names = {0};
	size_t len;
	enum status rc = ST_OK;
	for (size_t lineno = 1; rc == ST_OK && next_line(f, &lb, &len); lineno++) {
		char msg[PATH_MAX + 512];
		struct err why;
		/* A line over the limit is held only in part: import_line refuses it by len. */
		const char *line = lb.p ? lb.p : "";
		if (len && len == lb.len && line[len - 1] == '\r')
			len--;
		if (!len)
			continue; /* blank lines (a trailing one) carry nothing */
		struct line_media lm = {im, &names, &why, true};
		bool ok = import_line(im->ws, line, len, &b->s[b->n], &b->root[b->n], &why);
		if (ok) {
			store_media_refs(line, len, line_ref, &lm);
			if (!lm.ok) {
				span_clear(&b->s[b->n]);
				json_decref(b->root[b->n]);
				ok = false;
			}
		}
		if (!ok) {
			im->bad++;
			snprintf(msg, sizeof(msg), "%s:%zu: %s", path, lineno, why.msg);
			if (im->report)
				im->report(im->ctx, msg);
			if (!im->check_only)
				rc = err_set(e, ST_INVALID, "%s", msg);
			continue;
		}
		if (im->check_only) {
			span_clear(&b->s[b->n]);
			json_decref(b->root[b->n]);
			im->spans++;
			continue;
		}
		/* Inline payloads of a line written before spandex moved them, moved as ingest
		 * moves them. */
		struct media_to m = {.st = im->st, .ws = im->ws, .a = b->a, .min = im->media_min};
		if ((rc = media_span(&m, &b->s[b->n], &why)) != ST_OK) {
			span_clear(&b->s[b->n]);
			json_decref(b->root[b->n]);
			rc = err_set(e, rc, "%s:%zu: %s", path, lineno, err_text(&why));
			break;
		}
		b->n++;
		b->bytes += len;
		if (b->n == IMPORT_BATCH || b->bytes >= IMPORT_BATCH_BYTES)
			rc = batch_store(im, b, e);
	}
	if (rc == ST_OK && ferror(f))
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", path, strerror(errno));
	if (rc == ST_OK)
		rc = batch_store(im, b, e);
	batch_clear(b);
	arena_free(b->a);
	free(b);
	free(names.hex);
	buf_free(&lb);
	return rc;
}
