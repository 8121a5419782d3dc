/* jsonx: JSON parsing with the project's limits (depth, size), over jansson.
 * The returned value is owned by the caller (json_decref). */
#ifndef SPANDEX_JSONX_H
#define SPANDEX_JSONX_H

#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <jansson.h>
#include "lib/base/buf.h"
#include "lib/base/status.h"

#define JSONX_MAX_DEPTH 64 /* nesting of any JSON document we accept; deeper is refused */
/* Values (objects, arrays, strings, numbers, literals) in one document we accept: a worker
 * holds each parsed, about 250 bytes of memory for a 2-byte `{}`, and 2.7 million of them in an
 * 8 MiB body took 680 MB to ingest and 930 MB to read back through Opik. A million bounds a
 * body's parse near 250 MB; a legitimate batch of 1,000 spans holds a few hundred thousand. */
#define JSONX_MAX_VALUES 1000000

/* Parses p[0..n) (RFC 8259; duplicate keys: last wins; NUL in strings refused; at most
 * JSONX_MAX_DEPTH levels and JSONX_MAX_VALUES values).
 * On failure returns NULL, *pos gets the byte offset of the problem and e (when not NULL)
 * ST_BAD_REQUEST with a short reason. */
json_t *jsonx_parse(const char *p, size_t n, size_t *pos, struct err *e);

/* Flags of jsonx_parse_with. The first two for the lines the store wrote (lib/model's
 * span_parse and judgement_parse): they took jansson's json_loadb, which reads about 8x
 * slower, and so accept every line it accepted. */
#define JSONX_NO_DUPLICATES 1 /* a name twice in one object is refused (JSON_REJECT_DUPLICATES) */
#define JSONX_DEEP 2	      /* nesting up to JSONX_DEEP_DEPTH, jansson's own limit */
#define JSONX_DEEP_DEPTH 2048
/* A lone UTF-16 surrogate or a \u0000 escape is U+FFFD, not a refusal: OTLP/JSON, where one
 * character would cost a whole batch its spans (the OpenTelemetry JS SDK cuts a string at an
 * attribute length limit by UTF-16 units, and may cut a pair in two), as protobuf's encoders
 * replace one in the other encoding. */
#define JSONX_REPLACE 4
#define JSONX_REPLACEMENT 0xfffd /* U+FFFD REPLACEMENT CHARACTER */
/* jsonx_parse with flags. */
json_t *jsonx_parse_with(const char *p, size_t n, int flags, size_t *pos, struct err *e);

/* The values of obj's members named names[0], names[1], ... (n of them, each name stride bytes
 * after the one before: an array of names, or the name member of a table of structs) into
 * vals[0..n) (NULL: absent), in one walk over the members; the number found. A lookup by name
 * hashes the name and searches obj's table, a member absent as dear as one present; here a
 * member's name is compared first with the one after the last found, as bodies list members
 * mostly in a model's order. The names of a JSON object are distinct, so each value is
 * json_object_get's. */
size_t jsonx_members(json_t *obj, const char *const *names, size_t stride, size_t n, json_t **vals);

/* The place of the name k[0..kl) among names[0..n) (as jsonx_members takes them), tried first at
 * *at and on from there, the one after it then in *at (bodies list members mostly in a model's
 * order); n when none. k need not end with a NUL. Inline: a call each member was 0.1M
 * instructions of a direct batch of 1,000 spans. */
static inline size_t jsonx_name_of(const char *const *names, size_t stride, size_t n, const char *k,
				   size_t kl, size_t *at)
{
	for (size_t t = 0; t < n; t++, *at = *at + 1 < n ? *at + 1 : 0) {
		const char *name =
		    *(const char *const *)(const void *)((const char *)names + *at * stride);
		/* name[kl] is within name when the two match up to it. */
		if (name[0] == k[0] && !strncmp(name, k, kl) && !name[kl]) {
			size_t i = *at;
			*at = i + 1 < n ? i + 1 : 0;
			return i;
		}
	}
	return n;
}

/* A reader of one document for a caller that walks its outer levels itself and takes jansson
 * values only below them (direct ingest's spans: no object a span, no array of them): the same
 * grammar, limits (the nesting and the values counted from the document's start) and strings
 * as jsonx_parse, without its flags. A false or NULL says only that the document is not one the
 * walk expected, or not JSON: the caller then parses it with jsonx_parse, whose refusal carries
 * the reason and the place. The members are the reader's own. */
struct jsonx_rd {
	const char *p;
	size_t n, i;
	int depth, max_depth;
	size_t values, max_values; /* 0: no limit */
	bool nodup;		   /* JSONX_NO_DUPLICATES */
	bool replace;		   /* JSONX_REPLACE */
	const char *err;	   /* first error, with its position in at */
	size_t at;
	struct buf tmp; /* unescaped strings */
	struct buf num; /* a number written again (jsonx_rd_written) */
	char why[48];	/* a message with a value in it */
};
/* Starts r over p[0..n) (jsonx_parse's limits); jsonx_rd_free releases it. */
void jsonx_rd_init(struct jsonx_rd *r, const char *p, size_t n);
void jsonx_rd_free(struct jsonx_rd *r);
/* The next byte past whitespace (0 at the end): what the next value is. */
char jsonx_rd_peek(struct jsonx_rd *r);
/* Enters the object ('{') or array ('[') that comes next, counted as a value. */
bool jsonx_rd_open(struct jsonx_rd *r, char open);
/* Before the k-th member (from 0) of the object or array entered, whose closing byte is close:
 * 1 when one follows (past its ','), 0 when the closing byte did (the level left), -1 when
 * neither. */
int jsonx_rd_more(struct jsonx_rd *r, char close, size_t k);
/* An object's member name and its ':' into *s and *len; valid until the next string read. */
bool jsonx_rd_key(struct jsonx_rd *r, const char **s, size_t *len);
/* True when the next member name is name[0..len) as written (name: no '"', '\\' nor control
 * byte), its ':' taken; false, nothing taken, otherwise (it may still be name, escaped:
 * jsonx_rd_key reads it). */
bool jsonx_rd_name(struct jsonx_rd *r, const char *name, size_t len);
/* The string that comes next, counted as a value, as its text (*s, *len: in the document or
 * the reader's buffer, valid until the next string read); false when the next is no string. */
bool jsonx_rd_string(struct jsonx_rd *r, const char **s, size_t *len);
/* The next value, built as jsonx_parse builds it (the caller owns it). */
json_t *jsonx_rd_value(struct jsonx_rd *r);
/* The value that comes next as its bytes in the document (*s, *len) when they are byte for
 * byte what jsonw_value writes of the value jsonx_rd_value would build of them (no whitespace,
 * no escape jsonw_string would not write, each number as jsonw writes it, no name twice in an
 * object, at most JSONX_WRITTEN_NAMES names an object), counted as jsonx_rd_value counts it; a
 * caller that would write the value back takes its bytes and builds nothing. False, nothing
 * taken, otherwise (or not JSON): jsonx_rd_value then reads it. */
bool jsonx_rd_written(struct jsonx_rd *r, const char **s, size_t *len);
/* True when nothing but whitespace is left. */
bool jsonx_rd_end(struct jsonx_rd *r);

#endif
