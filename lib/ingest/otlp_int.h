/* otlp_int: what the files of the OTLP decoder share (lib/ingest/otlp*.c only): the request's
 * decoding state, one span in a form that does not depend on the encoding, and the helpers
 * both decoders and the mapping use. */
#ifndef SPANDEX_OTLP_INT_H
#define SPANDEX_OTLP_INT_H

#include <jansson.h>
#include <stdbool.h>
#include "lib/ingest/otlp_result.h"
#include "lib/model/catalog.h"

#define ID_MAX 16 /* bytes in a trace id, the longest id OTLP has */

/* An id as received: bytes, or bad when the JSON text was neither hex nor base64. */
struct rid {
	uint8_t b[ID_MAX];
	size_t len;
	bool bad;
};

/* One span in a form that does not depend on the encoding; both decoders fill it, and
 * otlp_map_span does the rest, so the two encodings cannot drift apart. */
struct raw_span {
	struct rid trace, span, parent;
	const char *name;
	uint64_t start_ns, end_ns;
	json_t *attrs;	/* object: resource attributes, then span attributes on top; the span's
			 * own (otlp_map_span takes it apart for raw_attributes) */
	json_t *events; /* array of {name, time_unix_nano, attributes} */
	json_t *links;	/* array of {trace_id, span_id, attributes} */
	int64_t status_code;
	const char *status_message;
	int64_t kind;  /* the OTLP SpanKind */
	json_t *scope; /* {name, version} or NULL (borrowed) */
};

struct otlp_logs;

/* One log record in a form that does not depend on the encoding (logs/v1 LogRecord). */
struct raw_log {
	struct rid trace, span;
	uint64_t time_ns;	/* time_unix_nano, else observed_time_unix_nano; 0 unknown */
	const char *event_name; /* the event_name field; "" when absent */
	json_t *attrs;		/* object (borrowed) */
	json_t *body;		/* the body as a JSON value, or NULL (borrowed) */
};

struct dec {
	struct arena *a;
	struct otlp_logs *logs; /* a logs request: where otlp_logs_add gathers */
	const char *ws;
	int64_t now_us;
	struct otlp_result res;
	size_t span_cap, err_cap;
	bool failed;
	bool pb_sub;	 /* protobuf: the request's NULs were unpacked as SUBs (otlp_pb.c) */
	bool reference;	 /* traces: every request by the reference reader, protoc-c's unpack
			  * or OTLP/JSON's tree (the tests') */
	bool parse_only; /* otlp_parse_only: each span read into its raw_span, none mapped */
	struct err *err; /* may be NULL */
};

/* The shared helpers (otlp_util.c), below every other file of the decoder. */
/* Fails the request with a reason (the first one wins); always false. */
bool otlp_fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Arena arrays grow by doubling; the abandoned copies go when the request's arena does. */
void *otlp_grow(struct arena *a, void *old, size_t n, size_t *cap, size_t size);
/* v as compact JSON text in the arena. */
char *otlp_dump(struct arena *a, json_t *v);
/* A double as a JSON value (NaN and the infinities as their proto3 JSON strings). */
json_t *otlp_double(double v);
/* Bytes as a hex string value (nemo-intake.md 4.1). */
json_t *otlp_hex(const uint8_t *p, size_t n);
/* A time in nanoseconds as an integer value (a decimal string past INT64_MAX). */
json_t *otlp_time(uint64_t ns);
bool otlp_all_zero(const uint8_t *p, size_t n);
/* The instrumentation scope {name, version}, or NULL when both are empty. */
json_t *otlp_scope(const char *name, const char *version);
/* Checks one id of want bytes; returns the problem, or NULL with the lower-case hex in hex. */
const char *otlp_id_check(const struct rid *id, size_t want, const char *name, char *hex,
			  struct arena *a);

/* Maps r onto a span of d->res, or records why it was rejected (otlp_map.c). */
void otlp_map_span(struct dec *d, struct raw_span *r);
/* Releases the JSON values r holds. */
void otlp_map_free(struct raw_span *r);

/* The two decoders of an ExportTraceServiceRequest; false when the request fails whole. */
bool otlp_pb_decode(struct dec *d, const uint8_t *p, size_t n);
bool otlp_json_decode(struct dec *d, const char *p, size_t n);

/* OTLP/JSON read from its text (otlp_jtext.c), tried before otlp_json_decode (otlp.c): true
 * when the request was read whole, every check passed and its spans are in d->res; false when
 * the reader was not sure of it (a member repeated or out of the order it reads, a value of
 * another shape, any check's failure, not JSON), and then d holds whatever it gathered: the
 * caller starts again from the tree. */
bool otlp_jtext_decode(struct dec *d, const char *p, size_t n);

