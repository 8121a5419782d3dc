/* scores: Langfuse's scores (scores.h): their bodies read into judgements, stored, shown; and
 * the endpoints POST /scores, GET /v2/scores and /v2/scores/{id}, DELETE /scores/{id}
 * (scores.yml, legacy/score-v1.yml). */
#include "lib/api/langfuse/scores.h"
#include "lib/api/langfuse/filter.h"
#include "lib/api/langfuse/read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/query/judgements.h"

/* Langfuse's data types, as this surface stores each (the subtype of a correction). */
static const char *const data_types[] = {"NUMERIC",    "CATEGORICAL", "BOOLEAN",
					 "CORRECTION", "TEXT",	      NULL};
#define SUBTYPE "score"
#define SUBTYPE_CORRECTION "score.correction"

/* ---- the traces scores name ---- */

#define LF_TARGETS_MAX 64 /* traces remembered per request: a batch names a few */
struct langfuse_targets {
	struct http_req *req;
	size_t n;
	struct {
		const char *trace, *session, *project;
	} t[LF_TARGETS_MAX];
};

struct langfuse_targets *langfuse_targets_new(struct http_req *req)
{
	struct langfuse_targets *c = arena_alloc(req->arena, sizeof *c);
	c->req = req;
	c->n = 0;
	return c;
}

/* The session and project of the trace a score names, when it is stored. */
static void trace_of(struct langfuse_targets *c, const char *trace, const char **session,
		     const char **project)
{
	struct query q;
	struct query_trace t;
	size_t i;
	*session = *project = NULL;
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->t[i].trace, trace)) {
			*session = c->t[i].session;
			*project = c->t[i].project;
			return;
		}
	api_query_init(c->req, &q);
	if (query_trace_find(&q, trace, &t) == ST_OK) {
		const char *v;
		size_t vn;
		struct arena *a = c->req->arena;
		if (t.session)
			*session = jline_text(a, t.session, strlen(t.session));
		else if (jline_get(t.root.line, t.root.len, "session_id", &v, &vn))
			*session = jline_text(a, v, vn);
		if (jline_get(t.root.line, t.root.len, "project", &v, &vn))
			*project = jline_text(a, v, vn);
	}
	if (c->n < LF_TARGETS_MAX)
		c->t[c->n++] =
		    (typeof(c->t[0])){arena_strdup(c->req->arena, trace), *session, *project};
}

/* ---- reading a body ---- */

static const char *opt_str(struct arena *a, json_t *body, const char *key, const char **out)
{
	json_t *x = json_object_get(body, key);
	*out = NULL;
	if (!x || json_is_null(x))
		return NULL;
	if (!json_is_string(x))
		return arena_printf(a, "%s: Expected string", key);
	*out = arena_strdup(a, json_string_value(x));
	return NULL;
}

static int data_type_of(const char *s)
{
	for (int i = 0; s && data_types[i]; i++)
		if (!strcmp(data_types[i], s))
			return i;
	return -1;
}

/* Characters of UTF-8 text s. */
static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* The value by its data type (ScoreBody's discriminated union). */
static const char *value_of(struct arena *a, json_t *v, int type, struct judgement *j)
{
	if (type < 0)
		type = json_is_number(v) ? 0 : json_is_string(v) ? 1 : -1;
	switch (type) {
	case 0: /* NUMERIC */
		if (!json_is_number(v))
			return "value: Expected number";
		j->kind = JK_NUMBER;
		j->value = json_number_value(v);
		return NULL;
	case 2: /* BOOLEAN */
		if (!json_is_number(v) || (json_number_value(v) != 0 && json_number_value(v) != 1))
			return "value: Value must be a number equal to either 0 or 1 for data type "
			       "BOOLEAN";
		j->kind = JK_BOOLEAN;
		j->value = json_number_value(v);
		j->label = j->value ? "True" : "False";
		return NULL;
	case 1: /* CATEGORICAL */
	case 3: /* CORRECTION */
	case 4: /* TEXT */
		if (!json_is_string(v))
			return "value: Expected string";
		if (type == 4 &&
		    (json_string_length(v) < 1 || chars(json_string_value(v)) > LF_MAX_TEXT_SCORE))
			return "value: Text score values must be between 1 and 500 characters";
		j->kind = type == 1 ? JK_CATEGORY : JK_TEXT;
		j->label = arena_strdup(a, json_string_value(v));
		if (type == 3)
			j->subtype = SUBTYPE_CORRECTION;
		return NULL;
	default:
		return "value: Expected number or string";
	}
}

/* Langfuse's own members no other API has: kept in the payload. */
static void keep(struct judgement *j, json_t *body)
{
	static const char *const kept[] = {"metadata",	  "configId",	  "queueId",
					   "environment", "datasetRunId", "source"};
	json_t *p = json_object();
	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
		json_t *x = json_object_get(body, kept[i]);
		if (x && !json_is_null(x))
			json_object_set(p, kept[i], x);
	}
	if (json_object_size(p))
		j->payload = p;
	else
		json_decref(p);
}

