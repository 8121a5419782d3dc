/* thread: Opik's trace threads (reference judgement.md 2.4) over spandex's sessions. A thread
 * is a session within a project: the traces of the project whose session (their root's, or the
 * one another of their spans names: docs/api-intake.md, "Sessions") is the thread_id. What Opik
 * keeps of a thread beside its traces is judgements of the session with the project set: its status
 * and tags one state (JK_STATE, subtype "thread", label active|inactive, payload {"tags":[...]})
 * whose id is judgement_key_id("thread-", {project, thread_id}), its feedback scores and its
 * comments. Its thread_model_id is the 32 hex digits of that id laid out as a UUID
 * (8-4-4-4-12; no version bits are forced, so none are lost): every program gives a thread the
 * same one, and a model id maps back to the state's id. Everything lives in the request's
 * arena. */
#ifndef SPANDEX_API_OPIK_THREADS_H
#define SPANDEX_API_OPIK_THREADS_H

#include "lib/api/opik/judgements/judged.h"

#define OPIK_THREAD_PREFIX "thread-" /* of a state's id */
#define OPIK_THREAD_MAX_TAGS 100     /* tags of one thread; more is a 400 */

/* One thread, as a page or a stream shows it. */
struct opik_thread {
	const char *id, *project, *model_id;	  /* thread_id, project name, thread_model_id */
	int64_t start, end;			  /* end SPAN_NONE_I64 while no trace has ended */
	size_t traces;				  /* number_of_messages is twice this */
	const char **trace_ids;			  /* the ids of those traces */
	struct query_rollup u;			  /* its traces' spans: cost and usage */
	int64_t created, updated;		  /* earliest trace created_at, last version */
	const char *first_trace, *last_trace;	  /* whose input, whose output it shows */
	const char *first_message, *last_message; /* JSON, once opik_threads_messages ran */
	const struct judgement *state;		  /* NULL: never opened, closed or tagged */
	struct opik_marks marks;		  /* its scores and comments */
	bool inactive;
	json_t *tags; /* an array */
};

/* Which threads: of one project (by name, else by id), one thread or all, and the conditions
 * on the traces that make them (their start within [from, to], their text holding search). */
struct opik_thread_scope {
	const char *project, *project_id;
	const char *thread_id;
	const char *from, *to, *search;
};

/* Every thread of the scope with its judgements, in no order: a pass over the scope's traces
 * and one over the judgements of their sessions (not a query per thread). 400 in the dialect
 * for a bad time or search. */
enum status opik_threads_collect(struct http_req *req, const struct opik_thread_scope *sc,
				 struct opik_thread **out, size_t *n);
/* Reads the first and last messages of the n threads v points to, one pass over their traces. */
enum status opik_threads_messages(struct http_req *req, struct opik_thread *const *v, size_t n);
/* Appends one TraceThread. */
void opik_thread_render(struct buf *out, struct arena *a, const struct opik_thread *t);
/* The value of a thread's score name (the mean of its authors', as for spans); false: none. */
bool opik_thread_score(const struct opik_thread *t, const char *name, double *v);

/* The id of a thread's state judgement, and its thread_model_id. */
const char *opik_thread_state_id(struct arena *a, const char *project, const char *thread_id);
const char *opik_thread_model_id(struct arena *a, const char *project, const char *thread_id);
/* The state id a thread_model_id maps to; NULL when it is no model id. */
const char *opik_thread_state_of(struct arena *a, const char *model_id);

/* thread_filter.c: the `filters` of a thread list, search or stats (Opik's thread fields). */
struct opik_thread_filter;
enum status opik_thread_filter_parse(struct http_req *req, json_t *filters, const char *text,
				     struct opik_thread_filter **out);
/* Whether the filter reads the first or last message (opik_threads_messages first). */
bool opik_thread_filter_messages(const struct opik_thread_filter *f);
bool opik_thread_filter_test(const struct opik_thread_filter *f, const struct opik_thread *t);

/* thread_write.c: the project a thread call names (project_name, else project_id, which only
 * a stored span's project gives back; hint: a thread whose traces may name it), or 404
 * "Project not found"; neither given is a 400. */
enum status opik_thread_project(struct http_req *req, const char *name, const char *id,
				const char *hint, const char **out);
/* The threads n model ids name (project and thread_id of each, NULL for one that names none),
 * from their states, else from one pass over the workspace's threads. */
enum status opik_threads_of_models(struct http_req *req, const char *const *models, size_t n,
				   const char **projects, const char **threads);
/* The thread one model id names, or 404 "Thread id: <model> not found". */
enum status opik_thread_of_model(struct http_req *req, const char *model, const char **project,
				 const char **thread);

#endif