/* The tree path's rules of OTLP/JSON (otlp_json.c), which the text path calls on the values it
 * builds, so the two read every value alike: an id's text into id; one KeyValue object set
 * into o (false when the request failed); a resourceSpans' resource (v its value, NULL absent)
 * as its attributes object; a scopeSpans' scope as otlp_scope's value; a span begun (r's
 * attributes a copy of the resource's), each member of it (v NULL: absent; every member
 * absent from the text is given so), and ended (mapped unless the request failed, then
 * r's values released). */
enum otlp_json_span {
	OTLP_SP_TRACE,
	OTLP_SP_SPAN,
	OTLP_SP_PARENT,
	OTLP_SP_NAME,
	OTLP_SP_KIND,
	OTLP_SP_START,
	OTLP_SP_END,
	OTLP_SP_ATTRS,
	OTLP_SP_EVENTS,
	OTLP_SP_LINKS,
	OTLP_SP_STATUS,
	OTLP_SP_N
};
extern const char *const otlp_json_span_names[OTLP_SP_N];
/* An AnyValue by its members (m[i]: the value of member otlp_json_any_names[i], NULL absent), at
 * depth levels of AnyValue above it, as a JSON value. */
enum otlp_av {
	OTLP_AV_STRING,
	OTLP_AV_BOOL,
	OTLP_AV_INT,
	OTLP_AV_DOUBLE,
	OTLP_AV_ARRAY,
	OTLP_AV_KVLIST,
	OTLP_AV_BYTES,
	OTLP_AV_N
};
extern const char *const otlp_json_any_names[OTLP_AV_N];
json_t *otlp_json_any_members(struct dec *d, json_t *const *m, int depth);
void otlp_json_id_text(const char *s, size_t n, size_t want, struct rid *id);
bool otlp_json_kv_into(struct dec *d, json_t *o, json_t *kv, int depth);
json_t *otlp_json_resource(struct dec *d, json_t *v);
json_t *otlp_json_scope(struct dec *d, json_t *v);
void otlp_json_span_begin(struct raw_span *r, json_t *res_attrs, json_t *scope);
void otlp_json_span_member(struct dec *d, struct raw_span *r, enum otlp_json_span m, json_t *v);
void otlp_json_span_end(struct dec *d, struct raw_span *r);

/* A trace request scan_msg found plain (no merges), read off the wire (otlp_pbwire.c); sub:
 * the request held a NUL in an AnyValue string. */
bool otlp_pbwire_traces(struct dec *d, const uint8_t *p, size_t n, bool sub);

/* The two decoders of an ExportLogsServiceRequest: otlp_logs_add for each record. */
bool otlp_pb_logs(struct dec *d, const uint8_t *p, size_t n);
bool otlp_json_logs(struct dec *d, const char *p, size_t n);
/* Gathers one record onto its span, or records why it was rejected (otlp_logs.c). */
void otlp_logs_add(struct dec *d, const struct raw_log *r);

/* The evaluation results (otlp_eval.c): a gen_ai.evaluation.result log record, number rec of
 * its request, into ev (NULL, or why it is refused); the evaluation events and
 * OpenInference annotations of span r, mapped onto s, into d->res.evals, read from r's
 * attributes as they came (before the catalog takes them: the caller then sets the project
 * the catalog gave s with otlp_eval_project, on the evaluations from index from on). */
const char *otlp_eval_log(struct dec *d, struct otlp_evals *ev, const struct raw_log *r,
			  size_t rec);
void otlp_eval_span(struct dec *d, const struct raw_span *r, const struct span *s);
void otlp_eval_project(struct dec *d, size_t from, const struct span *s);

/* The content of the GenAI conventions (otlp_map.c), for the log events as for the span's:
 * the first present key of keys as text; gen_ai.input.messages with the system instructions
 * in front; the deprecated per-message events (input or output) as {"messages":[...]}. */
const char *otlp_map_first_text(struct arena *a, json_t *attrs, const char *const *keys);
const char *otlp_map_genai_input(struct arena *a, json_t *attrs);
const char *otlp_map_event_messages(struct arena *a, json_t *events, bool output);

/* The flattened lists (otlp_flat.c): for how CATALOG_OI_LIST, _FLAT_LIST, _TEXT_LIST or
 * _DOC_LIST, what the "<prefix><i>.*" attributes of attrs hold, as the span's text (messages
 * as {"messages":[...]}, texts and documents as their JSON list); NULL when they hold none.
 * otlp_flat_messages_text: msgs (stolen) as {"messages": msgs}, in a. */
const char *otlp_flat_list(struct arena *a, json_t *attrs, enum catalog_how how,
			   const char *prefix);
char *otlp_flat_messages_text(struct arena *a, json_t *msgs);

#endif
