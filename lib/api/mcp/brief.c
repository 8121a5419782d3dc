/* brief: a span's members read off its canonical line in one walk (lib/json/jline), for the
 * scans that see every span of a trace or of a window (get_trace, get_stats, list_sessions):
 * parsing each line whole would cost more than the rest of such a scan, and the members they
 * need come before the long ones (input, output, raw attributes) in the line's order. */
#include "lib/api/mcp/tool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonx.h"
#include "lib/model/catalog.h"

void mcp_line_scan(const char *line, size_t len, uint64_t want, struct mcp_line *m)
{
	struct jline_member jm;
	size_t pos = 0;
	memset(m, 0, sizeof *m);
	while (want && jline_next(line, len, &pos, &jm)) {
		int f = span_field_find(jm.k, jm.kn);
		if (f < 0)
			continue;
		m->v[f] = jm.v;
		m->n[f] = jm.vn;
		want &= ~((uint64_t)1 << f);
	}
}

const char *mcp_line_str(struct arena *a, const struct mcp_line *m, enum span_field f)
{
	return m->v[f] ? jline_text(a, m->v[f], m->n[f]) : NULL;
}

/* A number's text (at most 40 bytes: a line's numbers are shorter) NUL-terminated into t. */
static bool number_text(const struct mcp_line *m, enum span_field f, char t[48])
{
	if (!m->v[f] || !m->n[f] || m->n[f] > 40 || m->v[f][0] == '"')
		return false;
	memcpy(t, m->v[f], m->n[f]);
	t[m->n[f]] = '\0';
	return true;
}

int64_t mcp_line_int(const struct mcp_line *m, enum span_field f)
{
	char t[48];
	return number_text(m, f, t) ? strtoll(t, NULL, 10) : SPAN_NONE_I64;
}

double mcp_line_num(const struct mcp_line *m, enum span_field f)
{
	char t[48];
	return number_text(m, f, t) ? strtod(t, NULL) : NAN;
}

int64_t mcp_line_time(const struct mcp_line *m, enum span_field f)
{
	char t[48];
	int64_t us;
	size_t n = m->n[f];
	if (!m->v[f] || n < 3 || n > 40 || m->v[f][0] != '"')
		return SPAN_NONE_I64;
	memcpy(t, m->v[f] + 1, n - 2);
	t[n - 2] = '\0';
	return time_parse(t, false, &us) ? us : SPAN_NONE_I64;
}

int mcp_line_enum(const struct mcp_line *m, enum span_field f, const char *const *names, int def)
{
	const char *v = m->v[f];
	size_t n = m->n[f];
	if (!v || n < 2 || v[0] != '"')
		return def;
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n - 2 && !memcmp(names[i], v + 1, n - 2))
			return i;
	return def;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v = v * 16 + (c >= '0' && c <= '9'   ? c - '0'
			      : c >= 'a' && c <= 'f' ? c - 'a' + 10
			      : c >= 'A' && c <= 'F' ? c - 'A' + 10
						     : 0);
	}
	return v;
}

/* Characters of the string literal v[0..n), quotes included, without decoding it: an escape is
 * one character (a surrogate pair of them one too), as is each UTF-8 sequence. */
size_t mcp_line_chars(const struct mcp_line *m, enum span_field f)
{
	const char *v = m->v[f];
	size_t n = m->n[f], k = 0;
	if (!v || n < 2 || v[0] != '"')
		return 0;
	for (size_t i = 1; i + 1 < n; i++, k++) {
		if (v[i] != '\\') {
			while (i + 2 < n && ((unsigned char)v[i + 1] & 0xc0) == 0x80)
				i++;
			continue;
		}
		if (v[i + 1] != 'u' || i + 6 > n - 1) {
			i++;
			continue;
		}
		int u = hex4(v + i + 2);
		i += 5;
		if (u >= 0xd800 && u < 0xdc00 && i + 7 < n && v[i + 1] == '\\' && v[i + 2] == 'u')
			i += 6;
	}
	return k;
}

const char *mcp_line_user(struct arena *a, const char *line, size_t len)
{
	struct span_line m; /* 8 KiB: on the stack, not in the arena once per line */
	size_t ns;
	const struct catalog_source *src = catalog_sources(&ns);
	span_line_scan(line, len, &m);
	for (size_t i = 0; i < ns; i++) {
		const char *v;
		size_t vn;
		if (src[i].field != CATALOG_USER || span_line_attr(&m, src[i].key, &v, &vn) != 1)
			continue;
		const char *s = v[0] == '"' ? jline_text(a, v, vn) : arena_strndup(a, v, vn);
		if (s && *s)
			return s;
	}
	return NULL;
}

/* The text of a message's content: a string, or the texts of its parts ({"type": "text",
 * "text": ...}) joined by blank lines; NULL when it has none. */
static const char *content_text(struct arena *a, json_t *content)
{
	if (json_is_string(content))
		return json_string_value(content);
	if (!json_is_array(content))
		return NULL;
	struct buf *b = arena_buf(a);
	size_t i;
	json_t *p;
	json_array_foreach(content, i, p)
	{
		const char *t = json_string_value(json_object_get(p, "text"));
		if (!t && json_is_string(p))
			t = json_string_value(p);
		if (t)
			buf_printf(b, "%s%s", b->len ? "\n\n" : "", t);
	}
	return b->len ? arena_strndup(a, b->p, b->len) : NULL;
}

/* The chat messages a value holds: itself as a list of them, or its messages (a request) or
 * input (the Responses API); NULL when it holds none. */
static json_t *messages_of(json_t *v)
{
	if (json_is_object(v)) {
		json_t *m = json_object_get(v, "messages");
		v = json_is_array(m) ? m : json_object_get(v, "input");
	}
	if (!json_is_array(v) || !json_array_size(v))
		return NULL;
	size_t i;
	json_t *m;
	json_array_foreach(v, i, m)
	{
		if (!json_is_string(json_object_get(m, "role")))
			return NULL;
	}
	return v;
}

/* The message an answer holds: a chat completion's first choice, a message itself, or the
 * first of a list of them. */
static json_t *answer_of(json_t *v)
{
	json_t *choices = json_object_get(v, "choices"), *list = messages_of(v);
	if (json_is_array(choices) && json_array_size(choices))
		return json_object_get(json_array_get(choices, 0), "message");
	if (json_is_object(v) && json_object_get(v, "role") && json_object_get(v, "content"))
		return v;
	return list ? json_array_get(list, 0) : NULL;
}

const char *mcp_turn_text(struct arena *a, const char *text, bool input, bool *picked)
{
	struct err e;
	size_t pos;
	*picked = false;
	if (!text || (text[0] != '{' && text[0] != '['))
		return text;
	json_t *v = jsonx_parse(text, strlen(text), &pos, &e), *m = NULL;
	if (!v)
		return text;
	if (input) {
		json_t *list = messages_of(v), *x;
		size_t i;
		json_array_foreach(list, i, x)
		{
			const char *role = json_string_value(json_object_get(x, "role"));
			if (role && !strcmp(role, "user"))
				m = x;
		}
	} else {
		m = answer_of(v);
	}
	const char *t = m ? content_text(a, json_object_get(m, "content")) : NULL;
	if (!t)
		return text;
	*picked = true;
	return t;
}
