/* observations: GET /observations/{id}, GET /observations (pages, legacy/observations-v1.yml)
 * and GET /v2/observations (a cursor and field groups, observations.yml): every span but the
 * rows that stand for traces (map.h), whichever API wrote it. */
#include "lib/api/langfuse/filter.h"
#include "lib/api/langfuse/read.h"

#include <string.h>
#include "lib/base/hash.h"
#include "lib/json/jsonw.h"

enum status langfuse_observation_get(struct http_req *req)
{
	struct span s;
	json_t *root;
	if (!query_span_get(api_store(req), req->ws, req->arena, req->id, &s, &root) ||
	    langfuse_is_trace_row(&s))
		return http_fail(req, ST_NOT_FOUND,
				 "Observation not found within authorized project");
	struct buf *out = arena_buf(req->arena);
	langfuse_render_observation(out, req->arena, &s);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* The filters no index answers, tested on each candidate's line. */
struct obs_filters {
	const struct langfuse_filter *lf; /* the filter parameter's */
	const char *user, *type, *level, *version;
	const char **envs;
	size_t nenvs;
	bool no_parent; /* parentObservationId= (empty): only those without one */
	int root;	/* isRootObservation: -1 any, 0 no, 1 yes */
};

static bool obs_passes(void *ctx, const char *line, size_t n)
{
	const struct obs_filters *f = ctx;
	struct span s;
	json_t *root;
	const char *v;
	if (!span_parse(line, n, &s, &root))
		return false;
	const char *parent = s.parent_span_id && *s.parent_span_id &&
				     !(s.trace_id && !strcmp(s.parent_span_id, s.trace_id))
				 ? s.parent_span_id
				 : NULL;
	/* A span without raw attributes has its level from its status. */
	const char *level = langfuse_raw_str(&s, LF_LEVEL);
	if (!level)
		level = s.status == SPST_ERROR ? "ERROR" : "DEFAULT";
	bool ok =
	    !langfuse_is_trace_row(&s) &&
	    (!f->user || ((v = langfuse_user_of(&s)) && !strcmp(v, f->user))) &&
	    (!f->type || !strcmp(langfuse_obs_type(&s), f->type)) &&
	    (!f->level || !strcmp(level, f->level)) &&
	    (!f->version || ((v = langfuse_raw_str(&s, LF_VERSION)) && !strcmp(v, f->version))) &&
	    (!f->no_parent || !parent) && (f->root < 0 || f->root == !parent);
	if (ok && f->nenvs) {
		ok = false;
		for (size_t i = 0; !ok && i < f->nenvs; i++)
			ok = !strcmp(langfuse_env_of(&s), f->envs[i]);
	}
	ok = ok && langfuse_filter_test(f->lf, langfuse_span_get, &s, false);
	span_clear(&s);
	json_decref(root);
	return ok;
}

/* A span with no raw attributes is no trace's row: with no other filter it passes unread. */
static int obs_bare(void *ctx, int kind)
{
	const struct obs_filters *f = ctx;
	(void)kind;
	return f->lf || f->user || f->type || f->level || f->version || f->nenvs || f->no_parent ||
		       f->root >= 0
		   ? -1
		   : 1;
}

/* The parameters the index answers: name, traceId, parentObservationId, sessionId. */
static void obs_index_params(struct http_req *req, struct filter *flt, struct obs_filters *f)
{
	static const struct {
		const char *param;
		enum filter_field ff;
		enum langfuse_col col;
	} eq[] = {{"name", FF_NAME, LC_NAME},
		  {"traceId", FF_TRACE_ID, LC_TRACE_ID},
		  {"parentObservationId", FF_PARENT_SPAN_ID, LC_NONE},
		  {"sessionId", FF_SESSION_ID, LC_SESSION}};
	for (size_t i = 0; i < sizeof eq / sizeof *eq; i++) {
		const char **v = arena_alloc(req->arena, sizeof *v);
		if (!(*v = langfuse_filter_param(req, f->lf, eq[i].param, eq[i].col)))
			continue;
		if (!**v && eq[i].ff == FF_PARENT_SPAN_ID) {
			f->no_parent = true;
			continue;
		}
		flt->conds[flt->n++] =
		    (struct filter_cond){.field = eq[i].ff, .op = FOP_EQ, .vals = v, .nvals = 1};
	}
}

/* The conditions of an observation listing; false when the 400 is written. */
static bool obs_query(struct http_req *req, struct query *q, struct obs_filters *f)
{
	struct filter *flt = arena_alloc(req->arena, sizeof *flt);
	struct langfuse_filter *lf;
	memset(flt, 0, sizeof *flt);
	memset(f, 0, sizeof *f);
	flt->conds = arena_alloc(req->arena, (FILTER_MAX_CONDS + 6) * sizeof *flt->conds);
	if (!langfuse_filter_read(req, LV_OBSERVATIONS, flt, &lf))
		return false;
	f->lf = lf;
	if (!langfuse_filter_names(lf, LC_TIMESTAMP) &&
	    !langfuse_window(req, "fromStartTime", "toStartTime", flt))
		return false;
	obs_index_params(req, flt, f);
	f->user = langfuse_filter_param(req, f->lf, "userId", LC_USER);
	f->type = langfuse_filter_param(req, f->lf, "type", LC_TYPE);
	f->level = langfuse_filter_param(req, f->lf, "level", LC_LEVEL);
	f->version = langfuse_filter_param(req, f->lf, "version", LC_VERSION);
	if (!langfuse_filter_names(lf, LC_ENV))
		f->nenvs = langfuse_param_all(req, "environment", &f->envs);
	const char *root = langfuse_filter_param(req, f->lf, "isRootObservation", LC_ROOT);
	bool rv;
	f->root = -1;
	if (root && !http_text_bool(root, &rv)) {
		langfuse_bad(req, "isRootObservation", "Expected boolean");
		return false;
	}
	if (root)
		f->root = rv;
	api_query_init(req, q);
	q->f = flt;
	struct query_pred *p = arena_alloc(req->arena, sizeof *p);
	*p = (struct query_pred){.fn = obs_passes, .ctx = f, .bare = obs_bare, .transient = true};
	q->preds = p;
	q->npreds = 1;
	return true;
}

/* GET /observations: a page, newest first. */
enum status langfuse_observations_list(struct http_req *req)
{
	long long page, limit;
	struct query q;
	struct obs_filters f;
	struct query_rows rows;
	if (!langfuse_paging(req, LF_MAX_LIMIT, &page, &limit) || !obs_query(req, &q, &f))
		return ST_OK;
	q.page = page;
	q.page_size = limit;
	enum status st = query_span_rows(&q, &rows);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"data\":[");
	bool first = true;
	for (size_t i = 0; i < rows.n; i++) {
		struct span s;
		json_t *root;
		if (!span_parse(rows.rows[i].line, rows.rows[i].len, &s, &root))
			continue;
		if (!first)
			buf_addc(out, ',');
		first = false;
		langfuse_render_observation(out, req->arena, &s);
	}
	langfuse_page_meta(out, page, limit, rows.total);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- v2: a cursor, and the field groups asked for ---- */

static const struct {
	const char *name;
	unsigned bit;
} field_groups[] = {
    {"core", 0},
    {"basic", LG_BASIC},
    {"time", LG_TIME},
    {"io", LG_IO},
    {"metadata", LG_METADATA},
    {"model", LG_MODEL},
    {"usage", LG_USAGE},
    {"prompt", LG_PROMPT},
    {"metrics", LG_METRICS},
    {"trace_context", LG_TRACE_CONTEXT},
};

/* fields= as a mask (core and basic when absent); false when the 400 is written. */
static bool v2_groups(struct http_req *req, unsigned *out)
{
	const char *f = http_param(req, "fields");
	*out = LG_BASIC;
	if (!f)
		return true;
	*out = 0;
	while (*f) {
		size_t n = strcspn(f, ","), i;
		for (i = 0; i < sizeof field_groups / sizeof *field_groups; i++)
			if (strlen(field_groups[i].name) == n &&
			    !strncmp(f, field_groups[i].name, n))
				break;
		if (i == sizeof field_groups / sizeof *field_groups && n) {
			langfuse_bad(
			    req, "fields",
			    "Available field groups: core, basic, time, io, metadata, model, "
			    "usage, prompt, metrics, trace_context");
			return false;
		}
		if (i < sizeof field_groups / sizeof *field_groups)
			*out |= field_groups[i].bit;
		f += n + (f[n] == ',');
	}
	return true;
}

/* The cursor: the base64 of the last row's span id (the keyset of query_span_rows). */
static void cursor_put(struct buf *out, const char *id)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(id);
	const unsigned char *p = (const unsigned char *)id;
	buf_addc(out, '"');
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63],
			     i + 1 < n ? b64[v >> 6 & 63] : '=', i + 2 < n ? b64[v & 63] : '='};
		buf_add(out, q, 4);
	}
	buf_addc(out, '"');
}

