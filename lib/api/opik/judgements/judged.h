/* judged: what Opik shows of the judgement store (lib/query/judgements.h, issue 34) beside its
 * spans and traces: the feedback scores and comments of a page read in one pass and written
 * in Opik's read shapes (reference judgement.md 2.1, 2.2), and the scores of a stream of items
 * (stats, score names) read a chunk at a time. Everything lives in the request's arena but a
 * tally's chunk, which is malloc'd and freed by the tally. */
#ifndef SPANDEX_API_OPIK_JUDGED_H
#define SPANDEX_API_OPIK_JUDGED_H

#include <jansson.h>
#include "lib/api/opik/entity.h"
#include "lib/base/buf.h"
#include "lib/model/verr.h"
#include "lib/http/http.h"
#include "lib/model/judgement.h"

/* Who Opik names when nobody is (no author, authentication off): its local user. */
#define OPIK_DEFAULT_USER "admin"
/* This surface's name in a judgement's "api" (judgement_api_valid). */
#define OPIK_API "opik"
/* Its views (views.c): feedback scores (a named number) and comments. */
extern const struct judgement_view opik_view_score, opik_view_comment;
/* The items of a stats visit whose judgements are read in one pass over the judgement store:
 * each pass reads every judgement record of the workspace, so a larger chunk is fewer passes
 * for the memory of its ids and of their judgements (16,384 ids of 36 bytes: under 1 MiB). */
#define OPIK_TALLY_CHUNK 16384
/* The raw attribute spandex kept an item's scores in before judgements: still shown (a
 * judgement of the same name wins) and counted in stats, never written again. */
#define OPIK_LEGACY_SCORES "opik.feedback_scores"

/* The judgements of one span or trace that Opik shows: its scores and its comments. */
struct opik_marks {
	const struct judgement **v;
	size_t n, cap;
};

/* What a judgement records of the span or trace it is on (scores.c). */
struct opik_entity_info {
	bool found;
	const char *trace_id, *session_id, *project; /* in the request's arena */
};
/* Looks the span or trace id up: by its id (a span, or an Opik trace's row), and when
 * thorough a trace another API wrote by its root too. Not found is ST_OK with e->found
 * false; a failure is recorded in req. */
enum status opik_entity_find(struct http_req *req, enum opik_entity ent, const char *id,
			     bool thorough, struct opik_entity_info *e);
/* The 404 of a span or trace that is not stored, in Opik's words ("Span id: X not found"). */
enum status opik_not_found(struct http_req *req, enum opik_entity ent, const char *id);
/* Deletes the judgements of ids (those view only shows when only is not NULL) as an erasure
 * by judgement (docs/erasure.md): hidden now, their bytes gone after the next pass; a failure
 * is recorded in req. */
enum status opik_delete_judgements(struct http_req *req, const char *const *ids, size_t n,
				   const struct judgement_view *const *only);

/* Deletes every judgement on the n traces and on their spans (those that recorded their
 * trace): what deleting traces takes with them. */
enum status opik_delete_traces_judged(struct http_req *req, const char *const *traces, size_t n);
/* Deletes every judgement whose target id of kind by is one of ids[0..n) and that f (NULL:
 * any) matches (query_judgements_of), OPIK_MAX_BATCH at a time; a failure is recorded in req. */
struct jfilter;
enum status opik_delete_judgements_of(struct http_req *req, enum judgement_target by,
				      const char *const *ids, size_t n, const struct jfilter *f);

/* The shared parts of a feedback score (scores.c), for spans, traces and threads: checks one
 * FeedbackScore at loc (stolen; id_key: the member naming its entity in a batch item, "id" or
 * "thread_id", NULL for the single PUT): name not blank, a value within Opik's bounds, a source
 * of Opik's three, the optional strings within their limits. A value given as a number's text
 * is taken as that number (Jackson's coercion, in it); false when a value is no number at all,
 * which Opik answers with Jackson's 400 "Unable to process JSON". */
bool opik_score_check(struct verrs *v, json_t *it, json_t *loc, const char *id_key);
/* The items of a batch PUT {"scores": [1 to OPIK_MAX_BATCH]} (the request's JSON body), each
 * checked so (id_key "id" or "thread_id"), into *items; a 415 or 422 otherwise. */
enum status opik_score_items(struct http_req *req, const char *id_key, json_t **items);
/* j (judgement_init'ed here) gets a checked item's value, who and when (now), and its id: one
 * per entity ("span", "trace", "thread"), entity id, name and author (judgement_key_id "fs-"),
 * so a score sent again replaces its author's. The caller sets the target and the project. */
void opik_score_value(struct http_req *req, json_t *it, const char *entity, const char *id,
		      int64_t now, struct judgement *j);
/* Writes the n scores, in the order they came (a later one of an id wins), each keeping the
 * creation time of the version it replaces. */
