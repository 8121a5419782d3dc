/* otlp_jtext: an OTLP/JSON ExportTraceServiceRequest read from its text by jsonx's reader
 * (jsonx_rd_*), with no jansson tree of the body. The tree path built an object for every
 * KeyValue and every AnyValue of every attribute, then looked each member up again: of a
 * 1,000-span batch's 95.5M instructions, 29.6M were the parse and 10.6M the attributes read
 * back. Here the levels above the values (the request, resourceSpans, scopeSpans, a span, a
 * KeyValue and its AnyValue of one member) are walked in the text; every other value is built
 * as jsonx_parse builds it and given to the tree path's own rules (otlp_json.c), so each rule
 * has one copy. Anything this reader is not sure of returns false and the body goes to the
 * tree path, whose refusals are the API's. */
#include <string.h>

#include "lib/ingest/otlp_int.h"
#include "lib/json/jsonx.h"
#include "lib/base/arena.h"

/* Where a reader stands: enough to read a value again from its start (the reader's buffer
 * of unescaped strings is scratch). */
struct mark {
	size_t i, values;
	int depth;
};

static struct mark mark_of(const struct jsonx_rd *r)
{
	return (struct mark){.i = r->i, .values = r->values, .depth = r->depth};
}

static void mark_back(struct jsonx_rd *r, struct mark m)
{
	r->i = m.i;
	r->values = m.values;
	r->depth = m.depth;
}

/* The member name at r, its ':' taken, as one of names[0..n) (n when none is it); false when
 * no name follows. */
static bool member(struct jsonx_rd *r, const char *const *names, size_t n, size_t *m)
{
	const char *s;
	size_t len;

	if (!jsonx_rd_key(r, &s, &len))
		return false;
	/* The first byte tells the span's names apart but for two (spanId, startTimeUnixNano);
	 * a name holds no NUL, so strncmp's end and the name's are one test. */
	for (*m = 0; *m < n; (*m)++)
		if (len && names[*m][0] == s[0] && !strncmp(names[*m], s, len) && !names[*m][len])
			break;
	return true;
}

/* The next value built and let go: a member none of the rules reads (jsonx_parse would
 * build it, and count its values). */
static bool skip(struct jsonx_rd *r)
{
	json_t *v = jsonx_rd_value(r);

	json_decref(v);
	return v != NULL;
}

/* The next value built, through the tree path's rule for member m of the span. */
static bool span_value(struct dec *d, struct jsonx_rd *r, struct raw_span *s, size_t m)
{
	json_t *v = jsonx_rd_value(r);

	if (!v)
		return false;
	otlp_json_span_member(d, s, m, v);
	json_decref(v);
	return !d->failed;
}

/* A KeyValue written {"key":"<k>","value":{"<a member of AnyValue>":<v>}}: only v built, and
 * set into o by the tree path's rule for an AnyValue's members (otlp_json_any_members); 1 when
 * read, 0 (r where it was) when of another shape, -1 when the rule failed. */
static int kv_text(struct dec *d, struct jsonx_rd *r, json_t *o)
{
	struct mark at = mark_of(r);
	const char *k, *name;
	size_t kl, nl, a = OTLP_AV_N;
	json_t *m[OTLP_AV_N] = {NULL}, *v = NULL;

	if (jsonx_rd_open(r, '{') && jsonx_rd_name(r, "key", 3) && jsonx_rd_string(r, &k, &kl) &&
	    k >= r->p && k < r->p + r->n && /* in the text: the next string read reuses tmp */
	    jsonx_rd_more(r, '}', 1) == 1 && jsonx_rd_name(r, "value", 5) &&
	    jsonx_rd_open(r, '{') && jsonx_rd_key(r, &name, &nl))
		for (a = 0; a < OTLP_AV_N; a++)
			if (!strncmp(otlp_json_any_names[a], name, nl) &&
			    !otlp_json_any_names[a][nl])
				break;
	if (a == OTLP_AV_N || !(v = jsonx_rd_value(r)) || jsonx_rd_more(r, '}', 1) != 0 ||
	    jsonx_rd_more(r, '}', 1) != 0) {
		json_decref(v);
		mark_back(r, at);
		return 0;
	}
	m[a] = v;
	json_object_setn_new_nocheck(o, k, kl, otlp_json_any_members(d, m, 0));
	json_decref(v);
	return d->failed ? -1 : 1;
}

