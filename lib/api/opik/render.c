/* render: spandex spans read back as Opik's Span or Trace (map.h): the member table of a
 * rendered item in Opik's order and its hooks, the usage, the created_at of a stored line. */
#include "lib/api/opik/map.h"
#include "lib/api/opik/judgements/judged.h"
#include "lib/api/opik/map_int.h"

#include <math.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/catalog.h"
#include "lib/model/crosswalk.h"

static bool excluded(json_t *exclude, const char *name)
{
	size_t i;
	json_t *x;
	json_array_foreach(exclude, i, x)
	{
		if (json_is_string(x) && !strcmp(json_string_value(x), name))
			return true;
	}
	return false;
}

static void key(struct buf *b, bool *first, const char *name)
{
	buf_adds(b, *first ? "{\"" : ",\"");
	buf_adds(b, name);
	buf_adds(b, "\":");
	*first = false;
}

static void str_or_null(struct buf *b, const char *s)
{
	if (s)
		jsonw_string(b, s, strlen(s));
	else
		buf_adds(b, "null");
}

/* What the SDK takes for input, output and metadata (§4.4): an object, an array of objects
 * or a string. */
static bool payload_ok(json_t *j)
{
	bool ok = json_is_object(j) || json_is_string(j);
	if (json_is_array(j)) {
		size_t i;
		json_t *x;
		ok = true;
		json_array_foreach(j, i, x) ok = ok && json_is_object(x);
	}
	return ok;
}

void opik_text_out(struct buf *b, const char *text)
{
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	if (payload_ok(j))
		jsonw_value(b, j);
	else
		jsonw_string(b, text, strlen(text));
	json_decref(j);
}

static void time_out(struct buf *b, int64_t us)
{
	char ts[40];
	time_format(us, ts);
	jsonw_string(b, ts, strlen(ts));
}

json_t *opik_usage(const struct span *s, const struct query_rollup *u, enum opik_entity ent)
{
	static const char *const names[] = {"prompt_tokens", "completion_tokens", "total_tokens"};
	int64_t v[3] = {s->input_tokens, s->output_tokens, s->total_tokens};
	bool has[3] = {v[0] != SPAN_NONE_I64, v[1] != SPAN_NONE_I64, v[2] != SPAN_NONE_I64};
	if (ent == OPIK_TRACE && u) {
		v[0] = u->tok[QT_INPUT], v[1] = u->tok[QT_OUTPUT], v[2] = u->tok[QT_TOTAL];
		has[0] = u->has_tok[QT_INPUT], has[1] = u->has_tok[QT_OUTPUT],
		has[2] = u->has_tok[QT_TOTAL];
	}
	json_t *o = json_object();
	for (int i = 0; i < 3; i++)
		if (has[i])
			json_object_set_new(o, names[i], json_integer(v[i]));
	/* A span's details sit beside its counts (OpenInference sends reasoning tokens as a
	 * detail): a detail never hides a count, and a count the client named itself stays. */
	if (ent == OPIK_SPAN && s->usage_details)
		json_object_update_missing(o, s->usage_details);
	return o;
}

/* The input and output as the span's line holds them (JSON string literals), when the caller
 * took them out of the line before parsing it; NULL for absent. */
struct raw_io {
	const char *v[2];
	size_t n[2];
};

/* input or output (§4.4) from its literal: the literal itself when its text cannot be an
 * object, an array or a string (it does not start, after white space, with {, [ or an
 * escaped quote), so the long texts of most spans are copied, not parsed and written again;
 * else as opik_text_out decides. */
static void raw_text_out(struct buf *b, struct arena *a, const char *v, size_t vn)
{
	size_t i = 1; /* past the quote, over white space: raw, or escaped as \n \t \r */
	for (;;) {
		if (i + 1 < vn && v[i] == ' ')
			i++;
		else if (i + 2 < vn && v[i] == '\\' && memchr("ntr", v[i + 1], 3))
			i += 2;
		else
			break;
	}
	if (i + 1 < vn && v[i] != '{' && v[i] != '[' && !(v[i] == '\\' && v[i + 1] == '"')) {
		buf_add(b, v, vn);
		return;
	}
	char *text = arena_alloc(a, vn + 1);
	size_t tn = jline_unquote(v, vn, text, vn + 1);
	if (tn == (size_t)-1) {
		buf_add(b, v, vn); /* not reached for a line spandex wrote */
		return;
	}
	text[tn] = 0;
	opik_text_out(b, text);
}

