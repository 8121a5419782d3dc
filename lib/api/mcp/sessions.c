/* sessions: list_sessions and get_session. The list is the sessions of the traces that started
 * in a window (one visit of their roots, most recently active first, a made-up session of a
 * lone trace left out), each then summed whole by lib/query (query_session_find); one session
 * is its sum, its judgements, and its traces oldest first as the turns of a conversation. */
#include "lib/api/mcp/tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/json/jline.h"

/* How far back list_sessions looks when no window is given. */
#define SESSIONS_DEFAULT_US (7LL * 86400 * 1000000)
/* Characters of a session's first input in a list. */
#define PREVIEW_CHARS 200

struct sess {
	const char *lit;   /* the session id as the line's JSON literal */
	const char *trace; /* its earliest trace in the window (a JSON literal) */
	int64_t first, last;
	uint32_t traces;
};

struct sessions {
	struct mcp_call *c;
	const char *user;
	struct sess *v;
	size_t cap;
	struct mcp_map map;
	const char *lit; /* the key being looked for, lit[0..nlit) */
	size_t nlit;
};

static void sessions_reset(void *ctx)
{
	mcp_map_clear(&((struct sessions *)ctx)->map);
}

static bool same_lit(void *ctx, size_t i)
{
	struct sessions *s = ctx;
	return strlen(s->v[i].lit) == s->nlit && !memcmp(s->v[i].lit, s->lit, s->nlit);
}

/* The session of literal lit[0..n), added when new. */
static struct sess *sess_of(struct sessions *s, const char *lit, size_t n)
{
	bool fresh;
	s->lit = lit;
	s->nlit = n;
	size_t i = mcp_map_find(&s->map, hash_bytes(lit, n), same_lit, s, &fresh);
	if (fresh) {
		void *v = s->v;
		mcp_grow(&v, &s->cap, i, sizeof *s->v);
		s->v = v;
		s->v[i] = (struct sess){
		    .lit = arena_strndup(s->c->a, lit, n), .first = INT64_MAX, .last = INT64_MIN};
	}
	return &s->v[i];
}

/* A session the store made up for a trace sent without one (span_session_default). */
static bool made_up(struct mcp_call *c, const char *session, const char *trace)
{
	struct span s;
	span_init(&s);
	s.session_id = session;
	s.trace_id = trace;
	s.workspace = c->ws;
	return span_session_default(&s);
}

static void trace_seen(void *ctx, const struct query_trace *t)
{
	struct sessions *s = ctx;
	struct mcp_line m;
	mcp_line_scan(t->root.line, t->root.len,
		      (uint64_t)1 << SF_SESSION_ID | (uint64_t)1 << SF_TRACE_ID, &m);
	const char *lit = t->session ? t->session : m.v[SF_SESSION_ID];
	size_t n = t->session ? strlen(t->session) : m.n[SF_SESSION_ID];
	if (!lit || !m.v[SF_TRACE_ID])
		return;
	struct arena_mark mark = arena_mark(s->c->a);
	const char *session = jline_text(s->c->a, lit, n);
	const char *trace = jline_text(s->c->a, m.v[SF_TRACE_ID], m.n[SF_TRACE_ID]);
	const char *user = s->user ? mcp_line_user(s->c->a, t->root.line, t->root.len) : NULL;
	bool skip = !session || !trace || made_up(s->c, session, trace) ||
		    (s->user && (!user || strcmp(user, s->user)));
	arena_release(s->c->a, mark);
	if (skip)
		return;
	struct sess *x = sess_of(s, lit, n);
	x->traces++;
	if (t->root.started_us > x->last)
		x->last = t->root.started_us;
	if (t->root.started_us < x->first) {
		x->first = t->root.started_us;
		x->trace = arena_strndup(s->c->a, m.v[SF_TRACE_ID], m.n[SF_TRACE_ID]);
	}
}

/* Most recently active first, then by id. */
static int by_last(const void *a, const void *b)
{
	const struct sess *x = a, *y = b;
	if (x->last != y->last)
		return (x->last < y->last) - (x->last > y->last);
	return strcmp(x->lit, y->lit);
}

/* The page's start: past the cursor ("<last>|<literal>": the last row of the page before). */
static size_t page_start(const struct sess *v, size_t n, const char *cursor)
{
	if (!cursor)
		return 0;
	char *end;
	struct sess key = {.last = strtoll(cursor, &end, 10)};
	if (*end != '|')
		return n;
	key.lit = end + 1;
	size_t k = 0;
	while (k < n && by_last(&v[k], &key) <= 0)
		k++;
	return k;
}

