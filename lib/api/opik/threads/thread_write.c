/* thread_write: what Opik changes of a thread (reference judgement.md 2.4): open and close it,
 * its tags (PATCH one by thread_model_id, or a batch), and delete it with its traces. Status
 * and tags are the thread's state judgement (thread.h), read, changed and written back under
 * the workspace's judgement lock (store_update_judgements); a delete writes the deleting
 * version of every span of the thread's traces, as a trace delete does, and deletes the
 * judgements of those traces and of the thread. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/threads/thread.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/query/judgements.h"

static const char *const project_needed =
    "Either 'project_name' or 'project_id' query param is required";

/* ---- the project a call names ---- */

struct project_find {
	struct arena *a;
	const char *id;	   /* the project id looked for */
	const char *found; /* its name, once a root names it */
	const char *last, *last_id;
};

static void project_seen(void *ctx, const struct query_trace *t)
{
	struct project_find *p = ctx;
	const char *v, *name = NULL;
	size_t vn;
	if (p->found)
		return;
	if (jline_get(t->root.line, t->root.len, "project", &v, &vn))
		name = jline_text(p->a, v, vn);
	if (!name)
		name = OPIK_DEFAULT_PROJECT;
	if (!p->last || strcmp(p->last, name)) {
		p->last = name;
		p->last_id = opik_project_id(p->a, name);
	}
	if (!strcmp(p->last_id, p->id))
		p->found = arena_strdup(p->a, name);
}

/* A visit run again, from one state of the workspace (query.visit_reset): what the run before
 * found goes. */
static void project_reset(void *ctx)
{
	((struct project_find *)ctx)->found = NULL;
}

/* The name of the project whose id is id, from the roots of the thread hint's traces (NULL:
 * every root of the workspace); NULL when none names it. */
static enum status project_by_id(struct http_req *req, const char *id, const char *hint,
				 const char **out)
{
	struct query q;
	struct filter f = {0};
	struct filter_cond c = {.field = FF_SESSION_ID, .op = FOP_EQ, .vals = &hint, .nvals = 1};
	struct project_find p = {req->arena, id, NULL, NULL, NULL};
	api_query_init(req, &q);
	q.roots_only = true;
	q.summary = true;
	if (hint) {
		f.conds = &c;
		f.n = 1;
		q.f = &f;
	}
	q.visit_reset = project_reset;
	enum status st = query_trace_visit(&q, project_seen, &p);
	if (st != ST_OK && st != ST_NOT_FOUND)
		return http_fail(req, st, "%s", err_text(&q.err));
	*out = p.found;
	return ST_OK;
}

enum status opik_thread_project(struct http_req *req, const char *name, const char *id,
				const char *hint, const char **out)
{
	enum status st;
	*out = NULL;
	opik_project_pick(&name, &id);
	if (!name && !id)
		return http_fail(req, ST_BAD_REQUEST, "%s", project_needed);
	if (name) {
		/* A project exists once a span names it (opik.md §10). */
		struct query q;
		struct filter f = {0};
		struct filter_cond c = {.field = FF_PROJECT,
					.op = FOP_EQ,
					.vals = &name,
					.nvals = 1,
					.or_absent = !strcmp(name, OPIK_DEFAULT_PROJECT)};
		size_t n = 0;
		api_query_init(req, &q);
		f.conds = &c;
		f.n = 1;
		q.f = &f;
		st = query_span_count(&q, &n);
		if (st != ST_OK && st != ST_NOT_FOUND)
			return http_fail(req, st, "%s", err_text(&q.err));
		*out = n ? name : NULL;
	} else {
		if ((st = project_by_id(req, id, hint, out)) != ST_OK)
			return st;
		if (!*out && hint && (st = project_by_id(req, id, NULL, out)) != ST_OK)
			return st;
	}
	return *out ? ST_OK : http_fail(req, ST_NOT_FOUND, "Project not found");
}

/* ---- model ids back to threads ---- */

enum status opik_threads_of_models(struct http_req *req, const char *const *models, size_t n,
				   const char **projects, const char **threads)
{
	struct store jst;
	size_t left = 0;
	store_judgements(&jst, api_store(req));
	for (size_t i = 0; i < n; i++) {
		const char *state = opik_thread_state_of(req->arena, models[i]);
		struct buf *line = arena_buf(req->arena);
		struct judgement j;
		json_t *root;
		projects[i] = threads[i] = NULL;
		if (state && store_get(&jst, req->ws, state, line) == ST_OK &&
		    judgement_parse(line->p, line->len, &j, &root)) {
			if (j.kind == JK_STATE && j.project && j.session_id) {
				projects[i] = arena_strdup(req->arena, j.project);
				threads[i] = arena_strdup(req->arena, j.session_id);
			}
			judgement_clear(&j);
			json_decref(root);
		}
		left += state && !threads[i];
	}
	if (!left)
		return ST_OK;
	/* A thread never opened, closed or tagged has no state: one pass over every thread. */
	struct opik_thread_scope all = {0};
	struct opik_thread *v;
	size_t k;
	enum status st = opik_threads_collect(req, &all, &v, &k);
	for (size_t t = 0; st == ST_OK && t < k; t++)
		for (size_t i = 0; i < n; i++)
			if (!threads[i] && models[i] && !strcasecmp(models[i], v[t].model_id))
				projects[i] = v[t].project, threads[i] = v[t].id;
	return st;
}

