/* thread_delete: POST traces/threads/delete (reference judgement.md 2.4, DeleteTraceThreads):
 * the threads' traces go as a trace delete takes them (opik_traces_gone: a deleting version of
 * every span, their judgements too), and what Opik kept of each thread (its state, scores and
 * comments). */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/threads/thread.h"

#include <stdlib.h>
#include <string.h>
#include "lib/query/judgements.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* {project_name|project_id, thread_ids: 1 to OPIK_MAX_BATCH}: 204; 404 when the project is not
 * there; thread ids with no traces delete what Opik kept of them, if anything. */
enum status opik_threads_delete(struct http_req *req)
{
	json_t *body, *list;
	struct verrs v;
	size_t i;
	enum status st = opik_json_object(req, &body, &v);
	if (st != ST_OK)
		return st;
	list = json_object_get(body, "thread_ids");
	opik_need_strs(&v, body, "thread_ids", 1, false);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	size_t n = json_array_size(list);
	const char **wanted = arena_alloc(req->arena, n * sizeof *wanted), *project;
	for (i = 0; i < n; i++)
		wanted[i] = json_string_value(json_array_get(list, i));
	struct opik_thread_scope sc = {json_string_value(json_object_get(body, "project_name")),
				       json_string_value(json_object_get(body, "project_id")),
				       NULL,
				       NULL,
				       NULL,
				       NULL};
	if ((st = opik_thread_project(req, sc.project, sc.project_id, wanted[0], &project)) !=
	    ST_OK)
		return st;
	sc.project = project;
	/* The project's threads in one pass; the traces of those named. */
	struct opik_thread *t;
	size_t k, ntr = 0;
	if ((st = opik_threads_collect(req, &sc, &t, &k)) != ST_OK)
		return st;
	qsort(wanted, n, sizeof *wanted, cmp_str);
	bool *hit = arena_alloc(req->arena, (k ? k : 1) * sizeof *hit);
	for (size_t a = 0; a < k; a++)
		if ((hit[a] = bsearch(&t[a].id, wanted, n, sizeof *wanted, cmp_str) != NULL))
			ntr += t[a].traces;
	const char **traces = arena_alloc(req->arena, (ntr ? ntr : 1) * sizeof *traces);
	ntr = 0;
	for (size_t a = 0; a < k; a++)
		for (size_t r = 0; hit[a] && r < t[a].traces; r++)
			traces[ntr++] = t[a].trace_ids[r];
	/* What Opik kept of the threads, and what it showed as theirs: their sessions' judgements
	 * of the project, and those of no project (NeMo's session notes and labels). */
	struct jfilter kept = {
	    .targets = 1u << JT_SESSION, .project = project, .project_or_none = true};
	if ((ntr && (st = opik_traces_gone(req, traces, ntr)) != ST_OK) ||
	    (st = opik_delete_judgements_of(req, JT_SESSION, wanted, n, &kept)) != ST_OK)
		return st;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}
