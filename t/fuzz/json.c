/* fuzz json: the JSON reader of every request body (lib/json/jsonx: depth and size limits). */
#include "t/fuzz/fuzz.h"
#include "lib/json/jsonx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e;
	size_t pos = 0;
	json_t *j = jsonx_parse((const char *)data, size, &pos, &e);
	json_decref(j);
	return 0;
}