static const char *cursor_get(struct http_req *req, const char *c)
{
	uint8_t raw[SPAN_MAX_ID * 4 + 1];
	size_t n;
	if (!hash_b64_decode(c, strlen(c), raw, sizeof raw - 1, &n) || !n || memchr(raw, 0, n))
		return NULL;
	return arena_strndup(req->arena, (const char *)raw, n);
}

/* The trace's members an observation shows with trace_context. */
static void trace_context(struct buf *out, struct langfuse_trace_cache *c, const struct span *s)
{
	const struct langfuse_trace_ctx *t =
	    s->trace_id ? langfuse_trace_ctx(c, s->trace_id) : NULL;
	/* Inside the object, before its closing brace. */
	out->len--;
	buf_adds(out, ",\"traceName\":");
	if (t && t->name)
		jsonw_string(out, t->name, strlen(t->name));
	else
		buf_adds(out, "null");
	buf_adds(out, ",\"tags\":");
	jsonw_value(out, t ? t->tags : json_array());
	buf_adds(out, ",\"release\":");
	if (t && t->release)
		jsonw_string(out, t->release, strlen(t->release));
	else
		buf_adds(out, "null");
	buf_addc(out, '}');
}

enum status langfuse_observations_v2(struct http_req *req)
{
	long long limit = LF_DEFAULT_LIMIT, page;
	unsigned g;
	struct query q;
	struct obs_filters f;
	struct query_rows rows;
	const char *cursor = http_param(req, "cursor"), *parse = http_param(req, "parseIoAsJson");
	bool pj;
	if (parse && http_text_bool(parse, &pj) && pj)
		return langfuse_bad(
		    req, "parseIoAsJson",
		    "parseIoAsJson is no longer supported: input and output are strings");
	if (!langfuse_paging(req, LF_MAX_LIMIT, &page, &limit) || !v2_groups(req, &g) ||
	    !obs_query(req, &q, &f))
		return ST_OK;
	q.limit = limit;
	if (cursor && !(q.after_id = cursor_get(req, cursor)))
		return langfuse_bad(req, "cursor", "Invalid cursor");
	enum status st = query_span_rows(&q, &rows);
	if (st == ST_NOT_FOUND)
		return langfuse_bad(req, "cursor",
				    "Invalid cursor: its observation is no longer listed");
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	struct buf *out = arena_buf(req->arena);
	struct langfuse_trace_cache *traces = langfuse_trace_cache_new(req);
	const char *last = NULL;
	buf_adds(out, "{\"data\":[");
	for (size_t i = 0; i < rows.n; i++) {
		struct span s;
		json_t *root;
		if (!span_parse(rows.rows[i].line, rows.rows[i].len, &s, &root))
			continue;
		if (last)
			buf_addc(out, ',');
		last = s.span_id;
		langfuse_render_observation_v2(out, req->arena, req->ws, &s, g);
		if (g & LG_TRACE_CONTEXT)
			trace_context(out, traces, &s);
	}
	buf_adds(out, "],\"meta\":{");
	if (rows.more && last) {
		buf_adds(out, "\"cursor\":");
		cursor_put(out, last);
	}
	buf_adds(out, "}}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
