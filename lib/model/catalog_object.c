/* catalog_object: the attributes whose value is a JSON object (the object rows below:
 * Langfuse's usage and cost, Logfire's raw usage) spread into "<key>{<member>}" attributes the
 * field rows can name, a parts object's wholes made whole first. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/model/catalog_value.h"
#include "lib/model/catalog_object.h"
#include "lib/base/mem.h"

/* Attributes whose value is a JSON object, sent as JSON text: Langfuse's usage and cost
 * (instrumentation.md 3.2), whose free keys no row takes go to usage_details / cost_details
 * under their own names, and whose members are disjoint parts (@langfuse/openai's
 * parseUsageDetails sends input = prompt_tokens less every prompt_tokens_details member, each
 * of those as input_<name>, and the same for output); Logfire's raw usage of an OpenAI call
 * (its llm_providers/usage.py), kept whole, of which the rows read the cached and reasoning
 * counts. */
static const struct catalog_object cat_objects[] = {
    {CATALOG_LF_USAGE, CATALOG_REST_USAGE, true,
     "every other member of `" CATALOG_LF_USAGE "`, under its own name"},
    {CATALOG_LF_COST, CATALOG_REST_COST, true,
     "every other member of `" CATALOG_LF_COST "`, under its own name"},
    {CATALOG_LOGFIRE_USAGE, CATALOG_REST_KEEP, false, NULL},
};
#define CAT_NOBJECTS (sizeof cat_objects / sizeof cat_objects[0])

const struct catalog_object *catalog_objects(size_t *n)
{
	*n = CAT_NOBJECTS;
	return cat_objects;
}

/* Adds each member of object o to out as "<key>{<member>}" (catalog.h); a KEEP object's
 * nested objects as "<key>{<member>.<sub>}", so a row can name a count inside one. */
static void cat_spread_members(json_t *out, const char *key, json_t *o, bool nested,
			       const char *path)
{
	const char *k;
	json_t *m;

	json_object_foreach(o, k, m)
	{
		char *sub = xmalloc(strlen(path) + strlen(k) + 2);
		sprintf(sub, "%s%s%s", path, *path ? "." : "", k);
		if (nested && json_is_object(m)) {
			cat_spread_members(out, key, m, nested, sub);
		} else {
			char *name = xmalloc(strlen(key) + strlen(sub) + 3);
			sprintf(name, "%s{%s}", key, sub);
			json_object_set(out, name, m);
			free(name);
		}
		free(sub);
	}
}

/* A parts object's "input" and "output" made whole (catalog_object.parts): each plus the
 * other members, counts (amounts) alike, whose names contain it. */
static void cat_whole_parts(json_t *o, enum catalog_rest rest)
{
	static const char *const wholes[] = {"input", "output"};

	for (size_t w = 0; w < 2; w++) {
		json_t *v = json_object_get(o, wholes[w]), *m;
		const char *k;
		int64_t n, sum;
		double d, dsum;
		bool any = false;

		if (rest == CATALOG_REST_USAGE ? !catalog_count(v, &sum) : !catalog_cost(v, &dsum))
			continue;
		json_object_foreach(o, k, m)
		{
			if (!strcmp(k, wholes[w]) || !strstr(k, wholes[w]))
				continue;
			if (rest == CATALOG_REST_USAGE && catalog_count(m, &n) &&
			    n <= INT64_MAX - sum) {
				sum += n;
				any = true;
			} else if (rest == CATALOG_REST_COST && catalog_cost(m, &d)) {
				dsum += d;
				any = true;
			}
		}
		if (any)
			json_object_set_new(o, wholes[w],
					    rest == CATALOG_REST_USAGE
						? json_integer(sum)
						: json_real(catalog_round_cost(dsum)));
	}
}

bool catalog_object_named(const char *key)
{
	for (size_t i = 0; i < CAT_NOBJECTS; i++)
		if (key[0] == cat_objects[i].key[0] && !strcmp(key, cat_objects[i].key))
			return true;
	return false;
}

json_t *catalog_object_spread(json_t *attrs)
{
	json_t *out = NULL;

	for (size_t i = 0; i < CAT_NOBJECTS; i++) {
		json_t *v = json_object_get(attrs, cat_objects[i].key), *o;
		bool keep = cat_objects[i].rest == CATALOG_REST_KEEP;

		if (json_is_string(v))
			o = json_loadb(json_string_value(v), json_string_length(v), 0, NULL);
		else
			o = json_incref(v);
		if (!json_is_object(o)) {
			json_decref(o);
			continue;
		}
		if (!out)
			out = json_copy(attrs);
		if (!keep)
			json_object_del(out, cat_objects[i].key);
		if (cat_objects[i].parts) {
			/* The object is changed: a copy, so the attribute kept raw (the children's
			 * usage) is as it came. */
			json_t *c = json_deep_copy(o);
			json_decref(o);
			o = c;
			cat_whole_parts(o, cat_objects[i].rest);
		}
		cat_spread_members(out, cat_objects[i].key, o, keep, "");
		json_decref(o);
	}
	return out;
}

const struct catalog_object *catalog_object_member(const char *key, const char **member)
{
	const char *brace = strchr(key, '{');
	size_t n = brace ? (size_t)(brace - key) : 0, len;

	if (!brace || (len = strlen(brace)) < 3 || brace[len - 1] != '}')
		return NULL;
	for (size_t i = 0; i < CAT_NOBJECTS; i++)
		if (strlen(cat_objects[i].key) == n && !strncmp(key, cat_objects[i].key, n)) {
			*member = brace + 1;
			return &cat_objects[i];
		}
	return NULL;
}