enum status opik_scores_upsert(struct http_req *req, struct judgement *js, size_t n);

/* The target kind of an Opik entity's judgements (a span's, or a trace's own). */
enum judgement_target opik_target(enum opik_entity ent);
/* The id an item's line is known by: its span_id, or its trace_id for a trace; in a; NULL when
 * the line has none. */
const char *opik_line_id(struct arena *a, enum opik_entity ent, const char *line, size_t n);
/* The marks of n spans or traces (ids[i] a span's id, or a trace's), marks[i] for ids[i],
 * read in one pass over the judgement store; in req's arena. A trace's are its own and its
 * root span's, roots[i] (NULL: the trace ids, the roots of traces Opik wrote). A failure is
 * recorded in req. */
enum status opik_marks_of(struct http_req *req, enum opik_entity ent, const char *const *ids,
			  const char *const *roots, size_t n, struct opik_marks **out);
/* The marks Opik shows on trace id: its own and its root span's (opik_marks_of), t
 * the trace as query_trace_find gives it when *found; not found, the marks of the id alone
 * (a score may be sent for a trace before it is stored). A failure is recorded in req. */
struct query_trace;
enum status opik_trace_marks(struct http_req *req, const char *id, struct query_trace *t,
			     bool *found, struct opik_marks **out);
/* The marks Opik shows on span or trace id: a span's own (opik_marks_of), a trace's
 * opik_trace_marks. */
enum status opik_item_marks(struct http_req *req, enum opik_entity ent, const char *id,
			    struct opik_marks **out);
/* A feedback_scores filter's or sort's key set of name (query_judged): by span, a span's own
 * scores; by trace, those opik_marks_of shows on it, its own and its root spans'
 * (query_judged_roots), each item's the mean of its values. */
struct jquery;
struct query_keys;
enum status opik_judged_keys(struct jquery *q, enum opik_entity ent, const char *name,
			     struct query_keys *out);

/* Appends the feedback_scores array of an item: its marks' scores grouped by name (the
 * FeedbackScore read shape, value_by_author with one entry per author), then the legacy
 * scores (an item's raw OPIK_LEGACY_SCORES, NULL none) whose name no judgement has; by name. */
void opik_scores_out(struct buf *b, struct arena *a, const struct opik_marks *m, json_t *legacy);
/* Appends the comments array of an item, oldest first. */
void opik_comments_out(struct buf *b, struct arena *a, const struct opik_marks *m);
/* The shared parts of a comment (comments.c), for spans, traces and threads: the body's text
 * (Comment: {"text"} required, not blank, at most JUDGEMENT_MAX_TEXT), or a 422; ... */
enum status opik_comment_text(struct http_req *req, json_t *body, const char **text);
/* ... the comment j (judgement_init'ed, its target and project set) of that text stored, with
 * the body's "id" when it is one, else a UUIDv7, and the reply 201, no body, Location the
 * request's path and the comment's id; ... */
enum status opik_comment_put(struct http_req *req, json_t *body, const char *text,
			     struct judgement *j);
/* ... and the 404 of a comment that is not there. */
enum status opik_comment_not_found(struct http_req *req, const char *id);
/* Appends one Comment: id, text, created_at, last_updated_at, created_by, last_updated_by. */
void opik_comment_out(struct buf *b, const struct judgement *j);
/* Writers of Opik's read shapes: ,"k": (a member after the first); a JSON string (null for
 * NULL); a time as Opik writes one (µs, Z). */
void opik_out_key(struct buf *b, const char *k);
void opik_out_str(struct buf *b, const char *s);
void opik_out_time(struct buf *b, int64_t us);
/* Who a judgement names as its author in Opik's shapes. */
const char *opik_author(const struct judgement *j);

/* The scores of a stream of items (a stats visit): each item's score of each name (the mean
 * of its authors', as Opik's feedback_scores_final has it) handed to fn, its legacy scores of
 * the names no judgement has too. */
typedef void opik_score_fn(void *ctx, const char *name, double value);
struct opik_tally;
/* A tally for items of entity ent, freed with the request. */
struct opik_tally *opik_tally_new(struct http_req *req, enum opik_entity ent, opik_score_fn *fn,
				  void *ctx);
/* One item: its id and, for a trace, its root span's (both copied), and its legacy scores (an
 * array of {name, value}, NULL none). When the chunk is full its judgements are read (in
 * memory given back after). */
void opik_tally_add(struct opik_tally *t, const char *id, const char *root, json_t *legacy);
/* Reads the rest; ST_OK, or the first failure of any read (recorded in req). */
enum status opik_tally_end(struct opik_tally *t);
/* Drops the items not read yet, and a failure: the tally as new (a visit run again). */
void opik_tally_reset(struct opik_tally *t);

#endif
