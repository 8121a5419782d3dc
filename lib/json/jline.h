/* jline: the canonical-line scanner. A canonical line is one compact JSON object (no
 * whitespace, as span_render writes it); these find its top-level members in place, so a
 * query reads a field without parsing the line. Nothing here allocates or copies, but
 * jline_text, which decodes a string into an arena. */
#ifndef SPANDEX_JSON_JLINE_H
#define SPANDEX_JSON_JLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

/* One member: key without quotes, raw value text, and its extent with its leading '{' or ','. */
struct jline_member {
	const char *k, *v; /* key without quotes; raw value text */
	size_t kn, vn;
	size_t start, end; /* the member with its leading '{' or ',' */
};

/* A top-level member of a line its writer has just rendered, as offsets from the line's '{':
 * the key without quotes at k[0..kn), the raw value at v[0..vn), as jline_next finds them;
 * and the writer's own number for the member (span_render_at's: its enum span_field), so that
 * a reader of at need not match the key again. */
struct jline_at {
	uint32_t k, kn, v, vn, tag;
};

/* Index just past the JSON value starting at p[i]. */
size_t jline_skip(const char *p, size_t n, size_t i);
/* Next member of the object p[0..n); *pos starts at 0. False after the last. */
bool jline_next(const char *p, size_t n, size_t *pos, struct jline_member *m);
/* Raw value of top-level member key; false when absent. */
bool jline_get(const char *p, size_t n, const char *key, const char **v, size_t *vn);
/* Raw value of key, or of sub inside the object at key (sub may be NULL). */
bool jline_get2(const char *p, size_t n, const char *key, const char *sub, const char **v,
		size_t *vn);
/* The text of the string literal v[0..vn) (quotes included) decoded into out[0..size): its
 * length, or (size_t)-1 when it does not fit or escapes (backslash-u) a non-ASCII
 * character (jsonw_string never writes one). For members stored as a string of JSON. */
size_t jline_unquote(const char *v, size_t vn, char *out, size_t size);
/* The text of the string literal v[0..vn) as a NUL-terminated string in a; NULL when v is
 * NULL, not a string, or jline_unquote cannot decode it. */
const char *jline_text(struct arena *a, const char *v, size_t vn);

/* Validation for readers that take a record off a line without building it (reindex and
 * verify, lib/store/record.c), which must accept only what jansson's json_loadb accepts
 * (RFC 8259; UTF-8 as RFC 3629; no \u0000 or lone surrogate; numbers that fit). Each returns
 * the index just past the value starting at p[i], or 0 when it cannot say quickly: an error,
 * or what is rare in a canonical line and left to jansson (whitespace, a key with an escape,
 * nesting past JLINE_CHECK_DEPTH, more than JLINE_CHECK_KEYS keys in one object, a number of
 * 19 digits, a real that might not fit a double). Strings are scanned 16 bytes at a time
 * (jscan_plain). */
#define JLINE_CHECK_DEPTH 32 /* nesting checked here; a canonical line has 3 levels */
#define JLINE_CHECK_KEYS 64  /* keys of one object checked for duplicates, pairwise */
#define JLINE_NUMBER_MAX 400 /* characters of a number (a reader copies it to convert it) */
/* The string literal at p[i]; *escaped: it holds an escape (decode it, jline_unquote). */
size_t jline_check_string(const char *p, size_t n, size_t i, bool *escaped);
/* The number at p[i]; *integer: no fraction or exponent (jansson reads it as an integer). */
size_t jline_check_number(const char *p, size_t n, size_t i, bool *integer);
/* Any value at p[i]; keys of its objects unique unless dups (json_loads without
 * JSON_REJECT_DUPLICATES). */
size_t jline_check_value(const char *p, size_t n, size_t i, bool dups);

#endif
