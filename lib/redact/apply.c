/* apply: the rules on the texts of a span and of a judgement: which rules apply to a text (its
 * place, its key, the workspace), what the detectors and patterns find in it, and the text
 * rebuilt with each find replaced by its rule's tag or keyed hash. Finds of several rules that
 * overlap are one replacement: the one that starts first, then the longest, then the rule
 * written first. */
#include "lib/redact/rules.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"

#define PATTERN_HIT RD__COUNT /* the det of a pattern's find */

struct found {
	size_t from, to;
	unsigned rule, det;
};

/* One span's or judgement's redaction. */
struct ctx {
	const struct redact_rules *r;
	struct arena *a;
	bool *ws_ok; /* per rule: it applies in this workspace */
	struct found *v;
	size_t n, cap;
	unsigned rule_of[RD__COUNT]; /* per detector, the rule that applies to the text */
	unsigned pattern_rule;	     /* the rule whose pattern is scanning */
	char key[REDACT_MAX_KEYPATH];
	size_t keylen;
	size_t count; /* values replaced */
};

static void ctx_init(struct ctx *c, const struct redact_rules *r, struct arena *a, const char *ws)
{
	memset(c, 0, sizeof *c);
	c->r = r;
	c->a = a;
	c->ws_ok = xcalloc(r->n ? r->n : 1, sizeof *c->ws_ok);
	for (size_t i = 0; i < r->n; i++) {
		c->ws_ok[i] = !r->v[i].nws;
		for (size_t k = 0; k < r->v[i].nws && !c->ws_ok[i]; k++)
			c->ws_ok[i] = ws && !strcmp(r->v[i].workspaces[k], ws);
	}
}

static void ctx_free(struct ctx *c)
{
	free(c->ws_ok);
	free(c->v);
}

/* Whether rule i applies to a value of place p with key (NULL: one that has none). */
static bool applies(const struct ctx *c, size_t i, enum redact_place p, const char *key)
{
	const struct redact_rule *r = &c->r->v[i];
	if (!(r->places & 1u << p) || !c->ws_ok[i])
		return false;
	if (!r->nkeys)
		return true;
	for (size_t k = 0; key && k < r->nkeys; k++)
		if (!fnmatch(r->keys[k], key, 0))
			return true;
	return false;
}

static void add(struct ctx *c, unsigned rule, unsigned det, size_t from, size_t to)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n++] = (struct found){from, to, rule, det};
}

static void on_detect(void *ctx, unsigned det, size_t from, size_t to)
{
	struct ctx *c = ctx;
	add(c, c->rule_of[det], det, from, to);
}

static void on_pattern(void *ctx, unsigned pattern, size_t from, size_t to)
{
	struct ctx *c = ctx;
	(void)pattern;
	add(c, c->pattern_rule, PATTERN_HIT, from, to);
}

static int cmp_found(const void *x, const void *y)
{
	const struct found *a = x, *b = y;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to > b->to ? -1 : 1;
	return (a->rule > b->rule) - (a->rule < b->rule);
}

/* What the rules that apply find in s[0..n) (place p, key), into c->v: sorted, moved out of
 * JSON escapes, none overlapping. */
static void find(struct ctx *c, enum redact_place p, const char *key, const char *s, size_t n)
{
	unsigned mask = 0;
	c->n = 0;
	for (size_t i = 0; i < c->r->n; i++) {
		const struct redact_rule *r = &c->r->v[i];
		if (r->what == RW_VALUE || !applies(c, i, p, key))
			continue;
		if (r->what == RW_DETECT) {
			for (unsigned d = 0; d < RD__COUNT; d++)
				if ((r->detectors & ~mask) & 1u << d)
					c->rule_of[d] = (unsigned)i;
			mask |= r->detectors;
			continue;
		}
		c->pattern_rule = (unsigned)i;
		if (!redact_matcher_scan(c->r->m, r->pattern, s, n, on_pattern, c)) {
			c->n = 0; /* the engine gave up: the whole text goes, never a part */
			add(c, (unsigned)i, PATTERN_HIT, 0, n);
			return;
		}
	}
	if (mask)
		redact_detect(s, n, mask, on_detect, c);
	size_t k = 0, at = 0;
	for (size_t i = 0; i < c->n; i++) {
		c->v[i].from = redact_escape_end(s, n, c->v[i].from);
		c->v[i].to = redact_escape_end(s, n, c->v[i].to);
	}
	qsort(c->v, c->n, sizeof *c->v, cmp_found);
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].from >= at && c->v[i].to > c->v[i].from) {
			c->v[k++] = c->v[i];
			at = c->v[i].to;
		}
	c->n = k;
}

/* ---- replacements ---- */

#define NORMAL_MAX 256 /* bytes of a find normalised before its hash; a longer one as it is */

/* The replacement of rule r for s[0..n) (found by det) into out (room for
 * REDACT_MAX_TAG + REDACT_HASH_MAX + 2 bytes), or only its length when out is NULL. */