/* One row: the session summed whole, and the start of its first input in the window. */
static enum status session_row(struct mcp_call *c, const struct sess *x, struct buf *b)
{
	struct query q;
	struct query_session s;
	struct query_trace first;
	const char *id = jline_text(c->a, x->lit, strlen(x->lit));
	mcp_query_init(c, &q);
	enum status st = query_session_find(&q, id, &s);
	if (st != ST_OK && st != ST_NOT_FOUND)
		return mcp_query_fail(c, &q, st);
	buf_addc(b, '{');
	mcp_put_str(b, "session_id", id);
	if (st == ST_OK) {
		mcp_put_time(b, "started_at", s.started_us);
		mcp_put_time(b, "ended_at", s.open_end ? SPAN_NONE_I64 : s.ended_us);
		mcp_put_str(b, "status", span_status_names[s.status]);
		mcp_put_int(b, "traces", (int64_t)s.traces);
		mcp_put_rollup(b, &s.u);
	}
	mcp_put_int(b, "traces_in_window", x->traces);
	mcp_put_time(b, "last_trace_at", x->last);
	const char *trace = jline_text(c->a, x->trace, strlen(x->trace));
	mcp_query_init(c, &q);
	q.summary = true;
	if (trace && query_trace_find(&q, trace, &first) == ST_OK) {
		bool picked;
		mcp_put_str(b, "user_id", mcp_line_user(c->a, first.root.line, first.root.len));
		struct mcp_line m;
		mcp_line_scan(first.root.line, first.root.len, (uint64_t)1 << SF_INPUT, &m);
		mcp_put_cut(b, "first_input",
			    mcp_turn_text(c->a, mcp_line_str(c->a, &m, SF_INPUT), true, &picked),
			    PREVIEW_CHARS, NULL);
	}
	buf_addc(b, '}');
	return ST_OK;
}

#define TAIL_BYTES (4 * SPAN_MAX_ID + 400)

enum status mcp_list_sessions(struct mcp_call *c)
{
	struct query q;
	struct filter f;
	struct sessions s = {.c = c, .user = mcp_str(c, "user_id")};
	const char *cursor = mcp_str(c, "cursor");
	mcp_query_init(c, &q);
	mcp_filter_init(c, &f);
	enum status st = mcp_window(c, SESSIONS_DEFAULT_US, &f, NULL, NULL);
	if (st != ST_OK)
		return st;
	if (cursor && !strchr(cursor, '|'))
		return mcp_fail(
		    c, ST_BAD_REQUEST,
		    "This cursor is not one list_sessions gave: list again without it.");
	q.f = &f;
	q.visit_reset = sessions_reset;
	st = query_trace_visit(&q, trace_seen, &s);
	if (st != ST_OK) {
		mcp_query_fail(c, &q, st);
		goto out;
	}
	size_t n = s.map.n;
	if (n)
		qsort(s.v, n, sizeof *s.v, by_last);
	size_t from = page_start(s.v, n, cursor),
	       limit = (size_t)mcp_int(c, "limit", MCP_PAGE_DEFAULT);
	struct buf *b = c->out, *item = arena_buf(c->a);
	buf_addc(b, '{');
	mcp_put_str(b, "workspace", c->ws);
	mcp_put_int(b, "total", (int64_t)n);
	buf_adds(b, ",\"sessions\":[");
	size_t k = from;
	for (; k < n && k < from + limit; k++) {
		struct arena_mark mark = arena_mark(c->a); /* a row's lookups: its own */
		item->len = 0;
		st = session_row(c, &s.v[k], item);
		arena_release(c->a, mark);
		if (st != ST_OK)
			goto out;
		if (!mcp_fits(c, b, TAIL_BYTES, item, k == from))
			break;
	}
	buf_addc(b, ']');
	mcp_put_int(b, "shown", (int64_t)(k - from));
	if (k < n && k > from)
		mcp_put_str(
		    b, "next_cursor",
		    arena_printf(c->a, "%lld|%s", (long long)s.v[k - 1].last, s.v[k - 1].lit));
	buf_addc(b, '}');
out:
	free(s.v);
	mcp_map_free(&s.map);
	return st;
}

/* ---- one session ---- */