const char *langfuse_score_read(struct http_req *req, struct langfuse_targets *c, json_t *body,
				int64_t ts, struct judgement *j)
{
	struct arena *a = req->arena;
	const char *why, *type_s, *source_s, *dataset, *id;
	judgement_init(j);
	json_t *name = json_object_get(body, "name");
	if (!json_is_string(name) || !json_string_length(name) ||
	    json_string_length(name) > JUDGEMENT_MAX_NAME)
		return "name: Expected a non-empty string";
	j->name = arena_strdup(a, json_string_value(name));
	if ((why = opt_str(a, body, "id", &id)) ||
	    (why = opt_str(a, body, "traceId", &j->trace_id)) ||
	    (why = opt_str(a, body, "observationId", &j->span_id)) ||
	    (why = opt_str(a, body, "sessionId", &j->session_id)) ||
	    (why = opt_str(a, body, "datasetRunId", &dataset)) ||
	    (why = opt_str(a, body, "comment", &j->text)) ||
	    (why = opt_str(a, body, "dataType", &type_s)) ||
	    (why = opt_str(a, body, "source", &source_s)))
		return why;
	int type = data_type_of(type_s);
	if (type_s && type < 0)
		return "dataType: Expected 'NUMERIC' | 'CATEGORICAL' | 'BOOLEAN' | 'CORRECTION' | "
		       "'TEXT'";
	if ((why = value_of(a, json_object_get(body, "value"), type, j)))
		return why;
	j->source = JS_API;
	if (source_s && !strcmp(source_s, "ANNOTATION"))
		j->source = JS_HUMAN;
	else if (source_s && !strcmp(source_s, "EVAL"))
		j->source = JS_EVALUATOR;
	else if (source_s && strcmp(source_s, "API"))
		return "source: Expected 'API' | 'EVAL' | 'ANNOTATION'";
	const char *const ids[] = {id, j->trace_id, j->span_id, j->session_id};
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
		if (ids[i] && span_id_problem(ids[i]))
			return arena_printf(a, "id %.100s: %s", ids[i], span_id_problem(ids[i]));
	if (j->span_id && !j->trace_id)
		return "observationId: a score of an observation names its traceId";
	if (!j->trace_id && !j->session_id)
		return dataset ? "datasetRunId: scores of dataset runs are not stored here "
				 "(docs/api-langfuse.md)"
			       : "A score names a traceId, a sessionId or a datasetRunId";
	j->target = j->span_id ? JT_SPAN : j->trace_id ? JT_TRACE : JT_SESSION;
	if (j->trace_id) {
		const char *session;
		trace_of(c, j->trace_id, &session, &j->project);
		if (!j->session_id)
			j->session_id = session;
	}
	if (!j->subtype)
		j->subtype = SUBTYPE;
	keep(j, body);
	j->id = id && *id ? id : hash_uuid(a, 4);
	j->workspace = req->ws;
	j->api = LF_API;
	j->author = req->principal;
	j->created_at = ts;
	return NULL;
}

struct put {
	struct judgement *js;
	size_t n;
};

/* Under the judgement store's lock: the score of id, keeping the first version's creation. */
static enum status put_merge(void *ctx, struct arena *a, const char *id,
			     const struct judgement *cur, struct judgement *out, struct err *e)
{
	struct put *p = ctx;
	(void)a, (void)e;
	for (size_t i = p->n; i-- > 0;)
		if (!strcmp(p->js[i].id, id)) {
			judgement_copy(out, &p->js[i]);
			if (cur && !cur->deleted) {
				out->created_at = cur->created_at;
				out->updated_at = p->js[i].created_at;
			}
			return ST_OK;
		}
	return ST_OK;
}

