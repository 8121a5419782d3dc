/* detect: the built-in detectors, by hand: one pass over a text that stops only at the bytes a
 * detector can begin at ('@', a digit, '+' or '(' opening a number, ':', a capital, and the
 * first letters of the secrets' prefixes at the start of a word), then that detector's own
 * check (Luhn, mod-97, an address's form). The same detectors written as PCRE2 expressions
 * took 15 times as long over bench/ingest.mjs's spans (bench/redact_bench: 12.2 us a span
 * against 0.8), since each expression is one more pass and most start at a character class
 * (BENCHMARKS-HISTORY.md, "Redaction rules, 2026-11-27 (issue 52)"). Every detector
 * matches ASCII only, so a hit never cuts a UTF-8 sequence, and hits are moved out of JSON
 * escapes, so a JSON text (an input, a message list) stays JSON once redacted. */
#include "lib/redact/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* Byte classes. */
enum {
	F_DIGIT = 1 << 0,
	F_UPPER = 1 << 1,
	F_LOWER = 1 << 2,
	F_HEX = 1 << 3,
	F_LOCAL = 1 << 4,  /* an e-mail address's local part: A-Za-z0-9 . _ % + - */
	F_DOMAIN = 1 << 5, /* its domain: A-Za-z0-9 . - */
	F_TOKEN = 1 << 6,  /* a key's body, base64url: A-Za-z0-9 _ - */
	F_B64 = 1 << 7,	   /* base64: A-Za-z0-9 + / */
	F_T68 = 1 << 8,	   /* RFC 6750's b64token: A-Za-z0-9 - . _ ~ + / (then '=') */
	F_ALNUM = F_DIGIT | F_UPPER | F_LOWER,
};
#define WORDCH F_LOCAL | F_DOMAIN | F_TOKEN | F_B64 | F_T68
static const uint16_t cls[256] = {
    ['a' ... 'f'] = WORDCH | F_LOWER | F_HEX,
    ['g' ... 'z'] = WORDCH | F_LOWER,
    ['A' ... 'F'] = WORDCH | F_UPPER | F_HEX,
    ['G' ... 'Z'] = WORDCH | F_UPPER,
    ['0' ... '9'] = WORDCH | F_DIGIT | F_HEX,
    ['.'] = F_LOCAL | F_DOMAIN | F_T68,
    ['_'] = F_LOCAL | F_TOKEN | F_T68,
    ['%'] = F_LOCAL,
    ['+'] = F_LOCAL | F_B64 | F_T68,
    ['-'] = F_LOCAL | F_DOMAIN | F_TOKEN | F_T68,
    ['/'] = F_B64 | F_T68,
    ['~'] = F_T68,
};
#undef WORDCH

static inline unsigned cl(char c)
{
	return cls[(unsigned char)c];
}

/* What a byte can begin, for the scan's first look: most bytes of a text begin nothing, and the
 * loop passes them by the table alone. The secrets are found by their rarer bytes: the '-' of
 * "sk-", the '_' of "ghp_" and "access_key", the 'J' of "eyJ". */
enum { T_AT = 1, T_NUM = 2, T_COLON = 4, T_CAP = 8, T_B = 16, T_DASH = 32, T_UNDER = 64 };
static const uint8_t trig[256] = {
    ['@'] = T_AT,	   ['0' ... '9'] = T_NUM, ['+'] = T_NUM,  ['('] = T_NUM,   [':'] = T_COLON,
    ['A' ... 'Z'] = T_CAP, ['b'] = T_B,		  ['-'] = T_DASH, ['_'] = T_UNDER,
};

/* ---- JSON escapes ---- */

/* Where an escape that starts at b (a backslash that no backslash escapes) ends: \uXXXX is 6
 * bytes, any other 2; 0 when b starts none. */
static size_t escape_at(const char *s, size_t n, size_t b)
{
	if (s[b] != '\\' || b + 1 >= n)
		return 0;
	size_t k = 0;
	while (k < b && s[b - k - 1] == '\\')
		k++;
	if (k % 2)
		return 0;
	if (s[b + 1] == 'u' && b + 6 <= n) {
		bool hex = true;
		for (size_t i = b + 2; i < b + 6; i++)
			hex = hex && (cl(s[i]) & F_HEX);
		if (hex)
			return b + 6;
	}
	return b + 2;
}

