/* record: index records and index headers (see record.h; the format is in
 * docs/FORMAT.md, "The index record"). */
#include "lib/store/record.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/store/io.h"

_Static_assert(sizeof(struct idx_rec) == 128, "idx_rec is 128 bytes");
_Static_assert(sizeof(struct idx_hdr) == STORE_IDX_HDR, "idx header is 128 bytes");
_Static_assert(offsetof(struct idx_hdr, committed) == STORE_IDX_COMMITTED_AT,
	       "committed count where store.h says");

uint64_t rec_sig_bits(int field, const char *value, size_t n)
{
	uint64_t h = hash_bytes(value, n) ^ ((uint64_t)(field + 1) * 0x9e3779b97f4a7c15ull);
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (1ull << (h & 63)) | (1ull << ((h >> 6) & 63));
}

uint64_t store_dayindex_hash(const char *v, size_t n)
{
	uint64_t h = hash_bytes(v, n);
	return h == DAYINDEX_ABSENT ? 1 : h == DAYINDEX_UNKNOWN ? h - 1 : h;
}

static uint64_t id_hash(const char *s)
{
	return s ? hash_bytes(s, strlen(s)) : 0;
}

/* Every ingest refuses a count past UINT32_MAX (CATALOG_MAX_TOKENS); the clamp is for lines
 * stored before that limit. */
static void set_tok(int64_t v, uint32_t *out, uint16_t *flags, uint16_t bit)
{
	if (v == SPAN_NONE_I64)
		return;
	*out = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	*flags |= bit;
}

/* A cost that is no finite number is written null on the line (span_render), so the record
 * has none either: the two agree for spandex verify. */
static void set_cost(double v, double *out, uint16_t *flags, uint16_t bit)
{
	if (!isfinite(v))
		return;
	*out = v;
	*flags |= bit;
}

/* The signature bits of string v of signature field bit (none: -1). */
static void sig_str(struct idx_rec *r, int bit, const char *v)
{
	if (bit >= 0 && v)
		r->sig |= rec_sig_bits(bit, v, strlen(v));
}

/* r from the strings, times, tokens and costs of s; extra: the flags read off its JSON
 * members (REC_NO_ATTRS, REC_DELETED); eval_sig: the signature bits of its evaluation
 * context. */
static void rec_fill(const struct span *s, uint16_t extra, uint64_t eval_sig, struct idx_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->span_h = id_hash(s->span_id);
	r->trace_h = id_hash(s->trace_id);
	r->session_h = id_hash(s->session_id);
	bool root = !s->parent_span_id || !*s->parent_span_id;
	r->parent_h = root ? 0 : id_hash(s->parent_span_id);
	r->started_us = s->started_at;
	r->ended_us = s->ended_at;
	r->ingested_us = s->ingested_at;
	r->kind = (uint8_t)s->kind;
	r->status = (uint8_t)s->status;
	r->flags = (uint16_t)((root ? REC_ROOT : 0) | extra);
	if (s->trace_id)
		r->flags |= REC_HAS_TRACE;
	if (span_session_default(s))
		r->flags |= REC_SESSION_DEFAULT;
	set_tok(s->input_tokens, &r->in_tok, &r->flags, REC_HAS_IN_TOK);
	set_tok(s->output_tokens, &r->out_tok, &r->flags, REC_HAS_OUT_TOK);
	set_tok(s->cached_tokens, &r->cached_tok, &r->flags, REC_HAS_CACHED_TOK);
	set_tok(s->total_tokens, &r->total_tok, &r->flags, REC_HAS_TOTAL_TOK);
	set_cost(s->cost_total_usd, &r->cost_total, &r->flags, REC_HAS_COST_TOTAL);
	set_cost(s->cost_input_usd, &r->cost_in, &r->flags, REC_HAS_COST_IN);
	set_cost(s->cost_output_usd, &r->cost_out, &r->flags, REC_HAS_COST_OUT);
	r->sig = eval_sig;
#define SIG_(ID, name, TYPE, PRES, rec, bit, ...)                                                  \
	SPAN_IF_STRING(TYPE)(sig_str(r, bit, s->SPAN_MEMBER(ID, name, TYPE));)
	SPAN_FIELDS(SIG_)
#undef SIG_
	r->source_h = (uint32_t)id_hash(s->source);
}

