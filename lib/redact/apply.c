/* apply: the rules on the texts of a span and of a judgement. The texts are gathered first
 * (each with the rules that apply to it: its place, its key, the workspace), joined in one
 * buffer with a NUL between them, and scanned once by the detectors and once by each pattern
 * that can match (prefilter.c): one call of each over a span rather than one per text
 * (bench/redact_bench: PCRE2's 14 patterns of bench/redact20.rules 6.2 us a span joined, 8.3
 * text by text; BENCHMARKS-HISTORY.md, "Redaction rules, 2026-11-27 (issue 52)"). A find is then
 * given to its text and to the first rule written that applies there, and each text is rebuilt with
 * its finds replaced by their rules' tags or keyed hashes. Finds that overlap are one replacement:
 * the one that starts first, then the longest, then the rule written first. */
#include "lib/redact/internal.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/base/utf8.h"

#define PATTERN_HIT RD__COUNT /* the det of a pattern's find */
#define RULE_WORDS (REDACT_MAX_RULES / 64)
#define REPLACEMENT_MAX (REDACT_MAX_TAG + REDACT_HASH_MAX + 2)

struct found {
	size_t from, to; /* in the buffer, then in the text */
	unsigned rule, det;
};

/* A text gathered: where it is in the buffer, the rules that apply to it, and where its
 * redacted version goes (a string field, or a JSON string). */
struct seg {
	size_t at, len;
	enum redact_place p;
	uint64_t rules[RULE_WORDS];
	const char **field;
	json_t *json;
};

/* One span's or judgement's redaction. */
struct ctx {
	const struct redact_rules *r;
	struct arena *a;
	uint64_t ws_ok[RULE_WORDS]; /* the rules that apply in this workspace */
	struct buf text;	    /* the texts, each followed by a NUL */
	struct seg *segs;
	size_t nsegs, capsegs;
	struct found *v;
	size_t n, cap;
	unsigned pattern_rule; /* the rule whose pattern is scanning */
	size_t base;	       /* where the text being scanned alone starts in the buffer */
	char key[REDACT_MAX_KEYPATH];
	size_t keylen;
	size_t count; /* values replaced */
	size_t finds; /* finds replaced */
};

/* The buffers of the last redaction, kept for the next: a span's texts, found again and again,
 * cost no malloc (a FastCGI worker redacts one span after another, in one thread). What grew
 * past SCRATCH_KEEP for one large span is let go. */
#define SCRATCH_KEEP (1u << 20)
static struct {
	struct buf text;
	struct seg *segs;
	size_t capsegs;
	struct found *v;
	size_t cap;
} scratch;

static void ctx_init(struct ctx *c, const struct redact_rules *r, struct arena *a, const char *ws)
{
	memset(c, 0, sizeof *c);
	c->r = r;
	c->a = a;
	c->text = scratch.text;
	c->text.len = 0;
	c->segs = scratch.segs;
	c->capsegs = scratch.capsegs;
	c->v = scratch.v;
	c->cap = scratch.cap;
	memset(&scratch, 0, sizeof scratch);
	for (size_t w = 0; w < RULE_WORDS; w++)
		c->ws_ok[w] = ~r->scoped[w];
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < r->v[i].nws; k++)
			if (ws && !strcmp(r->v[i].workspaces[k], ws))
				c->ws_ok[i / 64] |= 1ull << (i % 64);
}

static void ctx_free(struct ctx *c)
{
	buf_scratch_done(&c->text, SCRATCH_KEEP);
	scratch.text = c->text;
	scratch.segs = c->segs;
	scratch.capsegs = c->capsegs;
	scratch.v = c->v;
	scratch.cap = c->cap;
}

static inline bool has(const uint64_t *set, size_t i)
{
	return set[i / 64] >> (i % 64) & 1;
}

/* Whether one of rule r's keys= globs matches key. */
static bool key_matches(const struct redact_rule *r, const char *key)
{
	for (size_t k = 0; key && k < r->nkeys; k++)
		if (!fnmatch(r->keys[k], key, 0))
			return true;
	return false;
}

/* Into set, the rules but value rules that apply to a value of place p with key (NULL: one
 * that has none); whether there is one. */
static bool rules_for(const struct ctx *c, enum redact_place p, const char *key, uint64_t *set)
{
	uint64_t any = 0;
	for (size_t w = 0; w < RULE_WORDS; w++) {
		uint64_t keyed = key ? c->r->keyed[w] & c->ws_ok[w] : 0;
		set[w] = c->r->plain[p][w] & c->ws_ok[w];
		for (; keyed; keyed &= keyed - 1) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(keyed);
			if ((c->r->v[i].places & 1u << p) && key_matches(&c->r->v[i], key))
				set[w] |= 1ull << (i % 64);
		}
		any |= set[w];
	}
	return any != 0;
}

