/* read: Opik's reads (reference opik.md §2, §3, §6, §10; the seed page opik-v1-list-spans):
 * by id, pages, streamed searches, and the one projects call the SDK makes. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/judgements/judged.h"
#include "lib/api/opik/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/base/utf8.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/crosswalk.h"
#include "lib/query/judgements.h"
#include "lib/query/search.h"

/* Opik's sortableBy: the fields spandex orders spans and traces by (sorting_parse). */
static const char sortable[] = "[\"start_time\",\"end_time\",\"duration\","
			       "\"total_estimated_cost\",\"feedback_scores.*\"]";

/* from_time/to_time: Opik's creation window; spandex's is the start time (indexed). */
enum status opik_time_window(struct http_req *req, const char *from, const char *to,
			     struct filter_cond *c, size_t *n)
{
	const char *bound[2] = {from, to};
	for (int b = 0; b < 2; b++) {
		if (!bound[b])
			continue;
		c[*n] = (struct filter_cond){.field = FF_STARTED_AT, .op = b ? FOP_LTE : FOP_GTE};
		if (!time_parse(bound[b], false, &c[(*n)++].us))
			return http_fail(req, ST_BAD_REQUEST, "%s must be an ISO 8601 date-time",
					 b ? "to_time" : "from_time");
	}
	if (from && to && c[*n - 2].us >= c[*n - 1].us)
		return http_fail(req, ST_BAD_REQUEST,
				 "Parameter 'from_time' must be before 'to_time'");
	return ST_OK;
}

enum status opik_get_span(struct http_req *req)
{
	struct span s;
	json_t *root;
	struct opik_marks *marks;
	enum status st;
	if (!query_span_get(api_store(req), req->ws, req->arena, req->id, &s, &root) ||
	    opik_is_trace_row(&s))
		return http_fail(req, ST_NOT_FOUND, "Span not found");
	if ((st = opik_marks_of(req, OPIK_SPAN, &req->id, NULL, 1, &marks)) != ST_OK)
		return st;
	struct buf *out = arena_buf(req->arena);
	opik_render(out, req->arena, OPIK_SPAN, &s, NULL, marks, NULL);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* A trace row, and the rollup of its spans, as the public Trace; false when its root's line
 * does not parse (nothing written). A root that names no thread shows the session another of
 * its spans names (t->session), as the thread list counts the trace in it. */
static bool trace_out(struct http_req *req, struct buf *out, const struct query_trace *t,
		      const struct opik_marks *marks, json_t *exclude)
{
	struct span s;
	json_t *root;
	if (!span_parse(t->root.line, t->root.len, &s, &root))
		return false;
	if (t->session && !opik_thread_of(&s))
		s.session_id = jline_text(req->arena, t->session, strlen(t->session));
	opik_render(out, req->arena, OPIK_TRACE, &s, &t->u, marks, exclude);
	return true;
}

/* The scores and comments of a page of spans (r) or traces (t), in one pass. */
static enum status page_marks(struct http_req *req, enum opik_entity ent,
			      const struct query_rows *r, const struct query_traces *t,
			      struct opik_marks **marks)
{
	size_t n = ent == OPIK_SPAN ? r->n : t->n;
	const char **ids = arena_alloc(req->arena, (n ? n : 1) * sizeof *ids);
	const char **roots =
	    ent == OPIK_TRACE ? arena_alloc(req->arena, (n ? n : 1) * sizeof *roots) : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct query_row *row = ent == OPIK_SPAN ? &r->rows[i] : &t->rows[i].root;
		ids[i] = opik_line_id(req->arena, ent, row->line, row->len);
		ids[i] = ids[i] ? ids[i] : "";
		if (roots) {
			roots[i] = opik_line_id(req->arena, OPIK_SPAN, row->line, row->len);
			roots[i] = roots[i] ? roots[i] : ids[i];
		}
	}
	return opik_marks_of(req, ent, ids, roots, n, marks);
}