/* The elements of the array that comes next, each through one (k: its index); false when one
 * is false or the text is not JSON. */
static bool array(struct dec *d, struct jsonx_rd *r,
		  bool (*one)(struct dec *, struct jsonx_rd *, size_t, void *), void *ctx)
{
	if (!jsonx_rd_open(r, '['))
		return false;
	for (size_t k = 0;; k++) {
		int more = jsonx_rd_more(r, ']', k);
		if (more <= 0)
			return more == 0;
		if (!one(d, r, k, ctx))
			return false;
	}
}

/* One KeyValue of an attributes array into o, in order (js_kvs_into's rules). */
static bool kv_one(struct dec *d, struct jsonx_rd *r, size_t k, void *o)
{
	json_t *kv;
	bool ok;

	if (k == OTLP_MAX_ATTRS) /* the tree path refuses the list */
		return false;
	int plain = kv_text(d, r, o);
	if (plain)
		return plain > 0;
	kv = jsonx_rd_value(r);
	ok = kv && otlp_json_kv_into(d, o, kv, 0);
	json_decref(kv);
	return ok;
}

/* One member of a span: its text where it is of the common shape, else its value built. */
static bool span_member(struct dec *d, struct jsonx_rd *r, struct raw_span *s, size_t m)
{
	const char *t;
	size_t len;
	char c = jsonx_rd_peek(r);

	switch (m) {
	case OTLP_SP_TRACE:
	case OTLP_SP_SPAN:
	case OTLP_SP_PARENT:
		if (c != '"')
			break;
		if (!jsonx_rd_string(r, &t, &len))
			return false;
		otlp_json_id_text(t, len, m == OTLP_SP_TRACE ? 16 : 8,
				  m == OTLP_SP_TRACE  ? &s->trace
				  : m == OTLP_SP_SPAN ? &s->span
						      : &s->parent);
		return true;
	case OTLP_SP_NAME:
		if (c != '"')
			break;
		if (!jsonx_rd_string(r, &t, &len))
			return false;
		s->name = arena_strndup(d->a, t, len);
		return true;
	case OTLP_SP_ATTRS:
		if (c != '[')
			break;
		return array(d, r, kv_one, s->attrs);
	default:
		break;
	}
	return span_value(d, r, s, m);
}

/* The members of the object that comes next: each named in names[0..n) through one (m: its
 * index), any other built and let go; false when one is false or the text is not JSON. */
static bool object(struct dec *d, struct jsonx_rd *r, const char *const *names, size_t n,
		   bool (*one)(struct dec *, struct jsonx_rd *, size_t, void *), void *ctx)
{
	size_t m;

	if (!jsonx_rd_open(r, '{'))
		return false;
	for (size_t k = 0;; k++) {
		int more = jsonx_rd_more(r, '}', k);
		if (more <= 0)
			return more == 0;
		if (!member(r, names, n, &m) || !(m == n ? skip(r) : one(d, r, m, ctx)))
			return false;
	}
}

struct span_ctx {
	struct raw_span s;
	unsigned seen; /* bit m: member m read */
};

static bool span_one(struct dec *d, struct jsonx_rd *r, size_t m, void *ctx)
{
	struct span_ctx *c = ctx;

	/* A member twice: the tree keeps the last one, this reader gives up. */
	if (c->seen & 1u << m)
		return false;
	c->seen |= 1u << m;
	return span_member(d, r, &c->s, m);
}

