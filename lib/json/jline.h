/* jline: the canonical-line scanner. A canonical line is one compact JSON object (no
 * whitespace, as span_render writes it); these find its top-level members in place, so a
 * query reads a field without parsing the line. Nothing here allocates or copies. */
#ifndef SPANDEX_JSON_JLINE_H
#define SPANDEX_JSON_JLINE_H

#include <stdbool.h>
#include <stddef.h>

/* One member: key without quotes, raw value text, and its extent with its leading '{' or ','. */
struct jline_member {
	const char *k, *v; /* key without quotes; raw value text */
	size_t kn, vn;
	size_t start, end; /* the member with its leading '{' or ',' */
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

#endif
