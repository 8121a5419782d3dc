/* otlp_eval: evaluation results in OTLP as judgements of their span (judgement.md 4.1, 4.2):
 * the OTel GenAI gen_ai.evaluation.result event (a log record tied to the span it evaluates, or
 * a span event of that span), and OpenInference's annotations and evaluations, which
 * @arizeai/openinference-core's getAnnotationAttributes and getEvaluationAttributes flatten
 * into a span's attributes as <collection>.<i>.<annotation|evaluation>.<field> (collections
 * annotations, evaluations on the span; trace.* and session.* on its trace and session;
 * openinference-semantic-conventions 2.12). One table says where each convention keeps what a
 * judgement holds. Each becomes a judgement of api otlp and source evaluator (an OpenInference
 * HUMAN annotator's: human), a number when it has a score, else a category. */
#include "lib/ingest/otlp_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"
#include "lib/json/jeach.h"

/* The one table: where each convention keeps a judgement's name, score, label, reason (its
 * explanation), error, author kind, identifier and metadata (NULL: it has none). */
static const struct convention {
	const char *subtype;
	const char *name, *score, *label, *explanation, *error, *annotator, *identifier, *metadata;
	bool any_result; /* one of score, label and explanation is required */
} conventions[] = {
    /* OTel GenAI (semantic-conventions events.yaml, judgement.md 4.1): the event's own. */
    {OTLP_EVAL_EVENT, "gen_ai.evaluation.name", "gen_ai.evaluation.score.value",
     "gen_ai.evaluation.score.label", "gen_ai.evaluation.explanation", "error.type", NULL, NULL,
     NULL, false},
    /* OpenInference: the fields of one <collection>.<i>.annotation. (or .evaluation.) group. */
    {"openinference.annotation", "name", "score", "label", "explanation", NULL, "annotator_kind",
     "identifier", "metadata", true},
    {"openinference.evaluation", "name", "score", "label", "explanation", NULL, "annotator_kind",
     "identifier", "metadata", true},
};
enum { CONV_OTEL, CONV_OI_ANNOTATION, CONV_OI_EVALUATION };

static struct otlp_eval *eval_add(struct arena *a, struct otlp_evals *ev)
{
	ev->v = otlp_grow(a, ev->v, ev->n, &ev->cap, sizeof *ev->v);
	struct otlp_eval *e = &ev->v[ev->n++];
	memset(e, 0, sizeof *e);
	judgement_init(&e->j);
	return e;
}

/* A string attribute of at most max bytes into *out (absent: NULL); false with why. */
static bool text_of(struct arena *a, json_t *attrs, const char *key, size_t max, const char **out,
		    const char **why)
{
	json_t *x = key ? json_object_get(attrs, key) : NULL;
	*out = NULL;
	if (!x || json_is_null(x))
		return true;
	if (!json_is_string(x))
		*why = arena_printf(a, "%s must be a string", key);
	else if (json_string_length(x) > max)
		*why = arena_printf(a, "%s is over %zu bytes", key, max);
	else
		*out = arena_strndup(a, json_string_value(x), json_string_length(x));
	return !*why;
}

/* A score: a number, or a string of one (some SDKs send every attribute as text); finite. */
static bool score_of(struct arena *a, json_t *attrs, const char *key, double *out, const char **why)
{
	json_t *x = json_object_get(attrs, key);
	char *end;
	*out = NAN;
	if (!x || json_is_null(x))
		return true;
	if (json_is_number(x)) {
		*out = json_number_value(x);
	} else if (json_is_string(x)) {
		errno = 0;
		*out = strtod(json_string_value(x), &end);
		if (end == json_string_value(x) || *end || errno)
			*out = NAN;
	}
	if (!isfinite(*out)) {
		*out = NAN;
		*why = arena_printf(a, "%s must be a finite number", key);
		return false;
	}
	return true;
}

/* OpenInference's metadata: a JSON object, or its text (getAnnotationAttributes stringifies
 * it), at most JUDGEMENT_MAX_PAYLOAD; anything else is left out. */
static json_t *metadata_of(json_t *attrs, const char *key)
{
	json_t *x = key ? json_object_get(attrs, key) : NULL, *o = NULL;
	size_t pos;
	if (json_is_string(x) && json_string_length(x) <= JUDGEMENT_MAX_PAYLOAD)
		o = jsonx_parse(json_string_value(x), json_string_length(x), &pos, NULL);
	else if (json_is_object(x))
		o = json_deep_copy(x);
	if (json_is_object(o) && json_object_size(o))
		return o;
	json_decref(o);
	return NULL;
}

