/* atif: ATIF trajectories to spans (reference nemo-intake.md section 4.3 "Mapping to
 * spans"; Harbor RFC 0001 for the trajectory format). Validation is in atif_check.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lib/ingest/atif.h"
#include "lib/model/catalog.h"
#include "lib/json/jsonw.h"
#include "lib/base/arena.h"
#include "lib/base/hash.h"
#include "lib/base/time.h"

#define US_PER_S 1000000
#define US_PER_MS 1000
/* Epoch seconds past this (year 10000) are not a time we can format. */
#define ATIF_MAX_EPOCH_S 253402300800.0
#define ATIF_VERIFIER_NAME "harbor.verifier"

/* One import: the spans built so far (an arena array that grows by copying). */
struct atif_ctx {
	struct arena *a;
	const char *ws, *session;
	int64_t now;
	struct span *spans;
	size_t n, cap;
};

/* What a subtree reports to the trajectory above it: its explicit time window and whether
 * a tool result in it failed (P/F root status rule). */
struct atif_sum {
	int64_t min, max; /* SPAN_NONE_I64 when no explicit time was seen */
	bool tool_error;
};

static void atif_sum_time(struct atif_sum *m, int64_t t)
{
	if (t == SPAN_NONE_I64)
		return;
	if (m->min == SPAN_NONE_I64 || t < m->min)
		m->min = t;
	if (m->max == SPAN_NONE_I64 || t > m->max)
		m->max = t;
}

static void atif_sum_merge(struct atif_sum *into, const struct atif_sum *from)
{
	atif_sum_time(into, from->min);
	atif_sum_time(into, from->max);
	into->tool_error |= from->tool_error;
}

/* Appends a fresh span of the import and returns its index (pointers move as it grows). */
static size_t atif_add(struct atif_ctx *c, const char *id, const char *parent, enum span_kind k,
		       const char *name)
{
	struct span *s;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct span *p = arena_alloc(c->a, cap * sizeof *p);
		if (c->n)
			memcpy(p, c->spans, c->n * sizeof *p);
		c->spans = p;
		c->cap = cap;
	}
	s = &c->spans[c->n];
	span_init(s);
	s->span_id = id;
	s->parent_span_id = parent;
	s->trace_id = c->session;
	s->session_id = c->session;
	s->workspace = c->ws;
	s->source = ATIF_SOURCE;
	s->kind = k;
	s->name = name;
	s->status = SPST_SUCCESS;
	return c->n++;
}

static const char *atif_id(struct atif_ctx *c, const char *prefix, const char *a, const char *b,
			   const char *d)
{
	const char *parts[4] = {c->ws, a, b, d};
	return hash_stable_id(c->a, prefix, parts, d ? 4 : 3);
}

/* A string member of o copied to the arena, or NULL. */
static const char *atif_str(struct atif_ctx *c, json_t *o, const char *key)
{
	json_t *x = json_object_get(o, key);
	return json_is_string(x) ? arena_strdup(c->a, json_string_value(x)) : NULL;
}

/* A message or content: strings verbatim, content parts as compact JSON, absent as NULL. */
static const char *atif_text(struct atif_ctx *c, json_t *m)
{
	if (!m || json_is_null(m))
		return NULL;
	if (json_is_string(m))
		return arena_strdup(c->a, json_string_value(m));
	return jsonw_astr(c->a, m, 0);
}

static bool atif_message_empty(json_t *m)
{
	return !m || json_is_null(m) || (json_is_string(m) && !json_string_length(m)) ||
	       (json_is_array(m) && !json_array_size(m));
}

/* Epoch seconds (a JSON number) or an ISO-8601 string, as us; SPAN_NONE_I64 otherwise. */
static int64_t atif_time(json_t *x)
{
	int64_t us;
	if (json_is_number(x)) {
		double s = json_number_value(x);
		if (!isfinite(s) || s <= 0 || s >= ATIF_MAX_EPOCH_S)
			return SPAN_NONE_I64;
		return (int64_t)llround(s * US_PER_S);
	}
	if (json_is_string(x) && time_parse(json_string_value(x), false, &us))
		return us;
	return SPAN_NONE_I64;
}

/* The extra.invocation window of a step or tool call (epoch seconds, v1.7). */
static json_t *atif_invocation(json_t *o)
{
	return json_object_get(json_object_get(o, "extra"), "invocation");
}

