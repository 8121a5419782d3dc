/* thread_marks: feedback scores and comments on threads (reference judgement.md 2.2, 2.4), as
 * judgements whose target is the thread's session with its project set. A score is one per
 * thread, name and author (judgement_key_id "fs-" over "thread", project/thread_id, name,
 * author), so a score sent again replaces its author's; a comment has a UUIDv7 id and is
 * edited and deleted by the comment routes of spans and traces (comments.c), which take any
 * comment. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/threads/thread.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/query/judgements.h"

/* ---- PUT threads/feedback-scores ---- */

/* The project of an item: its project_name, else the name of its project_id (404 when no span
 * names it), else the default one. */
static enum status item_project(struct http_req *req, json_t *it, const char **out)
{
	const char *name, *id;
	opik_opt_str(it, "project_name", &name);
	opik_opt_str(it, "project_id", &id);
	*out = name ? name : OPIK_DEFAULT_PROJECT;
	if (name || !id)
		return ST_OK;
	return opik_thread_project(req, NULL, id,
				   json_string_value(json_object_get(it, "thread_id")), out);
}

/* {"scores": [1 to OPIK_MAX_BATCH FeedbackScoreBatchItemThread]}: 204. The thread need not
 * have traces yet; a later item of the same thread, name and author wins. */
enum status opik_thread_scores(struct http_req *req)
{
	json_t *items, *it;
	size_t i;
	enum status st = opik_score_items(req, "thread_id", &items);
	if (st != ST_OK)
		return st;
	size_t n = json_array_size(items);
	struct judgement *js = arena_alloc(req->arena, n * sizeof *js);
	int64_t now = time_now();
	json_array_foreach(items, i, it)
	{
		const char *project, *thread = json_string_value(json_object_get(it, "thread_id"));
		if ((st = item_project(req, it, &project)) != ST_OK)
			return st;
		/* The thread's key: its project and thread_id (the brief's id rule). */
		opik_score_value(req, it, "thread",
				 arena_printf(req->arena, "%s/%s", project, thread), now, &js[i]);
		js[i].target = JT_SESSION;
		js[i].session_id = thread;
		js[i].project = project;
	}
	if ((st = opik_scores_upsert(req, js, n)) != ST_OK)
		return st;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* ---- POST threads/feedback-scores/delete ---- */

/* DeleteThreadFeedbackScores {project_name, thread_id, names: at most 1000, author?}: the
 * thread's scores of those names as Opik shows them (of that author when one is named); 204,
 * also for a project or thread that has none (a silent no-op, as Opik's). */
enum status opik_thread_scores_delete(struct http_req *req)
{
	json_t *body, *names;
	struct verrs v;
	const char *project = NULL, *thread = NULL, *author = NULL;
	size_t i;
	enum status st = opik_json_object(req, &body, &v);
	if (st != ST_OK)
		return st;
	names = json_object_get(body, "names");
	opik_need_str(&v, body, "project_name", &project);
	opik_need_str(&v, body, "thread_id", &thread);
	opik_need_strs(&v, body, "names", 0, true);
	if (!opik_opt_str(body, "author", &author))
		verrs_add(&v, json_pack("[s,s]", "body", "author"), "string_type",
			  "must be a string", NULL);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	struct jfilter f = {.session_id = thread,
			    .targets = 1u << JT_SESSION,

			    .view = &opik_view_score};
	struct jquery q = {.st = api_store(req), .a = req->arena, .ws = req->ws, .f = &f};
	struct jrows r = {0};
	if (json_array_size(names) && (st = query_judgements(&q, &r)) != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	const char **ids = arena_alloc(req->arena, (r.n ? r.n : 1) * sizeof *ids);
	size_t k = 0;
	for (i = 0; i < r.n; i++) {
		const struct judgement *j = &r.rows[i];
		bool named = false;
		for (size_t m = 0; m < json_array_size(names) && !named; m++)
			named = !strcmp(j->name, json_string_value(json_array_get(names, m)));
		if (named && (!j->project || !strcmp(j->project, project)) &&
		    (!author || !strcmp(author, opik_author(j))))
			ids[k++] = j->id;
	}
	if ((st = opik_delete_judgements(req, ids, k, NULL)) != ST_OK)
		return st;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* ---- comments ---- */

/* POST threads/{threadModelId}/comments {"text", "id"?}: 201, no body, Location the request's
 * path and the comment's id; 404 when no thread has that model id. */
enum status opik_thread_comment_create(struct http_req *req)
{
	json_t *body;
	const char *text, *project, *thread;
	struct judgement j;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK || (st = opik_comment_text(req, body, &text)) != ST_OK ||
	    (st = opik_thread_of_model(req, req->id, &project, &thread)) != ST_OK)
		return st;
	judgement_init(&j);
	j.target = JT_SESSION;
	j.session_id = thread;
	j.project = project;
	return opik_comment_put(req, body, text, &j);
}

/* GET threads/{threadModelId}/comments/{commentId}: 404 unless it is a comment the thread
 * shows: one of its project's, or of no project (a NeMo note of the session). */
enum status opik_thread_comment_get(struct http_req *req)
{
	struct jquery q = {.st = api_store(req), .a = req->arena, .ws = req->ws};
	struct judgement j;
	enum status st = query_judgement_get(&q, req->id2, &j);
	if (st != ST_OK && st != ST_NOT_FOUND)
		return http_fail(req, st, "%s", err_text(&q.err));
	if (st == ST_NOT_FOUND || !judgement_shows(&j, &opik_view_comment) ||
	    j.target != JT_SESSION || !j.session_id)
		return opik_comment_not_found(req, req->id2);
	if (j.project &&
	    strcasecmp(opik_thread_model_id(req->arena, j.project, j.session_id), req->id))
		return opik_comment_not_found(req, req->id2);
	if (!j.project) {
		const char *model = req->id, *project = NULL, *thread = NULL;
		if ((st = opik_threads_of_models(req, &model, 1, &project, &thread)) != ST_OK)
			return st;
		if (!thread || strcmp(thread, j.session_id))
			return opik_comment_not_found(req, req->id2);
	}
	struct buf *out = arena_buf(req->arena);
	opik_comment_out(out, &j);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
