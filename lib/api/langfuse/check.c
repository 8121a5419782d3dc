/* check: the event types of Langfuse's ingestion batch (ingestion.yml's IngestionEvent union,
 * with the typed creates of its server) and the check of each body as Langfuse's schemas check
 * it (packages/shared/src/server/ingestion/types.ts): map.h. */
#include "lib/api/langfuse/map.h"

#include <math.h>
#include <string.h>
#include "lib/base/time.h"

/* ---- event types ---- */

static const struct langfuse_etype etypes[] = {
    {"trace-create", LF_TRACE, false, false, NULL},
    {"score-create", LF_SCORE, false, false, NULL},
    {"span-create", LF_OBSERVATION, false, false, "span"},
    {"span-update", LF_OBSERVATION, true, false, "span"},
    {"generation-create", LF_OBSERVATION, false, true, "generation"},
    {"generation-update", LF_OBSERVATION, true, true, "generation"},
    {"event-create", LF_OBSERVATION, false, false, "event"},
    /* The typed creates of Langfuse's server (its v3 SDKs' observation types): a
     * generation's body each. */
    {"agent-create", LF_OBSERVATION, false, true, "agent"},
    {"tool-create", LF_OBSERVATION, false, true, "tool"},
    {"chain-create", LF_OBSERVATION, false, true, "chain"},
    {"retriever-create", LF_OBSERVATION, false, true, "retriever"},
    {"evaluator-create", LF_OBSERVATION, false, true, "evaluator"},
    {"embedding-create", LF_OBSERVATION, false, true, "embedding"},
    {"guardrail-create", LF_OBSERVATION, false, true, "guardrail"},
    {"sdk-log", LF_LOG, false, false, NULL},
    /* Legacy: the type is the body's (GENERATION, SPAN or EVENT). */
    {"observation-create", LF_OBSERVATION, false, true, NULL},
    {"observation-update", LF_OBSERVATION, true, true, NULL},
};

const struct langfuse_etype *langfuse_etype_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof etypes / sizeof *etypes; i++)
		if (!strcmp(etypes[i].name, name))
			return &etypes[i];
	return NULL;
}

/* ---- the checks (types.ts's schemas; a null member is an absent one, nullish) ---- */

enum check {
	C_ANY,
	C_ID,
	C_STR,
	C_NAME,
	C_TIME,
	C_LEVEL,
	C_BOOL,
	C_TAGS,
	C_PARAMS,
	C_USAGE,
	C_DETAILS,
	C_COSTS,
	C_INT,
	C_OBJ_TYPE
};

static const struct member {
	const char *name;
	enum check c;
	unsigned in; /* bits: 1 trace, 2 observation, 4 generation only */
} members[] = {
    {"id", C_ID, 3},
    {"traceId", C_ID, 2},
    {"timestamp", C_TIME, 1},
    {"name", C_NAME, 3},
    {"startTime", C_TIME, 2},
    {"endTime", C_TIME, 2},
    {"completionStartTime", C_TIME, 4},
    {"userId", C_STR, 1},
    {"sessionId", C_STR, 1},
    {"release", C_STR, 1},
    {"version", C_STR, 3},
    {"environment", C_STR, 3},
    {"public", C_BOOL, 1},
    {"tags", C_TAGS, 1},
    {"level", C_LEVEL, 2},
    {"statusMessage", C_STR, 2},
    {"parentObservationId", C_STR, 2},
    {"model", C_STR, 4},
    {"modelParameters", C_PARAMS, 4},
    {"usage", C_USAGE, 4},
    {"usageDetails", C_DETAILS, 4},
    {"costDetails", C_COSTS, 4},
    {"promptName", C_STR, 4},
    {"promptVersion", C_INT, 4},
};

static const char *const levels[] = {"DEBUG", "DEFAULT", "WARNING", "ERROR"};

bool langfuse_json_int(json_t *x)
{
	return json_is_integer(x) ||
	       (json_is_real(x) && json_real_value(x) == floor(json_real_value(x)) &&
		fabs(json_real_value(x)) < 9e15);
}

static bool check_params(json_t *x)
{
	const char *k;
	json_t *v, *e;
	size_t i;
	if (!json_is_object(x))
		return false;
	json_object_foreach(x, k, v)
	{
		if (json_is_array(v)) {
			json_array_foreach(v, i, e) if (!json_is_string(e)) return false;
		} else if (json_is_object(v)) {
			const char *k2;
			json_object_foreach(v, k2, e) if (!json_is_string(e)) return false;
		} else if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v) &&
			   !json_is_null(v)) {
			return false;
		}
	}
	return true;
}

