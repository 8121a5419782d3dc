/* assess_map: Scale GP's SpanAssessment (judgement.md 3.2, 3.3, 3.5; the SDK's
 * span_assessment*.py) as judgements and back: the one table between the two shapes (assess_map.h
 * says how each type is stored). Errors are pydantic's, at FastAPI's locations. */
#include "lib/api/egp/assess_map.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lib/json/jsonw.h"
#include "lib/model/line.h"
#include "lib/model/vschema.h"

const char *const egp_assess_types[ASSESS__COUNT + 1] = {
    "comment", "rating", "approval", "rubric", "metadata", "overwrite", NULL,
};
static const char *const approvals[] = {"approved", "rejected", NULL};

#define TYPE_KEY "assessment_type"

/* The content members, which a PATCH merges: the type, the comment, each type's field (named
 * as its type). */
static const char *const content_keys[] = {TYPE_KEY, "comment",	 "rating",    "approval",
					   "rubric", "metadata", "overwrite", NULL};

static int type_index(const char *s)
{
	for (int t = 0; s && t < ASSESS__COUNT; t++)
		if (!strcmp(s, egp_assess_types[t]))
			return t;
	return -1;
}

int egp_assess_type_of(const struct judgement *j)
{
	int t;
	if (!judgement_shows(j, &egp_view_assessment))
		return -1;
	if (judgement_api_is(j, EGP_API) && (t = type_index(j->subtype)) >= 0)
		return t;
	/* The mapping table shows another API's comments and its named values on a span. */
	return j->kind == JK_COMMENT ? ASSESS_COMMENT : ASSESS_METADATA;
}

enum egp_assess_owner egp_assess_owner(const struct judgement *j)
{
	if (judgement_api_is(j, EGP_API) && type_index(j->subtype) >= 0)
		return ASSESS_OWN;
	return j->kind == JK_COMMENT ? ASSESS_FOREIGN_COMMENT : ASSESS_READ_ONLY;
}

/* ---- the checks of a body ---- */

static bool type_ok(struct verrs *v, json_t *loc, json_t *x)
{
	return vs_choice(v, loc, x, egp_assess_types, "enum");
}

static bool comment_ok(struct verrs *v, json_t *loc, json_t *x)
{
	return vs_check(v, loc, x, VS_STR, false) && vs_str_len(v, loc, x, 0, JUDGEMENT_MAX_TEXT);
}

/* rating: int with ge=1, le=5 (the SDK's Field(ge=1, le=5)). */
static bool rating_ok(struct verrs *v, json_t *loc, json_t *x)
{
	if (!vs_check(v, loc, x, VS_INT, false))
		return false;
	int64_t r = vs_int(x);
	if (r >= 1 && r <= 5)
		return true;
	verrs_add_ctx(v, json_copy(loc), r < 1 ? "greater_than_equal" : "less_than_equal",
		      r < 1 ? "Input should be greater than or equal to 1"
			    : "Input should be less than or equal to 5",
		      json_incref(x),
		      r < 1 ? json_pack("{s:i}", "ge", 1) : json_pack("{s:i}", "le", 5));
	return false;
}

static bool approval_ok(struct verrs *v, json_t *loc, json_t *x)
{
	return vs_choice(v, loc, x, approvals, "enum");
}

/* metadata, overwrite: dict[str, object], at most JUDGEMENT_MAX_PAYLOAD as JSON. */
static bool object_ok(struct verrs *v, json_t *loc, json_t *x)
{
	if (!vs_check(v, loc, x, VS_DICT, false))
		return false;
	struct buf b;
	buf_init(&b);
	jsonw_value(&b, x);
	bool ok = b.len <= JUDGEMENT_MAX_PAYLOAD;
	buf_free(&b);
	if (!ok)
		verrs_add(v, json_copy(loc), "value_error",
			  "Value error, over 65536 bytes as JSON (JUDGEMENT_MAX_PAYLOAD)", NULL);
	return ok;
}

/* rubric: dict[str, str]. */
static bool rubric_ok(struct verrs *v, json_t *loc, json_t *x)
{
	const char *k;
	json_t *val;
	bool ok = true;
	if (!json_is_object(x))
		return object_ok(v, loc, x);
	json_object_foreach(x, k, val)
	{
		json_t *l = vs_loc(loc, k);
		ok = vs_check(v, l, val, VS_STR, false) && ok;
		json_decref(l);
	}
	return ok && object_ok(v, loc, x);
}