enum status opik_thread_of_model(struct http_req *req, const char *model, const char **project,
				 const char **thread)
{
	enum status st = opik_threads_of_models(req, &model, 1, project, thread);
	if (st == ST_OK && !*thread)
		st = http_fail(req, ST_NOT_FOUND, "Thread id: %s not found", model);
	return st;
}

/* ---- the state's read-modify-write ---- */

/* One thread whose state a call changes. */
struct target {
	const char *id; /* the state's */
	const char *project, *thread;
};

static int cmp_target(const void *a, const void *b)
{
	return strcmp(((const struct target *)a)->id, ((const struct target *)b)->id);
}

/* What a call changes of each state: its label, and its tags as TraceThreadUpdate says. */
struct edit {
	struct target *v;
	size_t n;
	const char *label;	   /* "active", "inactive", or NULL to keep */
	json_t *tags, *add, *drop; /* arrays, or NULL */
	bool merge;		   /* tags join the old ones instead of replacing them */
	const char *ws, *by;
	int64_t now;
};

static bool has(json_t *list, const char *s)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) if (json_is_string(x) &&
					   !strcmp(json_string_value(x), s)) return true;
	return false;
}

/* The tags after the edit: tags (joined to old with merge, else in its place), then
 * tags_to_add joined, then tags_to_remove taken away; each tag once. */
static json_t *tags_after(const struct edit *ed, json_t *old)
{
	json_t *out = json_array(), *src[3] = {NULL, NULL, ed->add}, *x;
	size_t i;
	src[0] = ed->tags && !ed->merge ? NULL : old;
	src[1] = ed->tags;
	for (int k = 0; k < 3; k++)
		json_array_foreach(src[k], i, x) if (json_is_string(x) &&
						     !has(out, json_string_value(x)) &&
						     !has(ed->drop, json_string_value(x)))
		    json_array_append(out, x);
	return out;
}

static enum status merge_state(void *ctx, struct arena *a, const char *id,
			       const struct judgement *cur, struct judgement *out, struct err *e)
{
	const struct edit *ed = ctx;
	struct target key = {id, NULL, NULL};
	const struct target *t = bsearch(&key, ed->v, ed->n, sizeof key, cmp_target);
	(void)a;
	if (!t)
		return ST_OK;
	if (cur && !cur->deleted) {
		judgement_copy(out, cur);
		out->updated_at = ed->now;
	} else {
		judgement_init(out);
		out->id = t->id;
		out->workspace = ed->ws;
		out->target = JT_SESSION;
		out->session_id = t->thread;
		out->project = t->project;
		out->kind = JK_STATE;
		out->label = "active";
		out->source = JS_API;
		out->api = OPIK_API;
		out->subtype = "thread";
		out->created_at = ed->now;
	}
	out->author = ed->by;
	if (ed->label)
		out->label = ed->label;
	if (ed->tags || ed->add || ed->drop) {
		json_t *tags = tags_after(ed, json_object_get(out->payload, "tags"));
		if (json_array_size(tags) > OPIK_THREAD_MAX_TAGS)
			return err_set(e, ST_BAD_REQUEST, "a thread takes at most %d tags",
				       OPIK_THREAD_MAX_TAGS);
		if (!out->payload)
			out->payload = json_object();
		json_object_set_new(out->payload, "tags", tags);
	}
	return ST_OK;
}

/* Writes the edit of the n threads (projects[i], threads[i]; a NULL thread is skipped). */
static enum status states_write(struct http_req *req, struct edit *ed, const char *const *projects,
				const char *const *threads, size_t n)
{
	struct err e = {0};
	ed->v = arena_alloc(req->arena, (n ? n : 1) * sizeof *ed->v);
	ed->n = 0;
	for (size_t i = 0; i < n; i++)
		if (threads[i])
			ed->v[ed->n++] = (struct target){
			    opik_thread_state_id(req->arena, projects[i], threads[i]), projects[i],
			    threads[i]};
	if (!ed->n)
		return ST_OK;
	qsort(ed->v, ed->n, sizeof *ed->v, cmp_target);
	const char **ids = arena_alloc(req->arena, ed->n * sizeof *ids);
	for (size_t i = 0; i < ed->n; i++)
		ids[i] = ed->v[i].id;
	ed->ws = req->ws;
	ed->by = req->principal;
	ed->now = time_now();
	struct ingest_to to = api_ingest_to(req);
	if (ingest_update_judgements(&to, ids, ed->n, merge_state, ed, &e) != ST_OK)
		return e.st == ST_BAD_REQUEST
			   ? http_fail(req, e.st, "%s", err_text(&e))
			   : http_fail(req, e.st, "not stored (%s); retry later", err_text(&e));
	return ST_OK;
}

/* ---- open and close ---- */

/* The thread ids of an open (thread_id) or a close (thread_ids when not empty, else
 * thread_id); problems to v. */
