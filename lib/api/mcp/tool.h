/* tool: the tools this server offers (tools.c's table), what a call of one holds, and what the
 * tools share to write their answers within a budget (answer.c) and to read spans off their
 * lines (brief.c). Each tool is a function over a struct mcp_call: it reads its arguments (the
 * table has checked them), asks lib/query, and writes its answer's text to call->out, never
 * more than call->budget bytes of it; or it fails with the reason in call->err, which the
 * client gets as a result with isError, for the agent to act on. Everything lives in the
 * request's arena. */
#ifndef SPANDEX_API_MCP_TOOL_H
#define SPANDEX_API_MCP_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/api/mcp/surface.h"
#include "lib/model/judgement.h"
#include "lib/model/span.h"
#include "lib/query/query.h"

/* Limits (docs/mcp.md, "Limits"). */
/* What an answer's text may hold, in bytes: about 20,000 tokens at four bytes a token by
 * default, below the 25,000 tokens at which agents cut a tool's reply (Claude Code's
 * MAX_MCP_OUTPUT_TOKENS); a call's max_bytes sets it from MCP_BUDGET_MIN to MCP_BUDGET_MAX
 * (about 100,000 tokens, what a large context can take in one reply). */
#define MCP_BUDGET_DEFAULT 80000
#define MCP_BUDGET_MIN 4096
#define MCP_BUDGET_MAX 400000
/* Rows of one page of search_traces and list_sessions, and turns of one of get_session: a
 * page an agent reads, then asks for the next. */
#define MCP_PAGE_DEFAULT 20
#define MCP_PAGE_MAX 100
/* Characters of an input or output shown beside each span or turn; the rest is read with
 * get_span in pages. */
#define MCP_FIELD_DEFAULT 300
#define MCP_FIELD_MAX 20000
/* Spans of one trace get_trace reads: a span is about 200 bytes in memory, so the largest
 * trace costs about 20 MB; the viewer shows 20,000. */
#define MCP_TRACE_MAX_SPANS 100000
/* Judgements get_trace, get_span and get_session show of one target: the newest; the count of
 * the rest is said. Each one's text is cut to MCP_JUDGEMENT_TEXT characters. */
#define MCP_JUDGEMENTS_MAX 50
#define MCP_JUDGEMENT_TEXT 300
/* Groups get_stats keeps while it counts (values of a name or a model): more distinct values
 * than this fold into one "(other)" group, so a name that holds an id cannot grow the table
 * to a group a span. */
#define MCP_STATS_MAX_GROUPS 10000

/* What an argument is. MA_TIME is an RFC 3339 instant; MA_DURATION a count and a unit, m, h or
 * d ("30m", "24h", "7d"), of at most MCP_MAX_DURATION_DAYS days. */
enum mcp_atype { MA_STRING, MA_INTEGER, MA_NUMBER, MA_ENUM, MA_TIME, MA_DURATION };
#define MCP_MAX_DURATION_DAYS 3660

/* One argument of a tool, as its JSON Schema says it and as a call is checked against it. */
struct mcp_arg {
	const char *name;
	enum mcp_atype type;
	bool required;
	long long min, max;	    /* MA_INTEGER: the bounds; MA_STRING: its most bytes */
	const char *const *choices; /* MA_ENUM: the values, NULL-terminated */
	const char *desc;
};

struct mcp_call;
/* One tool: its name, title and description (what an agent reads to choose it), its arguments,
 * the role its key needs (write for add_score and add_comment, else read), and its function. */
struct mcp_tool {
	const char *name, *title, *desc;
	const struct mcp_arg *args;
	size_t nargs;
	bool write;
	enum status (*fn)(struct mcp_call *c);
};

/* tools.c: the table, and the tool of a name (NULL: none). */
extern const struct mcp_tool mcp_tools[];
extern const size_t mcp_ntools;
const struct mcp_tool *mcp_tool_find(const char *name);
/* Appends the result of tools/list: {"tools": [each tool's name, title, description,
 * inputSchema, annotations]}. */
void mcp_tools_list(struct buf *out);
/* Whether args (an object) holds only arguments of t, each of its type and within its bounds,
 * and every required one; else false with the sentence an agent can correct the call by in
 * why. */