static void render(struct buf *out, struct arena *a, enum opik_entity ent, const struct span *s,
		   const struct query_rollup *u, const struct opik_marks *marks, json_t *exclude,
		   const struct raw_io *io);

void opik_render(struct buf *out, struct arena *a, enum opik_entity ent, const struct span *s,
		 const struct query_rollup *u, const struct opik_marks *marks, json_t *exclude)
{
	render(out, a, ent, s, u, marks, exclude, NULL);
}

bool opik_render_line(struct buf *out, struct arena *a, enum opik_entity ent, const char *line,
		      size_t n, const struct query_rollup *u, const struct opik_marks *marks,
		      json_t *exclude)
{
	struct raw_io io = {{NULL, NULL}, {0, 0}};
	struct buf *slim = arena_buf(a);
	struct jline_member m;
	size_t pos = 0, last = 0;
	while (jline_next(line, n, &pos, &m)) {
		int k = m.kn == 5 && !memcmp(m.k, "input", 5)	 ? 0
			: m.kn == 6 && !memcmp(m.k, "output", 6) ? 1
								 : -1;
		if (k < 0 || m.start == 0 || m.vn < 2 || m.v[0] != '"')
			continue;
		buf_add(slim, line + last, m.start - last);
		last = m.end;
		io.v[k] = m.v;
		io.n[k] = m.vn;
	}
	buf_add(slim, line + last, n - last);
	struct span s;
	json_t *root;
	if (!span_parse(slim->p, slim->len, &s, &root))
		return false;
	render(out, a, ent, &s, u, marks, exclude, &io);
	span_clear(&s);
	json_decref(root);
	return true;
}

/* ---- the members of a rendered trace or span, in Opik's order ---- */

/* What a member's writer has at hand. */
struct out {
	struct buf *b;
	struct arena *a;
	enum opik_entity ent;
	const struct span *s;
	const struct query_rollup *u;	/* a trace's rollup of its spans, or NULL */
	const struct opik_marks *marks; /* its scores and comments, or NULL */
	const struct raw_io *io;	/* input and output as the line holds them, or NULL */
	json_t *exclude;
	bool first;
};
struct member;
/* Writes the member (its key through member_key, then its value) when the span has one. */
typedef void out_fn(struct out *o, const struct member *m);

static void member_key(struct out *o, const struct member *m);

static const char *project_of(const struct span *s)
{
	return s->str[SS_PROJECT] ? s->str[SS_PROJECT] : OPIK_DEFAULT_PROJECT;
}

static void o_id(struct out *o, const struct member *m)
{
	member_key(o, m);
	str_or_null(o->b, o->ent == OPIK_TRACE ? o->s->trace_id : o->s->span_id);
}

static void o_project(struct out *o, const struct member *m)
{
	member_key(o, m);
	jsonw_string(o->b, project_of(o->s), strlen(project_of(o->s)));
}

static void o_project_id(struct out *o, const struct member *m)
{
	member_key(o, m);
	str_or_null(o->b, opik_project_id(o->a, project_of(o->s)));
}

static void o_trace(struct out *o, const struct member *m)
{
	member_key(o, m);
	str_or_null(o->b, o->s->trace_id);
}

/* The trace's row is no span of Opik's: its children are the trace's top spans. */
static void o_parent(struct out *o, const struct member *m)
{
	const struct span *s = o->s;
	bool top = !s->parent_span_id || !*s->parent_span_id ||
		   (s->trace_id && !strcmp(s->parent_span_id, s->trace_id));
	member_key(o, m);
	str_or_null(o->b, top ? NULL : s->parent_span_id);
}

static void o_type(struct out *o, const struct member *m)
{
	const char *t = crosswalk_type(&opik_crosswalk, o->s);
	member_key(o, m);
	jsonw_string(o->b, t, strlen(t));
}

static void o_str(struct out *o, const struct member *m);
static void o_time(struct out *o, const struct member *m);
static void o_text(struct out *o, const struct member *m);
static void o_kept(struct out *o, const struct member *m);
static void o_thread(struct out *o, const struct member *m);
static void o_error(struct out *o, const struct member *m);
static void o_usage(struct out *o, const struct member *m);
static void o_cost(struct out *o, const struct member *m);
static void o_duration(struct out *o, const struct member *m);
static void o_scores(struct out *o, const struct member *m);
static void o_comments(struct out *o, const struct member *m);
static void o_const(struct out *o, const struct member *m);
static void o_created(struct out *o, const struct member *m);
static void o_updated(struct out *o, const struct member *m);
static void o_span_count(struct out *o, const struct member *m);
static void o_llm_count(struct out *o, const struct member *m);
static void o_has_tools(struct out *o, const struct member *m);