/* raw_attributes: a new object with one member (stolen), or added to an existing one. */
static void atif_raw(struct span *s, const char *key, json_t *val)
{
	if (!s->raw_attributes)
		s->raw_attributes = json_object();
	json_object_set_new(s->raw_attributes, key, val);
}

/* The output of an agent step: {"message","reasoning_content","tool_calls"}, each member only
 * when the step has it (a message other than "", the others not null), as the service's
 * _step_output builds it; NULL when it has none. */
static const char *atif_step_output(struct atif_ctx *c, json_t *st)
{
	static const char *const keys[] = {"message", "reasoning_content", "tool_calls"};
	json_t *o = json_object();
	const char *out = NULL;

	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		json_t *m = json_object_get(st, keys[i]);
		if (m && !json_is_null(m) && !(json_is_string(m) && !*json_string_value(m)))
			json_object_set(o, keys[i], m);
	}
	if (json_object_size(o))
		out = jsonw_astr(c->a, o, 0);
	json_decref(o);
	return out;
}

/* The observation result answering tool call id in step st, or NULL. */
static json_t *atif_result_for(json_t *st, const char *id)
{
	json_t *results = json_object_get(json_object_get(st, "observation"), "results");
	for (size_t i = 0; i < json_array_size(results); i++) {
		json_t *r = json_array_get(results, i);
		json_t *sc = json_object_get(r, "source_call_id");
		if (json_is_string(sc) && !strcmp(json_string_value(sc), id))
			return r;
	}
	return NULL;
}

/* H: "exit code N" (N != 0) on the first line and a line starting "[error]" after it. */
static bool atif_exit_error(const char *s)
{
	long long code;
	int end = 0;
	const char *nl;
	if (sscanf(s, "exit code %lld%n", &code, &end) != 1 || code == 0)
		return false;
	if (s[end] != '\n' && !(s[end] == '\r' && s[end + 1] == '\n'))
		return false;
	for (nl = s + end; nl; nl = strchr(nl + 1, '\n'))
		if (!strncmp(nl + 1, "[error]", 7))
			return true;
	return false;
}

/* The tool-error rules of reference 4.3 item 3 for tool call id (function fn) of step st. */
static bool atif_tool_failed(json_t *st, const char *id, const char *fn, json_t *result)
{
	json_t *extra = json_object_get(st, "extra");
	json_t *meta = json_object_get(extra, "tool_result_metadata");
	json_t *results = json_object_get(json_object_get(st, "observation"), "results");
	json_t *content = json_object_get(result, "content");
	size_t n = json_is_array(meta) ? json_array_size(meta) : 1;

	/* Metadata that names this call through raw_tool_result.tool_use_id. */
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_is_array(meta) ? json_array_get(meta, i) : meta;
		json_t *use = json_object_get(json_object_get(m, "raw_tool_result"), "tool_use_id");
		if (json_is_true(json_object_get(m, "is_error")) && json_is_string(use) &&
		    !strcmp(json_string_value(use), id))
			return true;
	}
	/* A step-wide flag only says which result failed when there is one result. */
	if (json_is_true(json_object_get(extra, "tool_result_is_error")) && result &&
	    json_array_size(results) == 1)
		return true;
	/* Content markers; H never reads them on file-reading tools, whose content is data. */
	if (!json_is_string(content) || !strcmp(fn, "read") || !strcmp(fn, "read_file"))
		return false;
	return !strncmp(json_string_value(content), "[error]", 7) ||
	       atif_exit_error(json_string_value(content));
}