enum status opik_get_trace(struct http_req *req)
{
	struct query_trace t;
	struct opik_marks *marks;
	bool found;
	enum status st = opik_trace_marks(req, req->id, &t, &found, &marks);
	if (st != ST_OK)
		return st;
	if (!found)
		return http_fail(req, ST_NOT_FOUND, "Trace not found");
	struct buf *out = arena_buf(req->arena);
	trace_out(req, out, &t, marks, NULL);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- lists and searches: the conditions ---- */

struct list {
	struct query q;
	struct filter f;
	struct filter_cond conds[5]; /* project, trace, kinds, from, to */
	struct query_pred pred;
	json_t *exclude;
};

/* The project, trace, type, filters, search and time window of a list or search. project and
 * project_id: one is needed (400). */
static enum status scope(struct http_req *req, enum opik_entity ent, struct list *l,
			 const char *project, const char *project_id, const char *trace_id,
			 const char *type, json_t *filters, const char *filters_text,
			 const char *search, const char *from, const char *to)
{
	struct opik_filter *of;
	enum status st;
	api_query_init(req, &l->q);
	opik_project_pick(&project, &project_id);
	if (!project && !project_id)
		return http_fail(req, ST_BAD_REQUEST,
				 "Either 'project_name' or 'project_id' query param is required");
	/* An id the process made of a name (the UI asks by id) is that name's alone, so the
	 * name's index condition and counts answer for it below, and no root's project is
	 * tested; an id it never made is tested on each root (opik_match), which makes it. */
	const char *named = project_id ? opik_project_named(project_id) : NULL;
	if (named && !opik_blank(named))
		project = named, project_id = NULL;
	if ((st = opik_filter_parse(req, ent, filters, filters_text, &of)) != ST_OK)
		return st;
	opik_filter_scope(of, project, type);
	/* A project id is the one opik_project_id makes of its name: only names are stored. */
	if (project_id)
		opik_filter_project_id(of, project_id);
	opik_filter_pred(of, &l->pred);
	opik_filter_rollup(of, &l->q);
	if ((st = opik_filter_judged(of, req, &l->q)) != ST_OK)
		return st;
	l->q.preds = &l->pred;
	l->q.npreds = 1;
	/* Newest first: ties in the start time by id, in the sort's direction (Opik orders by
	 * its UUID v7 ids descending, opik.md §2), not by when a version was written. Only in
	 * the start time's order (list turns it off for the others), where ties are few: a tie
	 * is broken from the two lines (ties_lazy), and a cost or duration most items share
	 * (none, open) would read every item's line. */
	l->q.ties_by_ids = l->q.ties_lazy = true;
	/* The index narrows by the project's and the trace's hashes before the predicate; the
	 * default project is also every span without one. */
	size_t n = 0;
	if (project) {
		l->conds[n] =
		    (struct filter_cond){.field = FF_PROJECT,
					 .op = FOP_EQ,
					 .nvals = 1,
					 .or_absent = !strcmp(project, OPIK_DEFAULT_PROJECT)};
		l->conds[n].vals = arena_alloc(req->arena, sizeof(char *));
		l->conds[n++].vals[0] = project;
	}
	if (trace_id) {
		l->conds[n] = (struct filter_cond){.field = FF_TRACE_ID, .op = FOP_EQ, .nvals = 1};
		l->conds[n].vals = arena_alloc(req->arena, sizeof(char *));
		l->conds[n++].vals[0] = trace_id;
	}
	uint32_t kinds = opik_filter_kinds(of);
	if (kinds)
		l->conds[n++] =
		    (struct filter_cond){.field = FF_KIND, .op = FOP_IN, .enums = kinds};
	if ((st = opik_time_window(req, from, to, l->conds, &n)) != ST_OK)
		return st;
	l->f.conds = l->conds;
	l->f.n = n;
	l->q.f = &l->f;
	/* The project name alone: the index condition above says what the predicate would, so
	 * no line is read for it, and a page of traces takes its total from the days' counts
	 * (lib/query/tpage.c) rather than every root of its window (issue 57). */
	if (project && opik_filter_project_only(of))
		l->q.npreds = 0;
	/* Opik matches its search text as one phrase (lib/query/search.h). */
	if (search) {
		const char **terms;
		enum search_parse r =
		    search_phrase_terms(req->arena, search, &terms, &l->q.nsearch);
		if (r != SEARCH_OK)
			return http_fail(req, ST_BAD_REQUEST, "%s", search_parse_msg(r));
		l->q.search = terms;
	}
	/* The texts the conditions on a name, input or output hold, as terms too: the text index
	 * narrows the candidates by them before each one's line is read (issue 57: a traces page
	 * with a name `contains`, as the UI filters while the user types, read every root's line,
	 * 191 ms at 1M). Not past a search box's terms, nor past the tests that make a query
	 * expensive from its start. */
	size_t room = SEARCH_MAX_TERMS - l->q.nsearch, tests = l->pred.tests + l->q.nsearch;
	if (l->q.npreds && tests < QUERY_HEAVY_TESTS) {
		const char **all = arena_alloc(req->arena, SEARCH_MAX_TERMS * sizeof *all);
		if (room > QUERY_HEAVY_TESTS - 1 - tests)
			room = QUERY_HEAVY_TESTS - 1 - tests;
		size_t n = opik_filter_terms(of, all + l->q.nsearch, room, SEARCH_MAX_TERM);
		if (n) {
			if (l->q.nsearch)
				memcpy(all, l->q.search, l->q.nsearch * sizeof *all);
			l->q.search = all;
			l->q.nsearch += n;
			l->q.nsearch_hints = n; /* the predicate tests them on the line */
		}
	}
	return ST_OK;
}

enum status opik_list_query(struct http_req *req, enum opik_entity ent, const char *project,
			    const char *project_id, const char *trace_id, const char *type,
			    const char *filters_text, const char *search, const char *from,
			    const char *to, struct query **q)
{
	struct list *l = arena_alloc(req->arena, sizeof *l);
	memset(l, 0, sizeof *l);
	*q = &l->q;
	return scope(req, ent, l, project, project_id, trace_id, type, NULL, filters_text, search,
		     from, to);
}

/* At most OPIK_MAX_EXCLUDE names in an exclude list (400). */
static enum status exclude_check(struct http_req *req, json_t *ex)
{
	if (json_array_size(ex) > OPIK_MAX_EXCLUDE)
		return http_fail(req, ST_BAD_REQUEST, "exclude takes at most %d field names",
				 OPIK_MAX_EXCLUDE);
	return ST_OK;
}

/* exclude=["input", ...] (a JSON array of field names; 400 otherwise). */
static enum status exclude_parse(struct http_req *req, const char *text, json_t **out)
{
	*out = NULL;
	if (!text || !*text)
		return ST_OK;
	*out = json_loads(text, 0, NULL);
	if (!json_is_array(*out)) {
		*out = NULL;
		return http_fail(req, ST_BAD_REQUEST, "Invalid exclude query parameter '%.200s'",
				 text);
	}
	return exclude_check(req, *out);
}

enum status opik_sorting_first(struct http_req *req, const char *text, const char **field,
			       bool asc_default, bool *asc)
{
	*field = NULL;
	*asc = false;
	if (!text || !*text)
		return ST_OK;
	json_t *j = json_loads(text, 0, NULL);
	if (!json_is_array(j))
		return http_fail(req, ST_BAD_REQUEST, "Invalid sorting query parameter '%.200s'",
				 text);
	json_t *first = json_array_get(j, 0);
	const char *dir = json_string_value(json_object_get(first, "direction"));
	*field = json_string_value(json_object_get(first, "field"));
	*asc = dir ? !strcasecmp(dir, "ASC") : asc_default;
	return ST_OK;
}

/* sorting=[{"field":"start_time","direction":"ASC"}] (no direction: ASC, as Opik's
 * SortingQueryBuilder reads it): the start time, end_time, duration or
 * total_estimated_cost (a trace's: its root's end and duration, its spans' cost; an open end
 * and a missing cost count 0); or feedback_scores.<name>: by each item's score of the name
 * (the mean of its authors'), the items without one last either way. Other fields are
 * ignored, as Opik ignores those it cannot sort by (§7.4); sortableBy names those spandex
 * takes. */
static enum status sorting_parse(struct http_req *req, enum opik_entity ent, const char *text,
				 struct query *q)
{
	const char *field;
	bool asc;
	enum status st0 = opik_sorting_first(req, text, &field, true, &asc);
	if (st0 != ST_OK)
		return st0;
	const char *by_score = field && !strncmp(field, "feedback_scores.", 16) ? field + 16 : NULL;
	static const struct {
		const char *field;
		enum query_order order;
	} orders[] = {
	    {"end_time", QO_END}, {"duration", QO_DURATION}, {"total_estimated_cost", QO_COST}};
	for (size_t i = 0; field && i < sizeof orders / sizeof *orders; i++)
		if (!strcmp(field, orders[i].field)) {
			q->order = orders[i].order;
			q->sort = asc ? "started_at" : "-started_at";
		}
	if (field && (!strcmp(field, "start_time") || (by_score && *by_score)))
		q->sort = asc ? "started_at" : "-started_at";
	if (by_score && *by_score) {
		struct jquery jq = {.st = api_store(req), .a = req->arena, .ws = req->ws};
		struct query_keys *k = arena_alloc(req->arena, sizeof *k);
		enum status st = opik_judged_keys(&jq, ent, by_score, k);
		if (st != ST_OK)
			return http_fail(req, st, "%s", err_text(&jq.err));
		q->order = QO_KEYS;
		q->order_keys = k;
	}
	return ST_OK;
}

/* The rows of l's query, spans into r or traces (their roots' rows) into t, with their marks;
 * a search's cursor that is gone is nothing after it. */
static enum status rows_of(struct http_req *req, enum opik_entity ent, struct list *l,
			   struct query_rows *r, struct query_traces *t, struct opik_marks **marks)
{
	enum status st;
	if (ent == OPIK_SPAN) {
		st = query_span_rows(&l->q, r);
	} else {
		l->q.roots_only = true;
		st = query_trace_rows(&l->q, t);
	}
	if (st == ST_NOT_FOUND && l->q.after_id)
		r->n = t->n = 0, st = ST_OK;
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&l->q.err));
	return page_marks(req, ent, r, t, marks);
}