/* Where Opik's Span shows the line's fields (the members below put them there). */
const char *const opik_field_names[SF__COUNT] = {
    [SF_SPAN_ID] = "id",
    [SF_PROJECT] = "project_name",
    [SF_PARENT_SPAN_ID] = "parent_span_id",
    [SF_KIND] = "type",
    [SF_NAME] = "name",
    [SF_TRACE_ID] = "trace_id",
    [SF_STARTED_AT] = "start_time",
    [SF_ENDED_AT] = "end_time",
    [SF_ERROR_TYPE] = "error_info.exception_type",
    [SF_ERROR_MESSAGE] = "error_info.message",
    [SF_PROVIDER] = "provider",
    [SF_MODEL] = "model",
    [SF_INPUT_TOKENS] = "usage.prompt_tokens",
    [SF_OUTPUT_TOKENS] = "usage.completion_tokens",
    [SF_TOTAL_TOKENS] = "usage.total_tokens",
    [SF_COST_TOTAL_USD] = "total_estimated_cost",
    [SF_INPUT] = "input",
    [SF_OUTPUT] = "output",
};

enum { M_ALWAYS, M_EXCLUDABLE }; /* whether `exclude` may leave the member out */

static const struct member {
	const char *name;
	out_fn *put;
	int only;	  /* -1 both, else the one enum opik_entity that has it */
	int excl;	  /* M_ALWAYS or M_EXCLUDABLE */
	int arg;	  /* o_str: enum span_str; o_time, o_text: 0 start/input, 1 end/output */
	const char *text; /* o_const: the value */
} members[] = {
    {"id", o_id, -1, M_ALWAYS, 0, NULL},
    {"project_name", o_project, -1, M_ALWAYS, 0, NULL},
    {"project_id", o_project_id, -1, M_ALWAYS, 0, NULL},
    {"trace_id", o_trace, OPIK_SPAN, M_ALWAYS, 0, NULL},
    {"parent_span_id", o_parent, OPIK_SPAN, M_ALWAYS, 0, NULL},
    {"type", o_type, OPIK_SPAN, M_EXCLUDABLE, 0, NULL},
    {"name", o_str, -1, M_EXCLUDABLE, -1, NULL},
    {"start_time", o_time, -1, M_EXCLUDABLE, 0, NULL},
    {"end_time", o_time, -1, M_EXCLUDABLE, 1, NULL},
    {"input", o_text, -1, M_EXCLUDABLE, 0, NULL},
    {"output", o_text, -1, M_EXCLUDABLE, 1, NULL},
    {"model", o_str, OPIK_SPAN, M_EXCLUDABLE, SS_MODEL, NULL},
    {"provider", o_str, OPIK_SPAN, M_EXCLUDABLE, SS_PROVIDER, NULL},
    /* What was kept verbatim (put_keep of map.c's field table), each excludable. */
    {NULL, o_kept, -1, M_ALWAYS, 0, NULL},
    {"thread_id", o_thread, OPIK_TRACE, M_EXCLUDABLE, 0, NULL},
    {"error_info", o_error, -1, M_EXCLUDABLE, 0, NULL},
    {"usage", o_usage, -1, M_EXCLUDABLE, 0, NULL},
    {"total_estimated_cost", o_cost, -1, M_EXCLUDABLE, 0, NULL},
    {"duration", o_duration, -1, M_EXCLUDABLE, 0, NULL},
    {"feedback_scores", o_scores, -1, M_EXCLUDABLE, 0, NULL},
    {"comments", o_comments, -1, M_EXCLUDABLE, 0, NULL},
    {"created_at", o_created, -1, M_EXCLUDABLE, 0, NULL},
    {"last_updated_at", o_updated, -1, M_EXCLUDABLE, 0, NULL},
    {"created_by", o_const, -1, M_EXCLUDABLE, 0, "\"admin\""},
    {"last_updated_by", o_const, -1, M_EXCLUDABLE, 0, "\"admin\""},
    {"span_count", o_span_count, OPIK_TRACE, M_EXCLUDABLE, 0, NULL},
    {"llm_span_count", o_llm_count, OPIK_TRACE, M_EXCLUDABLE, 0, NULL},
    {"has_tool_spans", o_has_tools, OPIK_TRACE, M_EXCLUDABLE, 0, NULL},
};

static void member_key(struct out *o, const struct member *m)
{
	key(o->b, &o->first, m->name);
}