enum status langfuse_scores_put(struct http_req *req, struct judgement *js, size_t n)
{
	struct ingest_to to = api_ingest_to(req);
	struct err e = {0};
	struct put p = {js, n};
	if (!n)
		return ST_OK;
	const char **ids = arena_alloc(req->arena, n * sizeof *ids);
	for (size_t i = 0; i < n; i++)
		ids[i] = js[i].id;
	if (ingest_update_judgements(&to, ids, n, put_merge, &p, &e) != ST_OK)
		return http_fail(req, e.st, "scores not stored (%s); retry later", err_text(&e));
	return ST_OK;
}

/* ---- showing (which judgements: views.c) ---- */

static void put_str(struct buf *out, const char *key, const char *v)
{
	buf_printf(out, ",\"%s\":", key);
	if (v)
		jsonw_string(out, v, strlen(v));
	else
		buf_adds(out, "null");
}

static void put_time(struct buf *out, const char *key, int64_t us)
{
	char t[40];
	time_format(us, t);
	buf_printf(out, ",\"%s\":\"%s\"", key, t);
}

static const char *payload_str(const struct judgement *j, const char *key)
{
	return j->payload ? json_string_value(json_object_get(j->payload, key)) : NULL;
}

/* The data type j shows as. */
static const char *score_type(const struct judgement *j)
{
	if (j->kind == JK_NUMBER)
		return "NUMERIC";
	if (j->kind == JK_BOOLEAN)
		return "BOOLEAN";
	if (j->kind == JK_TEXT)
		return j->subtype && !strcmp(j->subtype, SUBTYPE_CORRECTION) ? "CORRECTION"
									     : "TEXT";
	return "CATEGORICAL";
}

/* Its source: as sent through this API, else by who made it. */
static const char *score_source(const struct judgement *j)
{
	const char *source = payload_str(j, "source");
	if (source)
		return source;
	return j->source == JS_HUMAN				     ? "ANNOTATION"
	       : j->source == JS_EVALUATOR || j->source == JS_ONLINE ? "EVAL"
								     : "API";
}

void langfuse_render_score(struct buf *out, const struct judgement *j)
{
	const char *type = score_type(j), *source = score_source(j);
	buf_adds(out, "{\"id\":");
	jsonw_string(out, j->id, strlen(j->id));
	put_str(out, "traceId", j->trace_id);
	put_str(out, "sessionId", j->target == JT_SESSION ? j->session_id : NULL);
	put_str(out, "observationId", j->target == JT_SPAN ? j->span_id : NULL);
	put_str(out, "datasetRunId", payload_str(j, "datasetRunId"));
	put_str(out, "name", j->name);
	put_str(out, "source", source);
	put_time(out, "timestamp", j->created_at);
	put_time(out, "createdAt", j->created_at);
	put_time(out, "updatedAt", j->updated_at != JUDGEMENT_NONE ? j->updated_at : j->created_at);
	put_str(out, "authorUserId", NULL);
	put_str(out, "comment", j->text);
	buf_adds(out, ",\"metadata\":");
	json_t *m = j->payload ? json_object_get(j->payload, "metadata") : NULL;
	jsonw_value(out, m ? m : json_object());
	put_str(out, "configId", payload_str(j, "configId"));
	put_str(out, "queueId", payload_str(j, "queueId"));
	const char *env = payload_str(j, "environment");
	put_str(out, "environment", env ? env : "default");
	put_str(out, "dataType", type);
	if (strcmp(type, "TEXT")) {
		buf_adds(out, ",\"value\":");
		jsonw_number(out, isnan(j->value) ? 0 : j->value);
	}
	if (strcmp(type, "NUMERIC"))
		put_str(out, "stringValue",
			j->label		? j->label
			: j->kind == JK_BOOLEAN ? (j->value ? "True" : "False")
						: "");
}

/* ---- the endpoints ---- */

