/* otlp_util: the helpers every file of the OTLP decoder shares (declared in otlp_int.h), kept
 * below the decoders, the mapping and the entry points so that those call down only. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ingest/otlp_int.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/json/jsonw.h"

bool otlp_fail(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	if (d->failed)
		return false;
	d->failed = true;
	if (d->err) {
		d->err->st = ST_BAD_REQUEST;
		va_start(ap, fmt);
		vsnprintf(d->err->msg, sizeof d->err->msg, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* Arena arrays grow by doubling; the abandoned copies go when the request's arena does. */
void *otlp_grow(struct arena *a, void *old, size_t n, size_t *cap, size_t size)
{
	void *p;

	if (n < *cap)
		return old;
	*cap = *cap ? *cap * 2 : 16;
	p = arena_alloc(a, *cap * size);
	if (n)
		memcpy(p, old, n * size);
	return p;
}

char *otlp_dump(struct arena *a, json_t *v)
{
	struct buf b;
	char *s;

	buf_init(&b);
	jsonw_value(&b, v);
	s = arena_strndup(a, b.p, b.len);
	buf_free(&b);
	return s;
}

/* ---- shared value helpers ---- */

/* OTLP/JSON doubles may be the strings "NaN", "Infinity", "-Infinity" (proto3 JSON); JSON
 * itself has no such numbers, so they are kept as those strings. */
json_t *otlp_double(double v)
{
	if (isnan(v))
		return json_string("NaN");
	if (isinf(v))
		return json_string(v > 0 ? "Infinity" : "-Infinity");
	return json_real(v);
}

/* nemo-intake.md 4.1: bytes become a hex string. */
json_t *otlp_hex(const uint8_t *p, size_t n)
{
	char *h = xmalloc(2 * n + 1);
	json_t *v;

	hash_hex(p, n, h);
	v = json_stringn_nocheck(h, 2 * n);
	free(h);
	return v;
}

json_t *otlp_time(uint64_t ns)
{
	char t[24];

	if (ns <= INT64_MAX)
		return json_integer((json_int_t)ns);
	snprintf(t, sizeof t, "%llu", (unsigned long long)ns);
	return json_string(t);
}

bool otlp_all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

json_t *otlp_scope(const char *name, const char *version)
{
	json_t *o;

	if (!(name && *name) && !(version && *version))
		return NULL;
	o = json_object();
	if (name && *name)
		json_object_set_new(o, "name", json_string(name));
	if (version && *version)
		json_object_set_new(o, "version", json_string(version));
	return o;
}

/* Checks one id; returns the problem, or NULL with the lower-case hex in hex. */
const char *otlp_id_check(const struct rid *id, size_t want, const char *name, char *hex,
			  struct arena *a)
{
	if (!id->bad && (id->len == 0 || (id->len == want && otlp_all_zero(id->b, id->len))))
		return arena_printf(a, "%s is required", name);
	if (id->bad || id->len != want)
		return arena_printf(a, "%s must be %zu bytes (%zu hex digits)", name, want,
				    2 * want);
	hash_hex(id->b, id->len, hex);
	return NULL;
}
