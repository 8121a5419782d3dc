/* jline: reading members of a canonical line (compact JSON as span_render writes it, no
 * whitespace) without parsing it: a get or a filter confirmation touches a few bytes. */
#include "lib/json/jline.h"

#include <string.h>

/* Index just past the JSON value starting at p[i] (the canonical line has no whitespace). */
size_t jline_skip(const char *p, size_t n, size_t i)
{
	if (i >= n)
		return n;
	if (p[i] == '"') {
		for (i++; i < n;) {
			const char *q = memchr(p + i, '"', n - i);
			if (!q)
				return n;
			size_t j = q - p, bs = 0;
			while (j - bs > i && p[j - bs - 1] == '\\')
				bs++;
			if (bs % 2 == 0)
				return j + 1;
			i = j + 1;
		}
		return n;
	}
	if (p[i] == '{' || p[i] == '[') {
		int depth = 0;
		for (; i < n; i++) {
			char c = p[i];
			if (c == '"') {
				i = jline_skip(p, n, i) - 1;
			} else if (c == '{' || c == '[') {
				depth++;
			} else if ((c == '}' || c == ']') && --depth == 0) {
				return i + 1;
			}
		}
		return n;
	}
	while (i < n && p[i] != ',' && p[i] != '}' && p[i] != ']')
		i++;
	return i;
}



/* Next member of the object p[0..n); *pos starts at 0. */
bool jline_next(const char *p, size_t n, size_t *pos, struct jline_member *m)
{
	size_t i = *pos;
	if (i + 1 >= n || (p[i] != '{' && p[i] != ',') || p[i + 1] != '"')
		return false;
	m->start = i++;
	size_t ke = jline_skip(p, n, i);
	m->k = p + i + 1;
	m->kn = ke - i - 2;
	if (ke >= n || p[ke] != ':')
		return false;
	i = ke + 1;
	*pos = m->end = jline_skip(p, n, i);
	m->v = p + i;
	m->vn = m->end - i;
	return true;
}

/* Raw value of top-level member key, or false when absent. */
bool jline_get(const char *p, size_t n, const char *key, const char **v, size_t *vn)
{
	size_t pos = 0, kl = strlen(key);
	struct jline_member m;
	while (jline_next(p, n, &pos, &m))
		if (m.kn == kl && memcmp(m.k, key, kl) == 0) {
			*v = m.v;
			*vn = m.vn;
			return true;
		}
	return false;
}

/* Raw value of key, or of sub inside the object at key (sub may be NULL). */
bool jline_get2(const char *p, size_t n, const char *key, const char *sub, const char **v,
		  size_t *vn)
{
	if (!jline_get(p, n, key, v, vn))
		return false;
	if (!sub)
		return true;
	return **v == '{' && jline_get(*v, *vn, sub, v, vn);
}

size_t jline_unquote(const char *v, size_t vn, char *out, size_t size)
{
	size_t o = 0;
	if (vn < 2 || v[0] != '"' || v[vn - 1] != '"')
		return (size_t)-1;
	for (size_t i = 1; i + 1 < vn; i++) {
		char c = v[i];
		if (c == '\\') {
			if (i + 2 >= vn)
				return (size_t)-1;
			c = v[++i];
			switch (c) {
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case '"': case '\\': case '/': break;
			case 'u': {
				unsigned x = 0;
				for (int k = 1; k <= 4; k++) {
					char h = i + k < vn - 1 ? v[i + k] : 0;
					int d = h >= '0' && h <= '9' ? h - '0'
						: (h | 32) >= 'a' && (h | 32) <= 'f' ? (h | 32) - 'a' + 10 : -1;
					if (d < 0)
						return (size_t)-1;
					x = x << 4 | (unsigned)d;
				}
				if (x >= 0x80) /* not from jsonw_string, which writes UTF-8 as is */
					return (size_t)-1;
				c = (char)x;
				i += 4;
				break;
			}
			default:
				return (size_t)-1;
			}
		}
		if (o == size)
			return (size_t)-1;
		out[o++] = c;
	}
	return o;
}
