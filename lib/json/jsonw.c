/* jsonw: compact JSON writing (RFC 8259 section 2 grammar, no spaces): strings, numbers the
 * way Python prints them, and jansson values. */
#include "lib/json/jsonw.h"
#include "lib/json/jeach.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/arena.h"
#include "lib/base/mem.h"
#include "lib/base/buf.h"
#include "lib/json/jscan.h"

/* Bytes of a string escaped between two reservations: the worst case, \u00XX for each, is
 * reserved for this many at a time, so a long string never reserves six times its size. */
#define JW_CHUNK 4096

/* The bytes of x that a JSON string must escape ('"', '\\', a control), as the high bit of
 * each: exact for the lowest such byte (a borrow runs up only from a byte that is one), so
 * its count of trailing zeros over 8 is its place (jscan.h's "haszero" and "hasless"). */
static inline uint64_t jw_bad8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t q = x ^ ones * '"', b = x ^ ones * '\\';
	return (((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x)) & high;
}

/* The escape of each byte RFC 8259 section 7 requires escaped: '"', '\\' and controls; 'u' for
 * the six-byte form. Two rows of 16, as the bytes 0x00-0x1f (kept from the formatter, which
 * would realign them). */
/* clang-format off */
static const char jw_esc[256] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
    ['"'] = '"', ['\\'] = '\\',
};
/* clang-format on */

/* Writes the escape of c (jw_esc[c] not 0) at o; past it. */
static inline char *jw_escape(char *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	if (jw_esc[c] != 'u') {
		o[0] = '\\';
		o[1] = jw_esc[c];
		return o + 2;
	}
	memcpy(o, "\\u00", 4);
	o[4] = hex[c >> 4];
	o[5] = hex[c & 15];
	return o + 6;
}

size_t jsonw_char(char out[6], unsigned char c)
{
	if (!jw_esc[c]) {
		out[0] = (char)c;
		return 1;
	}
	return (size_t)(jw_escape(out, c) - out);
}

#ifdef __SSE2__
/* The bytes of v a JSON string must escape, a bit each (a control: the unsigned minimum of it
 * and 0x1f is itself). */
static inline unsigned jw_bad16(__m128i v)
{
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
		      ctl = _mm_set1_epi8(0x1f);
	return (unsigned)_mm_movemask_epi8(
	    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
			 _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v)));
}
#endif

/* jscan_plain(p, n, false) without its loop of a byte a step: a run of 16 bytes or more ends
 * with one load of its last 16 bytes, over bytes already read (their bits shifted out), and
 * one of 8 to 15 bytes is read as two loads of 8 the same way. A string's tail went a byte a
 * step: about 70 of the 200 instructions of each of the 18,000 strings of a line a span
 * (callgrind, a direct batch of 1,000). */
static inline size_t jw_plain(const char *p, size_t n)
{
	uint64_t x, m;
#ifdef __SSE2__
	if (n >= 16) {
		size_t i = jscan_plain(p, n & ~(size_t)15, false);
		if (i < (n & ~(size_t)15) || i == n)
			return i;
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + n - 16));
		unsigned mm = jw_bad16(v) >> (16 - (n - i));
		return mm ? i + (size_t)__builtin_ctz(mm) : n;
	}
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ /* the lowest byte's bit the lowest */
	if (n >= 8) {
		memcpy(&x, p, 8);
		if ((m = jw_bad8(x)))
			return (size_t)__builtin_ctzll(m) / 8;
		if (n == 8)
			return 8;
		memcpy(&x, p + n - 8, 8);
		m = jw_bad8(x) >> (8 * (16 - n));
		return m ? 8 + (size_t)__builtin_ctzll(m) / 8 : n;
	}
#else
	(void)x, (void)m;
#endif
	return jscan_plain(p, n, false);
}

/* s[0..n), 1 to 16 bytes, written quoted at o when none of its bytes needs an escape (most ids,
 * names, kinds and statuses of a span's line): true. Two loads that overlap read it whole, 8
 * bytes from each end (4 for 4 to 7 bytes; the first, middle and last byte below 4, the rest of
 * the word letters), one test of both, and two stores. It took jw_plain's loop and a call to
 * memcpy: about 50 instructions of each of a line's 15 short strings (callgrind, a direct batch
 * of 1,000 spans). */