/* ---- replacements ---- */

#define NORMAL_MAX 256 /* bytes of a find normalised before its hash; a longer one as it is */

/* The replacement of rule r for s[0..n) (found by det) into out (room for REPLACEMENT_MAX
 * bytes), or only its length when out is NULL. */
static size_t replacement(const struct redact_rules *rs, const struct redact_rule *r, unsigned det,
			  const char *s, size_t n, char *out)
{
	size_t tl = strlen(r->tag);
	bool bracket = tl && r->tag[tl - 1] == ']';
	if (!r->hash || !rs->has_key) {
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

/* The whole of s[0..n) replaced by rule i, in the arena. */
static const char *whole(struct ctx *c, size_t i, const char *s, size_t n, size_t *outlen)
{
	char buf[REPLACEMENT_MAX];
	*outlen = replacement(c->r, &c->r->v[i], PATTERN_HIT, s, n, buf);
	c->count++;
	return arena_strndup(c->a, buf, *outlen);
}

/* ---- gathering ---- */

/* The first value rule that applies to key (place p), or -1. */
static long value_rule(const struct ctx *c, enum redact_place p, const char *key)
{
	for (size_t w = 0; key && w < RULE_WORDS; w++)
		for (uint64_t v = c->r->values[p][w] & c->ws_ok[w]; v; v &= v - 1) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(v);
			if (key_matches(&c->r->v[i], key))
				return (long)i;
		}
	return -1;
}

/* Sets the text s (place p, key) to be scanned, or replaces it at once: whole when a value rule
 * names its key, or by the first rule that applies when it is not UTF-8 and the rules have a
 * pattern: PCRE2 reads the joined texts as UTF-8 unchecked (stored strings are UTF-8: this is
 * a guard, never the way). Its redacted version goes to *field or json. */
static void gather(struct ctx *c, enum redact_place p, const char *key, const char *s, size_t n,
		   const char **field, json_t *json)
{
	struct seg g = {.p = p, .field = field, .json = json};
	long v = value_rule(c, p, key);
	bool any = v < 0 && rules_for(c, p, key, g.rules);
	if (any && c->r->npatterns && !redact_ascii(s, n) && !utf8_valid(s, n))
		for (size_t w = 0; v < 0; w++)
			if (g.rules[w])
				v = (long)(w * 64) + __builtin_ctzll(g.rules[w]);
	if (v >= 0 && !is_replacement(&c->r->v[v], s, n)) {
		size_t len;
		const char *r = whole(c, (size_t)v, s, n, &len);
		if (field)
			*field = r;
		else
			json_string_setn(json, r, len);
		return;
	}
	if (v >= 0 || !any)
		return;
	g.at = c->text.len;
	g.len = n;
	buf_add(&c->text, s, n);
	buf_addc(&c->text, '\0');
	if (c->nsegs == c->capsegs) {
		c->capsegs = c->capsegs ? 2 * c->capsegs : 16;
		c->segs = xrealloc(c->segs, c->capsegs * sizeof *c->segs);
	}
	c->segs[c->nsegs++] = g;
}

/* Enters key k below the current key path; what to leave with. */
static size_t key_push(struct ctx *c, const char *k)
{
	size_t was = c->keylen, n = strlen(k), room = sizeof c->key - 1 - was;
	if (was && room) {
		c->key[c->keylen++] = '.';
		room--;
	}
	n = n < room ? n : room;
	memcpy(c->key + c->keylen, k, n);
	c->keylen += n;
	c->key[c->keylen] = '\0';
	return was;
}

static void key_pop(struct ctx *c, size_t was)
{
	c->keylen = was;
	c->key[was] = '\0';
}

/* spandex's own markers in raw_attributes ("spandex.cost", "spandex.deleted" ...) stay. */
#define OWN_PREFIX "spandex."

/* Every string below v (place p, under the current key path) gathered; a value whose key a
 * value rule names replaced whole (unless it is that rule's replacement already). */
static void walk(struct ctx *c, json_t *v, enum redact_place p)
{
	if (json_is_string(v)) {
		gather(c, p, c->key, json_string_value(v), json_string_length(v), NULL, v);
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			walk(c, json_array_get(v, i), p);
	} else if (json_is_object(v)) {
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			const char *k = json_object_iter_key(it);
			json_t *m = json_object_iter_value(it);
			if (!c->keylen && !strncmp(k, OWN_PREFIX, sizeof OWN_PREFIX - 1))
				continue;
			size_t was = key_push(c, k);
			long i = json_is_string(m) ? -1 : value_rule(c, p, c->key);
			if (i < 0) {
				walk(c, m, p);
			} else { /* a number, an object ...: its JSON replaced */
				char *dump = json_dumps(m, JSON_COMPACT | JSON_ENCODE_ANY);
				size_t len;
				const char *r = whole(c, (size_t)i, dump ? dump : "",
						      dump ? strlen(dump) : 0, &len);
				free(dump);
				json_object_iter_set_new(v, it, json_stringn(r, len));
			}
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
	if (*f)
		gather(c, p, key, *f, strlen(*f), f, NULL);
}

/* ---- scanning ---- */

static void add(struct ctx *c, unsigned rule, unsigned det, size_t from, size_t to)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n++] = (struct found){from, to, rule, det};
}