bool mcp_tool_check(const struct mcp_tool *t, json_t *args, struct buf *why);

/* A call of a tool. */
struct mcp_call {
	struct http_req *req;
	struct arena *a;
	const struct mcp_tool *tool;
	json_t *args;	 /* the arguments, checked (an object) */
	const char *ws;	 /* the workspace, checked against the key */
	size_t budget;	 /* the most bytes of text the answer may hold */
	struct buf *out; /* the answer's text */
	struct err err;	 /* why the call failed */
};

/* Arguments, as checked: the string (NULL when absent), the integer (def when absent), the
 * number (false when absent), and an MA_TIME or MA_DURATION in microseconds. */
const char *mcp_str(const struct mcp_call *c, const char *name);
long long mcp_int(const struct mcp_call *c, const char *name, long long def);
bool mcp_num(const struct mcp_call *c, const char *name, double *v);
/* The duration of text ("24h"), in microseconds; false when it is none. */
bool mcp_duration(const char *text, int64_t *us);

struct mcp_line;

/* answer.c: what the tools share. */
/* Records why c failed (its result is an error the agent reads) and returns st. */
enum status mcp_fail(struct mcp_call *c, enum status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A failed query of c: its reason as lib/query gave it, or what st means. */
enum status mcp_query_fail(struct mcp_call *c, const struct query *q, enum status st);
/* q set for a query of c's workspace under the request's budget and slots, newest first. */
void mcp_query_init(struct mcp_call *c, struct query *q);
/* Conditions of a query's filter: f with room for MCP_MAX_CONDS; field equal to the string v;
 * FF_KIND or FF_STATUS equal to the enum's value v. */
#define MCP_MAX_CONDS 8
void mcp_filter_init(struct mcp_call *c, struct filter *f);
void mcp_cond_eq(struct mcp_call *c, struct filter *f, enum filter_field field, const char *v);
void mcp_cond_enum(struct filter *f, enum filter_field field, int v);
/* The window of c's arguments last, from and to, as conditions of f on the start time: the
 * last def_last_us when none is given and def_last_us > 0, else none. *from and *to (may be
 * NULL) get its bounds (INT64_MIN and INT64_MAX where it has none). */
enum status mcp_window(struct mcp_call *c, int64_t def_last_us, struct filter *f, int64_t *from,
		       int64_t *to);

/* Appends ,"key": and s as a JSON string (the comma left out at the start of an object). */
void mcp_put_str(struct buf *b, const char *key, const char *s);
void mcp_put_int(struct buf *b, const char *key, int64_t v); /* nothing for SPAN_NONE_I64 */
void mcp_put_num(struct buf *b, const char *key, double v);  /* nothing for NAN */
void mcp_put_time(struct buf *b, const char *key, int64_t us);
/* A duration in milliseconds, from its start and end (nothing while it has no end). */
void mcp_put_ms(struct buf *b, const char *key, int64_t from_us, int64_t to_us);
/* Characters (code points) of the UTF-8 text s[0..n), and the byte where character k starts
 * (n when k is past the end). */
size_t mcp_chars(const char *s, size_t n);
size_t mcp_char_at(const char *s, size_t n, size_t k);
/* ,"key": the first max characters of s, and when that is not all of it ,"key_cut": what was
 * cut and the get_span call that reads the rest (span_id; NULL: none to say). */
void mcp_put_cut(struct buf *b, const char *key, const char *s, size_t max, const char *span_id);
/* A judgement as the tools show one: its target, name, value, label, text cut to
 * MCP_JUDGEMENT_TEXT, who wrote it, through which API and when. */
void mcp_put_judgement(struct buf *b, const struct judgement *j);
/* The rollup's counts, tokens and cost as the tools name them. */
void mcp_put_rollup(struct buf *b, const struct query_rollup *u);
/* A trace's id, name, start, duration and status, read off its root's line m, and its
 * rollup. */
void mcp_put_trace(struct mcp_call *c, struct buf *b, const struct query_trace *t,
		   const struct mcp_line *m);
/* Appends item[0..n) to the list in b (a comma first unless it is the list's first) when b can
 * hold it and still keep reserve bytes within c's budget; false when it cannot. */
bool mcp_fits(const struct mcp_call *c, struct buf *b, size_t reserve, const struct buf *item,
	      bool first);
/* The judgements of the targets whose ids of kind `by` are ids[0..n), live and of every API,
 * newest first, into *out (in the arena), *n_out of them. */
enum status mcp_judgements(struct mcp_call *c, enum judgement_target by, const char *const *ids,
			   size_t n, struct judgement **out, size_t *n_out);

/* A table of keys by their hash, for the scans that gather by a key (sessions, groups): each
 * key an index 0, 1, ... in the order first seen; what the caller keeps of it sits at that
 * index of its own array. malloc'd: mcp_map_free. */
struct mcp_map {
	uint32_t *slot; /* open addressing: the index + 1, 0 empty */
	uint64_t *h;	/* the hash of each key, by index */
	size_t n, nslot, cap;
};
/* The index of the key of hash h that same(ctx, i) says key i is; a new index (n then grows,
 * *fresh set) when none is. */
size_t mcp_map_find(struct mcp_map *m, uint64_t h, bool (*same)(void *ctx, size_t i), void *ctx,
		    bool *fresh);
/* The index of that key without adding it: SIZE_MAX when there is none. */
size_t mcp_map_get(const struct mcp_map *m, uint64_t h, bool (*same)(void *ctx, size_t i),
		   void *ctx);
void mcp_map_clear(struct mcp_map *m);
void mcp_map_free(struct mcp_map *m);
/* Makes room for index n of an array of items of size bytes (*v, *cap: the array and its
 * room, malloc'd). */
void mcp_grow(void **v, size_t *cap, size_t n, size_t size);

/* brief.c: a span's members read off its canonical line (lib/json/jline, no parse), for the
 * scans that see every span of a trace or a window. Each member's raw JSON value, NULL when
 * the line has none. */
struct mcp_line {
	const char *v[SF__COUNT];
	size_t n[SF__COUNT];
};
/* Reads the members of the fields whose bits (1 << SF_x) are in want, stopping when it has
 * them all. */
void mcp_line_scan(const char *line, size_t len, uint64_t want, struct mcp_line *m);
/* A member as a string in a (NULL: absent), an integer (SPAN_NONE_I64: absent), a number (NAN:
 * absent), a time in us (SPAN_NONE_I64: absent), an enum's index in names (def: absent or
 * none of them). */
const char *mcp_line_str(struct arena *a, const struct mcp_line *m, enum span_field f);
int64_t mcp_line_int(const struct mcp_line *m, enum span_field f);
double mcp_line_num(const struct mcp_line *m, enum span_field f);
int64_t mcp_line_time(const struct mcp_line *m, enum span_field f);
int mcp_line_enum(const struct mcp_line *m, enum span_field f, const char *const *names, int def);
/* Characters of a member that is a string (0 when absent): what a cut of it would leave. */
size_t mcp_line_chars(const struct mcp_line *m, enum span_field f);
/* The user a span's raw attributes name (the catalog's user keys, lib/model/catalog.h), in a;
 * NULL when none. */
const char *mcp_line_user(struct arena *a, const char *line, size_t len);

/* What a turn of a conversation said: of a chat input (a list of messages, or a request's
 * messages) the last user message, of a chat output (a completion, a message) the answer's
 * text; else the text itself. *picked: a message was picked out. The text of a JSON value
 * that jansson holds lives while the arena does (arena_json). */
const char *mcp_turn_text(struct arena *a, const char *text, bool input, bool *picked);

/* The tools (traces.c, spans.c, sessions.c, stats.c, judge.c). */
enum status mcp_search_traces(struct mcp_call *c);
enum status mcp_get_trace(struct mcp_call *c);
enum status mcp_get_span(struct mcp_call *c);
enum status mcp_list_sessions(struct mcp_call *c);
enum status mcp_get_session(struct mcp_call *c);
enum status mcp_get_stats(struct mcp_call *c);
enum status mcp_add_score(struct mcp_call *c);
enum status mcp_add_comment(struct mcp_call *c);

#endif