/* name (arg -1) or a typed string (model, provider), when the span has it. */
static void o_str(struct out *o, const struct member *m)
{
	const char *v = m->arg < 0 ? o->s->name : o->s->str[m->arg];
	if (!v)
		return;
	member_key(o, m);
	jsonw_string(o->b, v, strlen(v));
}

static void o_time(struct out *o, const struct member *m)
{
	int64_t us = m->arg ? o->s->ended_at : o->s->started_at;
	if (m->arg && us == SPAN_NONE_I64)
		return;
	member_key(o, m);
	time_out(o->b, us);
}

static void o_text(struct out *o, const struct member *m)
{
	const char *text = m->arg ? o->s->output : o->s->input;
	bool raw = o->io && o->io->v[m->arg];
	if (!text && !raw)
		return;
	member_key(o, m);
	if (raw)
		raw_text_out(o->b, o->a, o->io->v[m->arg], o->io->n[m->arg]);
	else
		opik_text_out(o->b, text);
}

/* Langfuse's completion start (the JSON text of a Date, "\"2026-...Z\"", or the time), less
 * the span's start, in ms. */
static bool ttft_since_start(const struct span *s, const char *t, double *ms)
{
	char at[64];
	size_t n = strlen(t);
	int64_t us;
	if (n >= 2 && t[0] == '"' && t[n - 1] == '"')
		t++, n -= 2;
	if (n >= sizeof at)
		return false;
	memcpy(at, t, n);
	at[n] = '\0';
	if (!time_parse(at, true, &us) || us < s->started_at)
		return false;
	*ms = (double)(us - s->started_at) / 1000.0;
	return true;
}

bool opik_ttft(const struct span *s, double *ms)
{
	size_t n;
	const struct catalog_source *src;
	json_t *t = span_raw(s, "opik.ttft");
	if (t) {
		*ms = json_number_value(t);
		return json_is_number(t);
	}
	/* A span that came another way: the conventions' time to the first chunk, in the unit
	 * each source names, or the time the completion started (catalog_rows.c). */
	src = catalog_sources(&n);
	for (size_t i = 0; i < n; i++) {
		json_t *v;
		double scale;
		if (src[i].field != CATALOG_FIRST_CHUNK || !(v = span_raw(s, src[i].key)))
			continue;
		if (!strcmp(src[i].value, CATALOG_UNIT_AT)) {
			if (json_is_string(v) && ttft_since_start(s, json_string_value(v), ms))
				return true;
			continue;
		}
		scale = !strcmp(src[i].value, CATALOG_UNIT_S) ? 1000 : 1;
		if (json_is_number(v) && json_number_value(v) >= 0) {
			*ms = json_number_value(v) * scale;
			return isfinite(*ms);
		}
	}
	return false;
}

/* The members kept verbatim; ttft, when no Opik client sent one, as opik_ttft finds it. */
static void o_kept(struct out *o, const struct member *m)
{
	const char *name, *raw;
	int only;
	double ms;
	(void)m;
	for (size_t i = 0; opik_kept_row(i, &name, &raw, &only); i++) {
		if (!name || excluded(o->exclude, name) || (only >= 0 && only != (int)o->ent))
			continue;
		json_t *x = span_raw(o->s, raw);
		if (x) {
			key(o->b, &o->first, name);
			/* metadata the SDK would refuse (a list of strings) reads as its text, as
			 * input and output do */
			if (!strcmp(name, "metadata") && !payload_ok(x)) {
				struct buf *t = arena_buf(o->a);
				jsonw_value(t, x);
				jsonw_string(o->b, t->p, t->len);
			} else {
				jsonw_value(o->b, x);
			}
		} else if (!strcmp(name, "ttft") && opik_ttft(o->s, &ms)) {
			key(o->b, &o->first, name);
			jsonw_real(o->b, ms);
		}
	}
}

static void o_thread(struct out *o, const struct member *m)
{
	const char *t = opik_thread_of(o->s);
	if (!t)
		return;
	member_key(o, m);
	jsonw_string(o->b, t, strlen(t));
}

/* The error_info object as it came, or one made from the typed fields of a span that came
 * another way. */
