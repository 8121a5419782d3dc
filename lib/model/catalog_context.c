/* catalog_context: a direct span's experiment_context and evaluation_context (reference 4.2
 * and the Get Span page's SpanEvaluationContext): checked as declared models, and folded
 * into the Span's evaluation_context. */
#include <stddef.h>
#include <string.h>
#include "lib/model/catalog.h"
#include "lib/model/vschema.h"

/* experiment_context (reference 4.2: ExperimentContext{experiment_id (req), test_case_id}). */
static const struct vs_field ctx_experiment[] = {
    {"experiment_id", VS_STR, true, false},
    {"test_case_id", VS_STR, false, false},
};
/* evaluation_context: the Get Span page's SpanEvaluationContext, plus H's names. */
static const struct vs_field ctx_evaluation[] = {
    {"evaluation_id", VS_STR, false, false},	 {"evaluation_sha", VS_STR, false, false},
    {"evaluation_run_id", VS_STR, false, false}, {"dataset_id", VS_STR, false, false},
    {"dataset_name", VS_STR, false, false},	 {"dataset_version", VS_STR, false, false},
    {"test_case_id", VS_STR, false, false},	 {"metadata", VS_DICT, false, false},
    {"evaluation_name", VS_STR, false, false},	 {"test_case_name", VS_STR, false, false},
};
#define NELEM(x) (sizeof(x) / sizeof((x)[0]))

/* Checks experiment_context / evaluation_context of body (see catalog.h). */
void catalog_context_check(struct verrs *v, json_t *loc, json_t *body)
{
	json_t *c, *l;
	if ((c = json_object_get(body, "experiment_context")) && !json_is_null(c)) {
		l = vs_loc(loc, "experiment_context");
		vs_model(v, l, c, ctx_experiment, NELEM(ctx_experiment), true);
		json_decref(l);
	}
	if ((c = json_object_get(body, "evaluation_context")) && !json_is_null(c)) {
		l = vs_loc(loc, "evaluation_context");
		vs_model(v, l, c, ctx_evaluation, NELEM(ctx_evaluation), true);
		json_decref(l);
	}
}

/* Copies the string (or, for metadata, object) member from of src to key to of dst, unless
 * dst already has to. */
static void ctx_copy(json_t *dst, const char *to, json_t *src, const char *from)
{
	json_t *x = json_object_get(src, from);
	if ((json_is_string(x) || json_is_object(x)) && !json_object_get(dst, to))
		json_object_set(dst, to, x);
}

/* Builds the Span evaluation_context of a checked body (see catalog.h). */
json_t *catalog_context(json_t *body)
{
	json_t *exp = json_object_get(body, "experiment_context");
	json_t *ev = json_object_get(body, "evaluation_context");
	json_t *out = json_object();

	/* P: experiment_context wins when both are sent, so it is copied first. */
	if (json_is_object(exp)) {
		ctx_copy(out, "evaluation_id", exp, "experiment_id");
		ctx_copy(out, "test_case_id", exp, "test_case_id");
	}
	if (json_is_object(ev)) {
		for (size_t i = 0; i < NELEM(ctx_evaluation); i++)
			if (strcmp(ctx_evaluation[i].name, "evaluation_name") &&
			    strcmp(ctx_evaluation[i].name, "test_case_name"))
				ctx_copy(out, ctx_evaluation[i].name, ev, ctx_evaluation[i].name);
		ctx_copy(out, "evaluation_id", ev, "evaluation_name");
		ctx_copy(out, "test_case_id", ev, "test_case_name");
	}
	if (!json_object_size(out)) {
		json_decref(out);
		return NULL;
	}
	return out;
}
