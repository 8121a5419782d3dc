/* export: spans as JSONL, OTLP/JSON or CSV (export.h). */
#include "lib/model/export.h"

#include <string.h>
#include "lib/json/jline.h"
#include "lib/model/fields.h"
#include "lib/model/span.h"

const char *const export_format_names[EXPORT__COUNT + 1] = {"jsonl", "otlp-json", "csv", NULL};

int export_format_parse(const char *name)
{
	for (int i = 0; name && i < EXPORT__COUNT; i++)
		if (!strcmp(name, export_format_names[i]))
			return i;
	return -1;
}

const char *export_content_type(enum export_format f)
{
	static const char *const types[EXPORT__COUNT] = {"application/x-ndjson", "application/json",
							 "text/csv; charset=utf-8"};
	return types[f];
}

const char *export_extension(enum export_format f)
{
	static const char *const ext[EXPORT__COUNT] = {"jsonl", "otlp.json", "csv"};
	return ext[f];
}

/* ---- CSV (RFC 4180) ----
 * One row per span, a column per member of the stored line in its order (the Get Span body's,
 * lib/model/fields.h): strings as their text, numbers as the line writes them, objects as
 * compact JSON (raw_attributes as the JSON text it holds), an absent member empty. */
#define EXPORT_COLUMN_(ID, name, ...) #name,
static const char *const columns[] = {SPAN_FIELDS(EXPORT_COLUMN_) NULL};
#undef EXPORT_COLUMN_

/* A cell: quoted when it holds a comma, a quote or a line break (its quotes doubled). A text
 * a spreadsheet would run as a formula (=, +, -, @, a tab or CR first: OWASP's "CSV
 * injection") is put behind a single quote, as spreadsheets themselves mark text. */
static void cell(struct buf *b, const char *s, size_t n, bool text)
{
	bool quote = text && n && strchr("=+-@\t\r", s[0]);
	bool wrap = quote || memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\n', n) ||
		    memchr(s, '\r', n);
	if (!wrap) {
		buf_add(b, s, n);
		return;
	}
	buf_addc(b, '"');
	if (quote)
		buf_addc(b, '\'');
	for (const char *q; (q = memchr(s, '"', n)); n -= (size_t)(q - s) + 1, s = q + 1) {
		buf_add(b, s, (size_t)(q - s) + 1);
		buf_addc(b, '"');
	}
	buf_add(b, s, n);
	buf_addc(b, '"');
}

static void csv_header(struct buf *b)
{
	for (size_t i = 0; columns[i]; i++) {
		if (i)
			buf_addc(b, ',');
		buf_adds(b, columns[i]);
	}
	buf_adds(b, "\r\n");
}

static void csv_row(struct export *x, const char *line, size_t len)
{
	struct jline_member m;
	size_t pos = 0, col = 0;
	bool more = jline_next(line, len, &pos, &m);
	for (; columns[col]; col++) {
		if (col)
			buf_addc(x->out, ',');
		if (!more || m.kn != strlen(columns[col]) || memcmp(m.k, columns[col], m.kn))
			continue; /* absent in this line */
		if (m.vn && m.v[0] == '"') {
			const char *t = jline_text(x->a, m.v, m.vn);
			if (t)
				cell(x->out, t, strlen(t), true);
		} else {
			cell(x->out, m.v, m.vn, false);
		}
		more = jline_next(line, len, &pos, &m);
	}
	buf_adds(x->out, "\r\n");
}

/* ---- OTLP/JSON ---- */
static void otlp_span(struct export *x, const char *line, size_t len)
{
	struct span s;
	json_t *root;
	struct catalog_otlp o;
	if (!span_parse(line, len, &s, &root)) {
		x->skipped++;
		x->spans--;
		return;
	}
	catalog_out_span(x->a, &s, &o);
	catalog_out_json_add(x->out, &x->doc, &o);
	catalog_out_clear(&o);
	span_clear(&s);
	json_decref(root);
}

void export_begin(struct export *x, enum export_format fmt, struct arena *a, struct buf *out)
{
	memset(x, 0, sizeof *x);
	x->fmt = fmt;
	x->a = a;
	x->out = out;
	if (fmt == EXPORT_CSV)
		csv_header(out);
	else if (fmt == EXPORT_OTLP_JSON)
		catalog_out_json_begin(out, &x->doc);
}

void export_line(struct export *x, const char *line, size_t len)
{
	struct arena_mark mk = arena_mark(x->a);
	x->spans++;
	switch (x->fmt) {
	case EXPORT_JSONL:
		buf_add(x->out, line, len);
		buf_addc(x->out, '\n');
		break;
	case EXPORT_CSV:
		csv_row(x, line, len);
		break;
	default:
		otlp_span(x, line, len);
	}
	arena_release(x->a, mk);
}

void export_end(struct export *x)
{
	if (x->fmt == EXPORT_OTLP_JSON)
		catalog_out_json_end(x->out, &x->doc);
}
