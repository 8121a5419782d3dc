/* jsonx: an RFC 8259 parser that builds jansson values. jansson's own reader lexes through a
 * per-character stream and tops out near 60 MB/s here, which capped ingest; this one scans the
 * buffer directly, checks the nesting limit as it descends (no stack to exhaust), validates
 * UTF-8 once and hands jansson strings it need not check again. */
#include "lib/json/jsonx.h"
#include "lib/base/mem.h"
#include "lib/base/buf.h"
#include "lib/base/utf8.h"
#include "lib/json/jscan.h"
#include "lib/json/jsonw.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *fail(struct jsonx_rd *j, size_t at, const char *why)
{
	if (!j->err) {
		j->err = why;
		j->at = at;
	}
	return NULL;
}

static void ws_skip(struct jsonx_rd *j)
{
	while (j->i < j->n) {
		char c = j->p[j->i];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		j->i++;
	}
}

/* Whitespace (RFC 8259 section 2) is skipped before and after every token: inline, the test of
 * one byte (each of the four is at most ' ') and the loop only when it may be one. A compact
 * body has none, and the call was 80,000 of them a batch of 1,000 spans. */
static inline void ws(struct jsonx_rd *j)
{
	if (j->i < j->n && (unsigned char)j->p[j->i] <= ' ')
		ws_skip(j);
}

