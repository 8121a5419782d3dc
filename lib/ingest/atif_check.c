/* atif_check: validation of ATIF trajectories (reference nemo-intake.md section 4.3, the F
 * openapi.yaml Atif* components, Harbor RFC 0001), with pydantic's error shapes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/ingest/atif_check.h"
#include "lib/model/catalog.h"
#include "lib/base/buf.h"
#include "lib/base/time.h"
#include "lib/model/vschema.h"

#define NELEM(x) (sizeof(x) / sizeof((x)[0]))
#define ATIF_V17 "ATIF-v1.7"

static const char *const atif_versions[] = {"ATIF-v1.0", "ATIF-v1.1", "ATIF-v1.2",
					    "ATIF-v1.3", "ATIF-v1.4", "ATIF-v1.5",
					    "ATIF-v1.6", ATIF_V17,    NULL};
static const char *const atif_sources[] = {"system", "user", "agent", NULL};
static const char *const atif_part_types[] = {"text", "image", NULL};
static const char *const atif_media_types[] = {"image/jpeg", "image/png", "image/gif", "image/webp",
					       NULL};

/* AtifIngestRequest / AtifTrajectory; schema_version is required only at the top level. */
static const struct vs_field atif_traj_fields[] = {
    {"schema_version", VS_STR, true, false},
    {"agent", VS_MODEL, true, false},
    {"session_id", VS_STR, false, false},
    {"trajectory_id", VS_STR, false, false},
    {"final_metrics", VS_MODEL, false, false},
    {"continued_trajectory_ref", VS_STR, false, false},
    {"notes", VS_STR, false, false},
    {"extra", VS_DICT, false, false},
    {"steps", VS_LIST, false, false},
    {"subagent_trajectories", VS_LIST, false, false},
    {"experiment_context", VS_MODEL, false, false},
    {"evaluation_context", VS_MODEL, false, false},
};
static const struct vs_field atif_agent_fields[] = {
    {"name", VS_STR, true, false},	  {"version", VS_STR, true, false},
    {"model_name", VS_STR, false, false}, {"tool_definitions", VS_LIST, false, false},
    {"extra", VS_DICT, false, false},
};
static const struct vs_field atif_final_fields[] = {
    {"total_prompt_tokens", VS_INT, false, false},
    {"total_completion_tokens", VS_INT, false, false},
    {"total_cached_tokens", VS_INT, false, false},
    {"total_cost_usd", VS_NUM, false, false},
    {"total_steps", VS_INT, false, true},
    {"extra", VS_DICT, false, false},
};
/* AtifStep: the fields every source shares, then the agent-only ones. */
static const struct vs_field atif_step_fields[] = {
    {"step_id", VS_INT, true, false},
    {"source", VS_STR, true, false},
    {"timestamp", VS_STR, false, false},
    {"message", VS_ANY, false, false},
    {"is_copied_context", VS_BOOL, false, false},
    {"extra", VS_DICT, false, false},
    {"llm_call_count", VS_INT, false, true},
    {"observation", VS_MODEL, false, false},
    {"model_name", VS_STR, false, false},
    {"reasoning_effort", VS_ANY, false, false},
    {"reasoning_content", VS_STR, false, false},
    {"tool_calls", VS_LIST, false, false},
    {"metrics", VS_MODEL, false, false},
};
#define ATIF_STEP_COMMON 8 /* the first 8 of atif_step_fields; agent steps take all */
static const struct vs_field atif_call_fields[] = {
    {"tool_call_id", VS_STR, true, false},
    {"function_name", VS_STR, true, false},
    {"arguments", VS_DICT, false, false},
    {"extra", VS_DICT, false, false},
};
static const struct vs_field atif_metrics_fields[] = {
    {"prompt_tokens", VS_INT, false, false},	 {"completion_tokens", VS_INT, false, false},
    {"cached_tokens", VS_INT, false, false},	 {"cost_usd", VS_NUM, false, false},
    {"prompt_token_ids", VS_LIST, false, false}, {"completion_token_ids", VS_LIST, false, false},
    {"logprobs", VS_LIST, false, false},	 {"extra", VS_DICT, false, false},
};
static const struct vs_field atif_obs_fields[] = {
    {"results", VS_LIST, true, false},
};
static const struct vs_field atif_result_fields[] = {
    {"source_call_id", VS_STR, false, false},
    {"content", VS_ANY, false, false},
    {"subagent_trajectory_ref", VS_LIST, false, false},
    {"extra", VS_DICT, false, false},
};
static const struct vs_field atif_ref_fields[] = {
    {"trajectory_id", VS_STR, false, false},
    {"trajectory_path", VS_STR, false, false},
    {"session_id", VS_STR, false, false},
    {"extra", VS_DICT, false, false},
};
static const struct vs_field atif_text_fields[] = {
    {"type", VS_STR, true, false},
    {"text", VS_STR, true, false},
};
static const struct vs_field atif_image_fields[] = {
    {"type", VS_STR, true, false},
    {"source", VS_MODEL, true, false},
};
static const struct vs_field atif_image_source_fields[] = {
    {"media_type", VS_STR, true, false},
    {"path", VS_STR, true, false},
};

