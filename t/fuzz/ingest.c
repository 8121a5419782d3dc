/* fuzz ingest: JSON bodies of direct ingest, chat completions and ATIF (the first byte picks
 * the format), parsed as the ingest program does and mapped onto spans, which are rendered. */
#include "t/fuzz/fuzz.h"
#include "lib/base/buf.h"
#include "lib/ingest/atif.h"
#include "lib/ingest/chat.h"
#include "lib/ingest/direct.h"
#include "lib/json/jsonx.h"
#include "lib/model/span.h"

static void render(struct span *s, size_t n)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		b.len = 0;
		span_render(&s[i], &b);
		span_clear(&s[i]);
	}
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	size_t pos = 0;
	json_t *body = jsonx_parse((const char *)data + 1, size - 1, &pos, NULL);
	if (!body)
		return 0;
	struct arena *a = arena_new();
	struct verrs v;
	verrs_init(&v);
	struct span *spans = NULL, one;
	size_t n = 0;
	switch (data[0] % 3) {
	case 0:
		n = direct_parse(a, "fuzz", body, &spans, &v);
		render(spans, n);
		break;
	case 1:
		span_init(&one);
		if (chat_map(a, "fuzz", body, 1700000000000000, &one, &v) == ST_OK)
			render(&one, 1);
		else
			span_clear(&one);
		break;
	default:
		if (atif_map(a, "fuzz", body, 1700000000000000, &spans, &n, &v) == ST_OK)
			render(spans, n);
		break;
	}
	verrs_free(&v);
	json_decref(body);
	arena_free(a);
	return 0;
}