/* The items of r or t into the open stream, a piece at a time (http_stream_flush; the caller
 * flushes the rest), each rendered in memory given back after it (arena_mark): sep before each
 * but the first (a page's ","), end after each (a search's "\r\n"); an item that does not
 * render is left out. */
static void items_out(struct http_req *req, enum opik_entity ent, const struct list *l,
		      const struct query_rows *r, const struct query_traces *t,
		      struct opik_marks *marks, struct buf *out, const char *sep, const char *end)
{
	bool first = true;
	for (size_t i = 0; i < (ent == OPIK_SPAN ? r->n : t->n); i++) {
		struct arena_mark m = arena_mark(req->arena);
		size_t at = out->len;
		if (!first)
			buf_adds(out, sep);
		if (ent == OPIK_SPAN ? opik_render_line(out, req->arena, OPIK_SPAN, r->rows[i].line,
							r->rows[i].len, NULL, &marks[i], l->exclude)
				     : trace_out(req, out, &t->rows[i], &marks[i], l->exclude)) {
			buf_adds(out, end);
			first = false;
		} else {
			out->len = at;
		}
		arena_release(req->arena, m);
		http_stream_flush(req, out, false);
	}
}

static enum status list(struct http_req *req, enum opik_entity ent)
{
	const struct http_pval *pv = req->pv;
	struct list *l = arena_alloc(req->arena, sizeof *l);
	enum status st;
	memset(l, 0, sizeof *l);
	if ((st = scope(req, ent, l, pv[OL_PROJECT_NAME].s, pv[OL_PROJECT_ID].s,
			ent == OPIK_SPAN ? pv[OL_TRACE_ID].s : NULL,
			ent == OPIK_SPAN ? pv[OL_TYPE].s : NULL, NULL, pv[OL_FILTERS].s,
			pv[OL_SEARCH].s, pv[OL_FROM].s, pv[OL_TO].s)) != ST_OK ||
	    (st = exclude_parse(req, pv[OL_EXCLUDE].s, &l->exclude)) != ST_OK ||
	    (st = sorting_parse(req, ent, pv[OL_SORTING].s, &l->q)) != ST_OK)
		return st;
	l->q.ties_by_ids = l->q.order == QO_START;
	l->q.page = pv[OL_PAGE].i;
	l->q.page_size = pv[OL_SIZE].i;
	/* The page is streamed (items_out): never held whole, nor twice. */
	struct buf *out = arena_buf(req->arena);
	struct query_rows r = {0};
	struct query_traces t = {0};
	struct opik_marks *marks;
	if ((st = rows_of(req, ent, l, &r, &t, &marks)) != ST_OK)
		return st;
	/* size is the number of items on this page (opik.md §2). */
	http_stream_open(req, 200, "application/json");
	buf_printf(out, "{\"page\":%lld,\"size\":%zu,\"total\":%zu,\"content\":[", l->q.page,
		   ent == OPIK_SPAN ? r.n : t.n, ent == OPIK_SPAN ? r.total : t.total);
	items_out(req, ent, l, &r, &t, marks, out, ",", "");
	buf_printf(out, "],\"sortableBy\":%s}", sortable);
	http_stream_flush(req, out, true);
	return ST_OK;
}

