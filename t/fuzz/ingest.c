/* fuzz ingest: JSON bodies of direct ingest, chat completions and ATIF (the first byte picks
 * the format), parsed as the ingest program does and mapped onto spans, which are rendered; a
 * direct body also read by its text path, which must agree with the tree's. */
#include "t/fuzz/fuzz.h"
#include <stdlib.h>
#include <string.h>
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

/* The spans' lines, NUL-terminated (the caller frees them); the spans cleared. */
static char *lines(struct span *s, size_t n)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		span_render(&s[i], &b);
		buf_addc(&b, '\n');
		span_clear(&s[i]);
	}
	buf_addc(&b, 0);
	return b.p;
}

/* Direct ingest's text path (direct_parse_text) against its tree path: a body the tree refuses
 * is never the text path's; one the text path takes gives the tree's lines. */
static void direct_both(const char *p, size_t size, json_t *body)
{
	struct arena *a = arena_new();
	struct span *s;
	arena_json(a); /* the text path's values are the request arena's */
	size_t n = direct_parse_text(a, "fuzz", p, size, &s);
	char *text = n ? lines(s, n) : NULL, *tree = NULL;
	arena_json(NULL);
	struct verrs v;
	verrs_init(&v);
	if (body && (n = direct_parse(a, "fuzz", body, &s, &v)))
		tree = lines(s, n);
	if (text && (!tree || strcmp(text, tree)))
		abort();
	free(text);
	free(tree);
	verrs_free(&v);
	arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	size_t pos = 0;
	json_t *body = jsonx_parse((const char *)data + 1, size - 1, &pos, NULL);
	if (data[0] % 3 == 0)
		direct_both((const char *)data + 1, size - 1, body);
	if (!body)
		return 0;
	struct arena *a = arena_new();
	struct verrs v;
	verrs_init(&v);
	struct span *spans = NULL, one;
	size_t n = 0;
	switch (data[0] % 3) {
	case 0:
		break; /* direct_both */
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
