/* span: the Span model of the Get Span page and its canonical JSON line. */
#include "lib/model/span.h"

#include <math.h>
#include <string.h>
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"
#include "lib/model/line.h"

const char *const span_kind_names[KIND__COUNT + 1] = {
    "LLM",	"CHAIN",     "TOOL",	  "RETRIEVER", "EMBEDDING", "AGENT",
    "RERANKER", "EVALUATOR", "GUARDRAIL", "UNKNOWN",   NULL,
};
const char *const span_status_names[SPST__COUNT + 1] = {"success", "error", "cancelled", "unknown",
							NULL};
void span_init(struct span *s)
{
	memset(s, 0, sizeof(*s));
#define INIT_(ID, name, TYPE, ...) INIT_##TYPE(s->name);
#define INIT_STR(m)
#define INIT_SSTR(m)
#define INIT_OBJ(m)
#define INIT_RAW(m)
#define INIT_ENUM(m)
#define INIT_TIME(m) m = SPAN_NONE_I64
#define INIT_INT(m) m = SPAN_NONE_I64
#define INIT_NUM(m) m = NAN
	SPAN_FIELDS(INIT_)
	s->kind = KIND_UNKNOWN;
	s->status = SPST_UNKNOWN;
}

/* The json_t fields: OBJ and RAW. */
#define JSON_(ID, name, TYPE, ...) JSON_##TYPE(name)
#define JSON_STR(m)
#define JSON_SSTR(m)
#define JSON_ENUM(m)
#define JSON_TIME(m)
#define JSON_INT(m)
#define JSON_NUM(m)
#define JSON_OBJ(m) EACH_JSON(m);
#define JSON_RAW(m) EACH_JSON(m);

void span_clear(struct span *s)
{
#define EACH_JSON(m) json_decref(s->m), s->m = NULL
	SPAN_FIELDS(JSON_)
#undef EACH_JSON
}

void span_copy(struct span *dst, const struct span *src)
{
	*dst = *src;
#define EACH_JSON(m) dst->m = json_deep_copy(src->m)
	SPAN_FIELDS(JSON_)
#undef EACH_JSON
}

int span_kind_parse(const char *s)
{
	return line_lookup(span_kind_names, KIND__COUNT, s);
}

int span_status_parse(const char *s)
{
	return line_lookup(span_status_names, SPST__COUNT, s);
}

/* ---- the line ---- */

/* The writers span_render calls, one per TYPE: k[0..kn) is the member's `,"name":`. */
static void put_str(struct buf *out, const char *k, size_t kn, enum span_fpres p, const char *v)
{
	if (!v || (p == SFP_NONEMPTY && !*v))
		return;
	buf_add(out, k, kn);
	jsonw_string(out, v, strlen(v));
}

static void put_time(struct buf *out, const char *k, size_t kn, int64_t us)
{
	if (us == SPAN_NONE_I64)
		return;
	char t[34];
	t[0] = '"';
	size_t n = time_format(us, t + 1) + 1;
	t[n] = '"';
	buf_add(out, k, kn);
	buf_add(out, t, n + 1);
}

static void put_int(struct buf *out, const char *k, size_t kn, int64_t v)
{
	if (v == SPAN_NONE_I64)
		return;
	char t[24], *e = t + sizeof t, *p = e; /* as printf's %lld */
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	buf_add(out, k, kn);
	buf_add(out, p, (size_t)(e - p));
}

static void put_num(struct buf *out, const char *k, size_t kn, double v)
{
	if (isnan(v))
		return;
	buf_add(out, k, kn);
	jsonw_number(out, v);
}

static void put_obj(struct buf *out, const char *k, size_t kn, enum span_fpres p, const json_t *v)
{
	if (!v && p != SFP_ALWAYS)
		return;
	buf_add(out, k, kn);
	if (v)
		jsonw_value(out, v);
	else
		buf_add(out, "{}", 2);
}

/* put_raw's buffer, kept from span to span: one of its own each was its allocation, its
 * reallocations as it grew and its release, about 500 instructions a span (callgrind, a batch
 * of 1,000 Opik spans: 0.52M). Let go past RAW_SCRATCH_KEEP, so a worker does not hold the
 * largest object it ever wrote. */
#define RAW_SCRATCH_KEEP (64 * 1024)
static struct buf raw_scratch;

/* An object written as a JSON string of its compact JSON (raw_attributes, as the Span schema
 * has it); an empty one is omitted. */