/* Calls fn on each element of member key of obj (when it is an array), at loc + [key, i]. */
static void atif_each(struct verrs *v, json_t *loc, json_t *obj, const char *key,
		      void (*fn)(struct verrs *, json_t *, json_t *, void *), void *ctx)
{
	json_t *arr = json_object_get(obj, key), *l;
	if (!json_is_array(arr))
		return;
	l = vs_loc(loc, key);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *li = vs_loci(l, i);
		fn(v, li, json_array_get(arr, i), ctx);
		json_decref(li);
	}
	json_decref(l);
}

/* Calls fn on member key of obj when it is present and not null, at loc + [key]. */
static void atif_member(struct verrs *v, json_t *loc, json_t *obj, const char *key,
			void (*fn)(struct verrs *, json_t *, json_t *, void *), void *ctx)
{
	json_t *m = json_object_get(obj, key), *l;
	if (!m || json_is_null(m))
		return;
	l = vs_loc(loc, key);
	fn(v, l, m, ctx);
	json_decref(l);
}

static void atif_int_elem(struct verrs *v, json_t *loc, json_t *x, void *ctx)
{
	(void)ctx;
	vs_check(v, loc, x, VS_INT, false);
}

static void atif_num_elem(struct verrs *v, json_t *loc, json_t *x, void *ctx)
{
	(void)ctx;
	vs_check(v, loc, x, VS_NUM, false);
}

static void atif_dict_elem(struct verrs *v, json_t *loc, json_t *x, void *ctx)
{
	(void)ctx;
	vs_check(v, loc, x, VS_DICT, false);
}

/* A content part: discriminated on "type" (text | image). */
static void atif_part(struct verrs *v, json_t *loc, json_t *p, void *ctx)
{
	json_t *l;
	(void)ctx;
	if (!vs_check(v, loc, p, VS_MODEL, false))
		return;
	l = vs_loc(loc, "type");
	if (!json_object_get(p, "type"))
		vs_error(v, loc, "type", "missing", "Field required", p);
	else if (vs_choice(v, l, json_object_get(p, "type"), atif_part_types, "literal_error")) {
		if (!strcmp(json_string_value(json_object_get(p, "type")), "text")) {
			vs_model(v, loc, p, atif_text_fields, NELEM(atif_text_fields), true);
		} else if (vs_model(v, loc, p, atif_image_fields, NELEM(atif_image_fields), true)) {
			json_t *src = json_object_get(p, "source");
			json_t *ls = vs_loc(loc, "source");
			if (vs_model(v, ls, src, atif_image_source_fields,
				     NELEM(atif_image_source_fields), true)) {
				json_t *lm = vs_loc(ls, "media_type");
				vs_choice(v, lm, json_object_get(src, "media_type"),
					  atif_media_types, "literal_error");
				json_decref(lm);
			}
			json_decref(ls);
		}
	}
	json_decref(l);
}

