/* evaluator: NeMo Intake's evaluator results (judgement.md sections 1.5 and 1.6; NeMo Helix
 * evaluator_results_schemas.py) as judgements. data_type is the judgement's kind (NUMERIC a
 * number, CATEGORICAL a category, BOOLEAN a boolean, TEXT a text result), value its value,
 * string_value its label, comment its text; a FAILED result has an error (its comment, or
 * "FAILED") and no value. Any named value on a span reads back so, whichever API wrote it. */
#include "lib/api/intake/judgements.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json/jsonw.h"
#include "lib/model/line.h"
#include "lib/model/vschema.h"

#define N(x) (sizeof(x) / sizeof(*(x)))

static const struct vs_field fields[] = {
    {"span_id", VS_STR, true, false},	    {"session_id", VS_STR, true, false},
    {"name", VS_STR, true, false},	    {"value", VS_ANY, false, false},
    {"string_value", VS_STR, false, false}, {"data_type", VS_ANY, true, false},
    {"status", VS_ANY, false, false},	    {"comment", VS_STR, false, false},
};
static const char *const data_types[] = {"NUMERIC", "CATEGORICAL", "BOOLEAN", "TEXT", NULL};
static const enum judgement_kind data_type_kinds[] = {JK_NUMBER, JK_CATEGORY, JK_BOOLEAN, JK_TEXT};
static const char *const statuses[] = {"SCORED", "FAILED", NULL};
/* The error of a FAILED result written here without a comment: a mark, no reason. */
#define FAILED_MARK "FAILED"

/* Present, non-null member key of o, or NULL. */
static json_t *member(json_t *o, const char *key)
{
	json_t *x = json_object_get(o, key);
	return json_is_null(x) ? NULL : x;
}

static int index_of(const char *const *list, json_t *x)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(list[i], json_string_value(x)))
			return i;
	return -1;
}

/* value: float | None in pydantic's lax mode: a number, a boolean (1.0, 0.0) or a string that
 * reads as a number. */
static bool number_of(json_t *x, double *out)
{
	char *end;
	if (json_is_number(x))
		*out = json_number_value(x);
	else if (json_is_boolean(x))
		*out = json_is_true(x);
	else if (json_is_string(x) && json_string_length(x))
		*out = strtod(json_string_value(x), &end), *out = *end ? NAN : *out;
	else
		return false;
	return isfinite(*out);
}

/* A string field of lo..hi characters at body.key (its type checked by vs_model). */
static void length(struct verrs *v, json_t *loc, json_t *body, const char *key, size_t lo,
		   size_t hi)
{
	json_t *x = member(body, key);
	if (!json_is_string(x))
		return;
	json_t *l = vs_loc(loc, key);
	if (!strcmp(key, "span_id") || !strcmp(key, "session_id"))
		vs_id(v, l, x);
	else
		vs_str_len(v, l, x, lo, hi);
	json_decref(l);
}

/* The fields: types and presence, each one's rules, extra keys. */
static bool fields_ok(struct verrs *v, json_t *loc, json_t *body)
{
	size_t before = verrs_count(v);
	if (!vs_model(v, loc, body, fields, N(fields), false) && !json_is_object(body))
		return false;
	length(v, loc, body, "span_id", 0, 0);
	length(v, loc, body, "session_id", 0, 0);
	length(v, loc, body, "name", 0, JUDGEMENT_MAX_NAME);
	json_t *x = member(body, "value");
	double d;
	if (x && !number_of(x, &d)) {
		json_t *l = vs_loc(loc, "value");
		vs_error(v, l, NULL, json_is_string(x) ? "float_parsing" : "float_type",
			 json_is_string(x) ? "Input should be a valid number, unable to parse "
					     "string as a number"
					   : "Input should be a valid number",
			 x);
		json_decref(l);
	}
	length(v, loc, body, "string_value", 0, JUDGEMENT_MAX_TEXT);
	json_t *l = vs_loc(loc, "data_type");
	if ((x = json_object_get(body, "data_type")))
		vs_choice(v, l, x, data_types, "enum");
	json_decref(l);
	l = vs_loc(loc, "status");
	if ((x = member(body, "status")))
		vs_choice(v, l, x, statuses, "enum");
	json_decref(l);
	length(v, loc, body, "comment", 0, JUDGEMENT_MAX_TEXT);
	vs_extras(v, loc, body, fields, N(fields));
	return verrs_count(v) == before;
}

