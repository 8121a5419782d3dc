/* filter_parse: Opik's `filters` (reference opik.md §7) read into conditions: the one parser
 * of every filter of the surface (cond.h: the operators each type takes, the values and the 400
 * of a bad one, against a column table), the span and trace filter's columns, and that filter's
 * scope. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/filters/filter_int.h"

#include <stdio.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/model/crosswalk.h"

static const char *const type_names[] = {
    "string",	       "number", "date_time", "list", "dictionary", "feedback_scores_number",
    "error_container", "enum"};

static const struct ffield ffields[] = {
    {"id", T_STRING, F_ID, -1},
    {"name", T_STRING, F_NAME, -1},
    {"input", T_STRING, F_INPUT, -1},
    {"output", T_STRING, F_OUTPUT, -1},
    {"model", T_STRING, F_MODEL, OPIK_SPAN},
    {"provider", T_STRING, F_PROVIDER, OPIK_SPAN},
    {"trace_id", T_STRING, F_TRACE_ID, OPIK_SPAN},
    {"thread_id", T_STRING, F_THREAD, OPIK_TRACE},
    {"start_time", T_DATE, F_START, -1},
    {"end_time", T_DATE, F_END, -1},
    {"created_at", T_DATE, F_CREATED, -1},
    {"last_updated_at", T_DATE, F_UPDATED, -1},
    {"total_estimated_cost", T_NUMBER, F_COST, -1},
    {"usage.prompt_tokens", T_NUMBER, F_PROMPT, -1},
    {"usage.completion_tokens", T_NUMBER, F_COMPLETION, -1},
    {"usage.total_tokens", T_NUMBER, F_TOTAL, -1},
    {"llm_span_count", T_NUMBER, F_LLM_COUNT, OPIK_TRACE},
    {"duration", T_NUMBER, F_DURATION, -1},
    {"ttft", T_NUMBER, F_TTFT, -1},
    {"tags", T_LIST, F_TAGS, -1},
    {"metadata", T_DICT, F_METADATA, -1},
    {"input_json", T_DICT, F_INPUT_JSON, -1},
    {"output_json", T_DICT, F_OUTPUT_JSON, -1},
    {"feedback_scores", T_SCORES, F_SCORES, -1},
    {"span_feedback_scores", T_SCORES, F_SPAN_SCORES, OPIK_TRACE},
    {"error_info", T_ERROR, F_ERROR, -1},
    {"error_type", T_STRING, F_ERROR_TYPE, -1},
    {"type", T_ENUM, F_TYPE, OPIK_SPAN},
    {"source", T_ENUM, F_SOURCE, -1},
    {"environment", T_ENUM, F_ENVIRONMENT, -1},
    /* Trace fields of what spandex has no data for (§7.3): experiments, annotation queues and
     * guardrail validations are none, every trace is visible. */
    {"experiment_id", T_STRING, F_ABSENT, OPIK_TRACE},
    {"annotation_queue_ids", T_LIST, F_ABSENT, OPIK_TRACE},
    {"guardrails", T_ENUM, F_ABSENT, OPIK_TRACE},
    {"visibility_mode", T_ENUM, F_VISIBILITY, OPIK_TRACE},
};
#define NFF (sizeof ffields / sizeof *ffields)

static const char *const op_names[] = {"=",	      "!=",	   ">",	       ">=",
				       "<",	      "<=",	   "contains", "not_contains",
				       "starts_with", "ends_with", "is_empty", "is_not_empty",
				       "in",	      "not_in"};
#define NOPS (sizeof op_names / sizeof *op_names)