static inline bool jw_short(char *o, const char *s, size_t n)
{
	uint64_t x, y;
	if (n >= 8) {
		memcpy(&x, s, 8);
		memcpy(&y, s + n - 8, 8);
		if (jw_bad8(x) | jw_bad8(y))
			return false;
		memcpy(o + 1, &x, 8);
		memcpy(o + n - 7, &y, 8);
	} else if (n >= 4) {
		uint32_t a, c;
		memcpy(&a, s, 4);
		memcpy(&c, s + n - 4, 4);
		if (jw_bad8((uint64_t)a | (uint64_t)c << 32))
			return false;
		memcpy(o + 1, &a, 4);
		memcpy(o + n - 3, &c, 4);
	} else {
		x = (unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << 8 |
		    (uint64_t)(unsigned char)s[n - 1] << 16 | 0x6161616161000000ull;
		if (jw_bad8(x))
			return false;
		o[1] = s[0];
		o[1 + n / 2] = s[n / 2];
		o[n] = s[n - 1];
	}
	o[0] = '"';
	o[n + 1] = '"';
	return true;
}

/* Appends s[0..n) as a JSON string. Runs of bytes that need no escape (most text) are found
 * 16 at a time (jw_plain) and copied whole; it was a table lookup and a test per byte, then
 * 8 bytes a test. */
void jsonw_string(struct buf *b, const char *s, size_t n)
{
	size_t i = 0;
	size_t need = 2 + (n < JW_CHUNK ? 6 * n : 6 * JW_CHUNK);
	if (b->len + need + 1 > b->cap)
		buf_reserve(b, need);
	char *o = b->p + b->len;
	if (n - 1 < 16 && jw_short(o, s, n)) {
		b->len += n + 2;
		b->p[b->len] = 0;
		return;
	}
	*o++ = '"';
	while (i < n) {
		size_t z = n - i > JW_CHUNK ? i + JW_CHUNK : n;
		if (i) { /* a long string: room for the next chunk */
			b->len = (size_t)(o - b->p);
			buf_reserve(b, 2 + 6 * (z - i));
			o = b->p + b->len;
		}
#ifdef __SSE2__
		/* 16 bytes a step while 16 are left: the step's bytes stored whole (the room
		 * reserved for them escaped is at least 16), and the output moved on by the plain
		 * run that begins it, then the one escape that ends the run written over the
		 * bytes past it; the next step loads again after it. It was jw_plain, then a call
		 * to memcpy for the run: Opik's input and output, JSON text with a quote every few
		 * bytes, spent about 40 instructions an escape. */
		while (z - i >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			unsigned m = jw_bad16(v);
			_mm_storeu_si128((__m128i *)(void *)o, v);
			if (!m) {
				o += 16;
				i += 16;
				continue;
			}
			size_t run = (size_t)__builtin_ctz(m);
			o += run;
			i += run;
			o = jw_escape(o, (unsigned char)s[i++]);
		}
		/* The last bytes, fewer than 16, of a chunk of 16 or more: when the 16 that end it
		 * need no escape, the ones before the rest were copied as they are, so the 16 are
		 * stored over them (bytes the output already holds) and the rest past them. */
		if (i < z && z >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + z - 16));
			if (!jw_bad16(v)) {
				_mm_storeu_si128((__m128i *)(void *)(o - (16 - (z - i))), v);
				o += z - i;
				i = z;
			}
		}
#endif
		while (i < z) {
			size_t run = jw_plain(s + i, z - i);
			memcpy(o, s + i, run);
			o += run;
			if ((i += run) == z)
				break;
			unsigned char c = (unsigned char)s[i++];
			if (jw_esc[c])
				o = jw_escape(o, c);
			else
				*o++ = (char)c;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	b->p[b->len] = 0;
}

/* Appends v in decimal. */
void jsonw_int(struct buf *b, int64_t v)
{
	char t[24], *e = t + sizeof t, *p = e;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	buf_add(b, p, (size_t)(e - p));
}

/* %.15g of v when it is the double nearest a decimal of at most 15 significant digits, m/10^k
 * for an integer m below 10^15 and k of 1 to 22 (10^k exact, the quotient rounded once: it is
 * v exactly when m/10^k is that decimal). Then %.15g prints m's digits: v is within half a unit
 * of its 53rd bit of the decimal, well within half a unit of its 15th digit. False for any
 * other v (and the rare one whose v * 10^k rounds to a neighbour of m), which snprintf takes.
 * Written as %g writes them: fixed from 1e-4, else d.ddde-XX; trailing zeros dropped. */
static bool short_decimal(struct buf *b, double v)
{
	static const double p10[] = {1e0,  1e1,	 1e2,  1e3,  1e4,  1e5,	 1e6,  1e7,
				     1e8,  1e9,	 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	double a = fabs(v);
	int k = 1;
	int64_t m = 0;
	for (; k <= 22; k++) {
		double x = a * p10[k];
		if (x >= 1e15)
			return false;
		m = (int64_t)(x + 0.5);
		if (m && (double)m / p10[k] == a)
			break;
	}
	if (k > 22)
		return false;
	while (m % 10 == 0) /* v is no integer: k stays at least 1 */
		m /= 10, k--;
	char d[24], out[48], *o = out;
	int n = 0;
	for (int64_t u = m; u; u /= 10)
		d[n++] = (char)('0' + u % 10); /* reversed */
	int x = n - 1 - k;		       /* the exponent of the first digit */
	if (v < 0)
		*o++ = '-';
	if (x >= 0) { /* x + 1 digits, the point, k digits */
		for (int i = n - 1; i >= 0; i--) {
			*o++ = d[i];
			if (i == k)
				*o++ = '.';
		}
	} else if (x >= -4) {
		*o++ = '0', *o++ = '.';
		for (int i = -1; i > x; i--)
			*o++ = '0';
		for (int i = n - 1; i >= 0; i--)
			*o++ = d[i];
	} else {
		*o++ = d[n - 1];
		if (n > 1)
			*o++ = '.';
		for (int i = n - 2; i >= 0; i--)
			*o++ = d[i];
		*o++ = 'e', *o++ = '-';
		if (-x >= 100)
			*o++ = (char)('0' + -x / 100);
		*o++ = (char)('0' + -x / 10 % 10), *o++ = (char)('0' + -x % 10);
	}
	buf_add(b, out, (size_t)(o - out));
	return true;
}

void jsonw_number(struct buf *b, double v)
{
	if (!isfinite(v)) {
		buf_adds(b, "null");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		if (v == 0 && signbit(v))
			buf_adds(b, "-0");
		else
			jsonw_int(b, (int64_t)v);
		return;
	}
	/* Shortest representation that reads back to the same double, as Python's repr. It has
	 * at most 15 digits when %.15g reads back (DBL_DIG: 15 digits always survive the round
	 * trip, and %g drops trailing zeros), and then %.15g is it: the double is within half a
	 * unit of its 15th digit of that shortest decimal. Else 16 or 17 digits. One or three
	 * tries instead of up to 17. A subnormal has fewer digits of precision: every try. */
	if (short_decimal(b, v))
		return;
	char tmp[40];
	for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	buf_adds(b, tmp);
}

void jsonw_real(struct buf *b, double v)
{
	if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
		buf_printf(b, "%.1f", v);
	else
		jsonw_number(b, v);
}

void jsonw_value(struct buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;
		bool first = true;
		buf_addc(b, '{');
		JSON_EACH((json_t *)v, it, k, x)
		{
			if (!first)
				buf_addc(b, ',');
			first = false;
			jsonw_string(b, k, strlen(k));
			buf_addc(b, ':');
			jsonw_value(b, x);
		}
		buf_addc(b, '}');
		break;
	}
	case JSON_ARRAY: {
		buf_addc(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				buf_addc(b, ',');
			jsonw_value(b, json_array_get(v, i));
		}
		buf_addc(b, ']');
		break;
	}
	case JSON_STRING:
		jsonw_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		jsonw_int(b, json_integer_value(v));
		break;
	case JSON_REAL:
		/* A real stays a real on the way back ("1.0", as Python prints it). */
		jsonw_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_adds(b, "true");
		break;
	case JSON_FALSE:
		buf_adds(b, "false");
		break;
	default:
		buf_adds(b, "null");
	}
}