static size_t replacement(const struct redact_rules *rs, const struct redact_rule *r, unsigned det,
			  const char *s, size_t n, char *out)
{
	size_t tl = strlen(r->tag);
	bool bracket = tl && r->tag[tl - 1] == ']';
	if (!r->hash || !rs->keyed) {
		if (out)
			memcpy(out, r->tag, tl);
		return tl;
	}
	size_t len = tl + 1 + (size_t)r->hash;
	if (!out)
		return len;
	char normal[NORMAL_MAX];
	if (det < RD__COUNT && n < NORMAL_MAX)
		n = redact_normal(det, s, n, normal), s = normal;
	struct hmac_sha256_ctx h = rs->hmac;
	uint8_t d[SHA256_DIGEST_SIZE];
	hmac_sha256_update(&h, n, (const uint8_t *)s);
	hmac_sha256_digest(&h, sizeof d, d);
	/* Letters a to p, four bits each: no detector reads a hash as a number or a key. */
	size_t at = bracket ? tl - 1 : tl;
	memcpy(out, r->tag, at);
	out[at++] = ':';
	for (int i = 0; i < r->hash; i++)
		out[at++] = (char)('a' + ((d[i / 2] >> (i % 2 ? 0 : 4)) & 15));
	if (bracket)
		out[at++] = ']';
	return at;
}

/* s[0..n) with c->v's finds replaced, in the arena; *outlen its length. */
static char *rebuild(struct ctx *c, const char *s, size_t n, size_t *outlen)
{
	size_t len = n;
	for (size_t i = 0; i < c->n; i++)
		len = len - (c->v[i].to - c->v[i].from) +
		      replacement(c->r, &c->r->v[c->v[i].rule], c->v[i].det, NULL, 0, NULL);
	char *out = arena_alloc(c->a, len + 1), *w = out;
	size_t at = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct found *f = &c->v[i];
		memcpy(w, s + at, f->from - at);
		w += f->from - at;
		w += replacement(c->r, &c->r->v[f->rule], f->det, s + f->from, f->to - f->from, w);
		at = f->to;
	}
	memcpy(w, s + at, n - at);
	w[n - at] = '\0';
	*outlen = len;
	return out;
}

/* s (place p, key) redacted, or s itself. */
static const char *text(struct ctx *c, enum redact_place p, const char *key, const char *s,
			size_t n, size_t *outlen)
{
	*outlen = n;
	find(c, p, key, s, n);
	if (!c->n)
		return s;
	c->count++;
	return rebuild(c, s, n, outlen);
}

/* ---- values with keys ---- */

/* Whether s[0..n) is what rule r replaces a value with (a version stored before, merged again:
 * a hash of a hash would no longer join). */
static bool is_replacement(const struct redact_rule *r, const char *s, size_t n)
{
	size_t tl = strlen(r->tag), at = tl && r->tag[tl - 1] == ']' ? tl - 1 : tl;
	if (!r->hash)
		return n == tl && !memcmp(s, r->tag, tl);
	if (n != tl + 1 + (size_t)r->hash || memcmp(s, r->tag, at) || s[at] != ':' ||
	    (at < tl && s[n - 1] != ']'))
		return false;
	for (size_t i = at + 1; i < at + 1 + (size_t)r->hash; i++)
		if (s[i] < 'a' || s[i] > 'p')
			return false;
	return true;
}

/* The first value rule that applies to key (place p), or -1. */
static long value_rule(const struct ctx *c, enum redact_place p, const char *key)
{
	for (size_t i = 0; i < c->r->n; i++)
		if (c->r->v[i].what == RW_VALUE && applies(c, i, p, key))
			return (long)i;
	return -1;
}

/* The whole of value v (its text, or its JSON) replaced by rule i, as a new string. */
static json_t *value_replaced(struct ctx *c, size_t i, json_t *v)
{
	char buf[REDACT_MAX_TAG + REDACT_HASH_MAX + 2];
	char *dump = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	const char *s = dump ? dump : json_is_string(v) ? json_string_value(v) : "";
	size_t n = json_is_string(v) ? json_string_length(v) : strlen(s);
	size_t len = replacement(c->r, &c->r->v[i], PATTERN_HIT, s, n, buf);
	free(dump);
	c->count++;
	return json_stringn(buf, len);
}

/* Enters key k below the current key path; what to leave with. */
static size_t key_push(struct ctx *c, const char *k)
{
	size_t was = c->keylen;
	int w = snprintf(c->key + was, sizeof c->key - was, "%s%s", was ? "." : "", k);
	c->keylen = w < 0			      ? was
		    : was + (size_t)w < sizeof c->key ? was + (size_t)w
						      : sizeof c->key - 1;
	return was;
}

static void key_pop(struct ctx *c, size_t was)
{
	c->keylen = was;
	c->key[was] = '\0';
}

/* spandex's own markers in raw_attributes ("spandex.cost", "spandex.deleted" ...) stay. */
#define OWN_PREFIX "spandex."

static void walk(struct ctx *c, json_t *v, enum redact_place p);

/* Member it of object o (place p): replaced whole when a value rule names its key (unless it
 * is that rule's replacement already), else walked. */