static int hex4(const char *s)
{
	int v = 0;
	for (int k = 0; k < 4; k++) {
		char c = s[k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void put_utf8(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(b, u, n);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	return len <= avail && utf8_valid((const char *)s, len) ? len : 0;
}

/* A string at j->i (the opening quote). Sets *s and *len to the text: a slice of the input when
 * it has no escapes, else j->tmp. */
static bool string(struct jsonx_rd *j, const char **s, size_t *len)
{
	size_t start = ++j->i;
	bool esc = false;
	j->tmp.len = 0;
	for (;;) {
		size_t run = j->i;
		/* To the next '"', '\\', control or non-ASCII byte, 16 bytes a step. */
		j->i += jscan_plain(j->p + j->i, j->n - j->i, true);
		if (esc)
			buf_add(&j->tmp, j->p + run, j->i - run);
		if (j->i >= j->n)
			return fail(j, start - 1, "unterminated string"), false;
		unsigned char c = (unsigned char)j->p[j->i];
		if (c == '"') {
			if (esc) {
				*s = j->tmp.p ? j->tmp.p : "";
				*len = j->tmp.len;
			} else {
				*s = j->p + start;
				*len = j->i - start;
			}
			j->i++;
			return true;
		}
		if (c < 0x20)
			return fail(j, j->i, "control character in string"), false;
		if (c >= 0x80) {
			size_t k = utf8_seq((const unsigned char *)j->p + j->i, j->n - j->i);
			if (!k) {
				snprintf(j->why, sizeof(j->why), "unable to decode byte 0x%02x", c);
				return fail(j, j->i, j->why), false;
			}
			if (esc)
				buf_add(&j->tmp, j->p + j->i, k);
			j->i += k;
			continue;
		}
		/* A backslash: from here on the string is built in tmp. */
		if (!esc) {
			esc = true;
			buf_add(&j->tmp, j->p + start, j->i - start);
		}
		if (j->i + 1 >= j->n)
			return fail(j, j->i, "unterminated string"), false;
		char e = j->p[j->i + 1];
		const char *simple = strchr("\"\\/bfnrt", e);
		if (simple && e) {
			static const char out[] = "\"\\/\b\f\n\r\t";
			buf_addc(&j->tmp, out[simple - "\"\\/bfnrt"]);
			j->i += 2;
			continue;
		}
		if (e != 'u' || j->i + 6 > j->n)
			return fail(j, j->i, "invalid escape"), false;
		int cp = hex4(j->p + j->i + 2);
		if (cp < 0)
			return fail(j, j->i, "invalid \\u escape"), false;
		size_t at = j->i;
		j->i += 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			/* A surrogate pair (RFC 8259 section 7). */
			int lo = j->i + 6 <= j->n && j->p[j->i] == '\\' && j->p[j->i + 1] == 'u'
				     ? hex4(j->p + j->i + 2)
				     : -1;
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				j->i += 6;
			} else if (j->replace) {
				cp = JSONX_REPLACEMENT; /* the next escape is read on its own */
			} else {
				return fail(j, at, "invalid Unicode surrogate pair"), false;
			}
		} else if (cp >= 0xdc00 && cp <= 0xdfff) {
			if (!j->replace)
				return fail(j, at, "invalid Unicode surrogate pair"), false;
			cp = JSONX_REPLACEMENT;
		} else if (cp == 0) {
			if (!j->replace)
				return fail(j, at, "\\u0000 is not allowed in strings"), false;
			cp = JSONX_REPLACEMENT;
		}
		put_utf8(&j->tmp, (uint32_t)cp);
	}
}

static json_t *number(struct jsonx_rd *j)
{
	size_t s = j->i, k = j->i;
	bool real = false;
	if (k < j->n && j->p[k] == '-')
		k++;
	if (k < j->n && j->p[k] == '0') {
		k++;
	} else if (k < j->n && j->p[k] >= '1' && j->p[k] <= '9') {
		while (k < j->n && j->p[k] >= '0' && j->p[k] <= '9')
			k++;
	} else {
		return fail(j, s, "invalid token");
	}
	if (k < j->n && j->p[k] == '.') {
		real = true;
		if (++k >= j->n || j->p[k] < '0' || j->p[k] > '9')
			return fail(j, s, "invalid number");
		while (k < j->n && j->p[k] >= '0' && j->p[k] <= '9')
			k++;
	}
	if (k < j->n && (j->p[k] == 'e' || j->p[k] == 'E')) {
		real = true;
		if (++k < j->n && (j->p[k] == '+' || j->p[k] == '-'))
			k++;
		if (k >= j->n || j->p[k] < '0' || j->p[k] > '9')
			return fail(j, s, "invalid number");
		while (k < j->n && j->p[k] >= '0' && j->p[k] <= '9')
			k++;
	}
	/* strtoll/strtod need a terminated copy: the input need not end after the number. */
	char small[64], *txt = k - s < sizeof(small) ? small : xmalloc(k - s + 1);
	memcpy(txt, j->p + s, k - s);
	txt[k - s] = 0;
	json_t *v;
	errno = 0;
	if (!real) {
		long long x = strtoll(txt, NULL, 10);
		v = errno == ERANGE ? fail(j, s, "too big integer") : json_integer(x);
	} else {
		double d = strtod(txt, NULL);
		v = errno == ERANGE && (d > 1 || d < -1) ? fail(j, s, "real number overflow")
							 : json_real(d);
	}
	if (txt != small)
		free(txt);
	j->i = k;
	return v;
}

static json_t *value(struct jsonx_rd *j);

static json_t *object(struct jsonx_rd *j)
{
	json_t *o = json_object();
	j->i++;
	ws(j);
	if (j->i < j->n && j->p[j->i] == '}') {
		j->i++;
		return o;
	}
	for (;;) {
		ws(j);
		const char *k;
		size_t kl;
		if (j->i >= j->n || j->p[j->i] != '"' || !string(j, &k, &kl))
			goto bad;
		/* The key may live in tmp, which the value's strings reuse: keep a copy. */
		char small[128], *key = kl < sizeof(small) ? small : xmalloc(kl + 1);
		memcpy(key, k, kl);
		key[kl] = 0;
		ws(j);
		json_t *v = NULL;
		if (j->i < j->n && j->p[j->i] == ':') {
			j->i++;
			v = value(j);
		} else {
			fail(j, j->i, "':' expected");
		}
		/* RFC 8259 leaves duplicate names open; the last one wins, as in Python. */
		if (v && j->nodup && json_object_getn(o, key, kl)) {
			json_decref(v);
			v = fail(j, j->i, "duplicate object key");
		}
		if (v)
			json_object_setn_new_nocheck(o, key, kl, v);
		if (key != small)
			free(key);
		if (!v)
			goto bad;
		ws(j);
		if (j->i < j->n && j->p[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->i < j->n && j->p[j->i] == '}') {
			j->i++;
			return o;
		}
		fail(j, j->i, "'}' or ',' expected");
		goto bad;
	}
bad:
	if (j->i >= j->n)
		fail(j, j->i, "unexpected end of input");
	fail(j, j->i, "string or '}' expected");
	json_decref(o);
	return NULL;
}

static json_t *array(struct jsonx_rd *j)
{
	json_t *a = json_array();
	j->i++;
	ws(j);
	if (j->i < j->n && j->p[j->i] == ']') {
		j->i++;
		return a;
	}
	for (;;) {
		json_t *v = value(j);
		if (!v)
			goto bad;
		json_array_append_new(a, v);
		ws(j);
		if (j->i < j->n && j->p[j->i] == ',') {
			j->i++;
			continue;
		}
		if (j->i < j->n && j->p[j->i] == ']') {
			j->i++;
			return a;
		}
		fail(j, j->i, j->i >= j->n ? "unexpected end of input" : "']' or ',' expected");
		goto bad;
	}
bad:
	json_decref(a);
	return NULL;
}

static json_t *word(struct jsonx_rd *j, const char *w, json_t *v)
{
	size_t l = strlen(w);
	if (j->n - j->i < l || memcmp(j->p + j->i, w, l))
		return fail(j, j->i, "invalid token");
	j->i += l;
	return v;
}

static json_t *value(struct jsonx_rd *j)
{
	ws(j);
	if (j->i >= j->n)
		return fail(j, j->i, "unexpected end of input");
	if (j->max_values && ++j->values > j->max_values)
		return fail(j, j->i, "more values than the limit");
	json_t *v;
	switch (j->p[j->i]) {
	case '{':
	case '[':
		if (++j->depth > j->max_depth)
			return fail(j, j->i, "nesting deeper than the limit");
		v = j->p[j->i] == '{' ? object(j) : array(j);
		j->depth--;
		return v;
	case '"': {
		const char *s;
		size_t len;
		return string(j, &s, &len) ? json_stringn_nocheck(s, len) : NULL;
	}
	case 't':
		return word(j, "true", json_true());
	case 'f':
		return word(j, "false", json_false());
	case 'n':
		return word(j, "null", json_null());
	default:
		return number(j);
	}
}

json_t *jsonx_parse_with(const char *p, size_t n, int flags, size_t *pos, struct err *e)
{
	struct jsonx_rd j = {.p = p,
			     .n = n,
			     .max_depth = flags & JSONX_DEEP ? JSONX_DEEP_DEPTH : JSONX_MAX_DEPTH,
			     .max_values = flags & JSONX_DEEP ? 0 : JSONX_MAX_VALUES,
			     .nodup = flags & JSONX_NO_DUPLICATES,
			     .replace = flags & JSONX_REPLACE};
	buf_init(&j.tmp);
	json_t *v = value(&j);
	if (v) {
		ws(&j);
		if (j.i < j.n) {
			fail(&j, j.i, "end of data expected");
			json_decref(v);
			v = NULL;
		}
	}
	if (!v) {
		*pos = j.at;
		if (!strcmp(j.err, "nesting deeper than the limit"))
			err_set(e, ST_BAD_REQUEST, "nesting deeper than %d levels", j.max_depth);
		else if (!strcmp(j.err, "more values than the limit"))
			err_set(e, ST_BAD_REQUEST, "more than %zu values (JSONX_MAX_VALUES)",
				j.max_values);
		else
			err_set(e, ST_BAD_REQUEST, "%s", j.err);
	}
	buf_free(&j.tmp);
	return v;
}

json_t *jsonx_parse(const char *p, size_t n, size_t *pos, struct err *e)
{
	return jsonx_parse_with(p, n, 0, pos, e);
}

size_t jsonx_members(json_t *obj, const char *const *names, size_t stride, size_t n, json_t **vals)
{
	size_t found = 0, at = 0;
	memset(vals, 0, n * sizeof *vals);
	for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
		const char *key = json_object_iter_key(it);
		for (size_t k = 0; k < n; k++, at = at + 1 < n ? at + 1 : 0) {
			const char *name =
			    *(const char *const *)(const void *)((const char *)names + at * stride);
			if (name[0] == key[0] && (!name[0] || name[1] == key[1]) &&
			    !strcmp(name, key) && strlen(name) == json_object_iter_key_len(it)) {
				vals[at] = json_object_iter_value(it);
				found++;
				at = at + 1 < n ? at + 1 : 0;
				break;
			}
		}
	}
	return found;
}

void jsonx_rd_init(struct jsonx_rd *r, const char *p, size_t n)
{
	*r = (struct jsonx_rd){
	    .p = p, .n = n, .max_depth = JSONX_MAX_DEPTH, .max_values = JSONX_MAX_VALUES};
	buf_init(&r->tmp);
	buf_init(&r->num);
}

void jsonx_rd_free(struct jsonx_rd *r)
{
	buf_free(&r->tmp);
	buf_free(&r->num);
}

char jsonx_rd_peek(struct jsonx_rd *r)
{
	ws(r);
	return r->i < r->n ? r->p[r->i] : 0;
}

bool jsonx_rd_open(struct jsonx_rd *r, char open)
{
	/* value()'s count and nesting check, for a level the caller walks. */
	if (jsonx_rd_peek(r) != open || ++r->values > r->max_values || ++r->depth > r->max_depth)
		return false;
	r->i++;
	return true;
}

int jsonx_rd_more(struct jsonx_rd *r, char close, size_t k)
{
	char c = jsonx_rd_peek(r);
	if (c == close) {
		r->i++;
		r->depth--;
		return 0;
	}
	if (!k)
		return 1;
	if (c != ',')
		return -1;
	r->i++;
	return 1;
}

bool jsonx_rd_key(struct jsonx_rd *r, const char **s, size_t *len)
{
	if (jsonx_rd_peek(r) != '"' || !string(r, s, len) || jsonx_rd_peek(r) != ':')
		return false;
	r->i++;
	return true;
}

bool jsonx_rd_name(struct jsonx_rd *r, const char *name, size_t len)
{
	/* The bytes "name" are that name: name holds no '"', '\\' or control byte. Its end is
	 * counted from the '"', past any whitespace (jsonx_rd_peek): counted before it, a name
	 * after spaces at a body's end was compared past the body (make fuzz, the ingest
	 * harness). */
	if (jsonx_rd_peek(r) != '"')
		return false;
	size_t at = r->i + len + 2;
	if (at > r->n || r->p[at - 1] != '"' || memcmp(r->p + r->i + 1, name, len))
		return false;
	r->i = at;
	if (jsonx_rd_peek(r) == ':') {
		r->i++;
		return true;
	}
	r->i -= len + 2;
	return false;
}

bool jsonx_rd_string(struct jsonx_rd *r, const char **s, size_t *len)
{
	/* value()'s count, for a string the caller takes as text. */
	return jsonx_rd_peek(r) == '"' && ++r->values <= r->max_values && string(r, s, len);
}

json_t *jsonx_rd_value(struct jsonx_rd *r)
{
	return value(r);
}

/* ---- a value's bytes as jsonw_value writes them (jsonx_rd_written) ---- */

static bool written(struct jsonx_rd *j);

/* Past a string at j->i (the opening quote) whose bytes are those jsonw_string writes of its
 * text: valid UTF-8, no control byte, each escape the one jsonw_char writes of the byte it
 * stands for (no \/, no \u escape but a control's without a short one, \u0000 refused as
 * string() refuses it). Its bytes between the quotes into *s, *len. */
static bool written_string(struct jsonx_rd *j, const char **s, size_t *len)
{
	size_t start = ++j->i;
	for (;;) {
		j->i += jscan_plain(j->p + j->i, j->n - j->i, true);
		if (j->i >= j->n)
			return false;
		unsigned char c = (unsigned char)j->p[j->i];
		if (c == '"') {
			*s = j->p + start;
			*len = j->i++ - start;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c >= 0x80) {
			size_t k = utf8_seq((const unsigned char *)j->p + j->i, j->n - j->i);
			if (!k)
				return false;
			j->i += k;
			continue;
		}
		/* A backslash: the byte it stands for, then whether jsonw writes it so. */
		if (j->i + 1 >= j->n)
			return false;
		static const char simple[] = "\"\\/bfnrt", out[] = "\"\\/\b\f\n\r\t";
		const char *e = strchr(simple, j->p[j->i + 1]);
		int b = e && *e ? out[e - simple] : -1;
		if (j->p[j->i + 1] == 'u' && j->i + 6 <= j->n)
			b = hex4(j->p + j->i + 2);
		char w[6];
		size_t wn;
		if (b <= 0 || b >= 0x80 || (wn = jsonw_char(w, (unsigned char)b)) == 1 ||
		    j->n - j->i < wn || memcmp(j->p + j->i, w, wn))
			return false;
		j->i += wn;
	}
}

/* Past a number whose bytes are what jsonw_value writes of number()'s value of them: "-0",
 * "1e5", "1.50", "100000" as a real are not. */
static bool written_number(struct jsonx_rd *j)
{
	size_t at = j->i;
	json_t *v = number(j);
	if (!v)
		return false;
	j->num.len = 0;
	jsonw_value(&j->num, v);
	json_decref(v);
	return j->num.len == j->i - at && !memcmp(j->num.p, j->p + at, j->num.len);
}

/* The members of an object a written one may have: a name twice is not written as it came (the
 * last one's value at the first one's place), and each name is compared with those before it.
 * An object with more is read by jsonx_rd_value (its bytes written again). */
#define JSONX_WRITTEN_NAMES 32

static bool written_object(struct jsonx_rd *j)
{
	struct {
		const char *s;
		size_t n;
	} names[JSONX_WRITTEN_NAMES];
	size_t k = 0;
	if (++j->i < j->n && j->p[j->i] == '}')
		return j->i++, true;
	for (;; k++) {
		if (k == JSONX_WRITTEN_NAMES || j->i >= j->n || j->p[j->i] != '"' ||
		    !written_string(j, &names[k].s, &names[k].n))
			return false;
		/* Two names written by jsonw_string are the same text when they are the same bytes.
		 */
		for (size_t m = 0; m < k; m++)
			if (names[m].n == names[k].n && !memcmp(names[m].s, names[k].s, names[k].n))
				return false;
		if (j->i >= j->n || j->p[j->i++] != ':' || !written(j) || j->i >= j->n)
			return false;
		if (j->p[j->i++] == '}')
			return true;
		if (j->p[j->i - 1] != ',')
			return false;
	}
}

static bool written_array(struct jsonx_rd *j)
{
	if (++j->i < j->n && j->p[j->i] == ']')
		return j->i++, true;
	for (;;) {
		if (!written(j) || j->i >= j->n)
			return false;
		if (j->p[j->i++] == ']')
			return true;
		if (j->p[j->i - 1] != ',')
			return false;
	}
}

/* Past the value at j->i when it is written, counted and nested as value() counts it. No
 * whitespace: jsonw_value writes none. */
static bool written(struct jsonx_rd *j)
{
	const char *s;
	size_t len;
	if (j->i >= j->n || (j->max_values && ++j->values > j->max_values))
		return false;
	switch (j->p[j->i]) {
	case '{':
	case '[': {
		if (++j->depth > j->max_depth)
			return false;
		bool ok = j->p[j->i] == '{' ? written_object(j) : written_array(j);
		j->depth--;
		return ok;
	}
	case '"':
		return written_string(j, &s, &len);
	case 't':
		return word(j, "true", json_true()) != NULL;
	case 'f':
		return word(j, "false", json_false()) != NULL;
	case 'n':
		return word(j, "null", json_null()) != NULL;
	default:
		return written_number(j);
	}
}

bool jsonx_rd_written(struct jsonx_rd *r, const char **s, size_t *len)
{
	ws(r);
	struct jsonx_rd was = *r; /* the place, counts and first error, put back on a no */
	if (written(r)) {
		*s = r->p + was.i;
		*len = r->i - was.i;
		return true;
	}
	was.tmp = r->tmp; /* the buffers may have grown */
	was.num = r->num;
	*r = was;
	return false;
}

bool jsonx_rd_end(struct jsonx_rd *r)
{
	ws(r);
	return r->i == r->n;
}
