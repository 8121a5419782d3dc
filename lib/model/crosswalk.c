/* crosswalk: kinds and statuses between spandex, Opik and Scale GP v5 (crosswalk.h). */
#include <string.h>
#include <strings.h>
#include "lib/model/crosswalk.h"

/* One row per foreign type: the kind it is stored as. The first row of a kind is that kind's
 * default type when read back. Opik has four types (opik.md §2), SGP 25 plus OUTPUT_GUARDRAIL
 * (otel-egp.md §4.4). */
struct row {
	enum span_kind kind;
	const char *type;
};

static const struct row opik_rows[] = {
    {KIND_LLM, "llm"},		 {KIND_TOOL, "tool"},	     {KIND_GUARDRAIL, "guardrail"},
    {KIND_CHAIN, "general"},	 {KIND_AGENT, "general"},    {KIND_RETRIEVER, "general"},
    {KIND_EMBEDDING, "general"}, {KIND_RERANKER, "general"}, {KIND_EVALUATOR, "general"},
    {KIND_UNKNOWN, "general"},
};

static const struct row sgp_rows[] = {
    {KIND_LLM, "COMPLETION"},
    {KIND_LLM, "COMPLETION_INPUT"},
    {KIND_LLM, "PROMPT_ENGINEERING"},
    {KIND_LLM, "DOCUMENT_PROMPT"},
    {KIND_RETRIEVER, "KB_RETRIEVAL"},
    {KIND_RETRIEVER, "KB_INPUT"},
    {KIND_RETRIEVER, "DOCUMENT_SEARCH"},
    {KIND_RETRIEVER, "FILE_RETRIEVAL"},
    {KIND_RERANKER, "RERANKING"},
    {KIND_TOOL, "CODE_EXECUTION"},
    {KIND_TOOL, "EXTERNAL_ENDPOINT"},
    {KIND_TOOL, "KB_ADD_CHUNK"},
    {KIND_TOOL, "KB_MANAGEMENT"},
    {KIND_EVALUATOR, "EVALUATION"},
    {KIND_GUARDRAIL, "GUARDRAIL"},
    {KIND_GUARDRAIL, "OUTPUT_GUARDRAIL"},
    {KIND_AGENT, "AGENT_TRACER"},
    {KIND_AGENT, "AGENT_WORKFLOW"},
    {KIND_CHAIN, "TRACER"},
    {KIND_CHAIN, "MAP_REDUCE"},
    {KIND_CHAIN, "TEXT_INPUT"},
    {KIND_CHAIN, "TEXT_OUTPUT"},
    {KIND_CHAIN, "DOCUMENT_INPUT"},
    {KIND_CHAIN, "DATA_MANIPULATION"},
    {KIND_CHAIN, "CUSTOM"},
    {KIND_UNKNOWN, "STANDALONE"},
    {KIND_EMBEDDING, "STANDALONE"},
};

const char *const crosswalk_opik_types[] = {"general", "tool", "llm", "guardrail", NULL};
const char *const crosswalk_sgp_types[] = {
    "TEXT_INPUT",
    "TEXT_OUTPUT",
    "COMPLETION_INPUT",
    "COMPLETION",
    "KB_RETRIEVAL",
    "KB_INPUT",
    "RERANKING",
    "EXTERNAL_ENDPOINT",
    "PROMPT_ENGINEERING",
    "DOCUMENT_INPUT",
    "MAP_REDUCE",
    "DOCUMENT_SEARCH",
    "DOCUMENT_PROMPT",
    "CUSTOM",
    "CODE_EXECUTION",
    "DATA_MANIPULATION",
    "EVALUATION",
    "FILE_RETRIEVAL",
    "KB_ADD_CHUNK",
    "KB_MANAGEMENT",
    "GUARDRAIL",
    "OUTPUT_GUARDRAIL",
    "TRACER",
    "AGENT_TRACER",
    "AGENT_WORKFLOW",
    "STANDALONE",
    NULL,
};

static const struct row *rows(enum crosswalk_api api, size_t *n)
{
	if (api == CW_OPIK) {
		*n = sizeof opik_rows / sizeof *opik_rows;
		return opik_rows;
	}
	*n = sizeof sgp_rows / sizeof *sgp_rows;
	return sgp_rows;
}

static const char *default_type(enum crosswalk_api api, enum span_kind kind)
{
	size_t n;
	const struct row *r = rows(api, &n);

	for (size_t i = 0; i < n; i++)
		if (r[i].kind == kind)
			return r[i].type;
	return api == CW_OPIK ? "general" : "STANDALONE";
}