/* The members of the two bodies, in the order their errors are listed. */
static const struct afield {
	const char *name;
	bool required; /* in a create */
	bool update;   /* a member of a PATCH */
	bool (*ok)(struct verrs *v, json_t *loc, json_t *x);
} afields[] = {
    {TYPE_KEY, true, true, type_ok},	   {"trace_id", true, false, vs_id},
    {"span_id", false, false, vs_id},	   {"comment", false, true, comment_ok},
    {"rating", false, true, rating_ok},	   {"approval", false, true, approval_ok},
    {"rubric", false, true, rubric_ok},	   {"metadata", false, true, object_ok},
    {"overwrite", false, true, object_ok},
};

void egp_assess_check(struct verrs *v, json_t *body, bool create)
{
	json_t *loc = json_pack("[s]", "body");
	if (!vs_check(v, loc, body, VS_MODEL, false)) {
		json_decref(loc);
		return;
	}
	for (size_t i = 0; i < sizeof afields / sizeof *afields; i++) {
		const struct afield *f = &afields[i];
		json_t *x = json_object_get(body, f->name);
		if (!(create || f->update))
			continue;
		if (!x) {
			if (create && f->required)
				vs_error(v, loc, f->name, "missing", "Field required", body);
			continue;
		}
		/* null is absence for an optional member (and in a PATCH, the member cleared) */
		if (json_is_null(x) && !(create && f->required))
			continue;
		json_t *l = vs_loc(loc, f->name);
		f->ok(v, l, x);
		json_decref(l);
	}
	json_decref(loc);
}

/* ---- content: the members a PATCH merges and the type rule checks ---- */

/* Another API's named value on a span, as SGP's metadata: what it is and where it came from. */
static json_t *foreign_metadata(const struct judgement *j)
{
	json_t *m = json_object();
	json_object_set_new(m, "name", json_string(j->name ? j->name : ""));
	if (!isnan(j->value))
		json_object_set_new(m, "value", json_real(j->value));
	if (j->label)
		json_object_set_new(m, "label", json_string(j->label));
	if (j->error)
		json_object_set_new(m, "error", json_string(j->error));
	json_object_set_new(m, "source", json_string(judgement_source_names[j->source]));
	json_object_set_new(m, "api", json_string(judgement_api_name(j)));
	return m;
}

json_t *egp_assess_content(const struct judgement *j)
{
	int t = egp_assess_type_of(j);
	json_t *c = json_object();
	if (t < 0)
		return c;
	json_object_set_new(c, TYPE_KEY, json_string(egp_assess_types[t]));
	const char *field = egp_assess_types[t];
	switch (t) {
	case ASSESS_COMMENT:
		json_object_set_new(c, "comment", json_string(j->text ? j->text : ""));
		return c;
	case ASSESS_RATING:
		json_object_set_new(c, field, json_integer((json_int_t)llround(j->value)));
		break;
	case ASSESS_APPROVAL:
		json_object_set_new(c, field,
				    json_string(j->label       ? j->label
						: j->value > 0 ? "approved"
							       : "rejected"));
		break;
	default:
		json_object_set_new(c, field,
				    !judgement_api_is(j, EGP_API) ? foreign_metadata(j)
				    : j->payload		  ? json_deep_copy(j->payload)
								  : json_object());
	}
	if (j->text)
		json_object_set_new(c, "comment", json_string(j->text));
	return c;
}

void egp_assess_merge(json_t *content, json_t *body)
{
	for (size_t i = 0; content_keys[i]; i++) {
		json_t *x = json_object_get(body, content_keys[i]);
		/* A null type leaves the type: an assessment always has one. */
		if (!x || (json_is_null(x) && !strcmp(content_keys[i], TYPE_KEY)))
			continue;
		if (json_is_null(x))
			json_object_del(content, content_keys[i]);
		else
			json_object_set(content, content_keys[i], x);
	}
}

