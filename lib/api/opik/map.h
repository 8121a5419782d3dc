/* map: Opik's traces and spans (reference opik.md §8) as spandex spans, and back: the one
 * table between the two shapes.
 *
 * An Opik trace is stored as a root span whose span_id is the trace id, marked
 * raw_attributes["opik.entity"] = "trace"; an Opik span without a parent is stored as a child
 * of that row (parent_span_id = its trace id) and read back with parent_span_id null. So a
 * NeMo client sees one ordinary trace tree, and spans from any other API read back through
 * Opik as spans of their traces. What the span schema has no field for (metadata, tags,
 * error_info, thread, environment, ttft, Opik's own source) is kept in raw_attributes under
 * "opik.<name>". Feedback scores and comments are judgements (lib/api/opik/judgements/judged.h). */
#ifndef SPANDEX_API_OPIK_MAP_H
#define SPANDEX_API_OPIK_MAP_H

#include <jansson.h>
#include <stdbool.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/model/crosswalk.h"
#include "lib/api/opik/entity.h"
#include "lib/model/span.h"
#include "lib/model/verr.h"
#include "lib/query/query.h"

/* Applies the fields present in obj (a SpanWrite/TraceWrite when create, else a
 * SpanUpdate/TraceUpdate) onto s in workspace ws. A create starts from span_init: it needs
 * start_time (and trace_id for a span) and makes an id when there is none; an update changes
 * only what it names. Problems go to v under loc (stolen). Strings live in a. */
void opik_apply(struct arena *a, const char *ws, enum opik_entity ent, json_t *obj, bool create,
		struct span *s, struct verrs *v, json_t *loc);

/* A create's item as opik_batch_body reads it from a batch's body, without building its object:
 * its members' values by the row of their field in map.c's table (opik_field_of), and input's
 * and output's JSON text as they came when their bytes are what jsonw_value writes of them
 * (jsonx_rd_written; text[opik_text_row(row)], the value then not in vals); an item that is no
 * object as its value (obj). */
#define OPIK_FIELDS 23 /* the table's rows (map.c asserts it) */
struct opik_item {
	json_t *obj;		   /* the item when it is no object, else NULL */
	json_t *vals[OPIK_FIELDS]; /* NULL: absent */
	const char *text[2];	   /* NULL: none as text */
};
/* The row of the field named k[0..kl), tried first at *at (jsonx_name_of), or -1. */
int opik_field_of(const char *k, size_t kl, size_t *at);
/* The place in struct opik_item's text of a row opik_apply stores as its JSON text (input,
 * output), or -1. */
int opik_text_row(int row);
/* opik_apply of a create's item it. */
void opik_apply_item(struct arena *a, const char *ws, enum opik_entity ent,
		     const struct opik_item *it, struct span *s, struct verrs *v, json_t *loc);

/* Row i of the field table, for docs/attributes.md and the test that walks it: the Opik field, the
 * one enum opik_entity it belongs to (-1 both) and the Span members it fills ("raw x" for
 * raw_attributes member x); false past the last row. */
bool opik_map_row(size_t i, const char **name, int *only, const char **span);

/* Whether a stored span is an Opik trace row. */
bool opik_is_trace_row(const struct span *s);
/* The thread_id Opik shows for the trace whose root is s: the one an Opik client sent, else
 * the root's session unless it is its trace's default (a NeMo, OTLP or Scale GP session is a
 * thread as the thread list shows it, judgement.md 2.4); NULL for none. */
const char *opik_thread_of(const struct span *s);
/* The same from a scanned line (span_line_scan): 1 yes, -1 no, 0 parse to know. */
int opik_line_is_trace_row(const struct span_line *m);

/* The usage Opik shows: a span's token fields with its usage_details beside them; a trace's,
 * the sums over its spans (u). A new object, empty when nothing is known. */
json_t *opik_usage(const struct span *s, const struct query_rollup *u, enum opik_entity ent);

struct opik_marks;

/* Appends the public Span (or, for a trace row or a root span asked for as a trace, the public
 * Trace with the rollup u of its spans, u may be NULL) of s, with its feedback scores and
 * comments from marks (lib/api/opik/judgements/judged.h; NULL: none). exclude: field names to leave
 * out (may be NULL). */
void opik_render(struct buf *out, struct arena *a, enum opik_entity ent, const struct span *s,
		 const struct query_rollup *u, const struct opik_marks *marks, json_t *exclude);
/* The name (a dotted path) under which Opik's Span shows each field of the line
 * (lib/model/fields.h), NULL where it does not: t/check_fields.c checks opik_render shows each. */
extern const char *const opik_field_names[SF__COUNT];
/* Opik's span types as lib/model's crosswalk reads them (map.c); kept as "opik.type". */
extern const struct crosswalk opik_crosswalk;

/* Stored input or output text as Opik shows it (§4.4: the SDK takes an object, an array of
 * objects or a string): JSON text that parses to one of those as that, else as a string;
 * also a thread's first_message and last_message. */
void opik_text_out(struct buf *b, const char *text);
/* opik_render of the span whose line is line[0..n), parsing only its small members (the
 * input and output are rendered from their literals): what lists and streams use. False when
 * the line is no span. */
bool opik_render_line(struct buf *out, struct arena *a, enum opik_entity ent, const char *line,
		      size_t n, const struct query_rollup *u, const struct opik_marks *marks,
		      json_t *exclude);

/* The created_at Opik shows for the item of a stored line (o_created in render.c): the time of
 * its create that Opik's write kept in raw_attributes, else the version's ingested time. raw:
 * the line's raw_attributes member as it is there (a JSON string literal), NULL when none. */
int64_t opik_line_created(struct arena *a, const char *raw, size_t rawn, int64_t ingested);

/* The ttft (time to first token, ms) Opik shows of s: the one an Opik client sent, else what
 * its instrumentation measured (instrumentation.md: the AI SDK's ai.response.msToFirstChunk
 * and ai.stream.msToFirstChunk in ms, AI SDK 7's gen_ai.client.operation.time_to_first_chunk
 * in seconds, Langfuse's langfuse.observation.completion_start_time less the span's start).
 * False when there is none. */
bool opik_ttft(const struct span *s, double *ms);

/* The project id Opik clients see for a project name: a UUID made from the name (in a, or
 * kept by the process: valid as long as a). */
#define OPIK_PROJECT_IDS_KEPT 1024
#define OPIK_PROJECT_NAME_KEPT 256
const char *opik_project_id(struct arena *a, const char *name);
/* The name whose id the process made (opik_project_id) is id, or NULL when it made none: valid
 * while the process lives. */
const char *opik_project_named(const char *id);

#endif
