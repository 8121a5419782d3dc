/* map_int: what the two files of Opik's mapping share (lib/api/opik/map.c, render.c only):
 * which rows of map.c's field table a field kept verbatim in raw_attributes is, and its key. */
#ifndef SPANDEX_API_OPIK_MAP_INT_H
#define SPANDEX_API_OPIK_MAP_INT_H

#include <stdbool.h>
#include <stddef.h>

/* Row i of the field table: the Opik field's name when put_keep keeps it verbatim in
 * raw_attributes, under *raw ("opik.<name>"; NULL for a row of another hook), and the one enum
 * opik_entity it belongs to (-1 both); false past the last row. What render.c's o_kept writes
 * back. */
bool opik_kept_row(size_t i, const char **name, const char **raw, int *only);

#endif