void rec_from_span(const struct span *s, struct idx_rec *r)
{
	uint16_t extra = 0;
	uint64_t sig = 0;
	if (!s->raw_attributes ||
	    !json_object_size(s->raw_attributes)) /* as span_render omits it */
		extra |= REC_NO_ATTRS;
	if (span_is_deleted(s))
		extra |= REC_DELETED;
	for (int k = 0; k < SE__COUNT && s->evaluation_context; k++) {
		json_t *v = json_object_get(s->evaluation_context, span_eval_keys[k].name);
		if (json_is_string(v))
			sig |= rec_sig_bits(span_eval_keys[k].sig, json_string_value(v),
					    json_string_length(v));
	}
	rec_fill(s, extra, sig, r);
}

/* ---- the record read off a canonical line without building the span ---- */

/* The members span_parse reads (lib/model/fields.h), in the order span_render writes them (the
 * next member is usually the next entry), each with the JSON type the fast reader takes;
 * another type, or another member, is left to span_parse. dec: decoded, because the record is
 * made from it (the table's rec or sig) or span_parse refuses a line for its value (a REQ
 * member, a time, an enum). */
enum lf_type { LT_STR, LT_INT, LT_NUM, LT_OBJ };
#define LT_OF_STR LT_STR
#define LT_OF_SSTR LT_STR
#define LT_OF_ENUM LT_STR
#define LT_OF_TIME LT_STR
#define LT_OF_RAW LT_STR
#define LT_OF_INT LT_INT
#define LT_OF_NUM LT_NUM
#define LT_OF_OBJ LT_OBJ
_Static_assert(SF__COUNT <= 64, "one bit per member");
_Static_assert(SF__COUNT <= REC_MAX_AT, "span_render_at's members fit");
static const struct {
	const char *k;
	unsigned char kn, type;
	bool dec;
} line_fields[SF__COUNT] = {
#define F_(ID, name, TYPE, PRES, rec, sig, ...)                                                    \
	[SF_##ID] = {#name, sizeof #name - 1, LT_OF_##TYPE,                                        \
		     (rec) || (sig) >= 0 || SFP_##PRES == SFP_REQ || SFT_##TYPE == SFT_TIME ||     \
			 SFT_##TYPE == SFT_ENUM},
    SPAN_FIELDS(F_)
#undef F_
};

/* A member's raw value. */
struct lval {
	const char *v;
	size_t n;
	bool esc, integer;
};

/* The member of key p[0..n), from entry *at on; -1 when none. */
static int lf_find(const char *p, size_t n, int *at)
{
	for (int j = 0; j < SF__COUNT; j++) {
		int f = (*at + j) % SF__COUNT;
		if (line_fields[f].kn == n && !memcmp(line_fields[f].k, p, n)) {
			*at = f + 1;
			return f;
		}
	}
	return -1;
}

/* The text of string member v, NUL-terminated in o (reserved by the caller: v->n + 1 bytes
 * free); NULL when absent, or when it cannot be decoded here (*ok false). */
static const char *lf_text(const struct lval *v, struct buf *o, bool *ok)
{
	if (!v->v)
		return NULL;
	char *t = o->p + o->len;
	size_t n = v->n - 2;
	if (!v->esc)
		memcpy(t, v->v + 1, n);
	else if ((n = jline_unquote(v->v, v->n, t, v->n)) == (size_t)-1 || memchr(t, 0, n)) {
		*ok = false;
		return NULL;
	}
	t[n] = 0;
	o->len += n + 1;
	return t;
}

static bool lf_time(const struct lval *v, struct buf *o, int64_t *us)
{
	bool ok = true;
	const char *t = lf_text(v, o, &ok);
	*us = SPAN_NONE_I64;
	return ok && (!t || time_parse(t, true, us));
}

/* A number member as jansson reads it: integers by strtoll, reals by strtod. */
static bool lf_number(const struct lval *v, int64_t *i, double *d)
{
	char t[JLINE_NUMBER_MAX + 1];
	memcpy(t, v->v, v->n);
	t[v->n] = 0;
	errno = 0;
	if (v->integer) {
		*i = strtoll(t, NULL, 10);
		*d = (double)*i;
	} else {
		*d = strtod(t, NULL);
	}
	return errno == 0;
}

/* REC_NO_ATTRS and REC_DELETED from the raw_attributes member: a string holding a JSON
 * object, read as span_parse reads it (json_loads, duplicate keys allowed, the last wins). */
static bool lf_attrs(const struct lval *v, struct buf *o, uint16_t *extra)
{
	if (!v->v) {
		*extra |= REC_NO_ATTRS;
		return true;
	}
	bool ok = true;
	const char *t = lf_text(v, o, &ok);
	size_t n = t ? strlen(t) : 0;
	if (!ok || n < 2 || t[0] != '{' || jline_check_value(t, n, 0, true) != n)
		return false;
	if (t[1] == '}')
		*extra |= REC_NO_ATTRS;
	size_t pos = 0;
	struct jline_member m;
	bool deleted = false;
	while (jline_next(t, n, &pos, &m))
		if (m.kn == sizeof SPAN_DELETED - 1 && !memcmp(m.k, SPAN_DELETED, m.kn))
			deleted = m.vn == 4 && !memcmp(m.v, "true", 4);
	if (deleted)
		*extra |= REC_DELETED;
	return true;
}

/* The signature bits of the evaluation context's keys that hold strings. */
static bool lf_eval(const struct lval *v, struct buf *o, uint64_t *sig)
{
	for (int k = 0; v->v && k < SE__COUNT; k++) {
		struct lval s = {0};
		bool ok = true;
		if (!jline_get(v->v, v->n, span_eval_keys[k].name, &s.v, &s.n) || s.v[0] != '"')
			continue;
		jline_check_string(s.v, s.n, 0, &s.esc);
		const char *t = lf_text(&s, o, &ok);
		if (!ok)
			return false;
		*sig |= rec_sig_bits(span_eval_keys[k].sig, t, strlen(t));
	}
	return true;
}

/* The decoders of rec_line_members, one per TYPE the record reads: false when the member
 * makes the line no span (as span_parse finds it) or cannot be decoded here. */
static bool dec_str(const struct lval *v, struct buf *o, enum span_fpres p, const char **m)
{
	bool ok = true;
	*m = lf_text(v, o, &ok);
	return ok && (*m || p != SFP_REQ);
}

static bool dec_enum(const struct lval *v, struct buf *o, int (*parse)(const char *), int *e)
{
	bool ok = true;
	*e = parse(lf_text(v, o, &ok));
	return ok && *e >= 0;
}

static bool dec_time(const struct lval *v, struct buf *o, enum span_fpres p, int64_t *us)
{
	return lf_time(v, o, us) && (*us != SPAN_NONE_I64 || p != SFP_REQ);
}

static bool dec_int(const struct lval *v, int64_t *m)
{
	double d;
	return !v->v || lf_number(v, m, &d);
}

static bool dec_num(const struct lval *v, double *m)
{
	int64_t i;
	return !v->v || lf_number(v, &i, m);
}

/* The record from the members of a line that rec_line_fast checked; need: the bytes of
 * o their decoded strings can take. */
static bool rec_line_members(const struct lval *f, struct buf *o, size_t need, struct idx_rec *r)
{
	struct span s;
	uint16_t extra = 0;
	uint64_t sig = 0;
	int e;
	o->len = 0;
	buf_reserve(o, need);
	span_init(&s);
#define DEC_(ID, name, TYPE, PRES, rec, sig, ...)                                                  \
	if (line_fields[SF_##ID].dec &&                                                            \
	    !DEC_##TYPE(&f[SF_##ID], SFP_##PRES, s.SPAN_MEMBER(ID, name, TYPE), name))             \
		return false;
#define DEC_STR(v, p, m, name) dec_str(v, o, p, &m)
#define DEC_SSTR(v, p, m, name) dec_str(v, o, p, &m)
#define DEC_ENUM(v, p, m, name) (dec_enum(v, o, span_##name##_parse, &e) && ((m = e), true))
#define DEC_TIME(v, p, m, name) dec_time(v, o, p, &m)
#define DEC_INT(v, p, m, name) dec_int(v, &m)
#define DEC_NUM(v, p, m, name) dec_num(v, &m)
#define DEC_OBJ(v, p, m, name) true /* evaluation_context: its signature bits, below */
#define DEC_RAW(v, p, m, name) true /* raw_attributes: its flags, below */
	SPAN_FIELDS(DEC_)
#undef DEC_
	if (!lf_attrs(&f[SF_RAW_ATTRIBUTES], o, &extra) ||
	    !lf_eval(&f[SF_EVALUATION_CONTEXT], o, &sig))
		return false;
	rec_fill(&s, extra, sig, r);
	return true;
}

bool rec_line_fast(const char *p, size_t n, struct buf *scratch, struct idx_rec *r)
{
	struct lval f[SF__COUNT];
	uint64_t seen = 0;
	size_t need = 1;
	int at = 0;
	memset(f, 0, sizeof f);
	if (n < 2 || p[0] != '{' || p[n - 1] != '}')
		return false;
	for (size_t i = 1;;) {
		bool esc;
		size_t ke = jline_check_string(p, n, i, &esc), ve;
		int k =
		    ke && !esc && ke < n && p[ke] == ':' ? lf_find(p + i + 1, ke - i - 2, &at) : -1;
		if (k < 0 || (seen >> k & 1))
			return false;
		seen |= 1ull << k;
		struct lval *v = &f[k];
		v->v = p + ke + 1;
		switch (line_fields[k].type) {
		case LT_STR:
			ve = jline_check_string(p, n, ke + 1, &v->esc);
			break;
		case LT_OBJ:
			ve = p[ke + 1] == '{' ? jline_check_value(p, n, ke + 1, false) : 0;
			break;
		default:
			ve = jline_check_number(p, n, ke + 1, &v->integer);
			if (line_fields[k].type == LT_INT && !v->integer)
				ve = 0;
		}
		if (!ve || ve >= n || (p[ve] != ',' && p[ve] != '}'))
			return false;
		v->n = ve - (ke + 1);
		if (line_fields[k].type == LT_STR && line_fields[k].dec)
			need += v->n + 1;
		if (k == SF_EVALUATION_CONTEXT)
			need += v->n + SE__COUNT;
		if (p[ve] == '}')
			return ve == n - 1 && rec_line_members(f, scratch, need, r);
		i = ve + 1;
	}
}

/* ---- judgements ---- */

static uint64_t sig_of(int field, const char *v)
{
	return v ? rec_sig_bits(field, v, strlen(v)) : 0;
}

void rec_from_judgement(const struct judgement *j, struct idx_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->span_h = id_hash(j->id);
	r->parent_h = id_hash(j->span_id);
	r->trace_h = id_hash(j->trace_id);
	r->session_h = id_hash(j->session_id);
	r->started_us = j->created_at;
	r->ended_us = j->updated_at;
	r->ingested_us = j->ingested_at;
	r->kind = (uint8_t)j->kind;
	r->status = (uint8_t)j->target;
	r->flags = REC_NO_ATTRS;
	if (j->trace_id)
		r->flags |= REC_HAS_TRACE;
	if (j->deleted)
		r->flags |= REC_DELETED;
	if (judgement_is_label(j))
		r->flags |= REC_J_ANNOTATION;
	if (j->error)
		r->flags |= REC_J_FAILED;
	set_cost(j->value, &r->cost_total, &r->flags, REC_HAS_COST_TOTAL);
	uint64_t nh = id_hash(j->name);
	r->in_tok = (uint32_t)nh;
	r->out_tok = (uint32_t)(nh >> 32);
	r->source_h = (uint32_t)id_hash(judgement_api_name(j));
	r->sig = sig_of(SIG_J_NAME, j->name) | sig_of(SIG_J_PROJECT, j->project) |
		 sig_of(SIG_J_AUTHOR, j->author) | sig_of(SIG_J_SUBTYPE, j->subtype) |
		 sig_of(SIG_J_LABEL, j->label);
}

static bool rec_from_judgement_line(const char *line, size_t len, struct idx_rec *r)
{
	struct judgement j;
	json_t *root;
	if (!judgement_parse(line, len, &j, &root))
		return false;
	rec_from_judgement(&j, r);
	judgement_clear(&j);
	json_decref(root);
	return true;
}

bool rec_line_record(enum store_kind kind, const char *line, size_t len, struct buf *scratch,
		     struct idx_rec *r)
{
	return kind == STORE_JUDGEMENTS ? rec_from_judgement_line(line, len, r)
					: rec_from_line(line, len, scratch, r);
}

bool rec_line_sound(enum store_kind kind, const char *line, size_t len, const struct idx_rec *r)
{
	/* A span line: JSON that checks in place, its id (first) the record's. What a reader must
	 * know before it copies the bytes out, at a quarter of the record's rebuild (a page of
	 * Opik's stream); a line jline cannot say of quickly, or an id with an escape, is rebuilt.
	 */
	size_t pl = kind == STORE_JUDGEMENTS ? 0 : rec_line_id_at(line, len), e;
	bool esc;
	if (pl && jline_check_value(line, len, 0, true) == len &&
	    (e = jline_check_string(line, len, pl, &esc)) && !esc)
		return hash_bytes(line + pl + 1, e - pl - 2) == r->span_h;
	struct buf scratch;
	struct idx_rec w;
	buf_init(&scratch);
	bool ok = rec_line_record(kind, line, len, &scratch, &w) && w.span_h == r->span_h &&
		  w.trace_h == r->trace_h && w.session_h == r->session_h &&
		  w.parent_h == r->parent_h && w.started_us == r->started_us &&
		  w.ended_us == r->ended_us && w.ingested_us == r->ingested_us;
	buf_free(&scratch);
	return ok;
}

/* ---- what the write path needs of each kind of record ---- */

static const char *span_id_of(const void *o)
{
	return ((const struct span *)o)->span_id;
}
static int64_t span_started(const void *o)
{
	return ((const struct span *)o)->started_at;
}
static int64_t *span_ingested(void *o)
{
	return &((struct span *)o)->ingested_at;
}
static void span_render_of(const void *o, struct buf *out)
{
	span_render(o, out);
}
static void span_render_at_of(const void *o, struct buf *out, struct jline_at *at, size_t *nat)
{
	span_render_at(o, out, at, nat);
}
static void span_rec(const void *o, struct idx_rec *r)
{
	rec_from_span(o, r);
}
static bool span_parse_of(const char *line, size_t n, void *o, json_t **root)
{
	return span_parse(line, n, o, root);
}
static void span_init_of(void *o)
{
	span_init(o);
}
static void span_clear_of(void *o)
{
	span_clear(o);
}

static const char *judgement_id_of(const void *o)
{
	return ((const struct judgement *)o)->id;
}
static int64_t judgement_started(const void *o)
{
	return ((const struct judgement *)o)->created_at;
}
static int64_t *judgement_ingested(void *o)
{
	return &((struct judgement *)o)->ingested_at;
}
static void judgement_render_of(const void *o, struct buf *out)
{
	judgement_render(o, out);
}
static void judgement_rec(const void *o, struct idx_rec *r)
{
	rec_from_judgement(o, r);
}
static bool judgement_parse_of(const char *line, size_t n, void *o, json_t **root)
{
	return judgement_parse(line, n, o, root);
}
static void judgement_init_of(void *o)
{
	judgement_init(o);
}
static void judgement_clear_of(void *o)
{
	judgement_clear(o);
}

static const struct rec_kind kinds[] = {
    [STORE_SPANS] = {"span", sizeof(struct span), span_id_of, span_started, span_ingested,
		     span_render_of, span_render_at_of, span_rec, span_parse_of, span_init_of,
		     span_clear_of},
    [STORE_JUDGEMENTS] = {"judgement", sizeof(struct judgement), judgement_id_of, judgement_started,
			  judgement_ingested, judgement_render_of, NULL, judgement_rec,
			  judgement_parse_of, judgement_init_of, judgement_clear_of},
};

const struct rec_kind *rec_kind_of(enum store_kind k)
{
	return &kinds[k];
}

bool rec_from_line(const char *line, size_t len, struct buf *scratch, struct idx_rec *r)
{
	if (rec_line_fast(line, len, scratch, r))
		return true;
	struct span s;
	json_t *root;
	if (!span_parse(line, len, &s, &root))
		return false;
	rec_from_span(&s, r);
	span_clear(&s);
	json_decref(root);
	return true;
}

uint32_t rec_crc(const struct idx_rec *r)
{
	/* The superseded bit is flipped in place later, so the checksum leaves it out. */
	struct idx_rec c = *r;
	c.flags &= (uint16_t)~REC_SUPERSEDED;
	return hash_crc32c(0, &c, offsetof(struct idx_rec, crc));
}

void rec_hdr_init(struct idx_hdr *h, int32_t day)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, IDX_MAGIC, 8);
	h->version = IDX_VERSION;
	h->rec_size = sizeof(struct idx_rec);
	h->endian = ENDIAN_TAG;
	h->day = day;
	/* Even, and unlike the generation of the file it may replace (reindex). */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	h->flag_gen = hash_bytes(&ts, sizeof ts) << 1;
}

bool rec_hdr_ok(const struct idx_hdr *h)
{
	return !memcmp(h->magic, IDX_MAGIC, 8) &&
	       (h->version == IDX_VERSION || h->version == IDX_VERSION_SEALED) &&
	       h->rec_size == sizeof(struct idx_rec) && h->endian == ENDIAN_TAG;
}

size_t rec_ends_n(const struct idx_hdr *h)
{
	size_t n = 0;
	while (n < IDX_ENDS && h->ends[n])
		n++;
	return n;
}

void rec_ends_prune(struct idx_hdr *h)
{
	size_t k = 0;
	for (size_t i = 0; i < IDX_ENDS && h->ends[i]; i++)
		if (h->ends[i] > h->durable && h->ends[i] <= h->committed)
			h->ends[k++] = h->ends[i];
	while (k < IDX_ENDS)
		h->ends[k++] = 0;
}

bool rec_ends_push(struct idx_hdr *h, uint64_t end)
{
	size_t n = rec_ends_n(h);
	if (n == IDX_ENDS || end > UINT32_MAX)
		return false;
	h->ends[n] = (uint32_t)end;
	return true;
}

bool rec_hdr_legacy(const struct idx_hdr *h)
{
	return !h->durable && !h->ends[0];
}

/* Where record i starts in the index file. */
static off_t rec_at(uint64_t i)
{
	return STORE_IDX_HDR + (off_t)(i * sizeof(struct idx_rec));
}

int rec_read(int fd, uint64_t i, struct idx_rec *r)
{
	return io_pread_all(fd, r, sizeof(*r), rec_at(i));
}

int rec_write_flags(int fd, uint64_t i, uint16_t flags)
{
	uint64_t gen;
	off_t at = (off_t)offsetof(struct idx_hdr, flag_gen);
	if (io_pread_all(fd, &gen, sizeof(gen), at) < 0)
		return -1;
	gen = (gen + 2) | 1; /* odd: a flag is being written */
	if (io_pwrite_all(fd, &gen, sizeof(gen), at) < 0 ||
	    io_pwrite_all(fd, &flags, sizeof(flags),
			  rec_at(i) + (off_t)offsetof(struct idx_rec, flags)) < 0)
		return -1;
	gen++;
	return io_pwrite_all(fd, &gen, sizeof(gen), at);
}

int rec_walk_back(int fd, uint64_t sealed_recs, uint64_t base, uint64_t size, uint64_t *committed,
		  uint64_t *end)
{
	*end = base;
	while (*committed > sealed_recs) {
		struct idx_rec r;
		if (rec_read(fd, *committed - 1, &r) < 0)
			return -1;
		*end = r.off + r.len + 1;
		if (*end <= size)
			break;
		--*committed;
		*end = base;
	}
	return 0;
}

size_t rec_line_id_at(const char *line, size_t len)
{
	/* {"span_id": or {"id": */
	static const char span[] = "{\"span_id\":", judgement[] = "{\"id\":";
	if (len > sizeof span - 1 && !memcmp(line, span, sizeof span - 1))
		return sizeof span - 1;
	if (len > sizeof judgement - 1 && !memcmp(line, judgement, sizeof judgement - 1))
		return sizeof judgement - 1;
	return 0;
}

bool rec_line_has_id(const char *line, size_t len, const struct buf *lit)
{
	/* The writer renders every line with its id first, so no parse is needed. */
	size_t pl = rec_line_id_at(line, len);
	return pl && len > pl + lit->len && !memcmp(line + pl, lit->p, lit->len) &&
	       (line[pl + lit->len] == ',' || line[pl + lit->len] == '}');
}