/* Maps attrs onto j's name, value, label, text, error, source and kind by convention c; false
 * with why when they are no evaluation result. */
static bool eval_map(struct arena *a, const struct convention *c, json_t *attrs,
		     struct judgement *j, const char **why)
{
	const char *annotator;
	*why = NULL;
	if (!text_of(a, attrs, c->name, JUDGEMENT_MAX_NAME, &j->name, why) ||
	    !score_of(a, attrs, c->score, &j->value, why) ||
	    !text_of(a, attrs, c->label, JUDGEMENT_MAX_NAME, &j->label, why) ||
	    !text_of(a, attrs, c->explanation, JUDGEMENT_MAX_TEXT, &j->text, why) ||
	    !text_of(a, attrs, c->error, JUDGEMENT_MAX_TEXT, &j->error, why) ||
	    !text_of(a, attrs, c->annotator, JUDGEMENT_MAX_NAME, &annotator, why))
		return false;
	if (!j->name || !*j->name) {
		*why = arena_printf(a, "%s is required", c->name);
		return false;
	}
	bool result = !isnan(j->value) || j->label || j->text;
	if (!result && (c->any_result || !j->error)) {
		*why = arena_printf(a, "%s has no %s, %s or %s", c->subtype, c->score, c->label,
				    c->explanation);
		return false;
	}
	j->kind = isnan(j->value) ? JK_CATEGORY : JK_NUMBER;
	j->source = annotator && !strcmp(annotator, "HUMAN") ? JS_HUMAN : JS_EVALUATOR;
	j->api = OTLP_EVAL_API;
	j->subtype = c->subtype;
	j->payload = metadata_of(attrs, c->metadata);
	return true;
}

/* A time in nanoseconds (an integer, or the decimal string of one past INT64_MAX) as decimal
 * text, and in microseconds (0 when unknown: now). */
static const char *time_text(struct arena *a, json_t *t, int64_t now_us, int64_t *us)
{
	if (json_is_string(t)) {
		*us = (int64_t)(strtoull(json_string_value(t), NULL, 10) / 1000);
		return arena_strdup(a, json_string_value(t));
	}
	json_int_t ns = json_is_integer(t) ? json_integer_value(t) : 0;
	*us = ns > 0 ? (int64_t)(ns / 1000) : now_us;
	return arena_printf(a, "%" PRId64, (int64_t)ns);
}

/* ---- log records ---- */

const char *otlp_eval_log(struct dec *d, struct otlp_evals *ev, const struct raw_log *r, size_t rec)
{
	char sid[2 * ID_MAX + 1], tid[2 * ID_MAX + 1];
	struct otlp_eval *e = eval_add(d->a, ev);
	const char *why = NULL, *resp = NULL;
	bool has_span = r->span.bad || (r->span.len && !otlp_all_zero(r->span.b, r->span.len));

	e->record = rec;
	if (!eval_map(d->a, &conventions[CONV_OTEL], r->attrs, &e->j, &why))
		goto refuse;
	/* Tied to the span it evaluates; without a span id, by gen_ai.response.id (4.1). */
	if (has_span) {
		if ((why = otlp_id_check(&r->span, 8, "span_id", sid, d->a)) ||
		    (why = otlp_id_check(&r->trace, 16, "trace_id", tid, d->a)))
			goto refuse;
		e->j.span_id = e->from_span = arena_strdup(d->a, sid);
		e->j.trace_id = arena_strdup(d->a, tid);
	} else if (!text_of(d->a, r->attrs, "gen_ai.response.id", SPAN_MAX_ID, &resp, &why) ||
		   !resp || !*resp) {
		why = why ? why : "span_id is required (or gen_ai.response.id)";
		goto refuse;
	}
	e->response_id = resp;
	json_t *t = otlp_time(r->time_ns);
	e->id_time = time_text(d->a, t, d->now_us, &e->j.created_at);
	json_decref(t);
	e->j.workspace = d->ws;
	e->j.target = JT_SPAN;
	return NULL;
refuse:
	judgement_clear(&e->j);
	e->refused = true;
	return why;
}

/* ---- spans: their events and OpenInference's attributes ---- */

/* The judgement's place beside span s: its target, ids, and what s says of session and
 * project (otlp_eval_put reads the stored span again). */