/* EvaluatorResultInput._enforce_value_coherence: the message of what breaks it, or NULL. */
static const char *coherence(json_t *body, int dt, bool failed, double value, bool has_value)
{
	static char msg[96];
	bool has_string = member(body, "string_value");
	if (failed)
		return has_value || has_string
			   ? "A FAILED evaluator result carries no `value` or `string_value`."
			   : NULL;
	if ((dt == 0 || dt == 2) && !has_value) {
		snprintf(msg, sizeof msg, "`value` is required when data_type is %s.",
			 data_types[dt]);
		return msg;
	}
	if ((dt == 1 || dt == 3) && !has_string) {
		snprintf(msg, sizeof msg, "`string_value` is required when data_type is %s.",
			 data_types[dt]);
		return msg;
	}
	if (dt == 2 && value != 0 && value != 1)
		return "`value` must be 0 or 1 when data_type is BOOLEAN.";
	return NULL;
}

static const char *str_of(struct arena *a, json_t *x)
{
	return x ? arena_strndup(a, json_string_value(x), json_string_length(x)) : NULL;
}

enum status intake_evaluator_parse(struct arena *a, const char *ws, json_t *body,
				   const char *author, int64_t now, struct judgement *j,
				   struct verrs *v)
{
	json_t *loc = json_pack("[s]", "body");
	judgement_init(j);
	if (!fields_ok(v, loc, body)) {
		json_decref(loc);
		return ST_INVALID;
	}
	int dt = index_of(data_types, json_object_get(body, "data_type"));
	json_t *status = member(body, "status");
	bool failed = status && index_of(statuses, status) == 1;
	double value = NAN;
	bool has_value = member(body, "value") && number_of(member(body, "value"), &value);
	const char *why = coherence(body, dt, failed, value, has_value);
	if (why) {
		char m[160];
		snprintf(m, sizeof m, "Value error, %s", why);
		verrs_add_ctx(v, loc, "value_error", m, json_incref(body),
			      json_pack("{s:{}}", "error"));
		return ST_INVALID;
	}
	json_decref(loc);
	j->workspace = ws;
	j->target = JT_SPAN;
	j->span_id = str_of(a, member(body, "span_id"));
	j->session_id = str_of(a, member(body, "session_id"));
	j->name = str_of(a, member(body, "name"));
	const char *parts[4] = {ws, j->session_id, j->span_id, j->name};
	j->id = judgement_key_id(a, "eval-", parts, 4);
	j->kind = data_type_kinds[dt];
	j->value = value;
	j->label = str_of(a, member(body, "string_value"));
	j->text = str_of(a, member(body, "comment"));
	if (failed)
		j->error = j->text ? j->text : FAILED_MARK;
	j->source = JS_EVALUATOR;
	j->api = INTAKE_API;
	j->subtype = "evaluator";
	j->author = author;
	j->created_at = now;
	return ST_OK;
}

void intake_evaluator_render(const struct judgement *j, struct buf *out)
{
	static const char *const types[JK__COUNT] = {
	    [JK_NUMBER] = "NUMERIC",
	    [JK_CATEGORY] = "CATEGORICAL",
	    [JK_BOOLEAN] = "BOOLEAN",
	    [JK_TEXT] = "TEXT",
	};
	/* A text result written with its string in text (no label) shows it as string_value. */
	bool text_value = j->kind == JK_TEXT && !j->label;
	buf_adds(out, "{\"evaluator_result_id\":");
	jsonw_string(out, j->id, strlen(j->id));
	line_str(out, "span_id", j->span_id);
	line_str(out, "session_id", j->session_id);
	line_str(out, "workspace", j->workspace);
	line_str(out, "name", j->name);
	if (!isnan(j->value)) {
		buf_adds(out, ",\"value\":");
		jsonw_real(out, j->value);
	}
	line_str(out, "string_value", text_value ? j->text : j->label);
	buf_printf(out, ",\"data_type\":\"%s\",\"status\":\"%s\"",
		   types[j->kind] ? types[j->kind] : "NUMERIC", j->error ? "FAILED" : "SCORED");
	/* A FAILED result's reason is its comment (judgement.md 1.5): its text, else the error
	 * another API wrote (an OTel evaluation's error.type), not this API's own FAILED_MARK. */
	const char *comment = text_value				  ? NULL
			      : j->text					  ? j->text
			      : j->error && strcmp(j->error, FAILED_MARK) ? j->error
									  : NULL;
	line_str(out, "comment", comment);
	line_str(out, "created_by", j->author);
	line_time(out, "created_at", j->created_at);
	line_time(out, "ingested_at", j->ingested_at);
	buf_addc(out, '}');
}