/* One TOOL span per tool call of step st (span index si). */
static void atif_tools(struct atif_ctx *c, size_t si, json_t *st, struct atif_sum *sum)
{
	json_t *calls = json_object_get(st, "tool_calls");
	for (size_t j = 0; j < json_array_size(calls); j++) {
		json_t *call = json_array_get(calls, j);
		const char *id = json_string_value(json_object_get(call, "tool_call_id"));
		const char *fn = atif_str(c, call, "function_name");
		json_t *inv = atif_invocation(call), *result = atif_result_for(st, id);
		const char *step_id = c->spans[si].span_id;
		size_t ti =
		    atif_add(c, atif_id(c, NULL, step_id, "tool", id), step_id, KIND_TOOL, fn);
		struct span *t = &c->spans[ti], *s = &c->spans[si];

		t->str[SS_TOOL_NAME] = fn;
		t->input = jsonw_astr(c->a, call, 0);
		if (result)
			t->output = jsonw_astr(c->a, result, 0);
		t->started_at = atif_time(json_object_get(inv, "start_timestamp"));
		t->ended_at = atif_time(json_object_get(inv, "end_timestamp"));
		atif_sum_time(sum, t->started_at);
		atif_sum_time(sum, t->ended_at);
		if (t->started_at == SPAN_NONE_I64) {
			t->started_at = s->started_at;
			if (t->ended_at == SPAN_NONE_I64)
				t->ended_at = s->ended_at;
		}
		atif_raw(t, "gen_ai.tool.call.id", json_string(id));
		if (atif_tool_failed(st, id, fn, result)) {
			t->status = SPST_ERROR;
			t->str[SS_ERROR_MESSAGE] = atif_text(c, json_object_get(result, "content"));
			sum->tool_error = true;
		}
	}
}

static size_t atif_traj(struct atif_ctx *c, json_t *traj, const char *scope, const char *parent,
			struct atif_sum *up);

/* The embedded subagent a ref names (by trajectory_id, else session_id), or -1. */
static long atif_find_sub(json_t *subs, json_t *ref)
{
	static const char *const keys[] = {"trajectory_id", "session_id"};
	for (size_t k = 0; k < 2; k++) {
		json_t *want = json_object_get(ref, keys[k]);
		if (!json_is_string(want))
			continue;
		for (size_t i = 0; i < json_array_size(subs); i++)
			if (json_equal(json_object_get(json_array_get(subs, i), keys[k]), want))
				return (long)i;
	}
	return -1;
}

/* Subagent refs of step st (span si): embedded ones expand under the step, once each;
 * unresolved ones become an AGENT span "subagent-<id>". */
static void atif_subagent_refs(struct atif_ctx *c, size_t si, json_t *st, json_t *subs, bool *done,
			       const char *scope, struct atif_sum *sum)
{
	json_t *results = json_object_get(json_object_get(st, "observation"), "results");
	for (size_t j = 0; j < json_array_size(results); j++) {
		json_t *refs =
		    json_object_get(json_array_get(results, j), "subagent_trajectory_ref");
		for (size_t k = 0; k < json_array_size(refs); k++) {
			json_t *ref = json_array_get(refs, k);
			long i = atif_find_sub(subs, ref);
			const char *step_id = c->spans[si].span_id, *rid;
			char jk[48];
			size_t u;
			if (i >= 0) {
				if (!done[i]) {
					done[i] = true;
					atif_traj(c, json_array_get(subs, i), scope, step_id, sum);
				}
				continue;
			}
			rid = atif_str(c, ref, "trajectory_id");
			if (!rid)
				rid = atif_str(c, ref, "trajectory_path");
			if (!rid)
				rid = atif_str(c, ref, "session_id");
			snprintf(jk, sizeof jk, "%zu.%zu", j, k);
			u = atif_add(c, atif_id(c, NULL, step_id, "subagent", jk), step_id,
				     KIND_AGENT, arena_printf(c->a, "subagent-%s", rid));
			c->spans[u].started_at = c->spans[si].started_at;
			c->spans[u].ended_at = c->spans[si].ended_at;
			atif_raw(&c->spans[u], "atif.subagent_ref", json_deep_copy(ref));
		}
	}
}

/* Explicit start of each step: extra.invocation.start_timestamp, else timestamp. */
static int64_t atif_step_start(json_t *st)
{
	int64_t t = atif_time(json_object_get(atif_invocation(st), "start_timestamp"));
	return t != SPAN_NONE_I64 ? t : atif_time(json_object_get(st, "timestamp"));
}