bool egp_assess_fits(struct verrs *v, json_t *content, json_t *body)
{
	int t = type_index(json_string_value(json_object_get(content, TYPE_KEY)));
	char msg[160];
	if (t < 0) {
		vs_error(v, json_pack("[s]", "body"), TYPE_KEY, "missing", "Field required", body);
		return false;
	}
	const char *field = egp_assess_types[t];
	msg[0] = 0;
	if (!json_object_get(content, field))
		snprintf(msg, sizeof msg, "Value error, assessment_type '%s' requires %s", field,
			 field);
	for (size_t i = 2; !msg[0] && content_keys[i]; i++)
		if (strcmp(content_keys[i], field) && json_object_get(content, content_keys[i]))
			snprintf(msg, sizeof msg,
				 "Value error, assessment_type '%s' takes %s%s, not %s", field,
				 field, t == ASSESS_COMMENT ? "" : " and a comment",
				 content_keys[i]);
	if (!msg[0])
		return true;
	verrs_add_ctx(v, json_pack("[s]", "body"), "value_error", msg, json_incref(body),
		      json_pack("{s:{}}", "error"));
	return false;
}

static const char *str_of(struct arena *a, json_t *x)
{
	return json_is_string(x) ? arena_strndup(a, json_string_value(x), json_string_length(x))
				 : NULL;
}

void egp_assess_apply(struct arena *a, json_t *content, struct judgement *j)
{
	int t = type_index(json_string_value(json_object_get(content, TYPE_KEY)));
	json_t *x = json_object_get(content, egp_assess_types[t]);
	json_decref(j->payload);
	j->payload = NULL;
	j->name = j->label = NULL;
	j->value = NAN;
	j->subtype = egp_assess_types[t];
	j->text = str_of(a, json_object_get(content, "comment"));
	switch (t) {
	case ASSESS_COMMENT:
		j->kind = JK_COMMENT;
		break;
	case ASSESS_RATING:
		j->kind = JK_NUMBER;
		j->name = EGP_RATING_NAME;
		j->value = (double)vs_int(x);
		break;
	case ASSESS_APPROVAL:
		j->kind = JK_BOOLEAN;
		j->label = str_of(a, x);
		j->value = !strcmp(j->label, "approved");
		break;
	default:
		j->kind = JK_OBJECT;
		j->payload = json_deep_copy(x);
	}
}

/* ---- the read shape ---- */

void egp_assess_render(struct buf *out, const struct judgement *j, const char *account)
{
	json_t *c = egp_assess_content(j);
	int t = egp_assess_type_of(j);
	const char *type = t < 0 ? "metadata" : egp_assess_types[t];
	buf_adds(out, "{\"assessment_id\":");
	jsonw_string(out, j->id, strlen(j->id));
	line_str(out, TYPE_KEY, type);
	line_str(out, "trace_id", j->trace_id);
	line_str(out, "span_id", j->span_id);
	line_str(out, "created_by", j->author ? j->author : EGP_NOBODY);
	line_str(out, "object", "span.assessment");
	json_t *x = json_object_get(c, type);
	if (t != ASSESS_COMMENT && x) {
		line_key(out, type);
		jsonw_value(out, x);
	}
	line_str(out, "comment", json_string_value(json_object_get(c, "comment")));
	line_str(out, "account_id", account);
	line_time(out, "created_at", j->created_at);
	line_time(out, "updated_at",
		  j->updated_at != JUDGEMENT_NONE ? j->updated_at : j->created_at);
	buf_addc(out, '}');
	json_decref(c);
}

void egp_assess_narrow(struct jfilter *f, unsigned types)
{
	static const uint32_t kinds[ASSESS__COUNT] = {
	    [ASSESS_COMMENT] = 1u << JK_COMMENT,
	    [ASSESS_RATING] = 1u << JK_NUMBER,
	    [ASSESS_APPROVAL] = 1u << JK_BOOLEAN,
	    [ASSESS_RUBRIC] = 1u << JK_OBJECT,
	    [ASSESS_OVERWRITE] = 1u << JK_OBJECT,
	    /* SGP's own, and another API's named values */
	    [ASSESS_METADATA] = 1u << JK_OBJECT | 1u << JK_NUMBER | 1u << JK_CATEGORY |
				1u << JK_BOOLEAN | 1u << JK_TEXT,
	};
	int only = -1, n = 0;
	f->kinds = 0;
	for (int t = 0; t < ASSESS__COUNT; t++)
		if (types >> t & 1) {
			f->kinds |= kinds[t];
			only = t;
			n++;
		}
	if (n == 1 && only != ASSESS_COMMENT && only != ASSESS_METADATA) {
		f->api = EGP_API;
		f->subtype = egp_assess_types[only];
	}
}
