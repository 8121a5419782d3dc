/* map_int: what the two files of Opik's mapping share (lib/api/opik/map.c, render.c only):
 * the raw_attributes key of a field kept verbatim, and which rows of map.c's field table are. */
#ifndef SPANDEX_API_OPIK_MAP_INT_H
#define SPANDEX_API_OPIK_MAP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/base/arena.h"

static inline const char *raw_key(struct arena *a, const char *name)
{
	return arena_printf(a, "opik.%s", name);
}

/* Row i of the field table: the Opik field's name when put_keep keeps it verbatim in
 * raw_attributes under raw_key (NULL for a row of another hook), and the one enum opik_entity
 * it belongs to (-1 both); false past the last row. What render.c's o_kept writes back. */
bool opik_kept_row(size_t i, const char **name, int *only);

#endif
