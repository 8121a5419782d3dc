/* annotation: NeMo Intake's annotations (judgement.md sections 1.2 and 1.3; NeMo Helix
 * annotations_schemas.py) as judgements. The create body is pydantic's discriminated union
 * AnnotationInput, checked with its error types, locations and messages; the read shape is
 * Annotation with None left out. How each kind maps:
 *   feedback  boolean, label "positive" or "negative" (value 1 or 0), no name
 *   label     numeric: a number with its name; text: a category (label), name optional
 *   note      a comment (text): every API's comments read back as notes
 *   metadata  an object (payload)
 * with subtype "annotation.<kind>" (a note of another API has its own). */
#include "lib/api/intake/judgements.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/json/jsonw.h"
#include "lib/model/line.h"
#include "lib/model/vschema.h"

#define N(x) (sizeof(x) / sizeof(*(x)))

/* The variants in the union's order, which its tag error lists. */
enum { AK_FEEDBACK, AK_NOTE, AK_METADATA, AK_LABEL, AK__COUNT };
static const char *const kind_names[AK__COUNT] = {"feedback", "note", "metadata", "label"};
static const char expected_tags[] = "'feedback', 'note', 'metadata', 'label'";

/* Each variant's fields: the shared target fields, kind, then its own (model order). */
#define TARGET                                                                                     \
	{"span_id", VS_STR, false, false},                                                         \
	{                                                                                          \
		"session_id", VS_STR, true, false                                                  \
	}
#define KIND                                                                                       \
	{                                                                                          \
		"kind", VS_ANY, true, false                                                        \
	}
static const struct vs_field feedback_fields[] = {TARGET, KIND, {"value", VS_ANY, true, false}};
static const struct vs_field note_fields[] = {TARGET, KIND, {"text", VS_STR, true, false}};
static const struct vs_field metadata_fields[] = {TARGET, KIND, {"metadata", VS_DICT, true, false}};
static const struct vs_field label_fields[] = {TARGET,
					       KIND,
					       {"value_type", VS_ANY, true, false},
					       {"value", VS_ANY, true, false},
					       {"name", VS_STR, false, false}};
static const struct {
	const struct vs_field *f;
	size_t n;
} variants[AK__COUNT] = {
    {feedback_fields, N(feedback_fields)},
    {note_fields, N(note_fields)},
    {metadata_fields, N(metadata_fields)},
    {label_fields, N(label_fields)},
};
static const char *const sentiments[] = {"positive", "negative", NULL};
static const char *const value_types[] = {"text", "numeric", NULL};

/* Present, non-null member key of o, or NULL. */
static json_t *member(json_t *o, const char *key)
{
	json_t *x = json_object_get(o, key);
	return json_is_null(x) ? NULL : x;
}

/* A model validator's error (pydantic: "Value error, ..." at the variant, ctx {"error": {}}). */
static void model_error(struct verrs *v, json_t *loc, json_t *body, const char *msg)
{
	char m[160];
	snprintf(m, sizeof m, "Value error, %s", msg);
	verrs_add_ctx(v, json_copy(loc), "value_error", m, json_incref(body),
		      json_pack("{s:{}}", "error"));
}

/* The tag as Python's str() shows it in union_tag_invalid. */
static char *tag_text(struct arena *a, json_t *tag)
{
	if (json_is_string(tag))
		return arena_strdup(a, json_string_value(tag));
	if (json_is_null(tag))
		return arena_strdup(a, "None");
	if (json_is_boolean(tag))
		return arena_strdup(a, json_is_true(tag) ? "True" : "False");
	return jsonw_astr(a, tag, 0);
}

/* The variant body's kind names, or -1 with the discriminator's error added. */
static int variant_of(struct arena *a, struct verrs *v, json_t *loc, json_t *body)
{
	if (!vs_check(v, loc, body, VS_MODEL, false))
		return -1;
	json_t *tag = json_object_get(body, "kind");
	if (!tag) {
		verrs_add_ctx(v, json_copy(loc), "union_tag_not_found",
			      "Unable to extract tag using discriminator 'kind'", json_incref(body),
			      json_pack("{s:s}", "discriminator", "'kind'"));
		return -1;
	}
	for (int k = 0; k < AK__COUNT; k++)
		if (json_is_string(tag) && !strcmp(json_string_value(tag), kind_names[k]))
			return k;
	const char *t = tag_text(a, tag);
	char *msg = arena_printf(
	    a, "Input tag '%s' found using 'kind' does not match any of the expected tags: %s", t,
	    expected_tags);
	verrs_add_ctx(v, json_copy(loc), "union_tag_invalid", msg, json_incref(body),
		      json_pack("{s:s,s:s,s:s}", "discriminator", "'kind'", "tag", t,
				"expected_tags", expected_tags));
	return -1;
}