int crosswalk_kind(enum crosswalk_api api, const char *type)
{
	size_t n;
	const struct row *r = rows(api, &n);

	for (size_t i = 0; type && i < n; i++)
		if (!strcmp(r[i].type, type))
			return (int)r[i].kind;
	return api == CW_OPIK ? -1 : KIND_UNKNOWN;
}

bool crosswalk_keep_type(enum crosswalk_api api, const char *type)
{
	int k = crosswalk_kind(api, type);
	return k >= 0 && strcmp(default_type(api, (enum span_kind)k), type) != 0;
}

const char *crosswalk_type_of(enum crosswalk_api api, enum span_kind kind, const char *kept)
{
	/* An SGP type SGP did not list maps to KIND_UNKNOWN and is kept as sent. */
	if (kept && crosswalk_kind(api, kept) == (int)kind)
		return kept;
	return default_type(api, kind);
}

const char *crosswalk_type(enum crosswalk_api api, const struct span *s)
{
	json_t *kept = s->raw_attributes
			   ? json_object_get(s->raw_attributes, api == CW_OPIK ? CROSSWALK_OPIK_TYPE
									       : CROSSWALK_SGP_TYPE)
			   : NULL;
	return crosswalk_type_of(api, s->kind, json_string_value(kept));
}

/* A string member's text when it is plain (no escapes) and fits in buf; else NULL. */
static const char *plain(const char *v, size_t vn, char *buf, size_t size)
{
	if (vn < 2 || v[0] != '"' || vn - 2 >= size || memchr(v, '\\', vn))
		return NULL;
	memcpy(buf, v + 1, vn - 2);
	buf[vn - 2] = 0;
	return buf;
}

const char *crosswalk_line_type(enum crosswalk_api api, const struct span_line *m,
				char buf[CROSSWALK_TYPE_MAX])
{
	char kb[32];
	const char *v, *kept = NULL;
	size_t vn;
	int kind = m->kind && plain(m->kind, m->kindn, kb, sizeof kb) ? span_kind_parse(kb) : -1;
	if (kind < 0)
		return NULL;
	int has =
	    span_line_attr(m, api == CW_OPIK ? CROSSWALK_OPIK_TYPE : CROSSWALK_SGP_TYPE, &v, &vn);
	if (!has || (has > 0 && v[0] == '"' && !(kept = plain(v, vn, buf, CROSSWALK_TYPE_MAX))))
		return NULL;
	return crosswalk_type_of(api, (enum span_kind)kind, kept);
}

uint32_t crosswalk_kinds_of(enum crosswalk_api api, const char *type)
{
	size_t n;
	const struct row *r = rows(api, &n);
	uint32_t set = 0;
	/* Kept: the kinds the type is stored as; read back: the kinds it is the default of. */
	for (size_t i = 0; type && i < n; i++)
		if (!strcasecmp(r[i].type, type))
			set |= 1u << r[i].kind;
	for (int k = 0; type && k < KIND__COUNT; k++)
		if (!strcasecmp(default_type(api, (enum span_kind)k), type))
			set |= 1u << k;
	/* SGP keeps a type it does not list on KIND_UNKNOWN. */
	if (type && api == CW_SGP && crosswalk_kind(api, type) == KIND_UNKNOWN)
		set |= 1u << KIND_UNKNOWN;
	return set;
}

/* SGP's statuses (otel-egp.md §4.4), one row per spandex status: its name when read back. The
 * first row of a name is the status it is stored as. A span from a source that said nothing
 * (unknown) reads as SUCCESS, SGP's default, so a filter for SUCCESS finds it too. */
static const struct srow {
	enum span_status st;
	const char *name;
} sgp_status_rows[] = {
    {SPST_SUCCESS, "SUCCESS"},
    {SPST_ERROR, "ERROR"},
    {SPST_CANCELLED, "CANCELED"},
    {SPST_UNKNOWN, "SUCCESS"},
};
#define NSTATUS (sizeof sgp_status_rows / sizeof *sgp_status_rows)

int crosswalk_status(enum crosswalk_api api, const char *status)
{
	for (size_t i = 0; api == CW_SGP && status && i < NSTATUS; i++)
		if (!strcmp(sgp_status_rows[i].name, status))
			return (int)sgp_status_rows[i].st;
	return -1;
}

const char *crosswalk_status_name(enum crosswalk_api api, enum span_status st)
{
	for (size_t i = 0; api == CW_SGP && i < NSTATUS; i++)
		if (sgp_status_rows[i].st == st)
			return sgp_status_rows[i].name;
	return NULL;
}

uint32_t crosswalk_statuses_of(enum crosswalk_api api, const char *status)
{
	uint32_t set = 0;
	for (size_t i = 0; api == CW_SGP && status && i < NSTATUS; i++)
		if (!strcmp(sgp_status_rows[i].name, status))
			set |= 1u << sgp_status_rows[i].st;
	return set;
}