static void o_error(struct out *o, const struct member *m)
{
	const struct span *s = o->s;
	json_t *e = span_raw(s, "opik.error_info");
	if (s->status != SPST_ERROR)
		return;
	member_key(o, m);
	if (e) {
		jsonw_value(o->b, e);
		return;
	}
	const char *t = s->str[SS_ERROR_TYPE] ? s->str[SS_ERROR_TYPE] : "Error";
	buf_adds(o->b, "{\"exception_type\":");
	jsonw_string(o->b, t, strlen(t));
	if (s->str[SS_ERROR_MESSAGE]) {
		buf_adds(o->b, ",\"message\":");
		jsonw_string(o->b, s->str[SS_ERROR_MESSAGE], strlen(s->str[SS_ERROR_MESSAGE]));
	}
	buf_adds(o->b, ",\"traceback\":\"\"}");
}

static void o_usage(struct out *o, const struct member *m)
{
	json_t *usage = opik_usage(o->s, o->u, o->ent);
	if (json_object_size(usage)) {
		member_key(o, m);
		jsonw_value(o->b, usage);
	}
	json_decref(usage);
}

static void o_cost(struct out *o, const struct member *m)
{
	const struct query_rollup *u = o->u;
	double cost = o->ent == OPIK_TRACE && u ? (u->has_cost[QC_TOTAL] ? u->cost[QC_TOTAL] : NAN)
						: o->s->cost_total_usd;
	if (isnan(cost))
		return;
	member_key(o, m);
	jsonw_number(o->b, round(cost * 1e6) / 1e6);
}

static void o_duration(struct out *o, const struct member *m)
{
	if (o->s->ended_at == SPAN_NONE_I64)
		return;
	member_key(o, m);
	jsonw_number(o->b, (double)(o->s->ended_at - o->s->started_at) / 1000.0);
}

static void o_scores(struct out *o, const struct member *m)
{
	member_key(o, m);
	opik_scores_out(o->b, o->a, o->marks, span_raw(o->s, OPIK_LEGACY_SCORES));
}

static void o_comments(struct out *o, const struct member *m)
{
	member_key(o, m);
	opik_comments_out(o->b, o->a, o->marks);
}

static void o_const(struct out *o, const struct member *m)
{
	member_key(o, m);
	buf_adds(o->b, m->text);
}

static void o_created(struct out *o, const struct member *m)
{
	json_t *created = span_raw(o->s, "opik.created_at");
	member_key(o, m);
	if (json_is_string(created))
		jsonw_value(o->b, created);
	else
		time_out(o->b, o->s->ingested_at);
}

int64_t opik_line_created(struct arena *a, const char *raw, size_t rawn, int64_t ingested)
{
	static const char key[] = "opik.created_at";
	const char *text, *v;
	size_t vn;
	int64_t us;
	/* Most lines of other APIs hold no such key: their attributes are not decoded. */
	if (!raw || !memmem(raw, rawn, key, sizeof key - 1) || !(text = jline_text(a, raw, rawn)) ||
	    !jline_get(text, strlen(text), key, &v, &vn) || !(text = jline_text(a, v, vn)) ||
	    !time_parse(text, false, &us))
		return ingested;
	return us;
}

/* Kept verbatim when the client sent it (o_kept); else the version's own time. */
static void o_updated(struct out *o, const struct member *m)
{
	if (span_raw(o->s, "opik.last_updated_at"))
		return;
	member_key(o, m);
	time_out(o->b, o->s->ingested_at);
}

/* The trace's own row is not one of its spans. */
static void o_span_count(struct out *o, const struct member *m)
{
	if (!o->u)
		return;
	member_key(o, m);
	buf_printf(o->b, "%lld", (long long)(o->u->spans - (opik_is_trace_row(o->s) ? 1 : 0)));
}

/* Of the trace's spans, those of type llm (its own row is of none). */
static void o_llm_count(struct out *o, const struct member *m)
{
	if (!o->u)
		return;
	member_key(o, m);
	buf_printf(o->b, "%lld", (long long)o->u->llm);
}

static void o_has_tools(struct out *o, const struct member *m)
{
	if (!o->u)
		return;
	member_key(o, m);
	buf_adds(o->b, o->u->tools ? "true" : "false");
}

static void render(struct buf *out, struct arena *a, enum opik_entity ent, const struct span *s,
		   const struct query_rollup *u, const struct opik_marks *marks, json_t *exclude,
		   const struct raw_io *io)
{
	struct out o = {out, a, ent, s, u, marks, io, exclude, true};

	for (size_t i = 0; i < sizeof members / sizeof *members; i++) {
		const struct member *m = &members[i];
		if ((m->only < 0 || m->only == (int)ent) &&
		    !(m->excl == M_EXCLUDABLE && excluded(exclude, m->name)))
			m->put(&o, m);
	}
	buf_addc(out, '}');
}