/* The operators each type takes (§7.2), a bit per enum fop. */
#define B(o) (1u << (o))
static const unsigned type_ops[] = {
    [T_STRING] = B(O_EQ) | B(O_NE) | B(O_GT) | B(O_LT) | B(O_CONTAINS) | B(O_NOT_CONTAINS) |
		 B(O_STARTS) | B(O_ENDS) | B(O_EMPTY) | B(O_NOT_EMPTY),
    [T_NUMBER] = B(O_EQ) | B(O_NE) | B(O_GT) | B(O_GE) | B(O_LT) | B(O_LE),
    [T_DATE] = B(O_EQ) | B(O_NE) | B(O_GT) | B(O_GE) | B(O_LT) | B(O_LE),
    [T_LIST] = B(O_EQ) | B(O_NE) | B(O_CONTAINS) | B(O_NOT_CONTAINS) | B(O_EMPTY) | B(O_NOT_EMPTY),
    [T_DICT] = B(O_EQ) | B(O_NE) | B(O_GT) | B(O_LT) | B(O_CONTAINS) | B(O_NOT_CONTAINS) |
	       B(O_STARTS) | B(O_ENDS) | B(O_EMPTY) | B(O_NOT_EMPTY),
    [T_SCORES] =
	B(O_EQ) | B(O_NE) | B(O_GT) | B(O_GE) | B(O_LT) | B(O_LE) | B(O_EMPTY) | B(O_NOT_EMPTY),
    [T_ERROR] = B(O_EMPTY) | B(O_NOT_EMPTY),
    [T_ENUM] = B(O_EQ) | B(O_NE) | B(O_IN) | B(O_NOT_IN) | B(O_EMPTY) | B(O_NOT_EMPTY),
};

/* The column a condition names (NULL: none of cols'): with cols->custom, custom (§7.3) with a
 * key input.<path>, output.<path> or metadata.<path> is that dictionary's column (input_json,
 * output_json, metadata) of the path, *key then the path. */
static const struct ffield *field_of(const struct opik_columns *cols, const char *field,
				     const char **key)
{
	static const char *const custom[][2] = {
	    {"input.", "input_json"}, {"output.", "output_json"}, {"metadata.", "metadata"}};
	for (size_t k = 0; cols->custom && field && *key && !strcmp(field, "custom") && k < 3; k++)
		if (!strncmp(*key, custom[k][0], strlen(custom[k][0])) &&
		    (*key)[strlen(custom[k][0])]) {
			field = custom[k][1];
			*key += strlen(custom[k][0]);
		}
	for (size_t k = 0; field && k < cols->n; k++)
		if (!strcmp(cols->f[k].name, field) &&
		    (cols->f[k].only < 0 || cols->f[k].only == cols->ent))
			return &cols->f[k];
	return NULL;
}

/* One condition x against cols into c; a 400 recorded in req when it is not one. */
static enum status cond_parse(struct http_req *req, const struct opik_columns *cols, json_t *x,
			      struct fcond *c)
{
	const char *field = json_string_value(json_object_get(x, "field"));
	const char *op = json_string_value(json_object_get(x, "operator"));
	const char *key = json_string_value(json_object_get(x, "key"));
	json_t *vj = json_object_get(x, "value");
	const struct ffield *ff = field_of(cols, field, &key);
	size_t o = 0;
	while (op && o < NOPS && strcmp(op_names[o], op))
		o++;
	if (!json_is_object(x) || !ff)
		return http_fail(req, ST_BAD_REQUEST, "Invalid filter field '%.100s'",
				 field ? field : "(none)");
	if (!op || o == NOPS || !(type_ops[ff->type] & B(o)))
		return http_fail(req, ST_BAD_REQUEST,
				 "Invalid operator '%.40s' for field '%s' of type '%s'",
				 op ? op : "(none)", ff->name, type_names[ff->type]);
	memset(c, 0, sizeof *c);
	c->f = ff;
	c->op = (enum fop)o;
	c->key = key ? arena_strdup(req->arena, key) : NULL;
	/* Values come as strings; null for the no-value operators (§7.1). */
	const char *v = json_is_string(vj) ? json_string_value(vj) : "";
	if (json_is_number(vj)) {
		struct buf *nb = arena_buf(req->arena);
		jsonw_number(nb, json_number_value(vj));
		v = arena_strndup(req->arena, nb->p, nb->len);
	}
	c->value = arena_strdup(req->arena, v);
	bool need = c->op != O_EMPTY && c->op != O_NOT_EMPTY;
	if ((ff->type == T_DICT || ff->type == T_SCORES) && (!c->key || !*c->key))
		return http_fail(req, ST_BAD_REQUEST,
				 "Invalid value '%.100s' or key '' for field '%s'", v, ff->name);
	if (need &&
	    (ff->type == T_NUMBER || ff->type == T_SCORES ||
	     (ff->type == T_DICT && (c->op == O_GT || c->op == O_LT))) &&
	    !opik_number(v, &c->num))
		return http_fail(req, ST_BAD_REQUEST,
				 "Invalid value '%.100s' or key '%.100s' for field '%s'", v,
				 c->key ? c->key : "", ff->name);
	if (need && ff->type == T_DATE && !time_parse(v, false, &c->us))
		return http_fail(req, ST_BAD_REQUEST, "Invalid value '%.100s' for field '%s'", v,
				 ff->name);
	return ST_OK;
}