/* message / content: a string or an array of content parts. */
static void atif_content(struct verrs *v, json_t *loc, json_t *c, void *ctx)
{
	(void)ctx;
	if (json_is_string(c))
		return;
	if (!json_is_array(c)) {
		vs_error(v, loc, NULL, "string_type",
			 "Input should be a valid string or a list of content parts", c);
		return;
	}
	for (size_t i = 0; i < json_array_size(c); i++) {
		json_t *li = vs_loci(loc, i);
		atif_part(v, li, json_array_get(c, i), NULL);
		json_decref(li);
	}
}

static void atif_ref(struct verrs *v, json_t *loc, json_t *r, void *ctx)
{
	(void)ctx;
	if (!vs_model(v, loc, r, atif_ref_fields, NELEM(atif_ref_fields), true))
		return;
	if (!json_is_string(json_object_get(r, "trajectory_id")) &&
	    !json_is_string(json_object_get(r, "trajectory_path")) &&
	    !json_is_string(json_object_get(r, "session_id")))
		vs_error(v, loc, NULL, "value_error",
			 "Value error, SubagentTrajectoryRef MUST set at least one of "
			 "trajectory_id, trajectory_path, or session_id",
			 r);
}

static void atif_result(struct verrs *v, json_t *loc, json_t *r, void *ctx)
{
	(void)ctx;
	if (!vs_model(v, loc, r, atif_result_fields, NELEM(atif_result_fields), true) &&
	    !json_is_object(r))
		return;
	atif_member(v, loc, r, "content", atif_content, NULL);
	atif_each(v, loc, r, "subagent_trajectory_ref", atif_ref, NULL);
}

static void atif_observation(struct verrs *v, json_t *loc, json_t *o, void *ctx)
{
	(void)ctx;
	if (vs_model(v, loc, o, atif_obs_fields, NELEM(atif_obs_fields), true) || json_is_object(o))
		atif_each(v, loc, o, "results", atif_result, NULL);
}

static void atif_call(struct verrs *v, json_t *loc, json_t *c, void *ctx)
{
	(void)ctx;
	vs_model(v, loc, c, atif_call_fields, NELEM(atif_call_fields), true);
}

/* The counts and cost of m (Metrics or FinalMetrics: tokens, then the cost key) within the
 * limits every ingest keeps (CATALOG_MAX_TOKENS, CATALOG_MAX_USD). Only values of their type
 * are looked at: the others have their error already. */
static void atif_limits(struct verrs *v, json_t *loc, json_t *m, const char *const *keys)
{
	for (; keys[1]; keys++) {
		json_t *x = json_object_get(m, *keys);
		int64_t n;
		if (catalog_whole(x, &n))
			vs_check_le(v, loc, *keys, x, (double)CATALOG_MAX_TOKENS);
	}
	vs_check_le(v, loc, *keys, json_object_get(m, *keys), CATALOG_MAX_USD);
}

static void atif_metrics(struct verrs *v, json_t *loc, json_t *m, void *ctx)
{
	static const char *const limited[] = {"prompt_tokens", "completion_tokens", "cached_tokens",
					      "cost_usd", NULL};
	(void)ctx;
	if (!vs_model(v, loc, m, atif_metrics_fields, NELEM(atif_metrics_fields), true) &&
	    !json_is_object(m))
		return;
	atif_limits(v, loc, m, limited);
	atif_each(v, loc, m, "prompt_token_ids", atif_int_elem, NULL);
	atif_each(v, loc, m, "completion_token_ids", atif_int_elem, NULL);
	atif_each(v, loc, m, "logprobs", atif_num_elem, NULL);
}

/* Whether a step's timestamp is one the service's AtifStepBase validator takes
 * (datetime.fromisoformat after Z becomes +00:00): every RFC 3339 / ISO 8601 time spandex reads
 * (time_parse), and, not to refuse one it reads, the rarer ISO 8601 forms it would read too
 * (basic format, week dates, an hour alone, ',' before the fraction): four digits, then only
 * the characters of such forms. */