enum status opik_list_spans(struct http_req *req)
{
	return list(req, OPIK_SPAN);
}

enum status opik_list_traces(struct http_req *req)
{
	return list(req, OPIK_TRACE);
}

/* POST spans/search, traces/search (§6): the body's conditions, then the items newest first as
 * a stream of compact JSON objects, each followed by \r\n. last_retrieved_id continues after
 * that item. */
static enum status search(struct http_req *req, enum opik_entity ent)
{
	json_t *body;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	if (!json_is_object(body))
		return http_fail(req, ST_BAD_REQUEST, "The search body must be an object");
	struct list *l = arena_alloc(req->arena, sizeof *l);
	memset(l, 0, sizeof *l);
	json_t *ex = json_object_get(body, "exclude");
	long long limit;
	if ((st = opik_search_limit(req, body, &limit)) != ST_OK)
		return st;
#define S(k) json_string_value(json_object_get(body, k))
	/* A span type that is no SpanType: Jackson's enum refusal, Dropwizard's 400. */
	json_t *type = json_object_get(body, "type");
	if (ent == OPIK_SPAN && type && !json_is_null(type) &&
	    crosswalk_kind(&opik_crosswalk, json_string_value(type)) < 0)
		return http_fail(req, ST_BAD_REQUEST, "Unable to process JSON");
	if ((st = scope(req, ent, l, S("project_name"), S("project_id"),
			ent == OPIK_SPAN ? S("trace_id") : NULL,
			ent == OPIK_SPAN ? S("type") : NULL, json_object_get(body, "filters"), NULL,
			S("search"), S("from_time"), S("to_time"))) != ST_OK)
		return st;
	if (ex && !json_is_null(ex) && !json_is_array(ex))
		return http_fail(req, ST_BAD_REQUEST, "exclude must be an array of field names");
	l->exclude = json_is_array(ex) ? ex : NULL;
	if ((st = exclude_check(req, l->exclude)) != ST_OK)
		return st;
	l->q.limit = limit;
	l->q.no_total = true; /* a stream has no total */
	l->q.after_id = opik_cursor(body, "last_retrieved_id");
#undef S
	struct buf *out = arena_buf(req->arena);
	struct query_rows r = {0};
	struct query_traces t = {0};
	struct opik_marks *marks;
	if ((st = rows_of(req, ent, l, &r, &t, &marks)) != ST_OK)
		return st;
	http_stream_open(req, 200, "application/octet-stream");
	items_out(req, ent, l, &r, &t, marks, out, "", "\r\n");
	http_stream_flush(req, out, true);
	return ST_OK;
}