static int jsonw_keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void jsonw_object(struct buf *b, json_t *v, int flags)
{
	size_t n = json_object_size(v), i = 0;
	const char **keys = xmalloc((n ? n : 1) * sizeof *keys);
	const char *k;
	json_t *m;
	bool first = true;

	json_object_foreach(v, k, m) keys[i++] = k;
	if (flags & JSONW_SORT_KEYS)
		qsort(keys, n, sizeof *keys, jsonw_keycmp);
	buf_addc(b, '{');
	for (i = 0; i < n; i++) {
		m = json_object_get(v, keys[i]);
		if ((flags & JSONW_OMIT_NULLS) && json_is_null(m))
			continue;
		if (!first)
			buf_addc(b, ',');
		first = false;
		jsonw_string(b, keys[i], strlen(keys[i]));
		buf_addc(b, ':');
		jsonw_dump(b, m, flags);
	}
	buf_addc(b, '}');
	free(keys);
}

/* Appends v as compact JSON (see jsonw.h); without flags, jsonw_value. */
void jsonw_dump(struct buf *b, json_t *v, int flags)
{
	if (!flags || !(json_is_object(v) || json_is_array(v))) {
		jsonw_value(b, v);
		return;
	}
	if (json_is_object(v)) {
		jsonw_object(b, v, flags);
		return;
	}
	buf_addc(b, '[');
	for (size_t i = 0; i < json_array_size(v); i++) {
		if (i)
			buf_addc(b, ',');
		jsonw_dump(b, json_array_get(v, i), flags);
	}
	buf_addc(b, ']');
}

static int jansson_out(const char *p, size_t n, void *b)
{
	buf_add(b, p, n);
	return 0;
}

void jsonw_jansson(struct buf *b, const json_t *v, size_t jansson_flags)
{
	json_dump_callback(v, jansson_out, b, jansson_flags);
}

/* Returns v as compact JSON in arena a. */
char *jsonw_astr(struct arena *a, json_t *v, int flags)
{
	struct buf b;
	char *s;
	buf_init(&b);
	jsonw_dump(&b, v, flags);
	s = arena_strndup(a, b.p ? b.p : "", b.len);
	buf_free(&b);
	return s;
}