static bool atif_iso_time(const char *s)
{
	int64_t us;
	size_t n = strlen(s);

	if (time_parse(s, false, &us))
		return true;
	if (n < 7 || strspn(s, "0123456789") < 4)
		return false;
	return strspn(s, "0123456789-:.,+TW Z") == n;
}

/* Python's repr of a str, as the ValueError of an isoformat string quotes it: in '...', or in
 * "..." when it holds a ' and no ", with \\ and the quote escaped. */
static void py_repr(struct buf *b, const char *s)
{
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';

	buf_addc(b, q);
	for (; *s; s++) {
		if (*s == '\\' || *s == q)
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
	buf_addc(b, q);
}

/* A step's timestamp that is no ISO 8601 time: the value error of the service's validator,
 * at the field (reference 4.3: timestamp is an ISO-8601 string). */
static void atif_timestamp(struct verrs *v, json_t *loc, json_t *st)
{
	json_t *ts = json_object_get(st, "timestamp");
	struct buf msg;

	if (!json_is_string(ts) || atif_iso_time(json_string_value(ts)))
		return;
	buf_init(&msg);
	buf_adds(&msg, "Value error, Invalid ISO 8601 timestamp: Invalid isoformat string: ");
	py_repr(&msg, json_string_value(ts));
	vs_error(v, loc, "timestamp", "value_error", msg.p, ts);
	buf_free(&msg);
}

/* One AtifStep: a union discriminated on source; pydantic puts the tag in loc. */
static void atif_step(struct verrs *v, json_t *loc, json_t *st, void *ctx)
{
	json_t *src, *lt, *re, *id;
	const char *tag;
	struct buf msg;
	(void)ctx;

	if (!vs_check(v, loc, st, VS_MODEL, false))
		return;
	src = json_object_get(st, "source");
	if (!json_is_string(src)) {
		vs_error(v, loc, NULL, "union_tag_not_found",
			 "Unable to extract tag using discriminator 'source'", st);
		return;
	}
	tag = json_string_value(src);
	size_t k;
	for (k = 0; atif_sources[k] && strcmp(atif_sources[k], tag); k++)
		;
	if (!atif_sources[k]) {
		buf_init(&msg);
		buf_printf(&msg,
			   "Input tag '%s' found using 'source' does not match any of the "
			   "expected tags: 'system', 'user', 'agent'",
			   tag);
		vs_error(v, loc, NULL, "union_tag_invalid", msg.p, st);
		buf_free(&msg);
		return;
	}
	lt = vs_loc(loc, tag);
	/* Like pydantic, every nested field is checked even when a sibling failed. */
	vs_model(v, lt, st, atif_step_fields,
		 strcmp(tag, "agent") ? ATIF_STEP_COMMON : NELEM(atif_step_fields), true);
	id = json_object_get(st, "step_id");
	if (json_is_integer(id) && json_integer_value(id) < 1)
		vs_error(v, lt, "step_id", "greater_than_equal",
			 "Input should be greater than or equal to 1", id);
	atif_timestamp(v, lt, st);
	atif_member(v, lt, st, "message", atif_content, NULL);
	atif_member(v, lt, st, "observation", atif_observation, NULL);
	atif_each(v, lt, st, "tool_calls", atif_call, NULL);
	atif_member(v, lt, st, "metrics", atif_metrics, NULL);
	re = json_object_get(st, "reasoning_effort");
	if (re && !json_is_null(re) && !json_is_string(re) && !json_is_number(re))
		vs_error(v, lt, "reasoning_effort", "string_type",
			 "Input should be a valid string or number", re);
	json_decref(lt);
}

/* The "Value error, <text>" of a trajectory-level model validator, at loc. */
static void atif_value_error(struct verrs *v, json_t *loc, json_t *input, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void atif_value_error(struct verrs *v, json_t *loc, json_t *input, const char *fmt, ...)
{
	struct buf msg;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	va_end(ap);
	buf_init(&msg);
	buf_printf(&msg, "Value error, %s", text);
	vs_error(v, loc, NULL, "value_error", msg.p, input);
	buf_free(&msg);
	free(text);
}

static bool atif_str_eq(json_t *x, const char *s)
{
	return json_is_string(x) && !strcmp(json_string_value(x), s);
}

/* The cross-field rules of reference 4.3 for one step (index i) of a trajectory whose
 * fields already passed. Like the service's validator, it stops at the first failure, a
 * value error of the trajectory; returns false then. */
static bool atif_step_rules(struct verrs *v, json_t *loc, json_t *traj, size_t i, json_t *st,
			    bool v17)
{
	json_t *calls = json_object_get(st, "tool_calls");
	json_t *results = json_object_get(json_object_get(st, "observation"), "results");

	for (size_t j = 0; j < json_array_size(calls); j++)
		for (size_t k = 0; k < j; k++) {
			json_t *id = json_object_get(json_array_get(calls, j), "tool_call_id");
			if (atif_str_eq(json_object_get(json_array_get(calls, k), "tool_call_id"),
					json_string_value(id))) {
				atif_value_error(v, loc, traj,
						 "Duplicate tool_call_id '%s' in step %zu",
						 json_string_value(id), i + 1);
				return false;
			}
		}
	for (size_t j = 0; j < json_array_size(results); j++) {
		json_t *r = json_array_get(results, j);
		json_t *sc = json_object_get(r, "source_call_id");
		json_t *refs = json_object_get(r, "subagent_trajectory_ref");
		size_t k;
		if (json_is_string(sc)) {
			for (k = 0; k < json_array_size(calls); k++)
				if (atif_str_eq(
					json_object_get(json_array_get(calls, k), "tool_call_id"),
					json_string_value(sc)))
					break;
			if (k == json_array_size(calls)) {
				atif_value_error(
				    v, loc, traj,
				    "Observation result references source_call_id '%s' "
				    "which is not found in step %zu's tool_calls",
				    json_string_value(sc), i + 1);
				return false;
			}
		}
		for (k = 0; v17 && k < json_array_size(refs); k++) {
			json_t *ref = json_array_get(refs, k);
			if (!json_is_string(json_object_get(ref, "trajectory_id")) &&
			    !json_is_string(json_object_get(ref, "trajectory_path"))) {
				atif_value_error(
				    v, loc, traj, "%s",
				    "ATIF-v1.7 SubagentTrajectoryRef MUST set at least "
				    "one of trajectory_id or trajectory_path; session_id "
				    "alone is informational");
				return false;
			}
		}
	}
	return true;
}

static void atif_traj(struct verrs *v, json_t *loc, json_t *traj, bool top, int depth);

static void atif_traj_rules(struct verrs *v, json_t *loc, json_t *traj, int depth)
{
	json_t *steps = json_object_get(traj, "steps");
	json_t *subs = json_object_get(traj, "subagent_trajectories");
	json_t *ver = json_object_get(traj, "schema_version");
	bool v17 = !json_is_string(ver) || !strcmp(json_string_value(ver), ATIF_V17);
	json_t *l, *li;

	for (size_t i = 0; i < json_array_size(steps); i++) {
		int64_t id = vs_int(json_object_get(json_array_get(steps, i), "step_id"));
		if (id != (int64_t)i + 1) {
			atif_value_error(
			    v, loc, traj,
			    "steps[%zu].step_id: expected %zu (sequential from 1), got "
			    "%lld",
			    i, i + 1, (long long)id);
			return;
		}
	}
	for (size_t i = 0; i < json_array_size(steps); i++)
		if (!atif_step_rules(v, loc, traj, i, json_array_get(steps, i), v17))
			return;
	if (json_array_size(subs) && depth >= ATIF_MAX_SUBAGENT_DEPTH) {
		atif_value_error(v, loc, traj,
				 "subagent_trajectories: nesting exceeds the maximum depth of %d",
				 ATIF_MAX_SUBAGENT_DEPTH);
		return;
	}
	l = vs_loc(loc, "subagent_trajectories");
	for (size_t k = 0; k < json_array_size(subs); k++) {
		json_t *sub = json_array_get(subs, k), *tid;
		li = vs_loci(l, k);
		atif_traj(v, li, sub, false, depth + 1);
		json_decref(li);
		if (!json_is_object(sub))
			continue;
		tid = json_object_get(sub, "trajectory_id");
		if (!json_is_string(tid)) {
			atif_value_error(v, loc, traj,
					 "subagent_trajectories[%zu].trajectory_id is required "
					 "on embedded ATIF-v1.7 subagents",
					 k);
			break;
		}
		for (size_t m = 0; m < k; m++)
			if (atif_str_eq(json_object_get(json_array_get(subs, m), "trajectory_id"),
					json_string_value(tid))) {
				struct buf id;
				buf_init(&id);
				py_repr(&id, json_string_value(tid));
				atif_value_error(v, loc, traj,
						 "subagent_trajectories[%zu].trajectory_id "
						 "duplicates %s",
						 k, id.p);
				buf_free(&id);
				goto out;
			}
	}
out:
	json_decref(l);
}

/* One trajectory (the request body when top, else an embedded AtifTrajectory). */
static void atif_traj(struct verrs *v, json_t *loc, json_t *traj, bool top, int depth)
{
	size_t before = verrs_count(v);
	struct vs_field fields[NELEM(atif_traj_fields)];
	json_t *l;

	memcpy(fields, atif_traj_fields, sizeof fields);
	fields[0].required = top; /* embedded: schema_version defaults to ATIF-v1.7 */
	if (!vs_model(v, loc, traj, fields, NELEM(fields), true) && !json_is_object(traj))
		return;
	if (json_is_string(json_object_get(traj, "schema_version"))) {
		l = vs_loc(loc, "schema_version");
		vs_choice(v, l, json_object_get(traj, "schema_version"), atif_versions,
			  "literal_error");
		json_decref(l);
	}
	if (json_is_object(json_object_get(traj, "agent"))) {
		l = vs_loc(loc, "agent");
		if (vs_model(v, l, json_object_get(traj, "agent"), atif_agent_fields,
			     NELEM(atif_agent_fields), true))
			atif_each(v, l, json_object_get(traj, "agent"), "tool_definitions",
				  atif_dict_elem, NULL);
		json_decref(l);
	}
	if (json_is_object(json_object_get(traj, "final_metrics"))) {
		l = vs_loc(loc, "final_metrics");
		static const char *const limited[] = {
		    "total_prompt_tokens", "total_completion_tokens", "total_cached_tokens",
		    "total_cost_usd", NULL};
		vs_model(v, l, json_object_get(traj, "final_metrics"), atif_final_fields,
			 NELEM(atif_final_fields), true);
		atif_limits(v, l, json_object_get(traj, "final_metrics"), limited);
		json_decref(l);
	}
	catalog_context_check(v, loc, traj);
	atif_each(v, loc, traj, "steps", atif_step, NULL);
	/* The model validators run only on a trajectory whose fields are valid (pydantic). */
	if (verrs_count(v) == before)
		atif_traj_rules(v, loc, traj, depth);
}

/* Checks an AtifIngestRequest body (see atif.h). */
bool atif_check(struct verrs *v, json_t *body)
{
	json_t *loc = json_pack("[s]", "body");
	size_t before = verrs_count(v);
	atif_traj(v, loc, body, true, 0);
	/* The session id becomes every span's trace and session id: one id rule for every format
	 * (an empty one is replaced by a generated id, atif.c). */
	json_t *sid = json_is_object(body) ? json_object_get(body, "session_id") : NULL;
	if (json_is_string(sid) && json_string_length(sid)) {
		json_t *l = vs_loc(loc, "session_id");
		vs_id(v, l, sid);
		json_decref(l);
	}
	json_decref(loc);
	return verrs_count(v) == before;
}