static void on_detect(void *ctx, unsigned det, size_t from, size_t to)
{
	add(ctx, 0, det, from, to); /* its rule is its text's */
}

static void on_pattern(void *ctx, unsigned pattern, size_t from, size_t to)
{
	struct ctx *c = ctx;
	(void)pattern;
	add(c, c->pattern_rule, PATTERN_HIT, c->base + from, c->base + to);
}

/* The text that holds byte at of the buffer. */
static size_t seg_of(const struct ctx *c, size_t at)
{
	size_t lo = 0, hi = c->nsegs;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (c->segs[mid].at <= at)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Pattern rule i over text k alone; where the engine gives up, the whole text is its find. */
static void scan_alone(struct ctx *c, size_t i, size_t k)
{
	const struct seg *g = &c->segs[k];
	size_t from = c->n;
	c->pattern_rule = (unsigned)i;
	c->base = g->at;
	if (!redact_matcher_scan(c->r->m, c->r->v[i].pattern, c->text.p + g->at, g->len, on_pattern,
				 c)) {
		c->n = from;
		add(c, (unsigned)i, PATTERN_HIT, g->at, g->at + g->len);
	}
}

/* Pattern rule i over the joined texts, then again alone over each text a match crossed out of
 * (a pattern that can match a NUL: \S, [^"], .), as if each text had been scanned alone; over
 * each text alone when the engine gave up on them joined. */
static void scan_joined(struct ctx *c, size_t i)
{
	size_t from = c->n;
	bool *redo = NULL;
	c->pattern_rule = (unsigned)i;
	c->base = 0;
	if (!redact_matcher_scan(c->r->m, c->r->v[i].pattern, c->text.p, c->text.len, on_pattern,
				 c)) {
		c->n = from;
		for (size_t k = 0; k < c->nsegs; k++)
			if (has(c->segs[k].rules, i))
				scan_alone(c, i, k);
		return;
	}
	for (size_t h = from; h < c->n; h++) {
		size_t k = seg_of(c, c->v[h].from);
		if (c->v[h].to <= c->segs[k].at + c->segs[k].len)
			continue;
		if (!redo)
			redo = xcalloc(c->nsegs, sizeof *redo);
		for (size_t j = k; j < c->nsegs && c->segs[j].at < c->v[h].to; j++)
			redo[j] = true;
	}
	if (!redo)
		return;
	size_t w = from; /* the finds in those texts go; they are found again alone */
	for (size_t h = from; h < c->n; h++)
		if (!redo[seg_of(c, c->v[h].from)])
			c->v[w++] = c->v[h];
	c->n = w;
	for (size_t k = 0; k < c->nsegs; k++)
		if (redo[k] && has(c->segs[k].rules, i))
			scan_alone(c, i, k);
	free(redo);
}

/* Every find in the joined texts: the detectors any text needs, in one pass; each pattern that
 * applies to a text, in one pass, or text by text when it looks past a text's ends. */
static void scan(struct ctx *c)
{
	uint64_t any[RULE_WORDS] = {0};
	unsigned mask = 0;
	for (size_t k = 0; k < c->nsegs; k++)
		for (size_t w = 0; w < RULE_WORDS; w++)
			any[w] |= c->segs[k].rules[w];
	for (size_t i = 0; i < c->r->n; i++)
		if (has(any, i) && c->r->v[i].what == RW_DETECT)
			mask |= c->r->v[i].detectors;
	if (mask)
		redact_detect(c->text.p, c->text.len, mask, on_detect, c);
	uint64_t maybe[RULE_WORDS];
	if (c->r->npatterns)
		redact_matcher_maybe(c->r->m, c->text.p, c->text.len, maybe);
	for (size_t i = 0; i < c->r->n; i++) {
		if (!has(any, i) || c->r->v[i].what != RW_PATTERN ||
		    !has(maybe, c->r->v[i].pattern))
			continue;
		if (!redact_matcher_local(c->r->m, c->r->v[i].pattern)) {
			scan_joined(c, i);
			continue;
		}
		for (size_t k = 0; k < c->nsegs; k++)
			if (has(c->segs[k].rules, i))
				scan_alone(c, i, k);
	}
}

/* ---- giving the finds to their texts ---- */

static int cmp_found(const void *x, const void *y)
{
	const struct found *a = x, *b = y;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to > b->to ? -1 : 1;
	return (a->rule > b->rule) - (a->rule < b->rule);
}

/* The rule of text g that a detector's find det falls to: the first written that applies to g
 * and names det; -1 when none does (the pass ran for another text). */
static long detector_rule(const struct ctx *c, const struct seg *g, unsigned det)
{
	for (size_t i = 0; i < c->r->n; i++)
		if (has(g->rules, i) && c->r->v[i].what == RW_DETECT &&
		    (c->r->v[i].detectors & 1u << det))
			return (long)i;
	return -1;
}

/* Text g rebuilt with its finds f[0..n) (sorted, none overlapping, in the text), in the
 * arena; written back to its field or JSON string. */
static void rebuild(struct ctx *c, const struct seg *g, const struct found *f, size_t n)
{
	const char *s = c->text.p + g->at;
	size_t len = g->len, at = 0;
	for (size_t i = 0; i < n; i++)
		len = len - (f[i].to - f[i].from) +
		      replacement(c->r, &c->r->v[f[i].rule], f[i].det, NULL, 0, NULL);
	char *out = arena_alloc(c->a, len + 1), *w = out;
	for (size_t i = 0; i < n; i++) {
		memcpy(w, s + at, f[i].from - at);
		w += f[i].from - at;
		w += replacement(c->r, &c->r->v[f[i].rule], f[i].det, s + f[i].from,
				 f[i].to - f[i].from, w);
		at = f[i].to;
	}
	memcpy(w, s + at, g->len - at);
	out[len] = '\0';
	if (g->field)
		*g->field = out;
	else
		json_string_setn(g->json, out, len);
	c->count++;
	c->finds += n;
}

/* The finds f[0..n) of text g (in buffer offsets): those whose rule applies there, in the
 * text's offsets, moved out of JSON escapes, sorted, none overlapping; then the text rebuilt. */
static void settle(struct ctx *c, const struct seg *g, struct found *f, size_t n)
{
	const char *s = c->text.p + g->at;
	size_t k = 0, at = 0;
	for (size_t i = 0; i < n; i++) {
		struct found x = f[i];
		long rule = x.det < RD__COUNT ? detector_rule(c, g, x.det) : (long)x.rule;
		if (rule < 0 || !has(g->rules, (size_t)rule))
			continue;
		x.rule = (unsigned)rule;
		x.from = redact_escape_end(s, g->len, x.from - g->at);
		x.to = redact_escape_end(s, g->len, x.to - g->at > g->len ? g->len : x.to - g->at);
		f[k++] = x;
	}
	xqsort(f, k, sizeof *f, cmp_found);
	n = k, k = 0;
	for (size_t i = 0; i < n; i++)
		if (f[i].from >= at && f[i].to > f[i].from) {
			f[k++] = f[i];
			at = f[i].to;
		}
	if (k)
		rebuild(c, g, f, k);
}

/* Every gathered text: scanned, its finds replaced. */
static void redact_gathered(struct ctx *c)
{
	if (!c->nsegs)
		return;
	scan(c);
	xqsort(c->v, c->n, sizeof *c->v, cmp_found);
	for (size_t k = 0, h = 0; k < c->nsegs && h < c->n; k++) {
		const struct seg *g = &c->segs[k];
		size_t first = h;
		while (h < c->n && c->v[h].from < g->at + g->len + 1)
			h++;
		settle(c, g, c->v + first, h - first);
	}
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
	redact_gathered(&c);
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
	/* A label is a person's or an evaluator's words (NeMo's string_value, a category, OTel's
	 * score label beside a number); a boolean's word and a thread's state are spandex's own,
	 * and stay. */
	if (j->kind != JK_BOOLEAN && j->kind != JK_STATE)
		str_field(&c, RP_JUDGEMENTS, "label", &j->label);
	json_field(&c, RP_JUDGEMENTS, NULL, j->payload);
	redact_gathered(&c);
	ctx_free(&c);
	return c.count;
}

const char *redact_text(const struct redact_rules *r, struct arena *a, const char *ws,
			enum redact_place p, const char *key, const char *text, size_t len,
			size_t *outlen, size_t *n)
{
	struct ctx c;
	const char *out = text;
	*outlen = len;
	if (n)
		*n = 0;
	if (!r || !r->n)
		return out;
	ctx_init(&c, r, a, ws);
	gather(&c, p, key, text, len, &out, NULL);
	redact_gathered(&c);
	if (out != text)
		*outlen = strlen(out);
	if (n)
		*n = c.finds ? c.finds : c.count;
	ctx_free(&c);
	return out;
}
