/* judge: add_score and add_comment, judgements (lib/model/judgement.h) of a span, a trace or a
 * session that is stored, written through this surface (api "mcp") with the key's id as their
 * author. A score's id is made from its target, name and author, so that an agent scoring the
 * same thing again replaces its score (the store's newest-wins); a comment is new each time.
 * Which API shows what is each surface's view (struct judgement_view), the ones the program
 * hands this surface (mcp_views): the answer names them. */
#include "lib/api/mcp/tool.h"

#include <math.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/ingest/ingest.h"
#include "lib/json/jline.h"

/* This surface's name in a judgement's "api" (judgement_api_valid). */
#define MCP_API "mcp"

const struct judgement_view *const *mcp_views;

/* The span's trace, session (its own, or its trace's when it names none) and project. */
static bool span_target(struct mcp_call *c, const char *id, struct judgement *j)
{
	struct span s;
	json_t *root;
	struct query q;
	if (!query_span_get(api_store(c->req), c->ws, c->a, id, &s, &root) || span_is_deleted(&s))
		return false;
	mcp_query_init(c, &q);
	const char *session = query_span_session(&q, &s);
	j->span_id = id;
	j->trace_id = s.trace_id ? arena_strdup(c->a, s.trace_id) : NULL;
	j->session_id = session ? arena_strdup(c->a, session) : NULL;
	j->project = s.str[SS_PROJECT] ? arena_strdup(c->a, s.str[SS_PROJECT]) : NULL;
	span_clear(&s);
	json_decref(root);
	return true;
}

/* The trace's session and project, as its root gives them. */
static enum status trace_target(struct mcp_call *c, const char *id, struct judgement *j)
{
	struct query q;
	struct query_trace t;
	struct mcp_line m;
	mcp_query_init(c, &q);
	enum status st = query_trace_find(&q, id, &t);
	if (st != ST_OK)
		return st;
	mcp_line_scan(t.root.line, t.root.len,
		      (uint64_t)1 << SF_SESSION_ID | (uint64_t)1 << SF_PROJECT, &m);
	j->trace_id = id;
	j->session_id = t.session ? jline_text(c->a, t.session, strlen(t.session))
				  : mcp_line_str(c->a, &m, SF_SESSION_ID);
	j->project = mcp_line_str(c->a, &m, SF_PROJECT);
	return ST_OK;
}

/* The target of c's arguments, stored: exactly one of span_id, trace_id and session_id. */
static enum status target(struct mcp_call *c, struct judgement *j)
{
	const char *span = mcp_str(c, "span_id"), *trace = mcp_str(c, "trace_id");
	const char *session = mcp_str(c, "session_id");
	struct query q;
	struct query_session s;
	if (!!span + !!trace + !!session != 1)
		return mcp_fail(c, ST_BAD_REQUEST,
				"Give exactly one of span_id, trace_id and "
				"session_id: what the judgement is on.");
	if (span) {
		j->target = JT_SPAN;
		return span_target(c, span, j)
			   ? ST_OK
			   : mcp_fail(c, ST_NOT_FOUND, "No span '%.200s' in workspace '%s'.", span,
				      c->ws);
	}
	mcp_query_init(c, &q);
	enum status st = trace ? trace_target(c, trace, j) : query_session_find(&q, session, &s);
	if (st == ST_NOT_FOUND)
		return mcp_fail(c, st, "No %s '%.200s' in workspace '%s'.",
				trace ? "trace" : "session", trace ? trace : session, c->ws);
	if (st != ST_OK)
		return mcp_query_fail(c, &q, st);
	j->target = trace ? JT_TRACE : JT_SESSION;
	if (session)
		j->session_id = session;
	return ST_OK;
}

struct put {
	const struct judgement *j;
	bool replaced;
};

/* Under the judgement store's lock: j, keeping the creation of the version it replaces. */
static enum status merge(void *ctx, struct arena *a, const char *id, const struct judgement *cur,
			 struct judgement *out, struct err *e)
{
	struct put *p = ctx;
	(void)a, (void)id, (void)e;
	judgement_copy(out, p->j);
	if (cur && !cur->deleted) {
		p->replaced = true;
		out->created_at = cur->created_at;
		out->updated_at = p->j->created_at;
	}
	return ST_OK;
}

/* Stores j and writes the answer: what was stored, and where it shows. */
static enum status store(struct mcp_call *c, struct judgement *j)
{
	struct err e = {0};
	/* Through lib/ingest, which redacts it (docs/redaction.md). */
	struct ingest_to to = {
	    .st = api_store(c->req), .ws = c->ws, .a = c->a, INGEST_SETTINGS(http_env, c->req)};
	struct put p = {j, false};
	j->workspace = c->ws;
	j->source = JS_API;
	j->api = MCP_API;
	j->author = c->req->principal;
	j->created_at = time_now();
	enum status st = ingest_update_judgements(&to, &j->id, 1, merge, &p, &e);
	if (st != ST_OK)
		return mcp_fail(c, st, "Not stored (%s); try again in a moment.", err_text(&e));
	struct buf *b = c->out;
	buf_addc(b, '{');
	mcp_put_str(b, "stored", p.replaced ? "replaced your earlier one" : "new");
	mcp_put_str(b, "id", j->id);
	mcp_put_str(b, "workspace", c->ws);
	mcp_put_str(b, "on", judgement_target_names[j->target]);
	mcp_put_str(b, "span_id", j->span_id);
	mcp_put_str(b, "trace_id", j->trace_id);
	mcp_put_str(b, "session_id", j->session_id);
	buf_adds(b, ",\"judgement\":");
	mcp_put_judgement(b, j);
	buf_adds(b, ",\"shown_by\":[");
	bool first = true;
	for (const struct judgement_view *const *v = mcp_views; v && *v; v++)
		if (judgement_shows(j, *v)) {
			buf_printf(b, "%s\"%s\"", first ? "" : ",", (*v)->what);
			first = false;
		}
	buf_adds(b, "]}");
	return ST_OK;
}

enum status mcp_add_score(struct mcp_call *c)
{
	struct judgement j;
	double value = NAN;
	bool has_value = mcp_num(c, "value", &value);
	judgement_init(&j);
	j.name = mcp_str(c, "name");
	j.label = mcp_str(c, "label");
	j.text = mcp_str(c, "reason");
	if (!has_value && !j.label)
		return mcp_fail(c, ST_BAD_REQUEST,
				"A score needs value (a number), label (a "
				"category) or both.");
	enum status st = target(c, &j);
	if (st != ST_OK)
		return st;
	j.value = value;
	j.kind = j.label ? JK_CATEGORY : JK_NUMBER;
	j.subtype = "score";
	const char *parts[] = {judgement_target_names[j.target], judgement_target_id(&j), j.name,
			       c->req->principal};
	j.id = judgement_key_id(c->a, "mcp-", parts, 4);
	return store(c, &j);
}

enum status mcp_add_comment(struct mcp_call *c)
{
	struct judgement j;
	judgement_init(&j);
	j.text = mcp_str(c, "text");
	enum status st = target(c, &j);
	if (st != ST_OK)
		return st;
	j.kind = JK_COMMENT;
	j.subtype = "comment";
	j.id = hash_uuid(c->a, 7);
	return store(c, &j);
}