static bool span(struct dec *d, struct jsonx_rd *r, json_t *res, json_t *scope)
{
	struct span_ctx c = {.seen = 0};
	bool ok;

	otlp_json_span_begin(&c.s, res, scope);
	ok = object(d, r, otlp_json_span_names, OTLP_SP_N, span_one, &c);
	/* What the text did not hold, as the tree path reads an absent member. */
	for (size_t m = 0; ok && m < OTLP_SP_N; m++)
		if (!(c.seen & 1u << m))
			otlp_json_span_member(d, &c.s, m, NULL);
	ok = ok && !d->failed;
	if (!ok)
		d->failed = true; /* given up: nothing mapped */
	otlp_json_span_end(d, &c.s);
	return ok;
}

/* A ResourceSpans or a ScopeSpans: its head (the resource, the scope) by the tree path's rule
 * before its list (the scopeSpans, the spans), as the tree path reads them; a head after its
 * list, or either twice, the text is not sure of. */
struct level {
	json_t *(*rule)(struct dec *, json_t *); /* the head of its value (NULL: absent) */
	bool (*one)(struct dec *, struct jsonx_rd *, size_t, void *); /* an element of the list */
	json_t *res; /* a ScopeSpans': its resource's */
	json_t *head;
	bool headed, listed;
};

static bool level_one(struct dec *d, struct jsonx_rd *r, size_t m, void *ctx)
{
	struct level *c = ctx;
	json_t *v;

	if (m == 1) {
		if (c->listed)
			return false;
		c->listed = true;
		if (!c->headed)
			c->head = c->rule(d, NULL);
		c->headed = true;
		return array(d, r, c->one, c);
	}
	if (c->headed)
		return false;
	c->headed = true;
	v = jsonx_rd_value(r);
	c->head = v ? c->rule(d, v) : NULL;
	json_decref(v);
	return v && !d->failed;
}

static bool level(struct dec *d, struct jsonx_rd *r, const char *const names[2],
		  json_t *(*rule)(struct dec *, json_t *),
		  bool (*one)(struct dec *, struct jsonx_rd *, size_t, void *), json_t *res)
{
	struct level c = {.rule = rule, .one = one, .res = res};
	bool ok = object(d, r, names, 2, level_one, &c);

	json_decref(c.head);
	return ok && !d->failed;
}

static bool span_of(struct dec *d, struct jsonx_rd *r, size_t k, void *ctx)
{
	struct level *scope = ctx;

	(void)k;
	return span(d, r, scope->res, scope->head);
}

static bool scope_spans(struct dec *d, struct jsonx_rd *r, size_t k, void *ctx)
{
	static const char *const names[] = {"scope", "spans"};
	struct level *resource = ctx;

	(void)k;
	return level(d, r, names, otlp_json_scope, span_of, resource->head);
}

static bool resource_spans(struct dec *d, struct jsonx_rd *r, size_t k, void *ctx)
{
	static const char *const names[] = {"resource", "scopeSpans"};

	(void)k;
	(void)ctx;
	return level(d, r, names, otlp_json_resource, scope_spans, NULL);
}

static bool request_one(struct dec *d, struct jsonx_rd *r, size_t m, void *ctx)
{
	bool *spans = ctx;

	(void)m;
	if (*spans)
		return false;
	*spans = true;
	return array(d, r, resource_spans, NULL);
}

bool otlp_jtext_decode(struct dec *d, const char *p, size_t n)
{
	static const char *const names[] = {"resourceSpans"};
	struct jsonx_rd r;
	bool ok, spans = false;

	jsonx_rd_init(&r, p, n);
	r.replace = true; /* JSONX_REPLACE, as the tree path parses */
	ok = object(d, &r, names, 1, request_one, &spans) && jsonx_rd_end(&r) && !d->failed;
	jsonx_rd_free(&r);
	return ok;
}