static void member(struct ctx *c, json_t *o, void *it, enum redact_place p)
{
	json_t *m = json_object_iter_value(it);
	long i = value_rule(c, p, c->key);
	if (i < 0)
		walk(c, m, p);
	else if (!json_is_string(m) ||
		 !is_replacement(&c->r->v[i], json_string_value(m), json_string_length(m)))
		json_object_iter_set_new(o, it, value_replaced(c, (size_t)i, m));
}

/* Every string below v (place p, under the current key path) redacted in place; a value whose
 * key a value rule names replaced whole. */
static void walk(struct ctx *c, json_t *v, enum redact_place p)
{
	if (json_is_string(v)) {
		size_t n;
		const char *s = json_string_value(v);
		const char *r = text(c, p, c->keylen ? c->key : "", s, json_string_length(v), &n);
		if (r != s)
			json_string_setn(v, r, n);
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			walk(c, json_array_get(v, i), p);
	} else if (json_is_object(v)) {
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			const char *k = json_object_iter_key(it);
			if (!c->keylen && !strncmp(k, OWN_PREFIX, sizeof OWN_PREFIX - 1))
				continue;
			size_t was = key_push(c, k);
			member(c, v, it, p);
			key_pop(c, was);
		}
	}
}

/* The JSON field v, its keys below prefix (NULL: none). */
static void json_field(struct ctx *c, enum redact_place p, const char *prefix, json_t *v)
{
	if (!v)
		return;
	size_t was = prefix ? key_push(c, prefix) : c->keylen;
	walk(c, v, p);
	key_pop(c, was);
}

/* A string field *f of place p; key names it for keys= and value rules (NULL: it has none). */
static void str_field(struct ctx *c, enum redact_place p, const char *key, const char **f)
{
	size_t n;
	if (!*f)
		return;
	long i = key ? value_rule(c, p, key) : -1;
	if (i >= 0 && is_replacement(&c->r->v[i], *f, strlen(*f)))
		return;
	if (i >= 0) {
		char buf[REDACT_MAX_TAG + REDACT_HASH_MAX + 2];
		n = replacement(c->r, &c->r->v[i], PATTERN_HIT, *f, strlen(*f), buf);
		*f = arena_strndup(c->a, buf, n);
		c->count++;
		return;
	}
	*f = text(c, p, key, *f, strlen(*f), &n);
}

/* ---- the entry points ---- */

size_t redact_span(const struct redact_rules *r, struct arena *a, const char *ws, struct span *s)
{
	struct ctx c;
	if (!r || !r->n)
		return 0;
	ctx_init(&c, r, a, ws);
	str_field(&c, RP_INPUT, NULL, &s->input);
	str_field(&c, RP_OUTPUT, NULL, &s->output);
	str_field(&c, RP_NAME, NULL, &s->name);
	str_field(&c, RP_ATTRIBUTES, "error_type", &s->str[SS_ERROR_TYPE]);
	str_field(&c, RP_ATTRIBUTES, "error_message", &s->str[SS_ERROR_MESSAGE]);
	json_field(&c, RP_ATTRIBUTES, NULL, s->raw_attributes);
	json_field(&c, RP_ATTRIBUTES, "evaluation_context", s->evaluation_context);
	json_field(&c, RP_ATTRIBUTES, "usage_details", s->usage_details);
	json_field(&c, RP_ATTRIBUTES, "cost_details", s->cost_details);
	ctx_free(&c);
	return c.count;
}

size_t redact_judgement(const struct redact_rules *r, struct arena *a, const char *ws,
			struct judgement *j)
{
	struct ctx c;
	if (!r || !r->n)
		return 0;
	ctx_init(&c, r, a, ws);
	str_field(&c, RP_JUDGEMENTS, "text", &j->text);
	str_field(&c, RP_JUDGEMENTS, "error", &j->error);
	/* A text result's label is free text (NeMo's string_value), a category's a name a person
	 * chose; a boolean's word and a thread's state are spandex's own, and stay. */
	if (j->kind == JK_TEXT || j->kind == JK_CATEGORY)
		str_field(&c, RP_JUDGEMENTS, "label", &j->label);
	json_field(&c, RP_JUDGEMENTS, NULL, j->payload);
	ctx_free(&c);
	return c.count;
}

const char *redact_text(const struct redact_rules *r, struct arena *a, const char *ws,
			enum redact_place p, const char *key, const char *text_, size_t len,
			size_t *outlen, size_t *n)
{
	struct ctx c;
	const char *out = text_;
	*outlen = len;
	if (n)
		*n = 0;
	if (!r || !r->n)
		return out;
	ctx_init(&c, r, a, ws);
	long i = key ? value_rule(&c, p, key) : -1;
	if (i >= 0) {
		char buf[REDACT_MAX_TAG + REDACT_HASH_MAX + 2];
		*outlen = replacement(r, &r->v[i], PATTERN_HIT, text_, len, buf);
		out = arena_strndup(a, buf, *outlen);
		c.count = 1;
	} else {
		out = text(&c, p, key, text_, len, outlen);
	}
	if (n)
		*n = i >= 0 ? 1 : c.n;
	ctx_free(&c);
	return out;
}