static void put_raw(struct buf *out, const char *k, size_t kn, const json_t *v)
{
	if (!v || !json_object_size(v))
		return;
	struct buf *raw = &raw_scratch;
	jsonw_value(raw, v);
	buf_add(out, k, kn);
	jsonw_string(out, raw->p, raw->len);
	buf_scratch_done(raw, RAW_SCRATCH_KEEP);
}

void span_render(const struct span *s, struct buf *out)
{
	span_render_at(s, out, NULL, NULL);
}

void span_render_at(const struct span *s, struct buf *out, struct jline_at *at, size_t *nat)
{
	/* Field order and presence follow the Span schema of the Get Span page; responses are
	 * exclude_none, except usage_details and cost_details, which are always present. The
	 * first member has no comma before it. */
#define K_(ID, name) (&(",\"" #name "\":")[SF_##ID == 0])
#define KN_(ID, name) (sizeof ",\"" #name "\":" - 1 - (SF_##ID == 0))
#define PUT_(ID, name, TYPE, PRES, ...)                                                            \
	{                                                                                          \
		size_t at_ = out->len;                                                             \
		PUT_##TYPE(K_(ID, name), KN_(ID, name), SFP_##PRES,                                \
			   s->SPAN_MEMBER(ID, name, TYPE), name);                                  \
		if (at && out->len != at_)                                                         \
			at[n++] = (struct jline_at){                                               \
			    (uint32_t)(at_ + KN_(ID, name) - 1 - (sizeof #name)),                  \
			    (uint32_t)(sizeof #name - 1), (uint32_t)(at_ + KN_(ID, name)),         \
			    (uint32_t)(out->len - at_ - KN_(ID, name)), SF_##ID};                  \
	}
#define PUT_STR(k, kn, p, v, name) put_str(out, k, kn, p, v)
#define PUT_SSTR(k, kn, p, v, name) put_str(out, k, kn, p, v)
#define PUT_ENUM(k, kn, p, v, name) put_str(out, k, kn, p, span_##name##_names[v])
#define PUT_TIME(k, kn, p, v, name) put_time(out, k, kn, v)
#define PUT_INT(k, kn, p, v, name) put_int(out, k, kn, v)
#define PUT_NUM(k, kn, p, v, name) put_num(out, k, kn, v)
#define PUT_OBJ(k, kn, p, v, name) put_obj(out, k, kn, p, v)
#define PUT_RAW(k, kn, p, v, name) put_raw(out, k, kn, v)
	size_t o = out->len, n = 0;
	buf_addc(out, '{');
	SPAN_FIELDS(PUT_)
	buf_addc(out, '}');
	for (size_t i = 0; i < n; i++)
		at[i].k -= (uint32_t)o, at[i].v -= (uint32_t)o;
	if (nat)
		*nat = n;
}

json_t *span_raw(const struct span *s, const char *key)
{
	return s->raw_attributes ? json_object_get(s->raw_attributes, key) : NULL;
}

void span_raw_set(struct span *s, const char *key, json_t *v)
{
	if (!s->raw_attributes)
		s->raw_attributes = json_object();
	json_object_set_new(s->raw_attributes, key, v);
}

bool span_is_deleted(const struct span *s)
{
	return s->raw_attributes && json_is_true(json_object_get(s->raw_attributes, SPAN_DELETED));
}

bool span_session_default(const struct span *s)
{
	static const char pre[] = "session-";
	const size_t np = sizeof pre - 1;
	if (!s->session_id || !s->trace_id)
		return false;
	if (!strcmp(s->session_id, s->trace_id))
		return true;
	if (strncmp(s->session_id, pre, np) || strlen(s->session_id) != np + 32 || !s->workspace)
		return false;
	const char *parts[2] = {s->workspace, s->trace_id};
	char hex[33];
	hash_stable_hex(parts, 2, hex);
	return !strcmp(s->session_id + np, hex);
}

const char *span_session_default_id(struct arena *a, const char *ws, const char *trace)
{
	const char *parts[2] = {ws, trace};
	return hash_stable_id(a, "session", parts, 2);
}

void span_tombstone(struct span *out, const struct span *cur)
{
	out->span_id = cur->span_id;
	out->trace_id = cur->trace_id;
	out->parent_span_id = cur->parent_span_id;
	out->session_id = cur->session_id;
	out->workspace = cur->workspace;
	out->name = cur->name;
	out->source = cur->source;
	out->kind = cur->kind;
	out->status = cur->status;
	out->started_at = cur->started_at;
	out->ended_at = cur->ended_at;
	out->str[SS_PROJECT] = cur->str[SS_PROJECT];
	out->raw_attributes = json_pack("{s:b}", SPAN_DELETED, 1);
}

void span_line_scan(const char *line, size_t len, struct span_line *m)
{
	size_t pos = 0;
	struct jline_member f;
	m->kind = m->project = NULL;
	m->kindn = m->projectn = m->attrsn = 0;
	m->attrs_state = -1;
	while (jline_next(line, len, &pos, &f)) {
		if (f.kn == 4 && !memcmp(f.k, "kind", 4)) {
			m->kind = f.v;
			m->kindn = f.vn;
		} else if (f.kn == 7 && !memcmp(f.k, "project", 7)) {
			m->project = f.v;
			m->projectn = f.vn;
		} else if (f.kn == 14 && !memcmp(f.k, "raw_attributes", 14)) {
			size_t n = jline_unquote(f.v, f.vn, m->attrs, sizeof m->attrs);
			m->attrs_state = n != (size_t)-1 && n >= 2 && m->attrs[0] == '{' ? 1 : 0;
			m->attrsn = m->attrs_state > 0 ? n : 0;
		}
	}
}

int span_line_attr(const struct span_line *m, const char *key, const char **v, size_t *vn)
{
	if (m->attrs_state <= 0)
		return m->attrs_state;
	return jline_get(m->attrs, m->attrsn, key, v, vn) ? 1 : -1;
}

/* The readers span_parse calls, one per TYPE: false when the member makes the line no span
 * (a REQ one absent, a time or an enum that is none, raw_attributes that hold no object). */
static bool get_str(json_t *o, const char *k, enum span_fpres p, const char **v)
{
	*v = line_get_str(o, k);
	return *v || p != SFP_REQ;
}

static bool get_time(json_t *o, const char *k, enum span_fpres p, int64_t *us)
{
	return line_get_time(o, k, us) && (*us != SPAN_NONE_I64 || p != SFP_REQ);
}

static bool get_enum(json_t *o, const char *k, int (*parse)(const char *), int *v)
{
	return (*v = parse(line_get_str(o, k))) >= 0;
}

static bool get_raw(json_t *o, const char *k, json_t **v)
{
	const char *raw = line_get_str(o, k);
	if (!raw)
		return true;
	size_t pos;
	*v = jsonx_parse_with(raw, strlen(raw), JSONX_DEEP, &pos, NULL);
	return json_is_object(*v);
}

bool span_parse(const char *line, size_t len, struct span *s, json_t **root)
{
	span_init(s);
	*root = line_parse(line, len);
	json_t *o = *root;
	int e;
	if (!json_is_object(o))
		goto bad;
#define GET_(ID, name, TYPE, PRES, ...)                                                            \
	if (!GET_##TYPE(#name, SFP_##PRES, s->SPAN_MEMBER(ID, name, TYPE), name))                  \
		goto bad;
#define GET_STR(k, p, m, name) get_str(o, k, p, &m)
#define GET_SSTR(k, p, m, name) get_str(o, k, p, &m)
#define GET_ENUM(k, p, m, name) (get_enum(o, k, span_##name##_parse, &e) && ((m = e), true))
#define GET_TIME(k, p, m, name) get_time(o, k, p, &m)
#define GET_INT(k, p, m, name) ((m = line_get_int(o, k)), true)
#define GET_NUM(k, p, m, name) ((m = line_get_num(o, k)), true)
#define GET_OBJ(k, p, m, name) ((m = line_get_obj(o, k)), true)
#define GET_RAW(k, p, m, name) get_raw(o, k, &m)
	SPAN_FIELDS(GET_)
	return true;
bad:
	span_clear(s);
	json_decref(*root);
	*root = NULL;
	return false;
}

const char *span_id_problem(const char *id)
{
	size_t bytes = strlen(id), n = bytes;

	/* Characters are counted only when the bytes could be too many, or none could start
	 * one: else there are 1 to bytes of them, and both bounds hold. */
	if (bytes > SPAN_MAX_ID || ((unsigned char)id[0] & 0xc0) == 0x80) {
		n = 0;
		for (const unsigned char *p = (const unsigned char *)id; *p; p++)
			n += (*p & 0xc0) != 0x80;
	}
	if (n == 0)
		return "String should have at least 1 character";
	if (n > SPAN_MAX_ID)
		return "String should have at most 1024 characters";
	/* The web server resolves a '.' or '..' between slashes of the decoded path (a%2F..
	 * reaches no program), so no part of an id between its slashes may be one. */
	if (!memchr(id, '.', bytes))
		return NULL;
	for (const char *p = id;; p++) {
		size_t k = strcspn(p, "/");
		if ((k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
			return "Value error, an id cannot be '.' or '..', nor have one between its "
			       "slashes: it could not be fetched by id";
		p += k;
		if (!*p)
			break;
	}
	return NULL;
}
