/* map: Langfuse's traces and observations as spandex spans, and back (render.c).
 *
 * A Langfuse trace is stored as a root span whose span_id is the trace id, marked
 * raw_attributes[LF_ENTITY] = "trace"; an observation without a parent is stored as a child of
 * that row (parent_span_id = its trace id) and reads back with parentObservationId null. So a
 * NeMo, Opik, Scale GP or MCP client sees one trace tree, and the spans of every other API (an
 * OTLP root span, an Opik trace's row) read back through Langfuse as traces and observations.
 *
 * What the Span has no field for is kept in raw_attributes under the names Langfuse's OTel SDK
 * sends (langfuse.observation.*, langfuse.trace.*, langfuse.version, .release, .environment,
 * user.id), and the typed fields are filled through the catalog as the OTLP route fills them
 * (docs/attributes.md): the two routes of Langfuse's SDKs store alike. */
#ifndef SPANDEX_API_LANGFUSE_MAP_H
#define SPANDEX_API_LANGFUSE_MAP_H

#include <jansson.h>
#include <stdbool.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/model/span.h"
#include "lib/query/query.h"

/* raw_attributes keys (the OTel SDK's names, but the first two, which are this surface's). */
#define LF_ENTITY "langfuse.entity"   /* "trace" on a trace's row */
#define LF_PENDING "langfuse.pending" /* an observation an update wrote before its create */
#define LF_TYPE "langfuse.observation.type"
#define LF_LEVEL "langfuse.observation.level"
#define LF_STATUS_MSG "langfuse.observation.status_message"
#define LF_OBS_META "langfuse.observation.metadata"
#define LF_TRACE_META "langfuse.trace.metadata"
#define LF_TAGS "langfuse.trace.tags"
#define LF_PUBLIC "langfuse.trace.public"
#define LF_VERSION "langfuse.version"
#define LF_RELEASE "langfuse.release"
#define LF_ENV "langfuse.environment"
#define LF_USER "user.id"
#define LF_MODEL_PARAMS "langfuse.observation.model.parameters"
#define LF_COMPLETION_START "langfuse.observation.completion_start_time"

/* What an ingestion event writes. */
enum langfuse_entity { LF_TRACE, LF_OBSERVATION, LF_SCORE, LF_LOG };

/* One event type of the batch (ingestion.yml's IngestionEvent union, with the typed creates
 * of Langfuse's server, packages/shared/src/server/ingestion/types.ts). */
struct langfuse_etype {
	const char *name;	  /* "span-create" */
	enum langfuse_entity ent; /* what it writes */
	bool update;		  /* an update (applied after the creates of its id) */
	bool generation;	  /* its body has the generation's members (model, usage ...) */
	const char *type; /* the observation type it writes ("span"); NULL: the body's type */
};
/* The event type named name, or NULL (a type the server refuses). */
const struct langfuse_etype *langfuse_etype_find(const char *name);

/* Why body (an object) is not a valid body of an event of type t, or NULL: its members' types
 * as Langfuse's schemas check them (the message says which member). */
const char *langfuse_check_body(struct arena *a, const struct langfuse_etype *t, json_t *body);

/* Whether x is an integer as JavaScript's zod takes one: an integer, or a real with no
 * fraction (1.0). */
bool langfuse_json_int(json_t *x);

/* One event applied to the version being written. */
struct langfuse_apply {
	const char *ws;
	const struct langfuse_etype *t;
	json_t *body;
	int64_t ts; /* the event's timestamp: the default start of what it creates */
};
/* Applies e onto out: a trace row (LF_TRACE) or an observation, out being the stored version
 * copied (fresh: span_init'ed, fresh true). Members that are absent or null change nothing; a
 * create's start time and trace stay as the first create or the stored row set them (Langfuse's
 * immutable keys), metadata merges member by member, tags join. Strings in a. */
void langfuse_apply(struct arena *a, const struct langfuse_apply *e, bool fresh, struct span *out);
/* The row is complete once applied: its session, default start, and trace's row marker. */
void langfuse_finish(struct arena *a, const char *ws, struct span *out);

/* Whether a stored span is a trace's row (Langfuse's, or another API's row that stands for a
 * trace and is no observation: Opik's). */
bool langfuse_is_trace_row(const struct span *s);
/* The same from a scanned line: 1 yes, -1 no, 0 parse to know. */
int langfuse_line_is_trace_row(const struct span_line *m);

/* The Langfuse observation type of s: "GENERATION", "SPAN", "EVENT" ... */
const char *langfuse_obs_type(const struct span *s);
/* The user id a span names (the catalog's user keys), or NULL. */
const char *langfuse_user_of(const struct span *s);
/* A raw string member's value, or NULL. */
const char *langfuse_raw_str(const struct span *s, const char *key);
/* The environment of s ("default" when none). */
const char *langfuse_env_of(const struct span *s);

/* Rendering (render.c). */
/* Stored input or output text as Langfuse shows it: JSON text as the value, else a string. */
void langfuse_text_out(struct buf *b, const char *text);
/* An observation (ObservationsView of commons.yml), with its v2 field groups (groups: a mask
 * of enum langfuse_group; 0: every member of the v1 shape). */
enum langfuse_group {
	LG_BASIC = 1 << 0,
	LG_TIME = 1 << 1,
	LG_IO = 1 << 2,
	LG_METADATA = 1 << 3,
	LG_MODEL = 1 << 4,
	LG_USAGE = 1 << 5,
	LG_PROMPT = 1 << 6,
	LG_METRICS = 1 << 7,
	LG_TRACE_CONTEXT = 1 << 8,
};
void langfuse_render_observation(struct buf *out, struct arena *a, const struct span *s);
void langfuse_render_observation_v2(struct buf *out, struct arena *a, const char *ws,
				    const struct span *s, unsigned groups);
/* The members of a Trace (commons.yml) of its row s, without the braces' end: the caller adds
 * the details (htmlPath, latency, totalCost, observations, scores) and the '}'. session: the
 * trace's session as query_trace found it (a JSON literal), or NULL: the row's own. */
void langfuse_render_trace_head(struct buf *out, struct arena *a, const char *ws,
				const struct span *s, const char *session, bool io);
/* The tags of a trace's row: Langfuse's, or another API's (Opik's); NULL when none. */
json_t *langfuse_tags_of(const struct span *s);
/* The usage and cost members of an observation (usageDetails, costDetails): Langfuse's parts,
 * each usage type apart, from the span's totals and details. */
void langfuse_render_usage(struct buf *out, const struct span *s);

#endif
