/* fuzz json: the JSON reader of every request body (lib/json/jsonx: depth and size limits), and
 * its reading of stored lines (JSONX_NO_DUPLICATES | JSONX_DEEP, lib/model's line_parse) against
 * jansson's json_loadb, which read them before: the same bytes taken or refused, the same
 * value. But for a NUL byte, which no line holds: json_loadb takes one after a number, as if
 * it were the end, and jsonx refuses it anywhere. */
#include "t/fuzz/fuzz.h"
#include <stdlib.h>
#include <string.h>
#include "lib/json/jsonx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e;
	size_t pos = 0;
	json_t *j = jsonx_parse((const char *)data, size, &pos, &e);
	json_decref(j);
	if (memchr(data, 0, size))
		return 0;
	json_t *line = jsonx_parse_with((const char *)data, size, JSONX_NO_DUPLICATES | JSONX_DEEP,
					&pos, NULL);
	json_t *ref =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (!line != !ref || (line && !json_equal(line, ref)))
		abort();
	json_decref(line);
	json_decref(ref);
	return 0;
}