/* One step span (index i of the trajectory, under span ti) with its tools and subagents. */
static size_t atif_step(struct atif_ctx *c, json_t *traj, size_t ti, size_t i, const char *scope,
			int64_t next_start, json_t *subs, bool *done, struct atif_sum *sum)
{
	json_t *st = json_array_get(json_object_get(traj, "steps"), i);
	const char *src = json_string_value(json_object_get(st, "source"));
	bool agent = !strcmp(src, "agent");
	char idx[24];
	const char *parts[2];
	size_t si;
	struct span *s;
	json_t *rest;

	snprintf(idx, sizeof idx, "%zu", i);
	parts[0] = idx;
	parts[1] = jsonw_astr(c->a, st, JSONW_SORT_KEYS | JSONW_OMIT_NULLS);
	si = atif_add(c, atif_id(c, NULL, scope, parts[0], parts[1]), c->spans[ti].span_id,
		      agent ? KIND_LLM : KIND_AGENT,
		      arena_printf(c->a, "%s-%" JSON_INTEGER_FORMAT, src,
				   json_integer_value(json_object_get(st, "step_id"))));
	s = &c->spans[si];
	s->started_at = atif_step_start(st);
	atif_sum_time(sum, s->started_at);
	s->ended_at = atif_time(json_object_get(atif_invocation(st), "end_timestamp"));
	atif_sum_time(sum, s->ended_at);
	/* F: a timed step without its own end ends where the next timed step starts. An untimed
	 * step sits at ingest time + index ms, where that end would mean nothing. */
	if (s->started_at == SPAN_NONE_I64)
		s->started_at = c->now + (int64_t)i * US_PER_MS;
	else if (s->ended_at == SPAN_NONE_I64)
		s->ended_at = next_start;
	if (s->ended_at != SPAN_NONE_I64 && s->ended_at < s->started_at)
		s->ended_at = SPAN_NONE_I64;
	if (agent) {
		json_t *m = json_object_get(st, "metrics");
		s->output = atif_step_output(c, st);
		s->str[SS_MODEL] = atif_str(c, st, "model_name");
		if (!s->str[SS_MODEL])
			s->str[SS_MODEL] =
			    atif_str(c, json_object_get(traj, "agent"), "model_name");
		catalog_count(json_object_get(m, "prompt_tokens"), &s->input_tokens);
		catalog_count(json_object_get(m, "completion_tokens"), &s->output_tokens);
		catalog_count(json_object_get(m, "cached_tokens"), &s->cached_tokens);
		if (s->input_tokens != SPAN_NONE_I64 && s->output_tokens != SPAN_NONE_I64)
			catalog_count_sum(s->input_tokens, s->output_tokens, &s->total_tokens);
		catalog_cost(json_object_get(m, "cost_usd"), &s->cost_total_usd);
	} else {
		json_t *m = json_object_get(st, "message");
		s->input = m ? atif_text(c, m) : ""; /* message defaults to "" */
	}
	/* H's sort tie-break, and the step's remaining fields so nothing is lost. */
	atif_raw(s, "nemo.step_id",
		 json_integer(json_integer_value(json_object_get(st, "step_id"))));
	rest = json_deep_copy(st);
	json_object_del(rest, "message");
	json_object_del(rest, "reasoning_content");
	json_object_del(rest, "tool_calls");
	atif_raw(s, "atif.step", rest);

	atif_tools(c, si, st, sum);
	atif_subagent_refs(c, si, st, subs, done, scope, sum);
	return si;
}

/* The verifier's evaluator results (reference 4.3 item 5): one per rewards key, else a
 * scalar score named "reward". */
static json_t *atif_rewards(json_t *vr)
{
	json_t *out = json_array(), *rewards = json_object_get(vr, "rewards"), *val;
	const char *key;
	json_t *one = NULL;

	if (!json_is_object(rewards)) {
		val = json_object_get(vr, "score");
		if (json_is_number(val) || json_is_boolean(val) || json_is_string(val)) {
			one = json_pack("{s:O}", "reward", val);
			rewards = one;
		}
	}
	json_object_foreach(rewards, key, val)
	{
		json_t *r;
		if (json_is_boolean(val))
			r = json_pack("{s:s,s:s,s:i}", "name", key, "data_type", "BOOLEAN", "value",
				      json_is_true(val));
		else if (json_is_number(val))
			r = json_pack("{s:s,s:s,s:O}", "name", key, "data_type", "NUMERIC", "value",
				      val);
		else if (json_is_string(val))
			r = json_pack("{s:s,s:s,s:O}", "name", key, "data_type", "TEXT",
				      "string_value", val);
		else
			continue;
		json_object_set_new(r, "created_by", json_string(ATIF_EVALUATOR_CREATED_BY));
		json_array_append_new(out, r);
	}
	json_decref(one);
	return out;
}

/* The EVALUATOR span of extra.verifier_result, under trajectory span ti. */
/* The verifier's score as the service's _evaluator_score reads it: verifier_result.score,
 * else rewards.reward, else the only reward, when a number, a bool or a string; else null. */
