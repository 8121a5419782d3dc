/* scores: Langfuse's scores as judgements (lib/model/judgement.h), written through this
 * surface with api "langfuse": a score of an observation is one of its span, of a trace one of
 * the trace, of a session one of the session. Which judgements Langfuse shows as scores, and in
 * which of its data types, is langfuse_score_shows and langfuse_render_score: every named value,
 * label or text result of every API (docs/judgements.md). */
#ifndef SPANDEX_API_LANGFUSE_SCORES_H
#define SPANDEX_API_LANGFUSE_SCORES_H

#include "lib/api/langfuse/surface.h"

/* Text scores hold 1 to this many characters (Langfuse's TEXT_SCORE_MAX_LENGTH). */
#define LF_MAX_TEXT_SCORE 500

/* The traces scores name, looked up once each per request: their session and project. */
struct langfuse_targets;
struct langfuse_targets *langfuse_targets_new(struct http_req *req);

/* Reads a score body (ingestion's ScoreBody, or POST /scores's CreateScoreRequest) made at ts
 * into j: why it is refused (the message Langfuse's schema gives), or NULL. */
const char *langfuse_score_read(struct http_req *req, struct langfuse_targets *c, json_t *body,
				int64_t ts, struct judgement *j);
/* Stores the n scores, each replacing any version of its id (Langfuse upserts a score by id)
 * but keeping when it was first made; a failure is recorded in req. */
enum status langfuse_scores_put(struct http_req *req, struct judgement *js, size_t n);

/* Whether Langfuse shows j as a score: a named number, category, boolean or text result
 * (views.c). */
bool langfuse_score_shows(const struct judgement *j);
/* ... as a view, for another surface to name (MCP's shown_by: cgi-bin/mcp.c). */
extern const struct judgement_view langfuse_view_score;
/* The members of a score (commons.yml's Score; ScoreV1 without the trace's), without the
 * closing brace: the caller may add "trace" first. */
void langfuse_render_score(struct buf *out, const struct judgement *j);

#endif