/* A field's own rules beyond its type, at loc + [key], when x (its value) is there: false
 * with the error added. */
static bool field_ok(struct verrs *v, json_t *loc, const char *key, json_t *x,
		     bool (*check)(struct verrs *, json_t *, json_t *))
{
	if (!x)
		return true;
	json_t *l = vs_loc(loc, key);
	bool ok = check(v, l, x);
	json_decref(l);
	return ok;
}

static bool id_ok(struct verrs *v, json_t *loc, json_t *x)
{
	return !json_is_string(x) || vs_id(v, loc, x);
}
static bool sentiment_ok(struct verrs *v, json_t *loc, json_t *x)
{
	return vs_choice(v, loc, x, sentiments, "literal_error");
}
static bool note_ok(struct verrs *v, json_t *loc, json_t *x)
{
	return !json_is_string(x) || vs_str_len(v, loc, x, 1, INTAKE_NOTE_MAX);
}
static bool value_type_ok(struct verrs *v, json_t *loc, json_t *x)
{
	return vs_choice(v, loc, x, value_types, "literal_error");
}
static bool name_ok(struct verrs *v, json_t *loc, json_t *x)
{
	return !json_is_string(x) || vs_str_len(v, loc, x, 0, INTAKE_LABEL_NAME_MAX);
}

/* metadata: dict[str, Any] with min_length=1, and at most JUDGEMENT_MAX_PAYLOAD as JSON. */
static bool metadata_ok(struct verrs *v, json_t *loc, json_t *x)
{
	if (!json_is_object(x))
		return true;
	if (json_object_size(x) == 0) {
		verrs_add_ctx(v, json_copy(loc), "too_short",
			      "Dictionary should have at least 1 item after validation, not 0",
			      json_incref(x),
			      json_pack("{s:s,s:i,s:i}", "field_type", "Dictionary", "min_length",
					1, "actual_length", 0));
		return false;
	}
	struct buf b;
	buf_init(&b);
	jsonw_dump(&b, x, 0);
	bool ok = b.len <= JUDGEMENT_MAX_PAYLOAD;
	buf_free(&b);
	if (!ok)
		verrs_add(v, json_copy(loc), "value_error",
			  "Value error, metadata is over 65536 bytes as JSON "
			  "(JUDGEMENT_MAX_PAYLOAD)",
			  NULL);
	return ok;
}

/* value: str | float (a boolean is neither here: the reference's rule). */
static bool label_value_ok(struct verrs *v, json_t *loc, json_t *x)
{
	if (json_is_string(x) || json_is_number(x) || json_is_boolean(x))
		return true;
	json_t *ls = vs_loc(loc, "str"), *lf = vs_loc(loc, "float");
	vs_error(v, ls, NULL, "string_type", "Input should be a valid string", x);
	vs_error(v, lf, NULL, "float_type", "Input should be a valid number", x);
	json_decref(ls);
	json_decref(lf);
	return false;
}

/* The variant's fields: types and presence, then each one's rules, then extra keys. */
static bool variant_ok(struct verrs *v, json_t *loc, json_t *body, int k)
{
	size_t before = verrs_count(v);
	vs_model(v, loc, body, variants[k].f, variants[k].n, false);
	/* Optional fields: null is absent; the required ones are checked as they are. */
	field_ok(v, loc, "span_id", member(body, "span_id"), id_ok);
	field_ok(v, loc, "session_id", member(body, "session_id"), id_ok);
	if (k == AK_FEEDBACK) {
		field_ok(v, loc, "value", json_object_get(body, "value"), sentiment_ok);
	} else if (k == AK_NOTE) {
		field_ok(v, loc, "text", member(body, "text"), note_ok);
	} else if (k == AK_METADATA) {
		field_ok(v, loc, "metadata", member(body, "metadata"), metadata_ok);
	} else {
		field_ok(v, loc, "value_type", json_object_get(body, "value_type"), value_type_ok);
		field_ok(v, loc, "value", json_object_get(body, "value"), label_value_ok);
		field_ok(v, loc, "name", member(body, "name"), name_ok);
	}
	vs_extras(v, loc, body, variants[k].f, variants[k].n);
	return verrs_count(v) == before;
}

/* LabelAnnotationInput._validate. */
static bool label_rules_ok(struct verrs *v, json_t *loc, json_t *body)
{
	bool numeric = !strcmp(json_string_value(json_object_get(body, "value_type")), "numeric");
	json_t *val = json_object_get(body, "value");
	const char *why = NULL;
	if (numeric && !json_is_number(val))
		why = "value_type=numeric requires a numeric `value`";
	else if (numeric && !member(body, "name"))
		why = "value_type=numeric requires `name`";
	else if (!numeric && !json_is_string(val))
		why = "value_type=text requires a string `value`";
	if (why)
		model_error(v, loc, body, why);
	return !why;
}

