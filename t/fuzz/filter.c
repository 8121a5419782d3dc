/* fuzz filter: the NeMo `filter` parameter (lib/api/intake/filter.c) in its three forms: the
 * input as filter= (JSON or text syntax), or split on '&' into filter[...]=... brackets. */
#include "t/fuzz/fuzz.h"
#include "lib/api/intake/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	struct arena *a = arena_new();
	char *s = fuzz_str(a, data + 1, size - 1);
	struct err err;
	struct filter f = {0};
	enum filter_kind kind = data[0] & 1 ? FILTER_TRACES : FILTER_SPANS;
	if (data[0] & 2) {
		const char *keys[16], *vals[16];
		size_t n = 0;
		for (char *p = s, *e; p && n < 16; p = e) {
			e = strchr(p, '&');
			if (e)
				*e++ = '\0';
			char *eq = strchr(p, '=');
			if (eq)
				*eq++ = '\0';
			keys[n] = p;
			vals[n++] = eq ? eq : "";
		}
		intake_filter_parse(a, kind, NULL, keys, vals, n, &f, &err);
	} else {
		intake_filter_parse(a, kind, s, NULL, NULL, 0, &f, &err);
	}
	arena_free(a);
	return 0;
}