size_t redact_escape_end(const char *s, size_t n, size_t at)
{
	for (size_t b = at; b > 0 && at - b < 6;) {
		b--;
		if (s[b] != '\\')
			continue;
		size_t end = escape_at(s, n, b);
		if (end)
			return end > at ? end : at;
	}
	return at;
}

/* True when an escape ends right at i (the "n" of a "\n" before a word). */
static bool escape_ends(const char *s, size_t n, size_t i)
{
	for (size_t b = i; b > 0 && i - b < 6;) {
		b--;
		if (s[b] == '\\' && escape_at(s, n, b))
			return escape_at(s, n, b) == i;
	}
	return false;
}

/* A word starts at i: nothing alphanumeric before it, or an escape. */
static inline bool word_start(const char *s, size_t n, size_t i)
{
	if (i == 0 || !(cl(s[i - 1]) & F_ALNUM))
		return true;
	/* "\n" and "\u00e9" end in a letter or a digit: only then look further */
	return ((i >= 2 && s[i - 2] == '\\') || (i >= 6 && s[i - 6] == '\\')) &&
	       escape_ends(s, n, i);
}
/* Nothing alphanumeric at i: the end of a word. */
static bool word_end(const char *s, size_t n, size_t i)
{
	return i >= n || !(cl(s[i]) & F_ALNUM);
}

/* The end of the run of class k from i. */
static size_t run(const char *s, size_t n, size_t i, unsigned k)
{
	while (i < n && (cl(s[i]) & k))
		i++;
	return i;
}

struct scan {
	const char *s;
	size_t n;
	unsigned mask;
	redact_hit_fn *fn;
	void *ctx;
};

static void hit(const struct scan *c, unsigned det, size_t from, size_t to)
{
	if (c->mask & (1u << det))
		c->fn(c->ctx, det, from, to);
}

/* ---- checks ---- */