static json_t *atif_verifier_score(json_t *vr)
{
	json_t *rewards = json_object_get(vr, "rewards");
	json_t *cand[3] = {json_object_get(vr, "score"), json_object_get(rewards, "reward"), NULL};

	if (json_is_object(rewards) && json_object_size(rewards) == 1)
		cand[2] = json_object_iter_value(json_object_iter(rewards));
	for (size_t i = 0; i < 3; i++)
		if (json_is_number(cand[i]) || json_is_boolean(cand[i]) || json_is_string(cand[i]))
			return json_incref(cand[i]);
	return json_null();
}

/* The verifier span's input and output, as the service's _evaluator_result_to_span writes
 * them: {session_id, evaluated_span_id, task_id, task_name, trial_name, trial_uri} (those
 * present) and {score, verifier_result}. */
static void atif_verifier_io(struct atif_ctx *c, struct span *s, const char *tid, json_t *extra,
			     json_t *vr)
{
	static const char *const task_keys[] = {"task_id", "task_name", "trial_name", "trial_uri"};
	json_t *in = json_pack("{s:s,s:s}", "session_id", c->session, "evaluated_span_id", tid);
	json_t *out = json_object();

	for (size_t i = 0; i < sizeof task_keys / sizeof *task_keys; i++) {
		json_t *v = json_object_get(extra, task_keys[i]);
		if (v && !json_is_null(v))
			json_object_set(in, task_keys[i], v);
	}
	json_object_set_new(out, "score", atif_verifier_score(vr));
	json_object_set(out, "verifier_result", vr);
	s->input = jsonw_astr(c->a, in, 0);
	s->output = jsonw_astr(c->a, out, 0);
	json_decref(in);
	json_decref(out);
}

static void atif_verifier(struct atif_ctx *c, size_t ti, json_t *extra, const char *scope,
			  struct atif_sum *sum)
{
	json_t *vr = json_object_get(extra, "verifier_result");
	json_t *ver = json_object_get(extra, "verifier");
	const char *tid = c->spans[ti].span_id;
	size_t vi;
	struct span *s;

	if (!json_is_object(vr))
		return;
	vi = atif_add(c, atif_id(c, "span", scope, "verifier", NULL), tid, KIND_EVALUATOR,
		      ATIF_VERIFIER_NAME);
	s = &c->spans[vi];
	atif_verifier_io(c, s, tid, extra, vr);
	s->started_at = atif_time(json_object_get(ver, "started_at"));
	s->ended_at = atif_time(json_object_get(ver, "finished_at"));
	if (s->ended_at == SPAN_NONE_I64)
		s->ended_at = atif_time(json_object_get(ver, "ended_at"));
	atif_sum_time(sum, s->started_at);
	atif_sum_time(sum, s->ended_at);
	atif_raw(s, "nemo.evaluator_results", atif_rewards(vr));
	if (ver && !json_is_null(ver))
		atif_raw(s, "harbor.verifier", json_deep_copy(ver));
}

/* Root or subagent trajectory span fields that need the whole subtree: times, status,
 * final_metrics where no step reports the metric. */
static void atif_traj_finish(struct atif_ctx *c, size_t ti, json_t *traj, const struct atif_sum *m)
{
	struct span *s = &c->spans[ti];
	json_t *fm = json_object_get(traj, "final_metrics");
	json_t *steps = json_object_get(traj, "steps");
	json_t *err = json_object_get(json_object_get(traj, "extra"), "error");
	bool has[4] = {false, false, false, false};
	static const char *const step_keys[4] = {"prompt_tokens", "completion_tokens",
						 "cached_tokens", "cost_usd"};

	s->started_at = m->min != SPAN_NONE_I64 ? m->min : c->now;
	s->ended_at = m->max;
	for (size_t i = 0; i < json_array_size(steps); i++)
		for (int k = 0; k < 4; k++) {
			json_t *x = json_object_get(
			    json_object_get(json_array_get(steps, i), "metrics"), step_keys[k]);
			has[k] |= x && !json_is_null(x);
		}
	if (!has[0])
		catalog_count(json_object_get(fm, "total_prompt_tokens"), &s->input_tokens);
	if (!has[1])
		catalog_count(json_object_get(fm, "total_completion_tokens"), &s->output_tokens);
	if (!has[2])
		catalog_count(json_object_get(fm, "total_cached_tokens"), &s->cached_tokens);
	if (!has[3])
		catalog_cost(json_object_get(fm, "total_cost_usd"), &s->cost_total_usd);
	if (s->input_tokens != SPAN_NONE_I64 && s->output_tokens != SPAN_NONE_I64)
		catalog_count_sum(s->input_tokens, s->output_tokens, &s->total_tokens);
	/* P/F: any failed tool result in the tree; H: extra.error, which also names it. */
	if (m->tool_error)
		s->status = SPST_ERROR;
	if (json_is_object(err)) {
		s->status = SPST_ERROR;
		s->str[SS_ERROR_TYPE] = atif_str(c, err, "type");
		s->str[SS_ERROR_MESSAGE] = atif_str(c, err, "message");
	}
}

