/* judgement: a score, label, note, comment or state on a span, a trace or a session, in one
 * workspace (issue 34; ../shared/reference/judgement.md section 5 is the model). One record
 * behind every API's shape: NeMo annotations and evaluator results, Opik feedback scores,
 * comments and thread states, Scale GP span assessments, OTel gen_ai.evaluation.result events.
 * Each API maps its shape onto this struct in its own folder, and says there which judgements
 * each of its shapes shows (a struct judgement_view it hands down; docs/judgements.md).
 *
 * The store keeps the canonical JSON line judgement_render writes, in the workspace's
 * judgements/ directory (lib/store, STORE_JUDGEMENTS): append-only, the newest version of an
 * id wins, a deletion is a version with `deleted` set. An API that upserts (Opik scores per
 * entity, name and author; NeMo evaluator results per span and name) gives the id from those
 * parts (judgement_key_id), so its upsert is the store's newest-wins.
 *
 * A judgement's strings live in the arena of the request that built it (or in a JSON document
 * that outlives it); payload is an owned reference released by judgement_clear. */
#ifndef SPANDEX_JUDGEMENT_H
#define SPANDEX_JUDGEMENT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"

/* What the value is: a number (value), a category (label, and a value when the API gave one),
 * a boolean (value 0 or 1, label its word: "true", "positive", "approved" ...), a text result
 * (label, as NeMo's string_value: judgement.md section 5; text is then its reason, as for the
 * others), a comment (text, no name), an object (payload: a rubric, metadata, a corrected
 * output), or a session's state (label "active" or "inactive", payload {"tags": [...]}). */
enum judgement_kind {
	JK_NUMBER,
	JK_CATEGORY,
	JK_BOOLEAN,
	JK_TEXT,
	JK_COMMENT,
	JK_OBJECT,
	JK_STATE,
	JK__COUNT
};

/* Who made it. */
enum judgement_source { JS_HUMAN, JS_API, JS_EVALUATOR, JS_SDK, JS_ONLINE, JS__COUNT };

/* What it is attached to. A span judgement also names the span's trace and session when they
 * are known, so that the rollups of a trace and a session find it. */
enum judgement_target { JT_SPAN, JT_TRACE, JT_SESSION, JT__COUNT };

extern const char *const judgement_kind_names[JK__COUNT + 1];
extern const char *const judgement_source_names[JS__COUNT + 1];
extern const char *const judgement_target_names[JT__COUNT + 1];

/* Limits (docs/limits.md): names and labels, texts, payloads as rendered. */
#define JUDGEMENT_MAX_NAME 512
#define JUDGEMENT_MAX_TEXT 65536
#define JUDGEMENT_MAX_PAYLOAD 65536
/* An API's name for itself: a short word that a line, a filter and a metadata key carry as
 * they are. */
#define JUDGEMENT_MAX_API 32
/* The subtype of a human label ("annotation.<kind>"): a judgement whose subtype starts with it
 * is no evaluator's result, and its index record says so (REC_J_ANNOTATION: a score filter
 * reads the records alone). */
#define JUDGEMENT_LABEL_PREFIX "annotation."

#define JUDGEMENT_NONE INT64_MIN /* an absent time */

struct judgement {
	const char *id; /* required: unique in the workspace; a new version replaces it */
	const char *workspace;
	enum judgement_target target;
	const char *span_id, *trace_id, *session_id; /* NULL when absent or unknown */
	const char *project;			     /* Opik project, or NULL */
	const char *name;			     /* NULL for comments and notes */
	enum judgement_kind kind;
	double value;	   /* NAN when absent */
	const char *label; /* category, boolean word or state, or NULL */
	const char *text;  /* reason, note or comment, or NULL */
	json_t *payload;   /* object, or NULL */
	enum judgement_source source;
	/* The API it was written through, by the name its surface gives itself ("opik", "mcp":
	 * judgement_api_valid), which the surface owns; NULL is written "other". */
	const char *api;
	/* The origin API's own word for what it is ("annotation.label", "evaluator",
	 * "feedback_score", "comment", "rating", "thread" ...), or NULL. */
	const char *subtype;
	const char *author; /* who wrote it: the key's principal or the client's claim, or NULL */
	const char *error;  /* the evaluation failed: why (NeMo FAILED, OTel error.type), or NULL */
	int64_t created_at, updated_at; /* us; updated_at JUDGEMENT_NONE until one */
	int64_t ingested_at;		/* us, set by the store */
	bool deleted;			/* a deletion: readers treat the id as absent */
};