/* A turn: the trace, how it went, and what was said. */
static void turn(struct mcp_call *c, const struct query_trace *t, size_t fc, struct buf *b)
{
	struct mcp_line m;
	bool in_msg, out_msg;
	mcp_line_scan(t->root.line, t->root.len, ~(uint64_t)0, &m);
	const char *in = mcp_turn_text(c->a, mcp_line_str(c->a, &m, SF_INPUT), true, &in_msg);
	const char *out = mcp_turn_text(c->a, mcp_line_str(c->a, &m, SF_OUTPUT), false, &out_msg);
	const char *root = mcp_line_str(c->a, &m, SF_SPAN_ID);
	buf_addc(b, '{');
	mcp_put_trace(c, b, t, &m);
	if (in_msg)
		mcp_put_str(b, "input_is", "the last user message of the input");
	mcp_put_cut(b, "input", in, fc, in_msg ? NULL : root);
	if (out_msg)
		mcp_put_str(b, "output_is", "the answer's text");
	mcp_put_cut(b, "output", out, fc, out_msg ? NULL : root);
	buf_addc(b, '}');
}

/* The session's head: its sum and the judgements of the session itself (those of its traces
 * and spans are get_trace's: counted here). */
static enum status session_head(struct mcp_call *c, const char *id, const struct query_session *s,
				struct buf *b)
{
	struct judgement *js;
	size_t nj, own = 0, other = 0;
	enum status st = mcp_judgements(c, JT_SESSION, &id, 1, &js, &nj);
	if (st != ST_OK)
		return st;
	buf_addc(b, '{');
	mcp_put_str(b, "workspace", c->ws);
	mcp_put_str(b, "session_id", id);
	mcp_put_time(b, "started_at", s->started_us);
	mcp_put_time(b, "ended_at", s->open_end ? SPAN_NONE_I64 : s->ended_us);
	mcp_put_str(b, "status", span_status_names[s->status]);
	mcp_put_int(b, "traces", (int64_t)s->traces);
	mcp_put_rollup(b, &s->u);
	size_t keep = b->len + c->budget / 4;
	for (size_t k = 0; k < nj; k++) {
		if (js[k].target != JT_SESSION) {
			other++;
			continue;
		}
		size_t at = b->len;
		buf_adds(b, own ? "," : ",\"judgements\":[");
		mcp_put_judgement(b, &js[k]);
		if (b->len > keep || own == MCP_JUDGEMENTS_MAX) {
			b->len = at;
			b->p[at] = '\0';
			other++;
			continue;
		}
		own++;
	}
	if (own)
		buf_addc(b, ']');
	if (other)
		mcp_put_int(b, "other_judgements", (int64_t)other);
	return ST_OK;
}

enum status mcp_get_session(struct mcp_call *c)
{
	const char *id = mcp_str(c, "session_id");
	size_t fc = (size_t)mcp_int(c, "field_chars", MCP_FIELD_DEFAULT);
	struct query q;
	struct query_session s;
	struct query_traces t;
	struct filter f;
	mcp_query_init(c, &q);
	enum status st = query_session_find(&q, id, &s);
	if (st == ST_NOT_FOUND)
		return mcp_fail(c, st,
				"No session '%.200s' in workspace '%s' (list_sessions lists "
				"them).",
				id, c->ws);
	if (st != ST_OK || (st = session_head(c, id, &s, c->out)) != ST_OK)
		return st == ST_OK || c->err.msg[0] ? st : mcp_query_fail(c, &q, st);
	mcp_query_init(c, &q);
	mcp_filter_init(c, &f);
	mcp_cond_eq(c, &f, FF_SESSION_ID, id);
	q.f = &f;
	q.sort = "started_at";
	q.ties_by_ids = true;
	q.limit = MCP_PAGE_MAX;
	q.after_id = mcp_str(c, "cursor");
	st = query_trace_rows(&q, &t);
	if (st == ST_NOT_FOUND && q.after_id)
		return mcp_fail(c, st,
				"The cursor's trace is not a turn of this session: read it "
				"again without cursor.");
	if (st != ST_OK)
		return mcp_query_fail(c, &q, st);
	struct buf *b = c->out, *item = arena_buf(c->a);
	buf_adds(b, ",\"turns\":[");
	size_t k = 0;
	const char *last = NULL;
	for (; k < t.n; k++) {
		struct arena_mark mark = arena_mark(c->a); /* a turn's parsed texts: its own */
		item->len = 0;
		turn(c, &t.rows[k], fc, item);
		arena_release(c->a, mark);
		if (!mcp_fits(c, b, TAIL_BYTES, item, !k))
			break;
		struct mcp_line m;
		mcp_line_scan(t.rows[k].root.line, t.rows[k].root.len, (uint64_t)1 << SF_TRACE_ID,
			      &m);
		last = mcp_line_str(c->a, &m, SF_TRACE_ID);
	}
	buf_addc(b, ']');
	mcp_put_int(b, "turns_shown", (int64_t)k);
	if (last && (k < t.n || t.more))
		mcp_put_str(b, "next_cursor", last);
	buf_addc(b, '}');
	return ST_OK;
}