/* The trajectory minus steps, context and subagents: the root's atif.raw attribute. */
static json_t *atif_raw_traj(json_t *traj)
{
	json_t *r = json_deep_copy(traj);
	json_object_del(r, "steps");
	json_object_del(r, "subagent_trajectories");
	json_object_del(r, "experiment_context");
	json_object_del(r, "evaluation_context");
	return r;
}

/* Maps one trajectory under parent (NULL for the root) and returns its span's index. scope
 * is what makes its ids unique: the session id for the root, and below it the parent's scope
 * and the subagent's trajectory_id. */
static size_t atif_traj(struct atif_ctx *c, json_t *traj, const char *pscope, const char *parent,
			struct atif_sum *up)
{
	json_t *agent = json_object_get(traj, "agent");
	json_t *steps = json_object_get(traj, "steps");
	json_t *subs = json_object_get(traj, "subagent_trajectories");
	size_t nsteps = json_array_size(steps), nsubs = json_array_size(subs);
	struct atif_sum sum = {SPAN_NONE_I64, SPAN_NONE_I64, false};
	bool *done = arena_alloc(c->a, nsubs + 1);
	int64_t *starts = arena_alloc(c->a, (nsteps + 1) * sizeof *starts);
	const char *scope = pscope, *tid, *first_user = NULL, *last_agent = NULL;
	size_t ti;
	struct span *s;

	if (parent)
		scope = arena_printf(c->a, "%s/%s", pscope,
				     json_string_value(json_object_get(traj, "trajectory_id")));
	tid = atif_id(c, "span", scope, "trajectory", NULL);
	ti = atif_add(c, tid, parent, KIND_AGENT, atif_str(c, agent, "name"));
	s = &c->spans[ti];
	s->str[SS_AGENT_NAME] = s->name;
	s->str[SS_MODEL] = atif_str(c, agent, "model_name");
	atif_raw(s, "atif.raw", atif_raw_traj(traj));
	atif_raw(s, "gen_ai.agent.version", json_incref(json_object_get(agent, "version")));
	if (!parent)
		s->evaluation_context = catalog_context(traj);

	memset(done, 0, nsubs + 1);
	for (size_t i = 0; i < nsteps; i++)
		starts[i] = atif_step_start(json_array_get(steps, i));
	for (size_t i = 0; i < nsteps; i++) {
		json_t *st = json_array_get(steps, i);
		const char *src = json_string_value(json_object_get(st, "source"));
		int64_t next = SPAN_NONE_I64;
		size_t si;
		for (size_t k = i + 1; k < nsteps && next == SPAN_NONE_I64; k++)
			next = starts[k];
		si = atif_step(c, traj, ti, i, scope, next, subs, done, &sum);
		if (!first_user && !strcmp(src, "user"))
			first_user = c->spans[si].input;
		if (!strcmp(src, "agent"))
			last_agent = atif_message_empty(json_object_get(st, "message"))
					 ? c->spans[si].output
					 : atif_text(c, json_object_get(st, "message"));
	}
	for (size_t k = 0; k < nsubs; k++)
		if (!done[k])
			atif_traj(c, json_array_get(subs, k), scope, tid, &sum);
	atif_verifier(c, ti, json_object_get(traj, "extra"), scope, &sum);
	atif_traj_finish(c, ti, traj, &sum);
	s = &c->spans[ti];
	s->input = first_user;
	s->output = last_agent;
	/* A verifier without its own times spans the trajectory. */
	for (size_t i = ti + 1; i < c->n; i++)
		if (c->spans[i].kind == KIND_EVALUATOR && c->spans[i].started_at == SPAN_NONE_I64 &&
		    c->spans[i].parent_span_id == tid) {
			c->spans[i].started_at = s->started_at;
			if (c->spans[i].ended_at == SPAN_NONE_I64)
				c->spans[i].ended_at = s->ended_at;
		}
	atif_sum_merge(up, &sum);
	return ti;
}

