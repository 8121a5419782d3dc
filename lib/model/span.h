/* span: the typed Span of the Get Span page, and its canonical JSON line.
 * A span's strings live in the arena of the request that built it (or are borrowed from a
 * JSON document that outlives it); its json_t fields are owned references released by
 * span_clear. span_render appends to a caller-owned buf. */
#ifndef SPANDEX_SPAN_H
#define SPANDEX_SPAN_H

#include <stdint.h>
#include <stdbool.h>
#include <jansson.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/model/fields.h"

struct jline_at;

enum span_kind {
	KIND_LLM,
	KIND_CHAIN,
	KIND_TOOL,
	KIND_RETRIEVER,
	KIND_EMBEDDING,
	KIND_AGENT,
	KIND_RERANKER,
	KIND_EVALUATOR,
	KIND_GUARDRAIL,
	KIND_UNKNOWN,
	KIND__COUNT
};

enum span_status { SPST_SUCCESS, SPST_ERROR, SPST_CANCELLED, SPST_UNKNOWN, SPST__COUNT };

#define SPAN_NONE_I64 INT64_MIN /* absent token count or time */

/* Ids (span, trace, session, parent) of every format, and names: at most this many
 * characters (the NeMo service's direct-ingest limit). */
#define SPAN_MAX_ID 1024

/* Why id cannot be stored as a span, trace or session id, or NULL when it can: empty, longer
 * than SPAN_MAX_ID characters, or impossible to name in a URL path segment ("." and ".." are
 * dot-segments, RFC 3986 section 3.3; a '/' would split it). Every stored id can then be
 * fetched by id. */
const char *span_id_problem(const char *id);

/* The Span: one member per line of SPAN_FIELDS (lib/model/fields.h), named as its JSON key,
 * of its TYPE's C type; the SSTR fields in str[], by enum span_str. */
#define SPAN_DECL_STR(name) const char *name;
#define SPAN_DECL_SSTR(name)
#define SPAN_DECL_ENUM(name) enum span_##name name;
#define SPAN_DECL_TIME(name) int64_t name;
#define SPAN_DECL_INT(name) int64_t name;
#define SPAN_DECL_NUM(name) double name;
#define SPAN_DECL_OBJ(name) json_t *name;
#define SPAN_DECL_RAW(name) json_t *name;
#define SPAN_DECL_(ID, name, TYPE, ...) SPAN_DECL_##TYPE(name)
struct span {
	SPAN_FIELDS(SPAN_DECL_)
	const char *str[SS__COUNT];
};
#undef SPAN_DECL_

/* Sets every field to absent. */
void span_init(struct span *s);
/* Releases the json_t fields (not the strings). */
void span_clear(struct span *s);
/* dst becomes a copy of src that shares its strings and has its own copy of each json_t
 * field, free to change (a merge's starting point, lib/store's store_update). */
void span_copy(struct span *dst, const struct span *src);

/* Names by enum value, each list ending with NULL. */
extern const char *const span_kind_names[KIND__COUNT + 1];
extern const char *const span_status_names[SPST__COUNT + 1];
/* Enum lookups; return -1 for a name that is not a member. */
int span_kind_parse(const char *s);
int span_status_parse(const char *s);

/* Appends the canonical line (no newline): the exact Get Span body, compact, fields in the
 * order of the Get Span page, absent optional fields omitted, usage_details and cost_details
 * always present. Strings must be valid UTF-8 (callers validate input). */
void span_render(const struct span *s, struct buf *out);
/* span_render, and where it put each member of the line (at has room for SF__COUNT), their
 * count into *nat: the writer's text index reads them rather than the line again. */
void span_render_at(const struct span *s, struct buf *out, struct jline_at *at, size_t *nat);

/* Member key of s->raw_attributes, or NULL (also when there are none). */
json_t *span_raw(const struct span *s, const char *key);
/* Sets member key of s->raw_attributes to v (stolen), creating the object when needed. */
void span_raw_set(struct span *s, const char *key, json_t *v);

/* Reads back a canonical line into s. Strings point into *root, which the caller releases
 * with json_decref after span_clear(s). False when the line is not a canonical span (used by
 * reindex and verify). */
bool span_parse(const char *line, size_t len, struct span *s, json_t **root);

/* Deleting a span writes a version of it that says so: its identity (ids, name, kind,
 * status, times, project) and raw_attributes {SPAN_DELETED: true}, nothing else. Every reader
 * treats the id as absent from then on (lib/store, lib/query: the index flag REC_DELETED);
 * a later version (the span sent again) brings it back, as any newer version wins. */
#define SPAN_DELETED "spandex.deleted"
bool span_is_deleted(const struct span *s);
/* True when s names no session of its own: its session_id is the default its ingest derives
 * from the trace (the trace id: direct, chat completions, ATIF, Opik, SGP; "session-" +
 * stable_id(workspace, trace_id): OTLP, nemo-intake.md 4.1). Such a span belongs to the session
 * its trace's other spans name, if any (docs/api-intake.md, "Sessions"). */
bool span_session_default(const struct span *s);
/* The session id the store gives a span of trace trace in workspace ws that names none:
 * "session-" and the stable id of both (one that span_session_default recognises). */
const char *span_session_default_id(struct arena *a, const char *ws, const char *trace);
/* out (span_init'ed) becomes the deleting version of cur; its strings point into cur. */
void span_tombstone(struct span *out, const struct span *cur);

/* What the predicates a query runs on every candidate line read most, found in one walk over
 * a canonical line (lib/json/jline) instead of span_parse: kind, project (raw JSON values;
 * NULL when absent) and raw_attributes, which span_render stores as a JSON string of compact
 * JSON and which is decoded here when it fits. */
#define SPAN_LINE_RAW_MAX 8192
struct span_line {
	const char *kind, *project;
	size_t kindn, projectn;
	int attrs_state; /* 1: decoded into attrs; -1: the span has none; 0: too long or odd */
	size_t attrsn;
	char attrs[SPAN_LINE_RAW_MAX];
};
void span_line_scan(const char *line, size_t len, struct span_line *m);
/* One member of the attributes: its raw JSON value. 1: found; -1: the span has no such
 * member; 0: cannot tell without span_parse. */
int span_line_attr(const struct span_line *m, const char *key, const char **v, size_t *vn);

/* Maps an attribute object onto the typed fields by the catalog of reference section 5
 * (model, provider, prompt, agent, tool, project, errors, tokens, costs) and the further keys
 * of otel-egp.md 3.4; every attribute the catalog does not consume is added to
 * s->raw_attributes (created when needed). attrs may hold any JSON values; it is not modified.
 * s->kind must be set: traceloop.entity.name names the tool of a TOOL span and the agent of
 * an AGENT span. Keys a format drops before the catalog (OTLP's input.value, session.id ...)
 * are the caller's to leave out. Wrong-typed values (a string token count) are kept raw;
 * details in lib/model/catalog.c. New JSON objects hang on the span with one reference each,
 * released by whoever releases the span. */
void catalog_apply(struct arena *a, struct span *s, json_t *attrs);

#endif