static void on_span(struct otlp_eval *e, const struct span *s, enum judgement_target target)
{
	e->j.workspace = s->workspace;
	e->j.target = target;
	e->j.span_id = target == JT_SPAN ? s->span_id : NULL;
	e->j.trace_id = target == JT_SESSION ? NULL : s->trace_id;
	e->j.session_id = s->session_id;
	e->j.project = s->str[SS_PROJECT];
	e->from_span = s->span_id;
	e->j.created_at = s->ended_at != SPAN_NONE_I64 ? s->ended_at : s->started_at;
}

/* The span's gen_ai.evaluation.result events; one that is no evaluation result (no name) is
 * left among the span's events only. */
static void span_events(struct dec *d, const struct raw_span *r, const struct span *s)
{
	size_t i;
	json_t *ev;
	json_array_foreach(r->events, i, ev)
	{
		const char *why;
		if (!json_is_string(json_object_get(ev, "name")) ||
		    strcmp(json_string_value(json_object_get(ev, "name")), OTLP_EVAL_EVENT))
			continue;
		struct otlp_eval *e = eval_add(d->a, &d->res.evals);
		if (!eval_map(d->a, &conventions[CONV_OTEL], json_object_get(ev, "attributes"),
			      &e->j, &why)) {
			judgement_clear(&e->j);
			d->res.evals.n--;
			continue;
		}
		on_span(e, s, JT_SPAN);
		e->id_time = time_text(d->a, json_object_get(ev, "time_unix_nano"), d->now_us,
				       &e->j.created_at);
	}
}

/* OpenInference's collections, and what they are on. The lengths are the compiler's: every
 * attribute of every span is asked against each collection (issue 35: strlen and strncmp here
 * were 5.7M instructions of a batch of 1,000 spans that held none). */
#define COLL(prefix, group, conv, target)                                                          \
	{                                                                                          \
		prefix, group, sizeof prefix - 1, sizeof group - 1, conv, target                   \
	}
static const struct collection {
	const char *prefix; /* <prefix><i>.<group><field> */
	const char *group;
	size_t plen, glen;
	int conv;
	enum judgement_target target;
} collections[] = {
    COLL("trace.annotations.", "annotation.", CONV_OI_ANNOTATION, JT_TRACE),
    COLL("trace.evaluations.", "evaluation.", CONV_OI_EVALUATION, JT_TRACE),
    COLL("session.annotations.", "annotation.", CONV_OI_ANNOTATION, JT_SESSION),
    COLL("session.evaluations.", "evaluation.", CONV_OI_EVALUATION, JT_SESSION),
    COLL("annotations.", "annotation.", CONV_OI_ANNOTATION, JT_SPAN),
    COLL("evaluations.", "evaluation.", CONV_OI_EVALUATION, JT_SPAN),
};
#undef COLL
#define NCOLL (sizeof collections / sizeof *collections)

/* One <collection>.<i> of a span: its fields by name. */
struct group {
	size_t coll;
	unsigned long index;
	json_t *fields;
};

/* The collection, index and field key k names, or false. Every attribute of every span is
 * asked: a key whose first byte begins no collection's prefix (nearly every key) is told by
 * one test of a set of bytes, made once (it was a walk of the six collections a key, about
 * 60 instructions). */
static bool oi_key(const char *k, size_t *coll, unsigned long *index, const char **field)
{
	static uint64_t first[4];
	if (!first[0] && !first[1] && !first[2] && !first[3])
		for (size_t c = 0; c < NCOLL; c++) {
			unsigned char b = (unsigned char)collections[c].prefix[0];
			first[b >> 6] |= 1ull << (b & 63);
		}
	unsigned char b0 = (unsigned char)k[0];
	if (!(first[b0 >> 6] >> (b0 & 63) & 1))
		return false;
	for (size_t c = 0; c < NCOLL; c++) {
		size_t n = collections[c].plen, g = collections[c].glen;
		char *end;
		if (k[0] != collections[c].prefix[0] || strncmp(k, collections[c].prefix, n) ||
		    k[n] < '0' || k[n] > '9')
			continue;
		errno = 0;
		*index = strtoul(k + n, &end, 10);
		if (errno || *end != '.' || strncmp(end + 1, collections[c].group, g))
			return false;
		*coll = c;
		*field = end + 1 + g;
		return true;
	}
	return false;
}

/* The id of an OpenInference result: its identifier makes a write an upsert (Phoenix's rule,
 * judgement.md 4.2); without one, its place on the span, so a span sent again replaces it. */
