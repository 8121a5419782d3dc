/* catalog: the conventions table and the semantic attribute catalog (reference nemo-intake.md
 * section 5), shared by every ingest format that fills token counts and costs: the value rules
 * (catalog_value.h), the object attributes (catalog_object.h), the kind table, the field rows
 * and the other fields' sources. catalog_apply itself is declared in lib/span.h. */
#ifndef SPANDEX_CATALOG_H
#define SPANDEX_CATALOG_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/model/catalog_object.h"
#include "lib/model/catalog_value.h"
#include "lib/model/span.h"

/* A cost above this many USD per token is not a cost: an instrumentor has been seen writing
 * token counts into cost fields (a cost of 0.5 to 1 per token and more). Such a cost is set
 * aside (raw_attributes "spandex.cost_refused") and the span is priced as if it brought none.
 * The most expensive models cost well under $1,000 per million tokens (0.001 a token); the cap
 * is a hundred times that, so that a made-up cost (a test's, a demo's: $0.50 for 15 tokens) is
 * kept as sent. */
#define CATALOG_MAX_USD_PER_TOKEN 0.1
#define CATALOG_USAGE_KEY "spandex.usage" /* raw_attributes: "children" (see catalog_kind) */
#define CATALOG_REFUSED_KEY "spandex.cost_refused"

/* ---- The conventions table ----
 * Where each typed Span field of an OTLP span comes from, in every convention spandex reads,
 * as declared rows (catalog_rows.c, catalog_kind.c, catalog_object.c): the kind table, the field
 * rows, the JSON objects whose members the field rows read, and the sources of the text fields.
 * docs/attributes.md is generated from these rows (t/check_catalog checks it, and walks
 * every row through the OTLP mapping with a fixture value). */

/* Whose work a span's usage (tokens and cost) counts, by its convention: its own, or the sum
 * of its children's (an AI SDK root, an agent or workflow span that repeats the usage of the
 * model calls under it), or its children's unless the span is a client call (OTel GenAI
 * invoke_agent: a local agent sums its model calls, a remote one did the work out of sight). */
enum catalog_usage { CATALOG_OWN, CATALOG_CHILDREN, CATALOG_CHILDREN_LOCAL };

/* One row of the kind table: a span whose attribute key equals value (case-insensitive; a
 * NULL value: any non-empty string) has this kind; rows in precedence order. */
struct catalog_kind_row {
	const char *key, *value;
	enum span_kind kind;
	enum catalog_usage usage;
	const char *note; /* for docs/attributes.md: the convention, or why this kind */
};
/* The kind table, for tests that walk it; *n gets its length. */
const struct catalog_kind_row *catalog_kind_rows(size_t *n);

#define CATALOG_MAX_KEYS 14 /* source keys of a field row, NULL included: the longest has 12 */

enum catalog_type {
	CATALOG_STR,	 /* a string into s->str[field] */
	CATALOG_VERSION, /* a string, or a non-negative integer in decimal, into s->str[field] */
	CATALOG_EVAL,	 /* a string into s->evaluation_context[sub] */
	CATALOG_TOKENS,	 /* a non-negative integer into the int64_t at offset field */
	CATALOG_USAGE,	 /* a non-negative integer into s->usage_details[sub] */
	CATALOG_COST,	 /* a non-negative number into the double at offset field */
};

/* One field row: the Span member name (sub: the member of it for EVAL and USAGE) filled by the
 * first present usable key of keys. A key "<attr>{<member>}" is a member of the JSON object
 * (or JSON text of one) that attribute <attr> holds (catalog_objects). With kind set, the row
 * applies to spans of that kind only, and fills only what no earlier row of its field did. */
struct catalog_row {
	const char *name;
	enum catalog_type type;
	size_t field; /* enum span_str for STR and VERSION; offsetof(struct span, x) for the rest */
	const char *sub;
	const char *kind;
	const char *keys[CATALOG_MAX_KEYS]; /* priority order, NULL-terminated */
	const char *note; /* for docs/attributes.md: what the row adds to its sources */
};
/* The field rows (catalog_rows.c), CATALOG_NROWS of them; catalog_rows gives them to tests. */
#define CATALOG_NROWS 35
extern const struct catalog_row *const catalog_row_table;
const struct catalog_row *catalog_rows(size_t *n);

/* The fields that are no attribute lookups: session, input, output, status, the error message,
 * the attributes that no field takes but are dropped (NeMo's exceptions), and those kept in
 * raw_attributes on purpose (the Span has no field: user, tool call id, the time to the first
 * chunk, which Opik's ttft reads, whether the call streamed, and a compacted conversation). */
enum catalog_field {
	CATALOG_SESSION,
	CATALOG_INPUT,
	CATALOG_OUTPUT,
	CATALOG_STATUS,
	CATALOG_ERROR_MESSAGE,
	CATALOG_DROPPED,
	CATALOG_USER,
	CATALOG_TOOL_CALL_ID,
	CATALOG_FIRST_CHUNK,
	CATALOG_STREAMED,
	CATALOG_COMPACTED,
	CATALOG__FIELDS
};
extern const char *const catalog_field_names[CATALOG__FIELDS];