/* POST /scores: 200 {"id"}; a refused body is Langfuse's 400. */
enum status langfuse_score_create(struct http_req *req)
{
	json_t *body;
	struct judgement j;
	enum status st = langfuse_json_body(req, &body);
	if (st != ST_OK || !body)
		return st;
	const char *why = langfuse_score_read(req, langfuse_targets_new(req), body, time_now(), &j);
	if (why)
		return langfuse_bad(req, NULL, why);
	if ((st = langfuse_scores_put(req, &j, 1)) != ST_OK)
		return st;
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"id\":");
	jsonw_string(out, j.id, strlen(j.id));
	buf_addc(out, '}');
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

static void jquery_init(struct http_req *req, struct jquery *q, const struct jfilter *f)
{
	memset(q, 0, sizeof *q);
	q->st = api_store(req);
	q->a = req->arena;
	q->ws = req->ws;
	q->f = f;
	q->order = JQ_CREATED;
	q->desc = true;
}

/* The score req->id into j, if Langfuse shows it; its 404 (or the failure) replied if not. */
static enum status score_of(struct http_req *req, struct judgement *j)
{
	struct jquery q;
	jquery_init(req, &q, NULL);
	enum status st = query_judgement_get(&q, req->id, j);
	if (st == ST_NOT_FOUND || (st == ST_OK && !langfuse_score_shows(j)))
		return http_fail(req, ST_NOT_FOUND, "Score not found within authorized project");
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	return ST_OK;
}

