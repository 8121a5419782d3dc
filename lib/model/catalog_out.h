/* catalog_out: a stored span as an OTLP span, the conventions table read backwards (issue 56):
 * what `spandex forward` sends and `spandex export --format otlp-json` writes. One mapping:
 * the ids, times, name and status of the OTLP span, then its attributes: the stored
 * raw_attributes as they are (an OTLP span in, the same attributes out), and each typed field
 * that they do not already give, under the GenAI attribute of catalog_out.c's table
 * (catalog_out_rows), checked by the catalog itself (catalog_apply_span reads them back to the
 * same fields). The struct's JSON values are owned references that catalog_out_clear releases;
 * its strings live in the arena or in the span. */
#ifndef SPANDEX_MODEL_CATALOG_OUT_H
#define SPANDEX_MODEL_CATALOG_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/model/span.h"

/* AnyValue nesting an OTLP span goes out with: a value nested deeper (an Opik metadata object
 * of many levels) goes as its JSON text, a string. Receivers bound it (spandex at 12,
 * OTLP_MAX_ANY_DEPTH, and refuses the whole request past it), so one deep attribute must not
 * lose a batch. */
#define CATALOG_OUT_MAX_DEPTH 8

/* OTLP SpanKind and Status.code (opentelemetry/proto/trace/v1/trace.proto). */
enum { CATALOG_OTLP_INTERNAL = 1, CATALOG_OTLP_CLIENT = 3 };
enum { CATALOG_OTLP_UNSET = 0, CATALOG_OTLP_ERROR = 2 };

/* Where a span that was not OTLP keeps its own ids when they are no OTLP ids (an Opik UUID, a
 * direct span's name): the OTLP ids are then derived from them (catalog_out_id). */
#define CATALOG_OUT_SPAN_ID "spandex.span_id"
#define CATALOG_OUT_TRACE_ID "spandex.trace_id"
#define CATALOG_OUT_PARENT_ID "spandex.parent_span_id"
/* evaluation_context members no attribute of the table names (evaluation_sha, dataset_name
 * ...), as one object. */
#define CATALOG_OUT_EVAL_REST "spandex.evaluation_context"

/* One OTLP span. attrs holds every attribute, resource ones included (catalog_out_resource
 * tells them apart); events, links (arrays as raw_attributes otel.events and otel.links hold
 * them: {"name", "time_unix_nano", "attributes"}, {"trace_id", "span_id", "attributes"}) and
 * scope ({"name", "version"}) may be NULL. */
struct catalog_otlp {
	char trace_id[33], span_id[17], parent_id[17]; /* lower-case hex; parent "" for a root */
	const char *name;
	int kind;
	uint64_t start_ns, end_ns; /* end 0: the span has none */
	int status;
	const char *status_message; /* NULL: none */
	json_t *attrs;
	json_t *events, *links, *scope;
};

/* The OTLP span of s (a parsed stored span, its workspace and session as stored). a holds what
 * the mapping allocates; o is the caller's, released by catalog_out_clear. */
void catalog_out_span(struct arena *a, const struct span *s, struct catalog_otlp *o);
void catalog_out_clear(struct catalog_otlp *o);

/* id as an OTLP id of n bytes (8: a span, 16: a trace) in lower-case hex (hex holds 2n + 1):
 * itself when it is one already (2n lower-case hex digits, not all zero), a UUID of a trace
 * without its dashes, else the first n bytes of its SHA-256 (never all zero). True when the
 * id had to be derived so. */
bool catalog_out_id(const char *id, size_t n, char *hex);

/* True for an attribute OTLP puts on the resource, not the span (OTel's resource conventions:
 * service.*, telemetry.*, host.* ...): ingest merges the two, the writers split them again. */
bool catalog_out_resource(const char *key);

/* One attribute of the table: the Span field (and its member, for usage_details and
 * evaluation_context), and the attribute a forwarded span carries it in. */
struct catalog_out_row {
	const char *field, *sub;
	const char *key;
	const char *note; /* for docs/attributes.md: when another attribute is used; or NULL */
};
/* The table (t/check_catalog_out and docs/forwarding.md list it); *n its length. */
const struct catalog_out_row *catalog_out_rows(size_t *n);

/* OTLP/JSON (the OTLP specification's JSON encoding of the protobuf messages: lowerCamelCase
 * names, hex ids, 64-bit integers as decimal strings): one AnyValue of v (a JSON value as
 * ingest reads it back: string, bool, int, double, array, kvlist; null an empty AnyValue); the
 * attributes of obj as a KeyValue list, those of the resource (resource 1), the others (0) or
 * all (-1); one Span object of o. */
void catalog_out_json_value(struct buf *b, const json_t *v);
void catalog_out_json_attrs(struct buf *b, const json_t *obj, int resource);
void catalog_out_json_span(struct buf *b, const struct catalog_otlp *o);

/* What tells o's ResourceSpans and ScopeSpans from another's: its resource attributes and
 * scope as compact JSON, into k (emptied first). */
void catalog_out_json_group_key(struct buf *k, const struct catalog_otlp *o);

/* An ExportTraceServiceRequest written a span at a time: {"resourceSpans": [...]}. Spans in a
 * row that share their resource and scope go into one ResourceSpans and ScopeSpans, of at most
 * CATALOG_OUT_JSON_GROUP spans, so that a reader that takes one ResourceSpans at a time holds a
 * bounded part of a document of any size. */
#define CATALOG_OUT_JSON_GROUP 1000
struct catalog_out_doc {
	struct buf key; /* the resource and scope of the open group, as compact JSON */
	size_t in_group;
	bool open;
};
void catalog_out_json_begin(struct buf *b, struct catalog_out_doc *d);
void catalog_out_json_add(struct buf *b, struct catalog_out_doc *d, const struct catalog_otlp *o);
/* Closes the document and frees d's memory. */
void catalog_out_json_end(struct buf *b, struct catalog_out_doc *d);

#endif
