/* logobj: the bucket's keys and the header line of a log object (logobj.h), written and read
 * with jansson: JSON a person and other tools read (docs/FORMAT.md, "The bucket"). */
#include "lib/ship/logobj.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"

const char *const logobj_type_names[] = {"delta", "snapshot", "takeover", NULL};
const char *const logobj_kind_names[] = {"spans", "judgements", NULL};

void logobj_log_key(char out[LOGOBJ_KEY_MAX], const char *ws, uint64_t seq)
{
	snprintf(out, LOGOBJ_KEY_MAX, "%s/log/%020" PRIu64, ws, seq);
}

void logobj_snap_key(char out[LOGOBJ_KEY_MAX], const char *ws, uint64_t seq)
{
	snprintf(out, LOGOBJ_KEY_MAX, "%s/snap/%020" PRIu64, ws, seq);
}

void logobj_takeover_key(char out[LOGOBJ_KEY_MAX], const char *ws, uint64_t seq)
{
	snprintf(out, LOGOBJ_KEY_MAX, "%s/takeover/%020" PRIu64, ws, seq);
}

void logobj_data_key(char out[LOGOBJ_KEY_MAX], const char *ws, const char *sha)
{
	snprintf(out, LOGOBJ_KEY_MAX, "%s/data/%s", ws, sha);
}

bool logobj_seq_of(const char *key, size_t skip, uint64_t *seq)
{
	const char *d = key + skip;
	if (strlen(key) != skip + LOGOBJ_SEQ_DIGITS || strspn(d, "0123456789") != LOGOBJ_SEQ_DIGITS)
		return false;
	*seq = strtoull(d, NULL, 10);
	return true;
}

static int dump_to(const char *p, size_t n, void *ctx)
{
	buf_add(ctx, p, n);
	return 0;
}