/* The session of a trajectory without session_id. The service draws a random UUID4; a
 * name-based one (same workspace and body, same id) lets a re-import replace its spans. It
 * has a UUID4's version and variant digits, so a client that checks the format takes it. */
static const char *atif_session(struct arena *a, const char *ws, json_t *body)
{
	const char *parts[2] = {ws, jsonw_astr(a, body, JSONW_SORT_KEYS | JSONW_OMIT_NULLS)};
	const char *h = hash_stable_id(a, NULL, parts, 2);
	char variant = "89ab"[(h[16] >= 'a' ? h[16] - 'a' + 10 : h[16] - '0') & 3];
	return arena_printf(a, "%.8s-%.4s-4%.3s-%c%.3s-%.12s", h, h + 8, h + 13, variant, h + 17,
			    h + 20);
}

/* Checks and maps one ATIF body (see atif.h). */
enum status atif_map(struct arena *a, const char *ws, json_t *body, int64_t now,
		     struct span **spans, size_t *n, struct verrs *v)
{
	struct atif_ctx c = {a, ws, NULL, now, NULL, 0, 0};
	struct atif_sum top = {SPAN_NONE_I64, SPAN_NONE_I64, false};
	json_t *sid;

	if (!atif_check(v, body))
		return ST_INVALID;
	sid = json_object_get(body, "session_id");
	c.session = json_is_string(sid) && json_string_length(sid)
			? arena_strdup(a, json_string_value(sid))
			: atif_session(a, ws, body);
	atif_traj(&c, body, c.session, NULL, &top);
	*spans = c.spans;
	*n = c.n;
	return ST_OK;
}

/* One reward of the verifier span s as an evaluator result (the kinds of atif_rewards). */
static void atif_result(struct arena *a, const char *api, const struct span *s, json_t *r,
			int64_t now, struct judgement *j)
{
	const char *type = json_string_value(json_object_get(r, "data_type"));
	json_t *val = json_object_get(r, "value"), *sv = json_object_get(r, "string_value");
	const char *parts[2] = {s->span_id, json_string_value(json_object_get(r, "name"))};

	judgement_init(j);
	j->id = judgement_key_id(a, "eval-", parts, 2);
	j->workspace = s->workspace;
	j->target = JT_SPAN;
	j->span_id = s->span_id;
	j->trace_id = s->trace_id;
	j->session_id = s->session_id;
	j->name = arena_strdup(a, parts[1]);
	j->kind = !strcmp(type, "BOOLEAN") ? JK_BOOLEAN
		  : !strcmp(type, "TEXT")  ? JK_TEXT
					   : JK_NUMBER;
	if (json_is_number(val))
		j->value = json_number_value(val);
	if (json_is_string(sv))
		j->label = arena_strdup(a, json_string_value(sv));
	j->source = JS_EVALUATOR;
	j->api = api;
	j->subtype = "evaluator";
	j->author = ATIF_EVALUATOR_CREATED_BY;
	j->created_at = now;
}

void atif_judgements(struct arena *a, const char *api, const struct span *spans, size_t n,
		     int64_t now, struct judgement **js, size_t *nj)
{
	size_t count = 0, k = 0;

	*js = NULL;
	*nj = 0;
	for (size_t i = 0; i < n; i++)
		if (spans[i].kind == KIND_EVALUATOR)
			count += json_array_size(span_raw(&spans[i], "nemo.evaluator_results"));
	if (!count)
		return;
	*js = arena_alloc(a, count * sizeof **js);
	for (size_t i = 0; i < n; i++) {
		json_t *rs = spans[i].kind == KIND_EVALUATOR
				 ? span_raw(&spans[i], "nemo.evaluator_results")
				 : NULL;
		for (size_t r = 0; r < json_array_size(rs); r++)
			atif_result(a, api, &spans[i], json_array_get(rs, r), now, &(*js)[k++]);
	}
	*nj = k;
}
