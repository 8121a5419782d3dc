/* storefix: see storefix.h. */
#include "t/storefix.h"

#include <check.h>
#include <stdio.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"

struct span storefix_span(struct arena *a, const char *id, int64_t start, const char *name)
{
	struct span s;
	span_init(&s);
	s.span_id = arena_strdup(a, id);
	s.trace_id = "trace-1";
	s.session_id = "session-1";
	s.workspace = "ws1";
	s.source = "test";
	s.name = arena_strdup(a, name);
	s.kind = KIND_LLM;
	s.status = SPST_SUCCESS;
	s.started_at = start;
	s.ended_at = start + 1500;
	s.input_tokens = 10;
	s.output_tokens = 5;
	return s;
}

void storefix_note(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

void storefix_append(struct store *st, struct span *s, size_t n)
{
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_append(st, "ws1", s, n, &e) == ST_OK, "append: %s", err_text(&e));
}

char *storefix_get(struct store *st, const char *id)
{
	struct buf b;
	buf_init(&b);
	if (store_get(st, "ws1", id, &b) != ST_OK) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

uint64_t storefix_live(struct store *st)
{
	struct store_stats ss;
	ck_assert_int_eq(store_stats(st, "ws1", &ss), ST_OK);
	return ss.spans;
}