/* Every field absent. */
void judgement_init(struct judgement *j);
/* Releases the owned references of j (not its strings). */
void judgement_clear(struct judgement *j);
/* dst becomes a copy of src sharing its strings, with its own payload (a merge's start). */
void judgement_copy(struct judgement *dst, const struct judgement *src);
/* The id of what j judges: its span's, trace's or session's, by its target (NULL: none). */
const char *judgement_target_id(const struct judgement *j);

/* Appends the canonical line (no newline): {"id":...,"workspace":..., the target, the value,
 * who and when, "ingested_at"} in a fixed order, absent fields left out (docs/FORMAT.md,
 * "Judgements"). */
void judgement_render(const struct judgement *j, struct buf *out);
/* Reads a canonical line back into j: strings point into *root, which the caller releases with
 * json_decref after judgement_clear(j). False when the line is not a canonical judgement. */
bool judgement_parse(const char *line, size_t len, struct judgement *j, json_t **root);

/* The name of the API j was written through: its api, or "other" when that is no valid name. */
const char *judgement_api_name(const struct judgement *j);
/* Whether j was written through the API named api. */
bool judgement_api_is(const struct judgement *j, const char *api);
/* Whether s can name an API: 1 to JUDGEMENT_MAX_API lowercase ASCII letters, digits and '-', a
 * letter first. */
bool judgement_api_valid(const char *s);

/* Enum lookups; -1 for a name that is not a member. */
int judgement_kind_parse(const char *s);
int judgement_source_parse(const char *s);
int judgement_target_parse(const char *s);

/* The id of an upserting API's judgement: prefix followed by the first 32 hex characters of
 * SHA-256 over the parts (NeMo's stable_id; NULL parts count as empty), in the arena. The
 * same parts give the same id, so a new write replaces the old one. */
const char *judgement_key_id(struct arena *a, const char *prefix, const char *const *parts,
			     size_t n);

/* A view: the judgements one of an API's shapes shows, as its surface hands it down (each
 * surface's folder has its own: the mapping table of docs/judgements.md). shows decides on a
 * live judgement; the rest is what a judgement's index record can tell of it (lib/query reads
 * it, so that a score filter over the records alone counts what the view shows): the view
 * shows no judgement outside them. 0 or false: no condition. */
struct judgement_view {
	const char *what; /* the shape, in an answer: "Opik feedback scores" */
	bool (*shows)(const struct judgement *j);
	uint32_t kinds;	  /* bits of enum judgement_kind */
	uint32_t targets; /* bits of enum judgement_target */
	bool span;	  /* names a span */
	bool session;	  /* names a session */
	bool named;	  /* has a name */
	bool no_label;	  /* no human label (judgement_is_label) */
};
/* Whether view v shows j: never a deletion. */
bool judgement_shows(const struct judgement *j, const struct judgement_view *v);
/* Whether j is a human label (its subtype starts with JUDGEMENT_LABEL_PREFIX). */
bool judgement_is_label(const struct judgement *j);
/* Whether j is a named value: a number, category, boolean or text with a name. */
bool judgement_named_value(const struct judgement *j);
/* judgement_named_value's kinds, as bits of enum judgement_kind. */
#define JUDGEMENT_VALUE_KINDS                                                                      \
	(1u << JK_NUMBER | 1u << JK_CATEGORY | 1u << JK_BOOLEAN | 1u << JK_TEXT)

/* The mean of judgement values, which no API bounds (a NeMo evaluator's float may be 1e308):
 * the plain sum, as every mean was taken, and beside it the sum of the values scaled by 2^-64,
 * taken only when the plain sum overflows, so the mean of values of any size is a number.
 * Start from {0}. */
struct judgement_mean {
	double sum, scaled;
	long long n;
};
/* Adds value v to m. */
void judgement_mean_add(struct judgement_mean *m, double v);
/* The mean of m's values (NAN when it has none). */
double judgement_mean_of(const struct judgement_mean *m);

#endif