/* How a source gives its field's value. */
enum catalog_how {
	CATALOG_TEXT,	   /* the attribute: a string as it is, another value as compact JSON */
	CATALOG_NONEMPTY,  /* as TEXT, an empty string being none */
	CATALOG_ID,	   /* a non-empty string */
	CATALOG_MESSAGES,  /* gen_ai.input.messages, gen_ai.system_instructions in front (TEXT else)
			    */
	CATALOG_OI_LIST,   /* OpenInference's flattened messages: <key><i>.message.* */
	CATALOG_FLAT_LIST, /* OpenLLMetry's flattened messages: <key><i>.* */
	CATALOG_TEXT_LIST, /* OpenInference's embedded texts: the list of <key><i>.embedding.text */
	CATALOG_DOC_LIST,  /* OpenInference's documents: the list of <key><i>.document.* objects */
	CATALOG_JSON_LIST, /* a list of JSON texts (ai@6's ai.values): the list of the values they
			      hold (TEXT else) */
	CATALOG_EVENT,	   /* span events named key, gathered with the field's other EVENT rows
			      into {"messages": [...]}, each a message of role value */
	CATALOG_STATUS_TEXT, /* the OTLP status message */
	CATALOG_STATUS_ATTR, /* value (any case) of the first present key of the field's STATUS_ATTR
				rows means status */
	CATALOG_LEVEL,	     /* attribute key equal to value (any case) means status */
	CATALOG_STATUS_CODE, /* the OTLP status code ERROR means status; else success */
	CATALOG_STATUS_EVENT, /* a span event named key means status (LangSmith counts a run with
				 an exception event failed whatever its OTLP status) */
	CATALOG_PREFIX,	      /* every attribute under the prefix key (DROPPED) */
	CATALOG_RAW,	      /* kept in raw_attributes as it came: the Span has no field for it */
};

/* When a source's attribute leaves raw_attributes: never, always (NeMo's exceptions), or when
 * its value is the field's (it gave the field, or says nothing new). */
enum catalog_drop { CATALOG_KEEP, CATALOG_DROP, CATALOG_DROP_SAME };

/* One source of a catalog_field; a field's sources in precedence order. */
struct catalog_source {
	enum catalog_field field;
	const char *key; /* attribute key, prefix or event name; NULL for the OTLP status */
	enum catalog_how how;
	enum catalog_drop drop;
	int kind;	  /* -1, or the only enum span_kind the source is read on */
	const char *when; /* with when_value: read only when attribute when equals it (any case);
			     a NULL when_value: when it is any non-empty string */
	const char *when_value;
	const char *value;	 /* EVENT: the message role; STATUS_ATTR, LEVEL: the value matched;
				    FIRST_CHUNK: its unit (CATALOG_UNIT_*) */
	enum span_status status; /* STATUS_ATTR, LEVEL, STATUS_EVENT, STATUS_CODE: the status */
};
const struct catalog_source *catalog_sources(size_t *n);

/* The units of a FIRST_CHUNK source's value: milliseconds, seconds, or the time the first
 * chunk came (an RFC 3339 string, or the JSON text of one), less the span's start. */
#define CATALOG_UNIT_MS "ms"
#define CATALOG_UNIT_S "s"
#define CATALOG_UNIT_AT "time"

/* Whether attrs hold attribute src->when as src says (true when src has no when). */
bool catalog_source_when(const struct catalog_source *src, json_t *attrs);

/* The kind of a span with attributes attrs by the first matching row, UNKNOWN when none does
 * (any gen_ai.evaluation.* attribute makes an EVALUATOR). *children (may be NULL) says whether
 * its usage is its children's: client is whether the OTLP span kind is CLIENT. */
enum span_kind catalog_kind(json_t *attrs, bool client, bool *children);

/* Sets aside a cost s brought that cannot be one (over CATALOG_MAX_USD_PER_TOKEN per token of
 * the span): the costs go to raw_attributes under CATALOG_REFUSED_KEY and the fields are
 * emptied, so the price table prices the span as one that brought none. Every surface's spans
 * pass here (lib/ingest's ingest_store and PATCH merge). */
void catalog_check_cost(struct span *s);

/* catalog_apply for one OTLP span: name is the span's name (a TOOL span that no attribute
 * names is named by it, as Langfuse's tool observations are); with children, the usage and
 * cost attributes are not the span's (catalog_kind) and stay in raw_attributes, marked
 * CATALOG_USAGE_KEY "children", so no rollup counts them twice. */
void catalog_apply_span(struct arena *a, struct span *s, json_t *attrs, const char *name,
			bool children);
/* catalog_apply_span taking attrs (the caller's reference, to an object nothing else holds):
 * it may become s->raw_attributes, what the catalog consumed deleted from it, where
 * catalog_apply_span makes a new object of what it did not. */
void catalog_take_span(struct arena *a, struct span *s, json_t *attrs, const char *name,
		       bool children);

#endif

/* The evaluation context of an ingest body (reference sections 4.2 and 4.3): the optional
 * members experiment_context {experiment_id (required), test_case_id} (P's canonical form) and
 * evaluation_context (SpanEvaluationContext of the Get Span page, plus H's evaluation_name /
 * test_case_name). */
struct verrs;
/* Checks those members of body (an object) with loc as body's location. */
void catalog_context_check(struct verrs *v, json_t *loc, json_t *body);
/* The Span evaluation_context for a checked body, as a new object, or NULL when it has none.
 * experiment_context wins over evaluation_context (P); H names map to evaluation_id and
 * test_case_id. */
json_t *catalog_context(json_t *body);