static void thread_ids(struct arena *a, json_t *body, bool many, struct verrs *v, const char ***ids,
		       size_t *n)
{
	const char *one = NULL;
	json_t *list = many ? json_object_get(body, "thread_ids") : NULL;
	size_t k = json_array_size(list);
	if (list && !json_is_null(list))
		opik_need_strs(v, body, "thread_ids", 0, false);
	if (!k)
		opik_need_str(v, body, "thread_id", &one);
	*n = k ? k : 1;
	*ids = arena_alloc(a, *n * sizeof **ids);
	for (size_t i = 0; i < k; i++)
		(*ids)[i] = json_string_value(json_array_get(list, i));
	if (!k)
		(*ids)[0] = one;
}

/* PUT threads/open (TraceThreadIdentifier) and threads/close (TraceThreadBatchIdentifier):
 * 204; 404 when the project is not there. */
static enum status open_close(struct http_req *req, const char *label)
{
	json_t *body;
	struct verrs v;
	const char **ids = NULL, *name, *id, *project;
	size_t n = 0;
	enum status st = opik_json_object(req, &body, &v);
	if (st != ST_OK)
		return st;
	thread_ids(req->arena, body, !strcmp(label, "inactive"), &v, &ids, &n);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	opik_opt_str(body, "project_name", &name);
	opik_opt_str(body, "project_id", &id);
	if ((st = opik_thread_project(req, name, id, ids[0], &project)) != ST_OK)
		return st;
	const char **projects = arena_alloc(req->arena, n * sizeof *projects);
	for (size_t i = 0; i < n; i++)
		projects[i] = project;
	struct edit ed = {.label = label};
	if ((st = states_write(req, &ed, projects, ids, n)) != ST_OK)
		return st;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

enum status opik_thread_open(struct http_req *req)
{
	return open_close(req, "active");
}

enum status opik_thread_close(struct http_req *req)
{
	return open_close(req, "inactive");
}

/* ---- tags ---- */

/* A TraceThreadUpdate's tag lists into ed (each an array of strings, or absent), or 422s. */
static void update_parse(json_t *update, json_t *loc, struct edit *ed, struct verrs *v)
{
	static const char *const keys[] = {"tags", "tags_to_add", "tags_to_remove"};
	json_t **lists[] = {&ed->tags, &ed->add, &ed->drop}, *x;
	size_t i;
	if (!json_is_object(update)) {
		verrs_add(v, loc, "missing", "must not be null", NULL);
		return;
	}
	for (int k = 0; k < 3; k++) {
		json_t *l = json_object_get(update, keys[k]);
		bool ok = !l || json_is_null(l) || json_is_array(l);
		json_array_foreach(l, i, x) ok =
		    ok && json_is_string(x) && json_string_length(x) <= JUDGEMENT_MAX_NAME;
		if (!ok || json_array_size(l) > OPIK_THREAD_MAX_TAGS)
			verrs_add_field(v, loc, keys[k], "list_type",
					"must be a list of at most 100 strings", NULL);
		*lists[k] = json_is_array(l) ? l : NULL;
	}
	json_decref(loc);
}

/* PATCH threads/{threadModelId} (TraceThreadUpdate): 204; 404 when no thread has that id. */
enum status opik_thread_update(struct http_req *req)
{
	json_t *body;
	struct verrs v;
	struct edit ed = {0};
	const char *project, *thread;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	verrs_init(&v);
	update_parse(body, json_pack("[s]", "body"), &ed, &v);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	if ((st = opik_thread_of_model(req, req->id, &project, &thread)) != ST_OK ||
	    (st = states_write(req, &ed, &project, &thread, 1)) != ST_OK)
		return st;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* PATCH threads/batch {"ids" (or "thread_model_ids", an older backend's name): 1 to 1000
 * thread_model_ids, "update": TraceThreadUpdate, "merge_tags"}: 204; ids that name no thread
 * are left alone. */
enum status opik_thread_patch_batch(struct http_req *req)
{
	json_t *body, *ids_j, *merge;
	struct verrs v;
	struct edit ed = {0};
	const char **ids = NULL;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	ids_j = json_object_get(body, "ids");
	if (!ids_j)
		ids_j = json_object_get(body, "thread_model_ids");
	merge = json_object_get(body, "merge_tags");
	verrs_init(&v);
	opik_batch_ids(req, ids_j, &ids, &v);
	update_parse(json_object_get(body, "update"), json_pack("[s,s]", "body", "update"), &ed,
		     &v);
	if (merge && !json_is_null(merge) && !json_is_boolean(merge))
		verrs_add(&v, json_pack("[s,s]", "body", "merge_tags"), "bool_type",
			  "must be a boolean", NULL);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	ed.merge = json_is_true(merge);
	size_t n = json_array_size(ids_j);
	const char **projects = arena_alloc(req->arena, n * sizeof *projects);
	const char **threads = arena_alloc(req->arena, n * sizeof *threads);
	if ((st = opik_threads_of_models(req, ids, n, projects, threads)) != ST_OK ||
	    (st = states_write(req, &ed, projects, threads, n)) != ST_OK)
		return st;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}