/* usage: MixedUsage, integer counts and number costs, each nullish. */
static bool check_usage(json_t *x)
{
	static const char *const ints[] = {"input",	   "output",	       "total",
					   "promptTokens", "completionTokens", "totalTokens"};
	static const char *const costs[] = {"inputCost", "outputCost", "totalCost"};
	if (!json_is_object(x))
		return false;
	for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
		json_t *v = json_object_get(x, ints[i]);
		if (v && !json_is_null(v) && !langfuse_json_int(v))
			return false;
	}
	for (size_t i = 0; i < sizeof costs / sizeof *costs; i++) {
		json_t *v = json_object_get(x, costs[i]);
		if (v && !json_is_null(v) && !json_is_number(v))
			return false;
	}
	json_t *u = json_object_get(x, "unit");
	return !u || json_is_null(u) || json_is_string(u);
}

static bool check_one(enum check c, json_t *x, size_t *len)
{
	size_t i;
	json_t *e;
	switch (c) {
	case C_ANY:
		return true;
	case C_ID:
		/* idSchema: 1 to 800 characters, no carriage return. */
		return json_is_string(x) && json_string_length(x) >= 1 &&
		       json_string_length(x) <= 800 && !strchr(json_string_value(x), '\r') &&
		       !span_id_problem(json_string_value(x));
	case C_NAME:
		*len = 1000;
		return json_is_string(x);
	case C_STR:
		return json_is_string(x);
	case C_TIME: {
		int64_t us;
		return json_is_string(x) && time_parse(json_string_value(x), true, &us);
	}
	case C_LEVEL:
		for (i = 0; json_is_string(x) && i < sizeof levels / sizeof *levels; i++)
			if (!strcmp(levels[i], json_string_value(x)))
				return true;
		return false;
	case C_BOOL:
		return json_is_boolean(x);
	case C_TAGS:
		if (!json_is_array(x))
			return false;
		json_array_foreach(x, i, e) if (!json_is_string(e)) return false;
		return true;
	case C_PARAMS:
		return check_params(x);
	case C_USAGE:
		return check_usage(x);
	case C_DETAILS:
	case C_COSTS:
		/* Records whose unusable members are dropped (RawUsageDetails, CostDetails). */
		return json_is_object(x);
	case C_INT:
		return langfuse_json_int(x);
	case C_OBJ_TYPE: {
		static const char *const types[] = {"GENERATION", "SPAN", "EVENT"};
		for (i = 0; json_is_string(x) && i < 3; i++)
			if (!strcmp(types[i], json_string_value(x)))
				return true;
		return false;
	}
	}
	return false;
}

static const char *const wanted[] = {
    [C_ANY] = "any value",
    [C_ID] = "a string of 1 to 800 characters that can name a path segment",
    [C_STR] = "a string",
    [C_NAME] = "a string of at most 1000 characters",
    [C_TIME] = "an ISO 8601 datetime with its offset",
    [C_LEVEL] = "one of DEBUG, DEFAULT, WARNING, ERROR",
    [C_BOOL] = "a boolean",
    [C_TAGS] = "a list of strings",
    [C_PARAMS] = "an object of strings, numbers, booleans, lists or objects of strings",
    [C_USAGE] = "an object of integer counts and number costs",
    [C_DETAILS] = "an object",
    [C_COSTS] = "an object",
    [C_INT] = "an integer",
    [C_OBJ_TYPE] = "one of GENERATION, SPAN, EVENT",
};

const char *langfuse_check_body(struct arena *a, const struct langfuse_etype *t, json_t *body)
{
	unsigned in = t->ent == LF_TRACE ? 1 : t->generation ? 6 : 2;
	for (size_t i = 0; i < sizeof members / sizeof *members; i++) {
		json_t *x = json_object_get(body, members[i].name);
		size_t len = 0;
		if (!(members[i].in & in) || !x || json_is_null(x))
			continue;
		if (!check_one(members[i].c, x, &len) || (len && json_string_length(x) > len))
			return arena_printf(a, "body.%s: Expected %s", members[i].name,
					    wanted[members[i].c]);
	}
	json_t *id = json_object_get(body, "id");
	if (t->ent == LF_OBSERVATION && t->type && (!id || json_is_null(id)))
		return "body.id: Required";
	if (t->ent == LF_OBSERVATION && !t->type &&
	    !check_one(C_OBJ_TYPE, json_object_get(body, "type"), &(size_t){0}))
		return arena_printf(a, "body.type: Expected %s", wanted[C_OBJ_TYPE]);
	/* A prompt is named with its version, or not at all (types.ts's refine). */
	if (t->generation && !json_is_string(json_object_get(body, "promptName")) !=
				 !langfuse_json_int(json_object_get(body, "promptVersion")))
		return "body: promptName and promptVersion are given together or not at all";
	return NULL;
}
