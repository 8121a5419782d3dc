/* catalog_object: catalog.c's object attributes spread into members (private to the catalog). */
#ifndef SPANDEX_MODEL_CATALOG_OBJECT_H
#define SPANDEX_MODEL_CATALOG_OBJECT_H

#include <jansson.h>
#include "lib/model/catalog.h"

/* attrs with each object attribute (catalog_objects) that holds a JSON object (or JSON text
 * of one) spread into its members, as a new object; NULL when there is none to spread. The
 * attribute itself stays only for a KEEP object. */
json_t *catalog_object_spread(json_t *attrs);
/* The object whose spread member key is ("<object>{<member>}"), with *member its member name
 * (the closing brace included); NULL when key is none. */
const struct catalog_object *catalog_object_member(const char *key, const char **member);

#endif