static const char *str_of(struct arena *a, json_t *x)
{
	return x ? arena_strndup(a, json_string_value(x), json_string_length(x)) : NULL;
}

/* The judgement of a checked body of variant k. */
static void fill(struct arena *a, json_t *body, int k, struct judgement *j)
{
	j->span_id = str_of(a, member(body, "span_id"));
	j->session_id = str_of(a, member(body, "session_id"));
	j->target = j->span_id ? JT_SPAN : JT_SESSION;
	j->source = JS_HUMAN;
	j->api = INTAKE_API;
	j->subtype = arena_printf(a, "annotation.%s", kind_names[k]);
	json_t *val = json_object_get(body, "value");
	switch (k) {
	case AK_FEEDBACK:
		j->kind = JK_BOOLEAN;
		j->label = str_of(a, val);
		j->value = !strcmp(j->label, "positive");
		break;
	case AK_NOTE:
		j->kind = JK_COMMENT;
		j->text = str_of(a, json_object_get(body, "text"));
		break;
	case AK_METADATA:
		j->kind = JK_OBJECT;
		j->payload = json_deep_copy(json_object_get(body, "metadata"));
		break;
	default:
		j->name = str_of(a, member(body, "name"));
		if (json_is_number(val)) {
			j->kind = JK_NUMBER;
			j->value = json_number_value(val);
		} else {
			j->kind = JK_CATEGORY;
			j->label = str_of(a, val);
		}
	}
}

enum status intake_annotation_parse(struct arena *a, const char *ws, json_t *body,
				    const char *author, int64_t now, struct judgement *j,
				    struct verrs *v)
{
	json_t *loc = json_pack("[s]", "body");
	enum status st = ST_INVALID;
	judgement_init(j);
	int k = variant_of(a, v, loc, body);
	if (k < 0)
		goto out;
	json_t *vloc = vs_loc(loc, kind_names[k]);
	bool ok = variant_ok(v, vloc, body, k) && (k != AK_LABEL || label_rules_ok(v, vloc, body));
	json_decref(vloc);
	if (!ok)
		goto out;
	char hex[33];
	const char *u = hash_uuid(a, 4);
	snprintf(hex, sizeof hex, "%.8s%.4s%.4s%.4s%.12s", u, u + 9, u + 14, u + 19, u + 24);
	j->id = arena_printf(a, "ann-%s", hex);
	j->workspace = ws;
	j->author = author;
	j->created_at = now;
	fill(a, body, k, j);
	st = ST_OK;
out:
	json_decref(loc);
	return st;
}

/* ---- the read shape ---- */

/* The annotation kind a judgement reads as. */
static int kind_of(const struct judgement *j)
{
	for (int k = 0; k < AK__COUNT; k++)
		if (j->subtype && !strncmp(j->subtype, "annotation.", 11) &&
		    !strcmp(j->subtype + 11, kind_names[k]) && k != AK_NOTE)
			return k;
	return AK_NOTE;
}

void intake_annotation_render(const struct judgement *j, struct buf *out)
{
	buf_adds(out, "{\"annotation_id\":");
	jsonw_string(out, j->id, strlen(j->id));
	line_str(out, "workspace", j->workspace);
	line_str(out, "span_id", j->span_id);
	line_str(out, "session_id", j->session_id);
	line_str(out, "created_by", j->author);
	line_time(out, "created_at", j->created_at);
	line_time(out, "ingested_at", j->ingested_at);
	int k = kind_of(j);
	buf_printf(out, ",\"kind\":\"%s\"", kind_names[k]);
	switch (k) {
	case AK_FEEDBACK:
		line_str(out, "value",
			 j->label ? j->label : (j->value > 0 ? "positive" : "negative"));
		break;
	case AK_NOTE:
		line_str(out, "text", j->text ? j->text : "");
		break;
	case AK_METADATA:
		buf_adds(out, ",\"metadata\":");
		if (j->payload)
			jsonw_value(out, j->payload);
		else
			buf_adds(out, "{}");
		break;
	default:
		if (j->kind == JK_NUMBER && !isnan(j->value)) {
			buf_adds(out, ",\"value_type\":\"numeric\",\"value\":");
			jsonw_real(out, j->value);
		} else {
			buf_adds(out, ",\"value_type\":\"text\"");
			line_str(out, "value", j->label ? j->label : "");
		}
		line_str(out, "name", j->name);
	}
	buf_addc(out, '}');
}