void logobj_json(json_t *o, struct buf *out)
{
	json_dump_callback(o, dump_to, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static int index_of(const char *const *names, const char *s)
{
	for (int i = 0; s && names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

static json_t *day_name(int32_t day)
{
	char d[11];
	time_day_format(day, d);
	return json_string(d);
}

static json_t *encode_day(const struct lo_day *d)
{
	json_t *o =
	    json_pack("{s:s,s:o,s:I,s:I}", "kind", logobj_kind_names[d->kind], "day",
		      day_name(d->day), "end", (json_int_t)d->end, "recs", (json_int_t)d->recs);
	if (d->zkey[0])
		json_object_set_new(o, "sealed",
				    json_pack("{s:s,s:I,s:I}", "key", d->zkey, "bytes",
					      (json_int_t)d->zbytes, "size", (json_int_t)d->zsize));
	json_t *ps = json_array();
	for (size_t i = 0; i < d->npieces; i++)
		json_array_append_new(ps, json_pack("{s:s,s:I,s:I}", "key", d->pieces[i].key, "at",
						    (json_int_t)d->pieces[i].at, "len",
						    (json_int_t)d->pieces[i].len));
	json_object_set_new(o, "pieces", ps);
	return o;
}

void logobj_encode(const struct lo_hdr *h, struct buf *out)
{
	char at[40];
	time_format(h->at, at);
	json_t *o = json_pack("{s:s,s:i,s:s,s:I,s:s,s:s,s:s}", "spandex", "log", "version",
			      LOGOBJ_VERSION, "workspace", h->ws, "seq", (json_int_t)h->seq, "type",
			      logobj_type_names[h->type], "host", h->host, "at", at);
	if (h->type == LOGOBJ_DELTA) {
		json_t *ps = json_array();
		for (size_t i = 0; i < h->nparts; i++) {
			const struct lo_part *p = &h->parts[i];
			json_array_append_new(
			    ps,
			    json_pack("{s:s,s:o,s:I,s:I,s:I}", "kind", logobj_kind_names[p->kind],
				      "day", day_name(p->day), "at", (json_int_t)p->at, "len",
				      (json_int_t)p->len, "recs", (json_int_t)p->recs));
		}
		json_object_set_new(o, "parts", ps);
	}
	if (h->type == LOGOBJ_SNAPSHOT) {
		json_t *ds = json_array();
		for (size_t i = 0; i < h->ndays; i++)
			json_array_append_new(ds, encode_day(&h->days[i]));
		json_object_set_new(o, "days", ds);
	}
	if (h->type != LOGOBJ_TAKEOVER) {
		json_t *fs = json_array();
		for (size_t i = 0; i < h->nfiles; i++) {
			const struct lo_file *f = &h->files[i];
			json_t *fo = json_pack("{s:s,s:I,s:s}", "name", f->name, "len",
					       (json_int_t)f->len, "sha256", f->sha);
			if (h->type == LOGOBJ_SNAPSHOT)
				json_object_set_new(fo, "key", json_string(f->key));
			json_array_append_new(fs, fo);
		}
		json_object_set_new(o, "files", fs);
	}
	logobj_json(o, out);
	buf_addc(out, '\n');
	json_decref(o);
}

/* An unsigned member of o (a JSON integer >= 0), false when absent or not one. */
static bool get_u64(json_t *o, const char *name, uint64_t *v)
{
	json_t *m = json_object_get(o, name);
	if (!json_is_integer(m) || json_integer_value(m) < 0)
		return false;
	*v = (uint64_t)json_integer_value(m);
	return true;
}

static bool get_str(json_t *o, const char *name, char *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(o, name));
	if (!s || strlen(s) >= cap)
		return false;
	strcpy(out, s);
	return true;
}

static bool get_kind_day(json_t *o, enum store_kind *kind, int32_t *day)
{
	int k = index_of(logobj_kind_names, json_string_value(json_object_get(o, "kind")));
	const char *d = json_string_value(json_object_get(o, "day"));
	if (k < 0 || !d || !time_day_parse(d, day))
		return false;
	*kind = (enum store_kind)k;
	return true;
}

static bool decode_day(json_t *o, struct lo_day *d)
{
	json_t *z = json_object_get(o, "sealed"), *ps = json_object_get(o, "pieces");
	if (!get_kind_day(o, &d->kind, &d->day) || !get_u64(o, "end", &d->end) ||
	    !get_u64(o, "recs", &d->recs) || !json_is_array(ps))
		return false;
	if (z && !(get_str(z, "key", d->zkey, sizeof d->zkey) && get_u64(z, "bytes", &d->zbytes) &&
		   get_u64(z, "size", &d->zsize)))
		return false;
	d->pieces = xcalloc(json_array_size(ps) + 1, sizeof(*d->pieces));
	uint64_t at = d->zkey[0] ? d->zbytes : 0;
	for (size_t i = 0; i < json_array_size(ps); i++) {
		json_t *p = json_array_get(ps, i);
		struct lo_piece *x = &d->pieces[d->npieces++];
		/* Pieces follow each other from the sealed part (or 0) to end. */
		if (!get_str(p, "key", x->key, sizeof x->key) || !get_u64(p, "at", &x->at) ||
		    !get_u64(p, "len", &x->len) || x->at != at)
			return false;
		at += x->len;
	}
	return at == d->end;
}

static bool decode_parts(json_t *ps, struct lo_hdr *h)
{
	if (!json_is_array(ps))
		return false;
	h->parts = xcalloc(json_array_size(ps) + 1, sizeof(*h->parts));
	for (size_t i = 0; i < json_array_size(ps); i++) {
		json_t *p = json_array_get(ps, i);
		struct lo_part *x = &h->parts[h->nparts++];
		if (!get_kind_day(p, &x->kind, &x->day) || !get_u64(p, "at", &x->at) ||
		    !get_u64(p, "len", &x->len) || !get_u64(p, "recs", &x->recs))
			return false;
	}
	return true;
}

static bool decode_files(json_t *fs, struct lo_hdr *h)
{
	if (!fs)
		return true;
	if (!json_is_array(fs))
		return false;
	h->files = xcalloc(json_array_size(fs) + 1, sizeof(*h->files));
	for (size_t i = 0; i < json_array_size(fs); i++) {
		json_t *f = json_array_get(fs, i);
		struct lo_file *x = &h->files[h->nfiles++];
		if (!get_str(f, "name", x->name, sizeof x->name) || !get_u64(f, "len", &x->len) ||
		    !get_str(f, "sha256", x->sha, sizeof x->sha) || x->len > LOGOBJ_FILE_MAX ||
		    (h->type == LOGOBJ_SNAPSHOT && !get_str(f, "key", x->key, sizeof x->key)))
			return false;
	}
	return true;
}

enum status logobj_decode(const char *p, size_t n, struct lo_hdr *h, struct err *e)
{
	memset(h, 0, sizeof(*h));
	const char *nl = memchr(p, '\n', n);
	if (!nl)
		return err_set(e, ST_INVALID, "no header line in its first %zu bytes", n);
	json_error_t je;
	json_t *o = json_loadb(p, (size_t)(nl - p), 0, &je);
	char at[40];
	bool ok = o && !strcmp(json_string_value(json_object_get(o, "spandex")) ?: "", "log") &&
		  json_integer_value(json_object_get(o, "version")) == LOGOBJ_VERSION &&
		  get_str(o, "workspace", h->ws, sizeof h->ws) && get_u64(o, "seq", &h->seq) &&
		  get_str(o, "host", h->host, sizeof h->host) && get_str(o, "at", at, sizeof at) &&
		  time_parse(at, true, &h->at);
	int t =
	    ok ? index_of(logobj_type_names, json_string_value(json_object_get(o, "type"))) : -1;
	ok = ok && t >= 0;
	if (ok)
		h->type = (enum logobj_type)t;
	if (ok && h->type == LOGOBJ_DELTA)
		ok = decode_parts(json_object_get(o, "parts"), h);
	if (ok && h->type == LOGOBJ_SNAPSHOT) {
		json_t *ds = json_object_get(o, "days");
		ok = json_is_array(ds);
		if (ok)
			h->days = xcalloc(json_array_size(ds) + 1, sizeof(*h->days));
		for (size_t i = 0; ok && i < json_array_size(ds); i++)
			ok = decode_day(json_array_get(ds, i), &h->days[h->ndays++]);
	}
	if (ok)
		ok = decode_files(json_object_get(o, "files"), h);
	h->body = (uint64_t)(nl - p) + 1;
	json_decref(o);
	if (!ok) {
		logobj_free(h);
		return err_set(e, ST_INVALID, "its header is not a spandex log object's%s%s",
			       o ? "" : ": ", o ? "" : je.text);
	}
	return ST_OK;
}

void logobj_free(struct lo_hdr *h)
{
	for (size_t i = 0; i < h->ndays; i++)
		free(h->days[i].pieces);
	free(h->days);
	free(h->parts);
	free(h->files);
	memset(h, 0, sizeof(*h));
}

uint64_t logobj_delta_bytes(const struct lo_hdr *h)
{
	uint64_t n = 0;
	for (size_t i = 0; i < h->nparts; i++)
		n += h->parts[i].len;
	for (size_t i = 0; i < h->nfiles; i++)
		n += h->files[i].len;
	return n;
}
