/* spans: get_span, one span whole: its fields as the store keeps them (the Get Span body less
 * its long fields), its judgements, and its long fields (input, output, raw attributes, error
 * message) sharing what the budget leaves, each cut at a character with the offset to read on
 * from; or, with field, one long field from offset as far as the budget goes. */
#include "lib/api/mcp/tool.h"

#include <string.h>
#include "lib/json/jsonw.h"

/* A long field of a span, and its text (raw attributes as compact JSON). */
struct longf {
	const char *name;
	const char *s;
	size_t n;
};

static size_t long_fields(struct mcp_call *c, struct span *s, struct longf *out)
{
	struct buf *attrs = arena_buf(c->a);
	if (s->raw_attributes)
		jsonw_dump(attrs, s->raw_attributes, 0);
	struct longf all[] = {
	    {"input", s->input, s->input ? strlen(s->input) : 0},
	    {"output", s->output, s->output ? strlen(s->output) : 0},
	    {"raw_attributes", attrs->p, attrs->len},
	    {"error_message", s->str[SS_ERROR_MESSAGE],
	     s->str[SS_ERROR_MESSAGE] ? strlen(s->str[SS_ERROR_MESSAGE]) : 0},
	};
	size_t k = 0;
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		if (all[i].s && all[i].n)
			out[k++] = all[i];
	return k;
}

/* The byte at or before at where a character starts. */
static size_t boundary(const char *s, size_t n, size_t from, size_t at)
{
	if (at >= n)
		return n;
	while (at > from && ((unsigned char)s[at] & 0xc0) == 0x80)
		at--;
	return at;
}

/* ,"key": the text s[from..n) as a JSON string of at most room bytes, as much of it as that
 * holds (escapes counted); the byte where it stopped. */
static size_t put_page(struct buf *b, const char *key, const char *s, size_t n, size_t from,
		       size_t room)
{
	struct buf t;
	size_t len = n - from;
	buf_init(&t);
	for (;;) {
		size_t end = boundary(s, n, from, from + len);
		t.len = 0;
		jsonw_string(&t, s + from, end - from);
		if (t.len <= room || end == from) {
			if (end == from) {
				t.len = 0;
				jsonw_string(&t, "", 0);
			}
			mcp_put_str(b, key, "");
			b->len -= 2; /* the empty literal, replaced by the page's */
			buf_add(b, t.p, t.len);
			buf_free(&t);
			return end;
		}
		size_t next = (size_t)((double)(end - from) * (double)room / (double)t.len);
		len = next < end - from ? next : end - from - 1;
	}
}

/* One long field from character offset on, as much as room bytes hold: alone (get_span's
 * field) as "text", else under its own name; its length, and where it was cut, the offset to
 * read on from. */
static void put_long(struct buf *b, const struct longf *f, size_t offset, size_t room, bool alone)
{
	size_t total = mcp_chars(f->s, f->n), from = mcp_char_at(f->s, f->n, offset);
	const char *key = alone ? "text" : f->name;
	char k[64], msg[160];
	size_t end = put_page(b, key, f->s, f->n, from, room);
	snprintf(k, sizeof k, "%s_chars", key);
	mcp_put_int(b, k, (int64_t)total);
	if (end >= f->n)
		return;
	size_t next = offset + mcp_chars(f->s + from, end - from);
	snprintf(k, sizeof k, "%s_next_offset", key);
	mcp_put_int(b, k, (int64_t)next);
	snprintf(msg, sizeof msg, "cut: read on with get_span, field %s, offset %zu", f->name,
		 next);
	snprintf(k, sizeof k, "%s_cut", key);
	mcp_put_str(b, k, msg);
}

/* Bytes kept back for the end of the answer: each long field's length, offset and note. */
#define TAIL_BYTES 1200

/* The span's fields but the long ones, as the store keeps them. */
static void put_fields(struct span *s, struct buf *b)
{
	struct span rest = *s;
	rest.input = rest.output = NULL;
	rest.raw_attributes = NULL;
	rest.str[SS_ERROR_MESSAGE] = NULL;
	buf_adds(b, ",\"span\":");
	span_render(&rest, b);
}

/* One long field alone, from offset. */
static enum status page(struct mcp_call *c, const char *id, const char *field, struct longf *fs,
			size_t nf)
{
	struct buf *b = c->out;
	long long offset = mcp_int(c, "offset", 0);
	const struct longf *f = NULL;
	for (size_t i = 0; i < nf && !f; i++)
		if (!strcmp(fs[i].name, field))
			f = &fs[i];
	buf_addc(b, '{');
	mcp_put_str(b, "workspace", c->ws);
	mcp_put_str(b, "span_id", id);
	mcp_put_str(b, "field", field);
	mcp_put_int(b, "offset", offset);
	if (!f) {
		mcp_put_str(b, "text", "");
		mcp_put_int(b, "total_chars", 0);
	} else {
		size_t room = c->budget > b->len + TAIL_BYTES ? c->budget - b->len - TAIL_BYTES : 0;
		put_long(b, f, (size_t)offset, room, true);
	}
	buf_addc(b, '}');
	return ST_OK;
}

enum status mcp_get_span(struct mcp_call *c)
{
	const char *id = mcp_str(c, "span_id"), *field = mcp_str(c, "field");
	struct span s;
	json_t *root = NULL;
	struct longf fs[4];
	if (!query_span_get(api_store(c->req), c->ws, c->a, id, &s, &root))
		return mcp_fail(c, ST_NOT_FOUND, "No span '%.200s' in workspace '%s'.", id, c->ws);
	if (span_is_deleted(&s)) {
		span_clear(&s);
		json_decref(root);
		return mcp_fail(c, ST_NOT_FOUND, "Span '%.200s' was deleted.", id);
	}
	size_t nf = long_fields(c, &s, fs);
	enum status st = ST_OK;
	if (field) {
		st = page(c, id, field, fs, nf);
		goto out;
	}
	struct judgement *js;
	size_t nj;
	if ((st = mcp_judgements(c, JT_SPAN, &id, 1, &js, &nj)) != ST_OK)
		goto out;
	struct buf *b = c->out;
	buf_addc(b, '{');
	mcp_put_str(b, "workspace", c->ws);
	put_fields(&s, b);
	if (b->len + TAIL_BYTES > c->budget) {
		st = mcp_fail(c, ST_BAD_REQUEST,
			      "This span's fields alone pass max_bytes=%zu: "
			      "raise max_bytes.",
			      c->budget);
		goto out;
	}
	size_t keep = b->len + (c->budget - b->len) / 4;
	if (nj)
		buf_adds(b, ",\"judgements\":[");
	size_t k = 0;
	for (; k < nj && k < MCP_JUDGEMENTS_MAX; k++) {
		size_t at = b->len;
		if (k)
			buf_addc(b, ',');
		mcp_put_judgement(b, &js[k]);
		if (b->len > keep) {
			b->len = at;
			b->p[at] = '\0';
			break;
		}
	}
	if (nj)
		buf_addc(b, ']');
	if (nj > k)
		mcp_put_int(b, "judgements_not_shown", (int64_t)(nj - k));
	/* The long fields share what is left, each its part; a short one leaves the rest to
	 * those after it. */
	for (size_t i = 0; i < nf; i++) {
		size_t left = c->budget > b->len + TAIL_BYTES ? c->budget - b->len - TAIL_BYTES : 0;
		put_long(b, &fs[i], 0, left / (nf - i), false);
	}
	buf_addc(b, '}');
out:
	span_clear(&s);
	json_decref(root);
	return st;
}
