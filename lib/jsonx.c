/* jsonx: RFC 8259 parsing over jansson, with the project's nesting limit enforced first. */
#include <stdio.h>
#include <string.h>
#include "lib/jsonx.h"

/* jansson's own depth limit (JSON_PARSER_MAX_DEPTH, 2048) is fixed at its build time and far
 * above what any span needs, so nesting is measured here before jansson sees the text. Brackets
 * inside strings do not count; a malformed document may be miscounted, but then jansson refuses
 * it anyway, so the scan only has to be right for well-formed text. */
static bool depth_ok(const char *p, size_t n, size_t *pos)
{
	size_t depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++; /* the escaped character cannot end the string */
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > JSONX_MAX_DEPTH) {
				*pos = i;
				return false;
			}
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return true;
}

/* jansson appends " near '<token>'" to most messages; the token is raw input (possibly invalid
 * UTF-8, possibly large), so only the reason itself is kept. */
static void copy_reason(char *msg, size_t msglen, const char *text)
{
	const char *near = strstr(text, " near ");
	int len = near ? (int)(near - text) : (int)strlen(text);

	if (strstr(text, "JSON_ALLOW_NUL")) {
		snprintf(msg, msglen, "\\u0000 is not allowed in strings");
		return;
	}
	snprintf(msg, msglen, "%.*s", len, text);
}

json_t *jsonx_parse(const char *p, size_t n, size_t *pos, char *msg, size_t msglen)
{
	json_error_t err;
	json_t *v;

	if (!depth_ok(p, n, pos)) {
		snprintf(msg, msglen, "nesting deeper than %d levels", JSONX_MAX_DEPTH);
		return NULL;
	}
	/* Any value at the top (RFC 8259 section 2); JSON_ALLOW_NUL stays off so "\u0000" is
	 * refused; jansson checks UTF-8 (RFC 8259 section 8.1) and lets the last duplicate key
	 * win. */
	v = json_loadb(p, n, JSON_DECODE_ANY, &err);
	if (!v) {
		*pos = err.position < 0 ? 0 : (size_t)err.position;
		copy_reason(msg, msglen, err.text);
	}
	return v;
}