/* GET /v2/scores/{id} */
enum status langfuse_score_get(struct http_req *req)
{
	struct judgement j;
	enum status st = score_of(req, &j);
	if (st != ST_OK)
		return st;
	struct buf *out = arena_buf(req->arena);
	langfuse_render_score(out, &j);
	buf_addc(out, '}');
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* DELETE /scores/{id}: any API's score Langfuse shows, as an erasure by judgement
 * (docs/erasure.md): hidden at once, its bytes gone from the files after the next `spandex
 * erase --pending`. */
enum status langfuse_score_delete(struct http_req *req)
{
	struct judgement j;
	struct err e = {0};
	enum status st = score_of(req, &j);
	if (st != ST_OK)
		return st;
	const char *ids[] = {req->id};
	if (api_erase(req, LF_API, STORE_ERASE_JUDGEMENT, ids, 1, NULL, &e) != ST_OK)
		return http_fail(req, e.st, "not deleted (%s); retry later", err_text(&e));
	static const char ok[] = "{\"message\":\"Score deleted successfully\"}";
	http_reply_json(req, 200, ok, sizeof ok - 1);
	return ST_OK;
}

/* What GET /v2/scores asks beyond what the judgements' index answers (jfilter). */
struct wants {
	const struct langfuse_filter *lf; /* the filter parameter's */
	const char *source, *config, *queue, *dataset, *user, *type, *op;
	const char **envs, **tags, **ids, **obs;
	size_t nenvs, ntags, nids, nobs;
	double value;
	bool has_value, trace_members;
	struct langfuse_trace_cache *traces;
};

static bool in_list(const char *v, const char *const *list, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		if (!strcmp(v, list[i]))
			return true;
	return false;
}

static bool value_passes(const struct wants *w, double v)
{
	if (!w->has_value || !w->op)
		return true;
	if (isnan(v))
		return false;
	const char *op = w->op;
	return !strcmp(op, "<")	   ? v < w->value
	       : !strcmp(op, ">")  ? v > w->value
	       : !strcmp(op, "<=") ? v <= w->value
	       : !strcmp(op, ">=") ? v >= w->value
	       : !strcmp(op, "!=") ? v != w->value
				   : v == w->value;
}

static bool tags_pass(const struct wants *w, const struct langfuse_trace_ctx *t)
{
	for (size_t i = 0; i < w->ntags; i++) {
		size_t k;
		json_t *x;
		bool has = false;
		json_array_foreach(t->tags, k, x) has |= !strcmp(json_string_value(x), w->tags[i]);
		if (!has)
			return false;
	}
	return true;
}

void langfuse_score_value(const void *subject, enum langfuse_col col, struct langfuse_val *v)
{
	const struct langfuse_scored *x = subject;
	const struct judgement *j = x->j;
	const char *str = NULL, *env;
	const struct langfuse_trace_ctx *t;
	switch (col) {
	case LC_ID:
		str = j->id;
		break;
	case LC_NAME:
		str = j->name;
		break;
	case LC_TIMESTAMP:
		v->t = LVAL_TIME;
		v->us = j->created_at;
		return;
	case LC_VALUE:
		if (strcmp(score_type(j), "TEXT") && !isnan(j->value)) {
			v->t = LVAL_NUM;
			v->n = j->value;
		}
		return;
	case LC_METADATA:
		v->t = LVAL_OBJ;
		v->j = j->payload ? json_object_get(j->payload, "metadata") : NULL;
		return;
	case LC_SOURCE:
		str = score_source(j);
		break;
	case LC_DATA_TYPE:
		str = score_type(j);
		break;
	case LC_COMMENT:
		str = j->text;
		break;
	case LC_TRACE_ID:
		str = j->trace_id;
		break;
	case LC_OBS_ID:
		str = j->target == JT_SPAN ? j->span_id : NULL;
		break;
	case LC_SESSION:
		str = j->target == JT_SESSION ? j->session_id : NULL;
		break;
	case LC_STRING_VALUE:
		str = j->label ? j->label : NULL;
		break;
	case LC_CONFIG_ID:
		str = payload_str(j, "configId");
		break;
	case LC_QUEUE_ID:
		str = payload_str(j, "queueId");
		break;
	case LC_ENV:
		env = payload_str(j, "environment");
		str = env ? env : "default";
		break;
	case LC_USER:
	case LC_TAGS:
		t = j->trace_id ? langfuse_trace_ctx(x->traces, j->trace_id) : NULL;
		if (t && t->found && col == LC_TAGS) {
			v->t = LVAL_LIST;
			v->j = t->tags;
		}
		str = t && t->found && col == LC_USER ? t->user : NULL;
		break;
	default:
		break;
	}
	if (str) {
		v->t = LVAL_STR;
		v->s = str;
	}
}

static bool passes(const struct wants *w, const struct judgement *j)
{
	struct langfuse_scored x = {w->traces, j};
	if (!langfuse_filter_test(w->lf, langfuse_score_value, &x, false))
		return false;
	const char *env = payload_str(j, "environment");
	if (!langfuse_score_shows(j) || (w->type && strcmp(w->type, score_type(j))) ||
	    (w->source && strcmp(w->source, score_source(j))) || !value_passes(w, j->value))
		return false;
	if ((w->config && !in_list(payload_str(j, "configId"), &w->config, 1)) ||
	    (w->queue && !in_list(payload_str(j, "queueId"), &w->queue, 1)) ||
	    (w->dataset && !in_list(payload_str(j, "datasetRunId"), &w->dataset, 1)) ||
	    (w->nids && !in_list(j->id, w->ids, w->nids)) ||
	    (w->nobs && !in_list(j->target == JT_SPAN ? j->span_id : NULL, w->obs, w->nobs)) ||
	    (w->nenvs && !in_list(env ? env : "default", w->envs, w->nenvs)))
		return false;
	if (!w->user && !w->ntags)
		return true;
	const struct langfuse_trace_ctx *t =
	    j->trace_id ? langfuse_trace_ctx(w->traces, j->trace_id) : NULL;
	return t && t->found && (!w->user || (t->user && !strcmp(t->user, w->user))) &&
	       tags_pass(w, t);
}

/* A comma-separated parameter's values. */
static size_t split(struct arena *a, const char *s, const char ***out)
{
	size_t n = 0, cap = 1;
	for (const char *p = s; p && *p; p++)
		cap += *p == ',';
	*out = arena_alloc(a, cap * sizeof **out);
	while (s && *s) {
		size_t k = strcspn(s, ",");
		if (k)
			(*out)[n++] = arena_strndup(a, s, k);
		s += k + (s[k] == ',');
	}
	return n;
}

/* The query's parameters (scores.yml's GetScoresRequest); false when the 400 is written. */
static bool read_wants(struct http_req *req, struct jfilter *f, struct wants *w)
{
	bool from, to;
	const char *fields = http_param(req, "fields"), *v;
	struct langfuse_filter *lf;
	struct filter none = {0}; /* a score's conditions are all tested on it */
	memset(f, 0, sizeof *f);
	memset(w, 0, sizeof *w);
	f->name = http_param(req, "name");
	f->trace_id = http_param(req, "traceId");
	f->session_id = http_param(req, "sessionId");
	if (!langfuse_filter_read(req, LV_SCORES, &none, &lf))
		return false;
	w->lf = lf;
	w->source = http_param(req, "source");
	w->config = http_param(req, "configId");
	w->queue = http_param(req, "queueId");
	w->dataset = http_param(req, "datasetRunId");
	w->user = http_param(req, "userId");
	w->type = http_param(req, "dataType");
	w->op = http_param(req, "operator");
	w->nenvs = langfuse_param_all(req, "environment", &w->envs);
	w->ntags = langfuse_param_all(req, "traceTags", &w->tags);
	w->nids = split(req->arena, http_param(req, "scoreIds"), &w->ids);
	w->nobs = split(req->arena, http_param(req, "observationId"), &w->obs);
	w->trace_members = !fields || strstr(fields, "trace");
	w->traces = langfuse_trace_cache_new(req);
	if ((v = http_param(req, "value"))) {
		char *end;
		w->value = strtod(v, &end);
		if (*end || end == v) {
			langfuse_bad(req, "value", "Expected number");
			return false;
		}
		w->has_value = true;
	}
	if ((w->user || w->ntags) && !w->trace_members) {
		langfuse_bad(req, "fields",
			     "The trace field group is needed to filter by userId or traceTags");
		return false;
	}
	if (!langfuse_time_param(req, "fromTimestamp", &f->cmin, &from) ||
	    !langfuse_time_param(req, "toTimestamp", &f->cmax, &to))
		return false;
	/* Before toTimestamp; a window of one side is closed by the other's bound. */
	if (to)
		f->cmax -= 1;
	if (from && !to)
		f->cmax = TIME_MAX_US;
	if (to && !from)
		f->cmin = INT64_MIN + 1;
	f->kinds = 1u << JK_NUMBER | 1u << JK_CATEGORY | 1u << JK_BOOLEAN | 1u << JK_TEXT;
	return true;
}

static void render_trace_members(struct buf *out, struct wants *w, const struct judgement *j)
{
	const struct langfuse_trace_ctx *t =
	    j->trace_id ? langfuse_trace_ctx(w->traces, j->trace_id) : NULL;
	if (!t || !t->found)
		return;
	buf_adds(out, ",\"trace\":{");
	bool first = true;
	const char *const keys[] = {"userId", "environment", "sessionId"};
	const char *const vals[] = {t->user, t->env, t->session};
	for (int i = 0; i < 3; i++)
		if (vals[i]) {
			buf_printf(out, "%s\"%s\":", first ? "" : ",", keys[i]);
			jsonw_string(out, vals[i], strlen(vals[i]));
			first = false;
		}
	buf_printf(out, "%s\"tags\":", first ? "" : ",");
	jsonw_value(out, t->tags);
	buf_addc(out, '}');
}

/* GET /v2/scores: every score the index narrows to (name, trace, session, time), newest
 * first, the rest of the filters on each, then the page. */
enum status langfuse_scores_list(struct http_req *req)
{
	long long page, limit;
	struct jfilter f;
	struct wants w;
	struct jquery q;
	struct jrows rows;
	if (!langfuse_paging(req, LF_MAX_SCORE_LIMIT, &page, &limit) || !read_wants(req, &f, &w))
		return ST_OK;
	jquery_init(req, &q, &f);
	enum status st = query_judgements(&q, &rows);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	struct buf *out = arena_buf(req->arena);
	size_t total = 0;
	buf_adds(out, "{\"data\":[");
	for (size_t i = 0; i < rows.n; i++) {
		if (!passes(&w, &rows.rows[i]))
			continue;
		if (total >= (size_t)((page - 1) * limit) && total < (size_t)(page * limit)) {
			if (out->p[out->len - 1] != '[')
				buf_addc(out, ',');
			langfuse_render_score(out, &rows.rows[i]);
			if (w.trace_members)
				render_trace_members(out, &w, &rows.rows[i]);
			buf_addc(out, '}');
		}
		total++;
	}
	langfuse_page_meta(out, page, limit, total);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