bool redact_luhn(const char *s, size_t n)
{
	unsigned sum = 0, k = 0;
	for (size_t i = n; i-- > 0;) {
		if (!(cl(s[i]) & F_DIGIT))
			continue;
		unsigned d = (unsigned)(s[i] - '0');
		if (k++ % 2 && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	return k && sum % 10 == 0;
}

bool redact_iban_ok(const char *s, size_t n)
{
	unsigned r = 0;
	if (n < 15 || n > 34)
		return false;
	for (size_t j = 0; j < n; j++) {
		char c = s[(j + 4) % n]; /* the first four moved to the end (ISO 13616) */
		if (cl(c) & F_DIGIT)
			r = (r * 10 + (unsigned)(c - '0')) % 97;
		else if (cl(c) & F_UPPER)
			r = (r * 100 + (unsigned)(c - 'A' + 10)) % 97;
		else
			return false;
	}
	return r == 1;
}

/* The card networks' number ranges (ISO/IEC 7812 issuer numbers): 2221-2720 (Mastercard),
 * 30-39 but 31-33 (Diners, JCB, American Express), 4 (Visa), 5 (Mastercard, Maestro), 6
 * (Discover, UnionPay, Maestro). An epoch in milliseconds (13 digits from 1) is none. */
static bool card_prefix(const char *d)
{
	int two = (d[0] - '0') * 10 + (d[1] - '0'),
	    four = two * 100 + (d[2] - '0') * 10 + d[3] - '0';
	switch (d[0]) {
	case '2':
		return four >= 2221 && four <= 2720;
	case '3':
		return two == 30 || two >= 34;
	case '4':
	case '5':
	case '6':
		return true;
	default:
		return false;
	}
}

/* ---- numbers: phone, card, IPv4 ---- */

#define NUM_GROUPS 16 /* digit groups one number is read in; a longer run is read again after */

/* A run of digit groups joined by one separator each (' ', '-', '.', or ')' then maybe ' ' or
 * '-' after a '(' group), optionally after a '+' or inside a '(' first group. */
struct num {
	size_t from; /* its '+' or '(' or first digit */
	bool plus, paren;
	size_t ng;
	size_t gs[NUM_GROUPS], ge[NUM_GROUPS]; /* each group's digits */
	char sep[NUM_GROUPS];		       /* after group k: ' ', '-', '.' or ')' */
	bool space[NUM_GROUPS];		       /* ... holding a space */
};

/* The separator at p after group k of m: its end, or p when there is none. */
static size_t num_sep(const char *s, size_t n, size_t p, struct num *m, size_t k)
{
	size_t q = p;
	char kind = 0;
	if (m->paren && k == 0 && q < n && s[q] == ')') {
		kind = ')';
		q++;
	}
	if (q < n && (s[q] == ' ' || s[q] == '-' || (s[q] == '.' && !kind))) {
		kind = kind ? kind : s[q];
		m->space[k] = s[q] == ' ';
		q++;
	}
	if (!kind || q >= n || !(cl(s[q]) & F_DIGIT))
		return p;
	m->sep[k] = kind;
	return q;
}

/* Reads the number at i into m; its end. */
static size_t num_read(const char *s, size_t n, size_t i, struct num *m)
{
	size_t p = i;
	memset(m, 0, sizeof *m);
	m->from = i;
	m->plus = s[p] == '+';
	m->paren = s[p] == '(';
	if (m->plus || m->paren)
		p++;
	if (p >= n || !(cl(s[p]) & F_DIGIT))
		return i + 1;
	for (;;) {
		m->gs[m->ng] = p;
		p = run(s, n, p, F_DIGIT);
		m->ge[m->ng++] = p;
		size_t q = m->ng < NUM_GROUPS ? num_sep(s, n, p, m, m->ng - 1) : p;
		if (q == p)
			break;
		p = q;
	}
	if (m->paren && (m->ng < 2 || m->sep[0] != ')')) { /* a '(' no ')' closes */
		m->paren = false;
		m->from++;
	}
	return m->ge[m->ng - 1];
}

static size_t glen(const struct num *m, size_t k)
{
	return m->ge[k] - m->gs[k];
}

/* Four groups of at most three digits joined by dots, each at most 255. */
static bool num_ipv4(const char *s, const struct num *m, size_t g0, size_t g1)
{
	if (g1 - g0 != 3 || (g0 == 0 && (m->plus || m->paren)))
		return false;
	for (size_t k = g0; k <= g1; k++) {
		unsigned v = 0;
		if (glen(m, k) > 3 || (k < g1 && m->sep[k] != '.'))
			return false;
		for (size_t i = m->gs[k]; i < m->ge[k]; i++)
			v = v * 10 + (unsigned)(s[i] - '0');
		if (v > 255)
			return false;
	}
	return true;
}

/* 13 to 19 digits, in one group or in groups of 3 to 6 joined by one kind of separator (' '
 * or '-'), in a card network's range and passing Luhn's check. */
static bool num_card(const char *s, const struct num *m, size_t g0, size_t g1, size_t digits)
{
	char d[20];
	size_t k = 0;
	if (digits < 13 || digits > 19 || (g0 == 0 && (m->plus || m->paren)))
		return false;
	for (size_t g = g0; g <= g1; g++) {
		if (g0 < g1 && (glen(m, g) < 3 || glen(m, g) > 6))
			return false;
		if (g < g1 && (m->sep[g] == '.' || m->sep[g] != m->sep[g0]))
			return false;
		memcpy(d + k, s + m->gs[g], glen(m, g));
		k += glen(m, g);
	}
	return card_prefix(d) && redact_luhn(d, k);
}

/* A phone number: '+' and 8 to 15 digits in any groups; ten digits as 3-3-4 ("(415) 555-0100",
 * "415-555-0100", "415.555.0100", "415 555 0100"), after a 1 or not ("1-800-555-0199"); or a
 * national number from 0 of 9 to 11 digits in 2 to 5 groups of 2 to 5 joined by spaces or dashes
 * ("020 7946 0958"). Ten digits with nothing between them are no phone number here: ids and times
 * look the same. */
static bool num_phone(const struct num *m, const char *s, size_t g0, size_t g1, size_t digits)
{
	size_t k = g1 - g0 + 1;
	if (g0 == 0 && m->plus)
		return digits >= 8 && digits <= 15;
	if (k == 4 && glen(m, g0) == 1 && s[m->gs[g0]] == '1' && !(g0 == 0 && m->paren))
		g0++, k--; /* "1-800-555-0199": the country code, then ten digits */
	if (k == 3 && glen(m, g0) == 3 && glen(m, g0 + 1) == 3 && glen(m, g1) == 4)
		return !(g0 == 0 && m->paren) || m->sep[0] == ')';
	if ((g0 == 0 && m->paren) || s[m->gs[g0]] != '0' || digits < 9 || digits > 11 || k < 2 ||
	    k > 5)
		return false;
	for (size_t g = g0; g <= g1; g++)
		if (glen(m, g) < 2 || glen(m, g) > 5 ||
		    (g < g1 && (m->sep[g] == '.' || m->sep[g] != m->sep[g0])))
			return false;
	return true;
}

/* What groups g0..g1 of m are, or -1. */
static int num_what(const char *s, const struct num *m, size_t g0, size_t g1)
{
	size_t digits = 0;
	for (size_t g = g0; g <= g1; g++)
		digits += glen(m, g);
	if (num_ipv4(s, m, g0, g1))
		return RD_IP;
	if (num_card(s, m, g0, g1, digits))
		return RD_CARD;
	if (num_phone(m, s, g0, g1, digits))
		return RD_PHONE;
	return -1;
}

/* A number at i (a word's start): the longest phone, card or IPv4 address from its first
 * group, else from the next group a space begins, and so on. Its end. */
static size_t scan_number(const struct scan *c, size_t i)
{
	struct num m;
	size_t end = num_read(c->s, c->n, i, &m);
	if (!m.ng)
		return end;
	for (size_t g0 = 0; g0 < m.ng; g0++) {
		if (g0 && !m.space[g0 - 1])
			continue;
		for (size_t g1 = m.ng; g1-- > g0;) {
			if (g1 + 1 < m.ng && !m.space[g1])
				continue;
			int what = num_what(c->s, &m, g0, g1);
			if (what < 0 || !(c->mask & (1u << what)))
				continue;
			hit(c, (unsigned)what, g0 ? m.gs[g0] : m.from, m.ge[g1]);
			g0 = g1;
			break;
		}
	}
	return end;
}

/* ---- e-mail, IPv6, IBAN ---- */

/* An e-mail address around the '@' at i: a local part, and a domain of labels with a dot and
 * a top-level label of two letters or more. Its end, or i + 1. */
static size_t scan_email(const struct scan *c, size_t i)
{
	const char *s = c->s;
	size_t from = i;
	while (from > 0 && (cl(s[from - 1]) & F_LOCAL))
		from--;
	from = redact_escape_end(s, c->n, from);
	while (from < i && s[from] == '.')
		from++;
	size_t to = run(s, c->n, i + 1, F_DOMAIN);
	while (to > i + 1 && (s[to - 1] == '.' || s[to - 1] == '-'))
		to--;
	size_t dot = to, tld = 0;
	while (dot > i + 1 && s[dot - 1] != '.')
		dot--, tld++;
	if (from == i || dot <= i + 2 || tld < 2 || memmem(s + i + 1, to - i - 1, "..", 2))
		return i + 1;
	for (size_t k = dot; k < to; k++)
		if (!(cl(s[k]) & (F_UPPER | F_LOWER)))
			return i + 1;
	hit(c, RD_EMAIL, from, to);
	return to;
}

#define IPV6_MAX 45 /* INET6_ADDRSTRLEN less its NUL: "::ffff:255.255.255.255" and longer */

/* An IPv6 address in the run of hex digits, colons and dots around the ':' at i: two colons
 * or more, a digit (so "cafe::face" and C++'s "a::b" are none), and inet_pton takes it. Its
 * end. */
static size_t scan_ipv6(const struct scan *c, size_t i)
{
	const char *s = c->s;
	size_t n = c->n, b = i, e = i;
	char a[IPV6_MAX + 1];
	unsigned char bin[16];
	const unsigned k = F_HEX;
	if (!((i + 1 < n && ((cl(s[i + 1]) & k) || s[i + 1] == ':')) || (i && (cl(s[i - 1]) & k))))
		return i + 1;
	while (b > 0 && i - b < IPV6_MAX &&
	       ((cl(s[b - 1]) & k) || s[b - 1] == ':' || s[b - 1] == '.'))
		b--;
	while (e < n && e - b < IPV6_MAX + 1 && ((cl(s[e]) & k) || s[e] == ':' || s[e] == '.'))
		e++;
	size_t end = e;
	while (e > i && s[e - 1] == '.')
		e--;
	if (e > i + 1 && s[e - 1] == ':' && s[e - 2] != ':')
		e--; /* "2001:db8::1: up" */
	if (e - b > IPV6_MAX || !word_start(s, n, b) || (e < n && (cl(s[e]) & F_ALNUM)))
		return end;
	size_t colons = 0, digits = 0;
	for (size_t j = b; j < e; j++)
		colons += s[j] == ':', digits += (cl(s[j]) & F_DIGIT) != 0;
	memcpy(a, s + b, e - b);
	a[e - b] = '\0';
	if (colons >= 2 && digits && inet_pton(AF_INET6, a, bin) == 1)
		hit(c, RD_IP, b, e);
	return end;
}

/* An IBAN at i (a word's start): country, check digits, then 11 to 30 capitals and digits,
 * written whole or in groups of four; the longest that passes mod-97. Lower case is left: banks
 * print IBANs in capitals. */
static void scan_iban(const struct scan *c, size_t i)
{
	const char *s = c->s;
	size_t n = c->n;
	char v[35];
	size_t ends[10], lens[10], ne = 0, len = 4, p = i + 4;
	const unsigned k = F_UPPER | F_DIGIT;
	if (i + 15 > n || !(cl(s[i + 1]) & F_UPPER) || !(cl(s[i + 2]) & F_DIGIT) ||
	    !(cl(s[i + 3]) & F_DIGIT))
		return;
	memcpy(v, s + i, 4);
	if (cl(s[p]) & k) { /* written whole */
		size_t e = run(s, n, p, k);
		if (e - i > 34 || !word_end(s, n, e))
			return;
		memcpy(v + 4, s + p, e - p);
		ends[ne] = e, lens[ne++] = e - i;
	} else { /* in groups of four, the last one shorter or not */
		while (p + 1 < n && s[p] == ' ' && (cl(s[p + 1]) & k) && ne < 10) {
			size_t e = run(s, n, p + 1, k), g = e - p - 1;
			if (g > 4 || len + g > 34 || !word_end(s, n, e))
				break;
			memcpy(v + len, s + p + 1, g);
			len += g;
			ends[ne] = e, lens[ne++] = len;
			if (g < 4)
				break;
			p = e;
		}
	}
	while (ne-- > 0)
		if (redact_iban_ok(v, lens[ne])) {
			hit(c, RD_IBAN, i, ends[ne]);
			return;
		}
}

/* ---- secrets ---- */

static bool prefix(const char *s, size_t n, size_t i, const char *p, size_t k)
{
	return i + k <= n && !memcmp(s + i, p, k);
}

/* Whether s[i..i+k) is p (lower case) in any case. */
static bool prefix_nocase(const char *s, size_t n, size_t i, const char *p, size_t k)
{
	if (i + k > n)
		return false;
	for (size_t j = 0; j < k; j++)
		if ((s[i + j] | 0x20) != p[j])
			return false;
	return true;
}

/* OpenAI's sk-..., sk-proj-... and Anthropic's sk-ant-... with 20 characters of body or more,
 * from the '-' at i. */
static size_t scan_sk(const struct scan *c, size_t i)
{
	const char *s = c->s;
	size_t n = c->n, e, b = i - 2;
	if (i < 2 || s[b] != 's' || s[b + 1] != 'k' || !word_start(s, n, b))
		return i + 1;
	if (prefix(s, n, i, "-ant-", 5)) {
		if ((e = run(s, n, i + 5, F_TOKEN)) - i - 5 >= 20)
			return hit(c, RD_ANTHROPIC, b, e), e;
	} else if ((e = run(s, n, i + 1, F_TOKEN)) - i - 1 >= 20) {
		return hit(c, RD_OPENAI, b, e), e;
	}
	return i + 1;
}

/* An AWS secret access key: the 40 base64 characters after a name that says so and a few
 * quotes, colons or equals signs; at is where the name ends ("...access_key", "AccessKey"). */
static size_t scan_aws_secret(const struct scan *c, size_t at)
{
	const char *s = c->s;
	size_t n = c->n, p = at;
	for (size_t skip = 0; p < n && skip < 8 && s[p] && strchr(" \t\"'\\:=", s[p]); skip++)
		p++;
	size_t e = run(s, n, p, F_B64);
	if (e - p != 40 || (e < n && s[e] == '='))
		return at;
	hit(c, RD_AWS_SECRET, p, e);
	return e;
}

/* At the separator i of a name ending "access_key", "access-key" (any case), or at the K of
 * "AccessKey" (i: its K, k 1): an AWS secret access key's name (aws_secret_access_key,
 * AWS_SECRET_ACCESS_KEY, SecretAccessKey ...). Where it ends, or 0. */
static size_t access_key(const char *s, size_t n, size_t i, size_t k)
{
	if (i < 6 || !prefix_nocase(s, n, i - 6, "access", 6) ||
	    !prefix_nocase(s, n, i + 1 - k, "key", 3) ||
	    !(i + 4 - k >= n || !(cl(s[i + 4 - k]) & F_ALNUM)))
		return 0;
	return i + 4 - k;
}

/* From the '_' at i: GitHub's ghp_, gho_, ghu_, ghs_, ghr_ (30 characters or more) and
 * github_pat_ (22 or more) tokens; an AWS secret after its name. */
static size_t scan_under(const struct scan *c, size_t i)
{
	const char *s = c->s;
	size_t n = c->n, e;
	if ((c->mask & 1u << RD_GITHUB) && i >= 3 && s[i - 3] == 'g' && s[i - 2] == 'h' &&
	    strchr("pousr", s[i - 1]) && s[i - 1] && word_start(s, n, i - 3) &&
	    (e = run(s, n, i + 1, F_ALNUM)) - i - 1 >= 30 && word_end(s, n, e))
		return hit(c, RD_GITHUB, i - 3, e), e;
	if ((c->mask & 1u << RD_GITHUB) && i >= 6 && prefix(s, n, i - 6, "github_pat_", 11) &&
	    word_start(s, n, i - 6) && (e = run(s, n, i + 5, F_TOKEN)) - i - 5 >= 22)
		return hit(c, RD_GITHUB, i - 6, e), e;
	if ((c->mask & 1u << RD_AWS_SECRET) && (e = access_key(s, n, i, 0)))
		return scan_aws_secret(c, e);
	return i + 1;
}

/* A JSON Web Token from the J of its "eyJ": header and payload, both JSON objects in
 * base64url, and the signature (RFC 7519 section 7.2). */
static size_t scan_jwt(const struct scan *c, size_t j)
{
	const char *s = c->s;
	size_t n = c->n, i = j - 2;
	if (j < 2 || s[i] != 'e' || s[i + 1] != 'y' || !word_start(s, n, i))
		return j + 1;
	size_t h = run(s, n, i, F_TOKEN);
	if (h - i < 10 || h >= n || s[h] != '.' || !prefix(s, n, h + 1, "eyJ", 3))
		return j + 1;
	size_t p = run(s, n, h + 1, F_TOKEN);
	if (p - h - 1 < 10 || p >= n || s[p] != '.')
		return j + 1;
	size_t e = run(s, n, p + 1, F_TOKEN);
	hit(c, RD_JWT, i, e);
	return e;
}

/* "Bearer" (any case) at i and a token of 12 characters or more with a digit in it (RFC 6750's
 * b64token, so "bearer instruments" is none): the token, not the word. */
static size_t scan_bearer(const struct scan *c, size_t i)
{
	const char *s = c->s;
	size_t n = c->n, t = i + 6;
	if (!prefix_nocase(s, n, i, "bearer", 6) || t >= n || (s[t] != ' ' && s[t] != '\t') ||
	    !word_start(s, n, i))
		return i + 1;
	while (t < n && (s[t] == ' ' || s[t] == '\t'))
		t++;
	size_t e = run(s, n, t, F_T68), digits = 0;
	while (e < n && s[e] == '=')
		e++;
	while (e > t && s[e - 1] == '.')
		e--;
	for (size_t k = t; k < e; k++)
		digits += (cl(s[k]) & F_DIGIT) != 0;
	if (e - t < 12 || !digits)
		return i + 1;
	hit(c, RD_BEARER, t, e);
	return e;
}

/* At a capital i: an IBAN, an AWS access key id (AKIA, ASIA, ABIA or ACCA and 16 capitals and
 * digits), "Bearer", the J of a JWT, the K of "AccessKey". */
static size_t scan_cap(const struct scan *c, size_t i)
{
	const char *s = c->s;
	size_t n = c->n, e;
	char a = s[i], b = i + 1 < n ? s[i + 1] : 0;
	if (a == 'J' && (c->mask & 1u << RD_JWT))
		return scan_jwt(c, i);
	if (a == 'K' && (c->mask & 1u << RD_AWS_SECRET) && (e = access_key(s, n, i, 1)))
		return scan_aws_secret(c, e);
	if (a == 'B' && (b | 0x20) == 'e' && (c->mask & 1u << RD_BEARER) &&
	    (e = scan_bearer(c, i)) > i + 1)
		return e;
	if (a == 'A' && (b == 'K' || b == 'S' || b == 'B' || b == 'C') &&
	    (c->mask & 1u << RD_AWS_KEY) && word_start(s, n, i) &&
	    (prefix(s, n, i, "AKIA", 4) || prefix(s, n, i, "ASIA", 4) ||
	     prefix(s, n, i, "ABIA", 4) || prefix(s, n, i, "ACCA", 4)) &&
	    (e = run(s, n, i + 4, F_UPPER | F_DIGIT)) == i + 20 && word_end(s, n, e))
		return hit(c, RD_AWS_KEY, i, e), e;
	if ((cl(b) & F_UPPER) && i + 3 < n && (cl(s[i + 2]) & F_DIGIT) &&
	    (cl(s[i + 3]) & F_DIGIT) && (c->mask & 1u << RD_IBAN) && word_start(s, n, i))
		scan_iban(c, i);
	return i + 1;
}

/* From the '-' at i: an OpenAI or Anthropic key, or an AWS secret after "access-key". */
static size_t scan_dash(const struct scan *c, size_t i)
{
	size_t e;
	if ((c->mask & (1u << RD_OPENAI | 1u << RD_ANTHROPIC)) && (e = scan_sk(c, i)) > i + 1)
		return e;
	if ((c->mask & 1u << RD_AWS_SECRET) && (e = access_key(c->s, c->n, i, 0)))
		return scan_aws_secret(c, e);
	return i + 1;
}

/* ---- the pass ---- */

/* The first look of each trigger the detectors of mask need. */
static unsigned wanted(unsigned mask)
{
	unsigned want = 0;
	if (mask & 1u << RD_EMAIL)
		want |= T_AT;
	if (mask & (1u << RD_PHONE | 1u << RD_CARD | 1u << RD_IP))
		want |= T_NUM;
	if (mask & 1u << RD_IP)
		want |= T_COLON;
	if (mask & (1u << RD_IBAN | 1u << RD_AWS_KEY | 1u << RD_AWS_SECRET | 1u << RD_BEARER |
		    1u << RD_JWT))
		want |= T_CAP;
	if (mask & 1u << RD_BEARER)
		want |= T_B;
	if (mask & (1u << RD_OPENAI | 1u << RD_ANTHROPIC | 1u << RD_AWS_SECRET))
		want |= T_DASH;
	if (mask & (1u << RD_GITHUB | 1u << RD_AWS_SECRET))
		want |= T_UNDER;
	return want;
}

/* 16 bytes at a time, in the compiler's vectors (SSE2, NEON; plain code elsewhere): a first
 * look for the blocks that may hold a byte trig marks, which most blocks of a text pass whole:
 * 3.3 instructions a byte of bench/ingest.mjs's inputs with every detector on where the table
 * alone took 8.2 (callgrind). A compare a class of trig took 4.9, and a look that weighed each
 * byte with the bytes beside it (a capital no capital follows, a '-' after no "sk") 12.5. */
typedef uint8_t v16 __attribute__((vector_size(16)));

/* Whether a block of 16 bytes at s may hold a byte that begins something: one of
 * '(' to '_' (digits, '+', ':', '@', capitals, '-', '_', and punctuation that begins nothing)
 * or 'b'. Two compares and one more instead of one a class: the table then looks at the
 * blocks this lets through. */
static inline bool vmaybe(const char *s)
{
	v16 x;
	uint64_t lo, hi;
	memcpy(&x, s, 16);
	x = (v16)((v16)(x - '(') < ('_' - '(' + 1)) | (v16)(x == 'b');
	memcpy(&lo, &x, 8);
	memcpy(&hi, (char *)&x + 8, 8);
	return lo | hi;
}

/* The first byte from i that begins something want asks for (trig), or n. */
static size_t next_trigger(const char *s, size_t n, size_t i, unsigned want)
{
	for (;;) {
		while (i + 16 <= n && !vmaybe(s + i))
			i += 16;
		size_t end = i + 16 < n ? i + 16 : n;
		while (i < end && !(trig[(unsigned char)s[i]] & want))
			i++;
		if (i < end || end == n)
			return i;
	}
}

bool redact_ascii(const char *s, size_t n)
{
	v16 any = {0};
	size_t i = 0;
	for (; i + 16 <= n; i += 16) {
		v16 x;
		memcpy(&x, s + i, 16);
		any |= x;
	}
	uint64_t lo, hi;
	memcpy(&lo, &any, 8);
	memcpy(&hi, (char *)&any + 8, 8);
	bool high = (lo | hi) & 0x8080808080808080ull;
	while (!high && i < n)
		high = s[i++] & 0x80;
	return !high;
}

void redact_detect(const char *s, size_t n, unsigned mask, redact_hit_fn *fn, void *ctx)
{
	const struct scan c = {s, n, mask, fn, ctx};
	const unsigned want = wanted(mask);
	for (size_t i = 0; i < n;) {
		i = next_trigger(s, n, i, want);
		if (i == n)
			break;
		switch (trig[(unsigned char)s[i]]) {
		case T_AT:
			i = scan_email(&c, i);
			break;
		case T_COLON:
			i = scan_ipv6(&c, i);
			break;
		case T_NUM:
			i = word_start(s, n, i) ? scan_number(&c, i) : i + 1;
			break;
		case T_CAP:
			i = scan_cap(&c, i);
			break;
		case T_B:
			i = (i + 1 < n && s[i + 1] == 'e') ? scan_bearer(&c, i) : i + 1;
			break;
		case T_DASH:
			i = scan_dash(&c, i);
			break;
		default:
			i = scan_under(&c, i);
		}
	}
}

size_t redact_normal(unsigned det, const char *s, size_t n, char *out)
{
	size_t k = 0;
	char a[IPV6_MAX + 1], canon[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	switch (det) {
	case RD_EMAIL:
		for (size_t i = 0; i < n; i++)
			out[k++] = (cl(s[i]) & F_UPPER) ? (char)(s[i] | 0x20) : s[i];
		break;
	case RD_PHONE:
	case RD_CARD:
	case RD_IBAN:
		for (size_t i = 0; i < n; i++)
			if ((cl(s[i]) & (F_DIGIT | F_UPPER)) || (s[i] == '+' && det == RD_PHONE))
				out[k++] = s[i];
		break;
	case RD_IP:
		if (n <= IPV6_MAX) {
			int af = memchr(s, ':', n) ? AF_INET6 : AF_INET;
			memcpy(a, s, n);
			a[n] = '\0';
			/* inet_pton refuses IPv4's leading zeros; "010.1.1.1" stays as written */
			if (inet_pton(af, a, bin) == 1 && inet_ntop(af, bin, canon, sizeof canon) &&
			    strlen(canon) <= n) {
				k = strlen(canon);
				memcpy(out, canon, k);
				break;
			}
		}
		/* fall through */
	default:
		memcpy(out, s, n);
		k = n;
	}
	out[k] = '\0';
	return k;
}