enum status opik_conds_parse(struct http_req *req, const struct opik_columns *cols, json_t *filters,
			     const char *raw_text, struct fcond **c, size_t *n)
{
	json_t *owned = NULL;
	*c = NULL;
	*n = 0;
	if (raw_text && *raw_text) {
		owned = filters = json_loads(raw_text, 0, NULL);
		if (!json_is_array(filters)) {
			json_decref(owned);
			return http_fail(req, ST_BAD_REQUEST,
					 "Invalid filters query parameter '%.200s'", raw_text);
		}
	}
	if (!filters || json_is_null(filters))
		return ST_OK;
	if (!json_is_array(filters))
		return http_fail(req, ST_BAD_REQUEST, "filters must be an array");
	if (json_array_size(filters) > OPIK_MAX_FILTERS) {
		json_decref(owned);
		return http_fail(req, ST_BAD_REQUEST, "at most %d filters", OPIK_MAX_FILTERS);
	}
	*c = arena_alloc(req->arena, (json_array_size(filters) + 1) * sizeof **c);
	size_t i;
	json_t *x;
	enum status st = ST_OK;
	json_array_foreach(filters, i, x)
	{
		if ((st = cond_parse(req, cols, x, &(*c)[*n])) != ST_OK)
			break;
		(*n)++;
	}
	json_decref(owned);
	return st;
}

enum status opik_filter_parse(struct http_req *req, enum opik_entity ent, json_t *filters,
			      const char *raw_text, struct opik_filter **out)
{
	struct opik_filter *f = arena_alloc(req->arena, sizeof *f);
	const struct opik_columns cols = {
	    .f = ffields, .n = NFF, .ent = (int)ent, .custom = ent == OPIK_SPAN};
	memset(f, 0, sizeof *f);
	f->ent = ent;
	f->a = req->arena;
	f->spans_only = ent == OPIK_SPAN;
	*out = f;
	return opik_conds_parse(req, &cols, filters, raw_text, &f->c, &f->n);
}

void opik_filter_scope(struct opik_filter *f, const char *project, const char *type)
{
	f->project = project;
	f->type = type;
	if (project) {
		struct buf *b = arena_buf(f->a);
		jsonw_string(b, project, strlen(project));
		f->project_lit = arena_strndup(f->a, b->p, b->len);
	}
}

uint32_t opik_filter_kinds(const struct opik_filter *f)
{
	uint32_t set = f->type ? crosswalk_kinds_of(&opik_crosswalk, f->type) : 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct fcond *c = &f->c[i];
		if (c->f->src != F_TYPE || (c->op != O_EQ && c->op != O_IN))
			continue;
		uint32_t m = 0;
		for (const char *p = c->value; *p;) { /* "in": a comma-separated list */
			size_t l = strcspn(p, ",");
			char t[CROSSWALK_TYPE_MAX];
			snprintf(t, sizeof t, "%.*s", (int)l, p);
			m |= crosswalk_kinds_of(&opik_crosswalk, t);
			p += l + (p[l] == ',');
		}
		set = set ? set & m : m;
	}
	return set;
}

void opik_filter_project_id(struct opik_filter *f, const char *id)
{
	f->project_id = id;
}

void opik_filter_all(struct opik_filter *f)
{
	f->spans_only = false;
}

bool opik_filter_project_only(const struct opik_filter *f)
{
	return f->project && !f->n && !f->type && !f->project_id && !f->spans_only;
}