enum status opik_search_spans(struct http_req *req)
{
	return search(req, OPIK_SPAN);
}

enum status opik_search_traces(struct http_req *req)
{
	return search(req, OPIK_TRACE);
}

/* POST projects/retrieve {"name"}: the project exists once a span names it (§10). */
enum status opik_project_retrieve(struct http_req *req)
{
	json_t *body;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	const char *name = json_string_value(json_object_get(body, "name"));
	if (!name || !*name)
		return http_fail(req, ST_BAD_REQUEST, "name is required");
	struct list *l = arena_alloc(req->arena, sizeof *l);
	memset(l, 0, sizeof *l);
	if ((st = scope(req, OPIK_SPAN, l, name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)) !=
	    ST_OK)
		return st;
	opik_filter_all(l->pred.ctx);
	size_t n;
	if ((st = query_span_count(&l->q, &n)) != ST_OK)
		return http_fail(req, st, "%s", err_text(&l->q.err));
	if (!n)
		return http_fail(req, ST_NOT_FOUND, "Project not found");
	struct buf *out = arena_buf(req->arena);
	const char *id = opik_project_id(req->arena, name);
	buf_adds(out, "{\"id\":");
	jsonw_string(out, id, strlen(id));
	buf_adds(out, ",\"name\":");
	jsonw_string(out, name, strlen(name));
	buf_addc(out, '}');
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- GET projects: the names the spans carry ---- */

/* A visit run again, from one state of the workspace (query.visit_reset): the projects of
 * the run before go. */
static void projects_reset(void *ctx)
{
	json_object_clear(ctx);
}

/* Each span's project (none: the default) with its first and last start time, from the line
 * alone; name -> [first us, last us]. */
static void project_seen(void *ctx, const struct query_row *row)
{
	json_t *seen = ctx;
	const char *line = row->line;
	size_t n = row->len;
	const char *v, *t;
	size_t vn, tn;
	char name[1024], ts[64];
	int64_t us = 0;
	const char *p = OPIK_DEFAULT_PROJECT;
	if (jline_get(line, n, "project", &v, &vn) && v[0] == '"') {
		size_t m = jline_unquote(v, vn, name, sizeof name - 1);
		if (m == (size_t)-1)
			return; /* a name longer than a project name can be: not one of these */
		name[m] = 0;
		p = name;
	}
	if (jline_get(line, n, "started_at", &t, &tn) && tn >= 2 && tn - 2 < sizeof ts) {
		memcpy(ts, t + 1, tn - 2);
		ts[tn - 2] = 0;
		time_parse(ts, false, &us);
	}
	json_t *r = json_object_get(seen, p);
	if (!r)
		json_object_set_new(seen, p, json_pack("[I,I]", (json_int_t)us, (json_int_t)us));
	else if (us < json_integer_value(json_array_get(r, 0)))
		json_array_set_new(r, 0, json_integer(us));
	else if (us > json_integer_value(json_array_get(r, 1)))
		json_array_set_new(r, 1, json_integer(us));
}

struct project {
	const char *name;
	int64_t first, last;
};

static int by_last(const void *a, const void *b)
{
	const struct project *x = a, *y = b;
	return x->last != y->last ? (x->last < y->last ? 1 : -1) : strcmp(x->name, y->name);
}

/* GET projects (§10, the UI's list): every project a span of the workspace names, the most
 * recently active first; name= keeps those whose name contains it (case-blind). A scan of
 * every span's line: bounded by the query budget like any query. */
enum status opik_list_projects(struct http_req *req)
{
	const struct http_pval *pv = req->pv;
	json_t *seen = json_object();
	struct query q;
	api_query_init(req, &q);
	q.visit_reset = projects_reset;
	enum status st = query_span_visit(&q, project_seen, seen);
	if (st != ST_OK && st != ST_NOT_FOUND) /* no workspace yet: no projects */
		return http_fail(req, st, "%s", err_text(&q.err));
	size_t n = 0, cap = json_object_size(seen);
	struct project *ps = arena_alloc(req->arena, (cap ? cap : 1) * sizeof *ps);
	const char *k, *want = pv[OP_NAME].s;
	json_t *x;
	json_object_foreach(seen, k, x)
	{
		if (want && *want && !utf8_casefind(k, strlen(k), want, strlen(want)))
			continue;
		ps[n++] = (struct project){k, json_integer_value(json_array_get(x, 0)),
					   json_integer_value(json_array_get(x, 1))};
	}
	qsort(ps, n, sizeof *ps, by_last);
	long long page = pv[OP_PAGE].i, size = pv[OP_SIZE].i;
	size_t from = (size_t)((page - 1) * size < (long long)n ? (page - 1) * size : (long long)n);
	size_t to = from + (size_t)size < n ? from + (size_t)size : n;
	struct buf *out = arena_buf(req->arena);
	buf_printf(out, "{\"page\":%lld,\"size\":%zu,\"total\":%zu,\"content\":[", page, to - from,
		   n);
	for (size_t i = from; i < to; i++) {
		char first[40], last[40];
		const char *id = opik_project_id(req->arena, ps[i].name);
		time_format(ps[i].first, first);
		time_format(ps[i].last, last);
		buf_adds(out, i > from ? ",{\"id\":" : "{\"id\":");
		jsonw_string(out, id, strlen(id));
		buf_adds(out, ",\"name\":");
		jsonw_string(out, ps[i].name, strlen(ps[i].name));
		buf_printf(
		    out,
		    ",\"visibility\":\"private\",\"created_at\":\"%s\",\"last_updated_at\":\"%s\","
		    "\"last_updated_trace_at\":\"%s\"}",
		    first, last, last);
	}
	buf_adds(out, "],\"sortableBy\":[]}");
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
