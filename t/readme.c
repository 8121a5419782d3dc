/* readme: a generated block of docs/attributes.md (README_DOC) compared with, or written from,
 * the code's table. */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "t/readme.h"

void readme_block_check(const char *begin, const char *end, const struct buf *want)
{
	const char *src = getenv("SPANDEX_SRCDIR");
	char path[4096], *b, *e;
	struct buf have;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", src ? src : ".", README_DOC);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	buf_init(&have);
	buf_reserve(&have, 1 << 20);
	have.len = fread(have.p, 1, have.cap - 1, f);
	have.p[have.len] = '\0';
	fclose(f);
	b = strstr(have.p, begin);
	e = b ? strstr(b, end) : NULL;
	ck_assert_msg(b && e, "%s has no block %s", README_DOC, begin);
	e += strlen(end);
	if (getenv("SPANDEX_GOLDEN_UPDATE")) {
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fwrite(have.p, 1, (size_t)(b - have.p), f);
		fwrite(want->p, 1, want->len, f);
		fputs(e, f);
		fclose(f);
	} else {
		ck_assert_msg((size_t)(e - b) == want->len && !memcmp(b, want->p, want->len),
			      "%s's block %sdiffers from the code's table: "
			      "SPANDEX_GOLDEN_UPDATE=1 and the suite write it",
			      README_DOC, begin);
	}
	buf_free(&have);
}

/* Calls each(member, note, len) for the members of doc, split at ", " outside parentheses. */
static void doc_walk(const char *doc, struct buf *out,
		     void (*each)(struct buf *out, const char *m, size_t n, const char *note,
				  size_t nn, bool first))
{
	bool first = true;
	while (*doc) {
		const char *p = doc, *note = NULL, *end;
		int depth = 0;
		for (; *p && !(depth == 0 && !strncmp(p, ", ", 2)); p++) {
			if (*p == '(' && !depth++ && !note)
				note = p;
			else if (*p == ')')
				depth--;
		}
		end = note ? note : p;
		while (end > doc && end[-1] == ' ')
			end--;
		each(out, doc, (size_t)(end - doc), note, note ? (size_t)(p - note) : 0, first);
		first = false;
		doc = *p ? p + 2 : p;
	}
}

static void member_plain(struct buf *out, const char *m, size_t n, const char *note, size_t nn,
			 bool first)
{
	(void)note, (void)nn;
	buf_printf(out, "%s%.*s", first ? "" : ", ", (int)n, m);
}

void readme_doc_members(const char *doc, struct buf *out)
{
	doc_walk(doc, out, member_plain);
}

static void member_md(struct buf *out, const char *m, size_t n, const char *note, size_t nn,
		      bool first)
{
	buf_adds(out, first ? "" : ", ");
	if (n > 4 && !strncmp(m, "raw ", 4))
		buf_printf(out, "`raw_attributes` `%.*s`", (int)(n - 4), m + 4);
	else
		buf_printf(out, "`%.*s`", (int)n, m);
	if (note)
		buf_printf(out, " %.*s", (int)nn, note);
}

void readme_doc_md(const char *doc, struct buf *out)
{
	doc_walk(doc, out, member_md);
}

static json_t *rendered(const struct span *s)
{
	struct buf b;
	json_t *j, *raw;

	buf_init(&b);
	span_render(s, &b);
	j = json_loads(b.p, 0, NULL);
	buf_free(&b);
	ck_assert_ptr_nonnull(j);
	raw = json_object_get(j, "raw_attributes");
	json_object_set_new(j, "raw_attributes",
			    json_is_string(raw) ? json_loads(json_string_value(raw), 0, NULL)
						: json_object());
	return j;
}

void readme_span_diff(const struct span *base, const struct span *got, struct buf *out)
{
	json_t *b = rendered(base), *g = rendered(got), *v;
	const char *k;
	bool first = true;

	/* The members of either, in the order of got's rendering, then base's own. */
	json_object_set(g, "", json_null());
	json_object_foreach(g, k, v)
	{
		if (!*k)
			continue;
		if (!strcmp(k, "raw_attributes")) {
			json_t *rb = json_object_get(b, k), *x;
			const char *rk;
			json_object_foreach(v, rk, x)
			{
				if (!json_equal(x, json_object_get(rb, rk))) {
					buf_printf(out, "%sraw %s", first ? "" : ", ", rk);
					first = false;
				}
			}
			json_object_foreach(rb, rk, x)
			{
				if (!json_object_get(v, rk)) {
					buf_printf(out, "%sraw %s", first ? "" : ", ", rk);
					first = false;
				}
			}
		} else if (!json_equal(v, json_object_get(b, k))) {
			buf_printf(out, "%s%s", first ? "" : ", ", k);
			first = false;
		}
	}
	json_object_foreach(b, k, v)
	{
		if (!json_object_get(g, k)) {
			buf_printf(out, "%s%s", first ? "" : ", ", k);
			first = false;
		}
	}
	json_decref(b);
	json_decref(g);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ", "-separated list of text, sorted, into out. */
static void sorted(const char *text, struct buf *out)
{
	char *copy = strdup(text), *items[64], *p = copy;
	size_t n = 0;

	while (p && *p && n < 64) {
		items[n++] = p;
		if ((p = strstr(p, ", ")))
			*p = '\0', p += 2;
	}
	qsort(items, n, sizeof *items, cmp_str);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s", i ? ", " : "", items[i]);
	free(copy);
}

bool readme_same_members(const char *a, const char *b)
{
	struct buf x, y;
	bool same;

	buf_init(&x);
	buf_init(&y);
	sorted(a, &x);
	sorted(b, &y);
	same = x.len == y.len && !memcmp(x.p, y.p, x.len);
	buf_free(&x);
	buf_free(&y);
	return same;
}

void readme_row_check(const char *name, const char *doc, struct span *base, struct span *got)
{
	struct buf want, diff;

	buf_init(&want);
	buf_init(&diff);
	readme_doc_members(doc, &want);
	readme_span_diff(base, got, &diff);
	ck_assert_msg(readme_same_members(want.p, diff.p), "%s fills %s, its row says %s", name,
		      diff.p, want.p);
	buf_free(&want);
	buf_free(&diff);
	span_clear(base);
	span_clear(got);
}
