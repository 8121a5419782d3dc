/* catalog_object: the attributes whose value is a JSON object (Langfuse's usage and cost,
 * Logfire's raw usage), and their members spread out for the field rows (catalog.h). */
#ifndef SPANDEX_MODEL_CATALOG_OBJECT_H
#define SPANDEX_MODEL_CATALOG_OBJECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The object attributes (catalog_objects), which catalog_rows.c's field rows name members of. */
#define CATALOG_LF_USAGE "langfuse.observation.usage_details"
#define CATALOG_LF_COST "langfuse.observation.cost_details"
#define CATALOG_LOGFIRE_USAGE "gen_ai.usage.raw"

/* Attributes whose value is a JSON object, or JSON text of one, that field rows read members
 * of. A member no row takes goes to usage_details (USAGE: a count) or cost_details (COST: an
 * amount) under its own name, and the attribute is not kept (Langfuse's free keys); with KEEP
 * the attribute stays in raw_attributes whole and only the members rows name are read. */
enum catalog_rest { CATALOG_REST_USAGE, CATALOG_REST_COST, CATALOG_REST_KEEP };
struct catalog_object {
	const char *key;
	enum catalog_rest rest;
	/* Its members are disjoint parts that add up (Langfuse counts each usage type apart):
	 * the "input" and "output" members read as themselves plus every other member whose name
	 * contains input (output), so input_tokens is the whole input as the other conventions
	 * count it. */
	bool parts;
	const char *note;
};
const struct catalog_object *catalog_objects(size_t *n);

/* attrs with each object attribute (catalog_objects) that holds a JSON object (or JSON text
 * of one) spread into its members, as a new object; NULL when there is none to spread. The
 * attribute itself stays only for a KEEP object. */
json_t *catalog_object_spread(json_t *attrs);
/* Whether key is an object attribute's (catalog_objects): a walk over a span's attributes
 * tells with it whether catalog_object_spread could find one. */
bool catalog_object_named(const char *key);
/* The object whose spread member key is ("<object>{<member>}"), with *member its member name
 * (the closing brace included); NULL when key is none. */
const struct catalog_object *catalog_object_member(const char *key, const char **member);

#endif