static const char *oi_id(struct arena *a, const struct span *s, const struct group *g,
			 const struct judgement *j, json_t *identifier)
{
	const struct collection *c = &collections[g->coll];
	const char *target = judgement_target_id(j);
	const char *which = json_is_string(identifier)
				? json_string_value(identifier)
				: arena_printf(a, "%s#%s%lu", s->span_id, c->prefix, g->index);
	const char *parts[] = {judgement_target_names[j->target], target ? target : "", j->name,
			       which};
	return judgement_key_id(a, "oi-", parts, 4);
}

static void openinference(struct dec *d, const struct raw_span *r, const struct span *s)
{
	struct group *gs = NULL;
	size_t ng = 0, cap = 0;
	const char *k, *field;
	json_t *v;
	JSON_EACH(r->attrs, it, k, v)
	{
		size_t coll, i;
		unsigned long index;
		if (!oi_key(k, &coll, &index, &field) || !*field)
			continue;
		for (i = 0; i < ng && !(gs[i].coll == coll && gs[i].index == index); i++)
			;
		if (i == ng) {
			gs = otlp_grow(d->a, gs, ng, &cap, sizeof *gs);
			gs[ng++] = (struct group){coll, index, json_object()};
		}
		json_object_set(gs[i].fields, field, v);
	}
	for (size_t i = 0; i < ng; i++) {
		const struct collection *c = &collections[gs[i].coll];
		struct otlp_eval *e = eval_add(d->a, &d->res.evals);
		const char *why;
		if (eval_map(d->a, &conventions[c->conv], gs[i].fields, &e->j, &why)) {
			on_span(e, s, c->target);
			e->j.id = oi_id(d->a, s, &gs[i], &e->j,
					json_object_get(gs[i].fields, "identifier"));
		} else {
			judgement_clear(&e->j);
			d->res.evals.n--;
		}
		json_decref(gs[i].fields);
	}
}

void otlp_eval_span(struct dec *d, const struct raw_span *r, const struct span *s)
{
	span_events(d, r, s);
	openinference(d, r, s);
}

void otlp_eval_project(struct dec *d, size_t from, const struct span *s)
{
	for (size_t i = from; i < d->res.evals.n; i++)
		d->res.evals.v[i].j.project = s->str[SS_PROJECT];
}

/* ---- storing ---- */

/* What the stored span from names of j's session and project (and trace, when j has none). */
static void from_stored(struct store *st, const char *ws, struct arena *a, const char *from,
			const struct otlp_evals *ev, struct judgement *j)
{
	struct buf line;
	struct span s;
	json_t *root;
	buf_init(&line);
	if (from && store_get(st, ws, from, &line) == ST_OK &&
	    span_parse(line.p, line.len, &s, &root)) {
		const char *session =
		    ev->session_of ? ev->session_of(ev->session_ctx, &s) : s.session_id;
		if (session)
			j->session_id = arena_strdup(a, session);
		if (s.str[SS_PROJECT])
			j->project = arena_strdup(a, s.str[SS_PROJECT]);
		if (!j->trace_id && j->target != JT_SESSION && s.trace_id)
			j->trace_id = arena_strdup(a, s.trace_id);
		span_clear(&s);
		json_decref(root);
	}
	buf_free(&line);
}

enum status otlp_eval_put(const struct ingest_to *to, const struct otlp_evals *ev,
			  const char *author, struct err *e)
{
	struct store *st = to->st;
	const char *ws = to->ws;
	struct arena *a = to->a;
	struct judgement *js = arena_alloc(a, (ev->n ? ev->n : 1) * sizeof *js);
	size_t n = 0;
	for (size_t i = 0; i < ev->n; i++) {
		const struct otlp_eval *x = &ev->v[i];
		if (x->refused || (!x->j.span_id && x->j.target == JT_SPAN))
			continue;
		struct judgement *j = &js[n++];
		*j = x->j; /* the payload stays ev's */
		j->workspace = ws;
		j->author = author;
		from_stored(st, ws, a, x->from_span ? x->from_span : j->span_id, ev, j);
		if (x->id_time) {
			const char *parts[] = {j->trace_id, j->span_id, j->name, x->id_time};
			j->id = judgement_key_id(a, "otel-eval-", parts, 4);
		}
	}
	if (!n)
		return ST_OK;
	return ingest_judgements(to, js, n, e);
}

void otlp_eval_free(struct otlp_evals *ev)
{
	for (size_t i = 0; i < ev->n; i++)
		judgement_clear(&ev->v[i].j);
	ev->n = 0;
}
