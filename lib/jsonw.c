/* jsonw: compact JSON writer over jansson values (RFC 8259 section 2 grammar, no spaces). */
#include <stdlib.h>
#include <string.h>
#include "lib/jsonw.h"
#include "lib/span.h"

static int jsonw_keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void jsonw_object(struct buf *b, json_t *v, int flags)
{
	size_t n = json_object_size(v), i = 0;
	const char **keys = xmalloc((n ? n : 1) * sizeof *keys);
	const char *k;
	json_t *m;
	bool first = true;

	json_object_foreach(v, k, m) keys[i++] = k;
	if (flags & JSONW_SORT_KEYS)
		qsort(keys, n, sizeof *keys, jsonw_keycmp);
	buf_addc(b, '{');
	for (i = 0; i < n; i++) {
		m = json_object_get(v, keys[i]);
		if ((flags & JSONW_OMIT_NULLS) && json_is_null(m))
			continue;
		if (!first)
			buf_addc(b, ',');
		first = false;
		buf_json_str(b, keys[i], strlen(keys[i]));
		buf_addc(b, ':');
		jsonw_dump(b, m, flags);
	}
	buf_addc(b, '}');
	free(keys);
}

/* Appends v as compact JSON (see jsonw.h). Scalars, and whole values without flags, are
 * the span writer's (buf_json_value), so every JSON the project writes agrees. */
void jsonw_dump(struct buf *b, json_t *v, int flags)
{
	if (!flags || !(json_is_object(v) || json_is_array(v))) {
		buf_json_value(b, v);
		return;
	}
	if (json_is_object(v)) {
		jsonw_object(b, v, flags);
		return;
	}
	buf_addc(b, '[');
	for (size_t i = 0; i < json_array_size(v); i++) {
		if (i)
			buf_addc(b, ',');
		jsonw_dump(b, json_array_get(v, i), flags);
	}
	buf_addc(b, ']');
}

/* Returns v as compact JSON in arena a. */
char *jsonw_str(struct arena *a, json_t *v, int flags)
{
	struct buf b;
	char *s;
	buf_init(&b);
	jsonw_dump(&b, v, flags);
	s = arena_strndup(a, b.p ? b.p : "", b.len);
	buf_free(&b);
	return s;
}
