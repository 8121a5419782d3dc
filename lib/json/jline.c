/* jline: reading members of a canonical line (compact JSON as span_render writes it, no
 * whitespace) without parsing it: a get or a filter confirmation touches a few bytes. */
#include "lib/json/jline.h"

#include <stdint.h>
#include <string.h>
#include "lib/base/arena.h"
#include "lib/json/jscan.h"

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
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case '"':
			case '\\':
			case '/':
				break;
			case 'u': {
				unsigned x = 0;
				for (int k = 1; k <= 4; k++) {
					char h = i + k < vn - 1 ? v[i + k] : 0;
					int d = h >= '0' && h <= '9' ? h - '0'
						: (h | 32) >= 'a' && (h | 32) <= 'f'
						    ? (h | 32) - 'a' + 10
						    : -1;
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

const char *jline_text(struct arena *a, const char *v, size_t vn)
{
	if (!v || vn < 2 || v[0] != '"')
		return NULL;
	char *t = arena_alloc(a, vn);
	size_t m = jline_unquote(v, vn, t, vn);
	if (m == (size_t)-1)
		return NULL;
	t[m] = 0;
	return t;
}

/* ---- validation: what jansson's json_loadb certainly accepts, checked in place ---- */

/* The length of the UTF-8 sequence at p[i] (RFC 3629, as jansson checks it: no overlongs,
 * no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n, size_t i)
{
	unsigned char c = p[i], lo = 0x80, hi = 0xbf;
	size_t k;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (n - i < k || p[i + 1] < lo || p[i + 1] > hi)
		return 0;
	for (size_t j = 2; j < k; j++)
		if ((p[i + j] & 0xc0) != 0x80)
			return 0;
	return k;
}

static int hex4(const char *p)
{
	int x = 0;
	for (int k = 0; k < 4; k++) {
		char h = p[k];
		int d = h >= '0' && h <= '9'		     ? h - '0'
			: (h | 32) >= 'a' && (h | 32) <= 'f' ? (h | 32) - 'a' + 10
							     : -1;
		if (d < 0)
			return -1;
		x = x << 4 | d;
	}
	return x;
}

size_t jline_check_string(const char *s, size_t n, size_t i, bool *escaped)
{
	const unsigned char *p = (const unsigned char *)s;
	*escaped = false;
	if (i >= n || p[i] != '"')
		return 0;
	for (i++;;) {
		i += jscan_plain(s + i, n - i, true);
		if (i >= n)
			return 0;
		unsigned char c = p[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return 0;
		if (c >= 0x80) {
			size_t k = utf8_seq(p, n, i);
			if (!k)
				return 0;
			i += k;
			continue;
		}
		if (c != '\\') {
			i++;
			continue;
		}
		*escaped = true;
		if (n - i < 2)
			return 0;
		c = p[i + 1];
		if (c != 'u') {
			if (!strchr("\"\\/bfnrt", c) || !c)
				return 0;
			i += 2;
			continue;
		}
		/* \u0000 and lone surrogates: jansson refuses them; a pair it takes. */
		int u = n - i >= 6 ? hex4(s + i + 2) : -1;
		if (u <= 0 || (u >= 0xdc00 && u <= 0xdfff))
			return 0;
		if (u >= 0xd800 && u <= 0xdbff) {
			int l = n - i >= 12 && p[i + 6] == '\\' && p[i + 7] == 'u' ? hex4(s + i + 8)
										   : -1;
			if (l < 0xdc00 || l > 0xdfff)
				return 0;
			i += 6;
		}
		i += 6;
	}
}

size_t jline_check_number(const char *p, size_t n, size_t i, bool *integer)
{
	size_t s = i, digits = 0;
	*integer = true;
	if (i < n && p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++, digits = 1;
	else
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++, digits++;
	if (!digits)
		return 0;
	if (i < n && p[i] == '.') {
		size_t f = ++i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == f)
			return 0;
		*integer = false;
	}
	long exp = 0;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		bool neg = ++i < n && p[i] == '-';
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		size_t e = i;
		for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
			exp = exp < 100000 ? exp * 10 + (p[i] - '0') : exp;
		if (i == e)
			return 0;
		exp = neg ? -exp : exp;
		*integer = false;
	}
	/* 18 digits always fit an int64_t. A real overflows a double (jansson refuses it) only
	 * past 308 digits before the point, the exponent counted; one that underflows it takes. */
	if ((*integer && digits > 18) || (long)digits + exp > 300 || i - s > JLINE_NUMBER_MAX)
		return 0;
	return i;
}

static size_t check_value(const char *p, size_t n, size_t i, bool dups, int depth);

/* The object at p[i] ('{'), its keys unique unless dups. */
static size_t check_object(const char *p, size_t n, size_t i, bool dups, int depth)
{
	struct {
		const char *k;
		size_t n;
	} keys[JLINE_CHECK_KEYS];
	size_t nk = 0;
	bool esc;
	if (depth > JLINE_CHECK_DEPTH)
		return 0;
	if (++i < n && p[i] == '}')
		return i + 1;
	for (;;) {
		size_t ke = jline_check_string(p, n, i, &esc);
		/* A key with an escape might equal another once decoded: jansson's to judge. */
		if (!ke || esc || ke >= n || p[ke] != ':')
			return 0;
		if (!dups) {
			if (nk == JLINE_CHECK_KEYS)
				return 0;
			for (size_t j = 0; j < nk; j++)
				if (keys[j].n == ke - i && !memcmp(keys[j].k, p + i, ke - i))
					return 0;
			keys[nk].k = p + i;
			keys[nk++].n = ke - i;
		}
		if (!(i = check_value(p, n, ke + 1, dups, depth)) || i >= n)
			return 0;
		if (p[i] == '}')
			return i + 1;
		if (p[i++] != ',')
			return 0;
	}
}

static size_t check_value(const char *p, size_t n, size_t i, bool dups, int depth)
{
	bool b;
	if (i >= n)
		return 0;
	switch (p[i]) {
	case '"':
		return jline_check_string(p, n, i, &b);
	case '{':
		return check_object(p, n, i, dups, depth + 1);
	case '[':
		if (depth >= JLINE_CHECK_DEPTH)
			return 0;
		if (++i < n && p[i] == ']')
			return i + 1;
		for (;;) {
			if (!(i = check_value(p, n, i, dups, depth + 1)) || i >= n)
				return 0;
			if (p[i] == ']')
				return i + 1;
			if (p[i++] != ',')
				return 0;
		}
	case 't':
		return n - i >= 4 && !memcmp(p + i, "true", 4) ? i + 4 : 0;
	case 'f':
		return n - i >= 5 && !memcmp(p + i, "false", 5) ? i + 5 : 0;
	case 'n':
		return n - i >= 4 && !memcmp(p + i, "null", 4) ? i + 4 : 0;
	default:
		return jline_check_number(p, n, i, &b);
	}
}

size_t jline_check_value(const char *p, size_t n, size_t i, bool dups)
{
	return check_value(p, n, i, dups, 0);
}
