/* check_fields: the table of span fields (lib/model/fields.h) against what is made from it and
 * what is not: each field alone goes through span_render, span_parse, the index record (from the
 * span and off the line) at its place in the line; the conditions carry its name, and each
 * filters a real store by the literal its type writes (the line's bytes); and Opik's and
 * Scale GP's renderers, which keep their own tables, show it under the name the table gives. A
 * new line in the table is run through all of it without a new test. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/api/egp/map.h"
#include "lib/api/opik/map.h"
#include "lib/base/arena.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/query/cond.h"
#include "lib/query/query.h"
#include "lib/base/time.h"
#include "lib/store/store.h"

/* A span with its REQ fields set, as every stored span has them. */
static void span_min(struct span *s)
{
	span_init(s);
	s->span_id = "sp-1";
	s->session_id = "se-1";
	s->workspace = "ws";
	s->source = "test";
	s->kind = KIND_LLM;
	s->status = SPST_SUCCESS;
	s->started_at = 1700000000000000;
	s->ingested_at = 1700000000000001;
}

/* Sets field f of s to a value of its type that no other field has. */
static void set_field(struct span *s, int f)
{
	static char text[SF__COUNT][32];
	snprintf(text[f], sizeof text[f], "v-%s", span_fields[f].name);
	switch (f) {
#define SET_(ID, name, TYPE, ...)                                                                  \
	case SF_##ID:                                                                              \
		SET_##TYPE(s->SPAN_MEMBER(ID, name, TYPE));                                        \
		break;
#define SET_STR(m) m = text[f]
#define SET_SSTR(m) m = text[f]
#define SET_ENUM(m) m = 1 /* CHAIN, error */
#define SET_TIME(m) m = 1700000000000000 + f
#define SET_INT(m) m = 1000 + f
#define SET_NUM(m) m = 0.25 + f
#define SET_OBJ(m) m = json_pack("{s:s}", "evaluation_id", text[f])
#define SET_RAW(m) m = json_pack("{s:i}", "k", f)
		SPAN_FIELDS(SET_)
	}
}

/* The keys of a line, in order. */
static int line_keys(const char *line, size_t n, const char *keys[SF__COUNT + 1])
{
	size_t pos = 0;
	struct jline_member m;
	int k = 0;
	static char buf[SF__COUNT + 1][64];
	while (jline_next(line, n, &pos, &m) && k <= SF__COUNT) {
		snprintf(buf[k], sizeof buf[k], "%.*s", (int)m.kn, m.k);
		keys[k] = buf[k];
		k++;
	}
	return k;
}

/* Each field alone: written at its place, read back as it was, the same record both ways. */
START_TEST(each_field_alone)
{
	for (int f = 0; f < SF__COUNT; f++) {
		struct span s, back;
		struct buf line, again, scratch;
		struct idx_rec r1, r2;
		json_t *root;
		span_min(&s);
		set_field(&s, f);
		buf_init(&line);
		buf_init(&again);
		buf_init(&scratch);
		span_render(&s, &line);
		const char *keys[SF__COUNT + 1];
		int n = line_keys(line.p, line.len, keys), k = 0;
		for (int g = 0; g < SF__COUNT && k < n; g++)
			if (!strcmp(keys[k], span_fields[g].name))
				k++;
		ck_assert_msg(k == n, "%s: a key out of the table's order", span_fields[f].name);
		ck_assert_msg(strstr(line.p, span_fields[f].name), "%s: not written",
			      span_fields[f].name);
		ck_assert_msg(span_parse(line.p, line.len, &back, &root), "%s: not read back",
			      span_fields[f].name);
		span_render(&back, &again);
		ck_assert_msg(again.len == line.len && !memcmp(again.p, line.p, line.len),
			      "%s: read back differently", span_fields[f].name);
		rec_from_span(&s, &r1);
		ck_assert_msg(rec_line_fast(line.p, line.len, &scratch, &r2),
			      "%s: left to the parse", span_fields[f].name);
		ck_assert_msg(!memcmp(&r1, &r2, sizeof r1), "%s: another record off the line",
			      span_fields[f].name);
		span_clear(&back);
		json_decref(root);
		span_clear(&s);
		buf_free(&line);
		buf_free(&again);
		buf_free(&scratch);
	}
}
END_TEST

/* span_render_at's members of s, rendered after a prefix, are the line span_render writes and
 * the members jline_next reads off it, offset for offset. */
static void members_as_read(const struct span *s, const char *what)
{
	struct buf plain, at_line;
	struct jline_at at[SF__COUNT];
	size_t nat = SIZE_MAX, i = 0, pos = 0;
	buf_init(&plain);
	buf_init(&at_line);
	span_render(s, &plain);
	buf_add(&at_line, "x\n", 2);
	span_render_at(s, &at_line, at, &nat);
	const char *line = at_line.p + 2;
	ck_assert_msg(at_line.len - 2 == plain.len && !memcmp(line, plain.p, plain.len),
		      "%s: another line", what);
	struct jline_member m;
	for (; jline_next(line, plain.len, &pos, &m); i++) {
		ck_assert_msg(i < nat, "%s: member %zu missing", what, i);
		ck_assert_msg(line + at[i].k == m.k && at[i].kn == m.kn, "%s: key %zu", what, i);
		ck_assert_msg(line + at[i].v == m.v && at[i].vn == m.vn, "%s: value %zu", what, i);
	}
	ck_assert_msg(i == nat && nat > 0, "%s: %zu members, jline_next %zu", what, nat, i);
	buf_free(&plain);
	buf_free(&at_line);
}

/* Each field alone and all together, with text that escapes and is not ASCII. */
START_TEST(render_at_members)
{
	struct span s;
	for (int f = 0; f < SF__COUNT; f++) {
		span_min(&s);
		set_field(&s, f);
		members_as_read(&s, span_fields[f].name);
		span_clear(&s);
	}
	span_min(&s);
	for (int f = 0; f < SF__COUNT; f++)
		set_field(&s, f);
	members_as_read(&s, "every field");
	s.name = "a \"quoted\" \\ name, {x: [1]}";
	s.input = "Gr\xc3\xbc\xc3\x9f\x65 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80\ttab\nline";
	s.output = "";
	members_as_read(&s, "escapes");
	span_clear(&s);
}
END_TEST

/* raw_attributes are written through one buffer kept from span to span (span.c's put_raw):
 * each line's is its own span's, read back equal, after one past the buffer's keep (64 KiB)
 * and between short ones. */
START_TEST(raw_through_one_buffer)
{
	char *big = malloc(100001);
	memset(big, 'q', 100000);
	big[100000] = 0;
	json_t *raws[] = {json_pack("{s:s}", "opik.metadata", "a \"b\" \\ c"),
			  json_pack("{s:s,s:[i,s]}", "big", big, "l", 1, "x"),
			  json_pack("{s:{s:n}}", "k", "z"), json_pack("{s:s}", "big", big),
			  json_pack("{s:b}", "t", 1)};
	for (size_t i = 0; i < sizeof raws / sizeof *raws; i++) {
		struct span s, back;
		struct buf line;
		json_t *root;
		span_min(&s);
		s.raw_attributes = raws[i]; /* the span's now: span_clear releases it */
		buf_init(&line);
		span_render(&s, &line);
		ck_assert_msg(span_parse(line.p, line.len, &back, &root), "%zu: not read back", i);
		ck_assert_msg(json_equal(back.raw_attributes, s.raw_attributes),
			      "%zu: another object", i);
		span_clear(&back);
		json_decref(root);
		span_clear(&s);
		buf_free(&line);
	}
	free(big);
}
END_TEST

/* A field with a signature field sets its bits in the record; one without leaves none. */
START_TEST(signature_bits)
{
	struct span s;
	struct idx_rec r0, r;
	span_min(&s);
	rec_from_span(&s, &r0);
	for (int f = 0; f < SF__COUNT; f++) {
		span_min(&s);
		set_field(&s, f);
		rec_from_span(&s, &r);
		if (span_fields[f].sig >= 0) {
			char v[64];
			snprintf(v, sizeof v, "v-%s", span_fields[f].name);
			uint64_t b = rec_sig_bits(span_fields[f].sig, v, strlen(v));
			ck_assert_msg((r.sig & b) == b, "%s: no signature bits",
				      span_fields[f].name);
		} else if (f != SF_EVALUATION_CONTEXT) {
			ck_assert_msg(r.sig == r0.sig, "%s: signature bits", span_fields[f].name);
		}
		span_clear(&s);
	}
}
END_TEST

/* The conditions of cond.h name the fields the table marks, by their names. */
START_TEST(conditions)
{
	int n = 0;
	for (int f = 0; f < SF__COUNT; f++) {
		if (!span_fields[f].cond)
			continue;
		bool named = false;
		for (int c = 0; c < FF__FIELDS; c++)
			named |= !strcmp(cond_field_names[c], span_fields[f].name);
		ck_assert_msg(named, "%s: no condition", span_fields[f].name);
		n++;
	}
	ck_assert_int_eq(n + SE__COUNT, FF__FIELDS);
}
END_TEST

/* The text a filter gives for the value set_field gives field f (a kind or status by its
 * name), into t. */
static void value_text(int f, char *t, size_t cap)
{
	struct span s;
	struct buf line;
	const char *v;
	size_t vn;

	if (f == SF_KIND || f == SF_STATUS) {
		snprintf(t, cap, "%s", f == SF_KIND ? span_kind_names[1] : span_status_names[1]);
		return;
	}
	span_min(&s);
	set_field(&s, f);
	buf_init(&line);
	span_render(&s, &line);
	ck_assert(jline_get2(line.p, line.len, span_fields[f].name, NULL, &v, &vn));
	if (*v == '"')
		v++, vn -= 2; /* the test's strings need no escapes */
	snprintf(t, cap, "%.*s", (int)vn, v);
	span_clear(&s);
	buf_free(&line);
}

/* The literal a filter value is compared by is the line's bytes of that value, for every
 * field of every type the engine filters: a line the table marks filterable matches. */
START_TEST(literals_are_the_line)
{
	struct arena *a = arena_new();
	for (int f = 0; f < SF__COUNT; f++) {
		enum span_ftype t = span_fields[f].type;
		struct span s;
		struct buf line;
		const char *v, *lit;
		size_t vn;
		char text[64];
		if (t != SFT_STR && t != SFT_SSTR && t != SFT_INT && t != SFT_NUM && t != SFT_ENUM)
			continue;
		span_min(&s);
		set_field(&s, f);
		buf_init(&line);
		span_render(&s, &line);
		ck_assert(jline_get2(line.p, line.len, span_fields[f].name, NULL, &v, &vn));
		value_text(f, text, sizeof text);
		lit = cond_lit(a, t, text);
		ck_assert_msg(strlen(lit) == vn && !memcmp(lit, v, vn),
			      "%s: %s is not the line's %.*s", span_fields[f].name, lit, (int)vn,
			      v);
		span_clear(&s);
		buf_free(&line);
	}
	/* Another text of the same number is the same literal; no number is a string's. */
	ck_assert_str_eq(cond_lit(a, SFT_INT, "-0"), "0");
	ck_assert_str_eq(cond_lit(a, SFT_NUM, "1.50"), cond_lit(a, SFT_NUM, "1.5"));
	ck_assert_str_eq(cond_lit(a, SFT_INT, "12x"), "\"12x\"");
	ck_assert_str_eq(cond_lit(a, SFT_NUM, "0x10"), "\"0x10\"");
	int64_t i;
	double d;
	ck_assert(cond_int("-12", &i) && i == -12);
	ck_assert(!cond_int(" 1", &i) && !cond_int("+1", &i) && !cond_int("1.0", &i) &&
		  !cond_int("99999999999999999999", &i) && !cond_int("", &i));
	ck_assert(cond_num("1e3", &d) && d == 1000 && cond_num("-0.5", &d) && d == -0.5);
	ck_assert(!cond_num("nan", &d) && !cond_num("inf", &d) && !cond_num("1e999", &d) &&
		  !cond_num(".5", &d) && !cond_num("", &d));
	arena_free(a);
}
END_TEST

/* The ids of the spans of ws f's condition finds, comma-joined, into out. */
static void filtered_ids(struct store *st, struct arena *a, const struct filter *fl, char *out,
			 size_t cap)
{
	struct query q;
	struct query_rows r;
	memset(&q, 0, sizeof q);
	q.st = st;
	q.a = a;
	q.ws = "ws";
	q.f = fl;
	q.sort = "started_at";
	q.limit = 100;
	ck_assert_int_eq(query_span_rows(&q, &r), ST_OK);
	out[0] = '\0';
	for (size_t i = 0; i < r.n; i++) {
		const char *v;
		size_t vn;
		ck_assert(jline_get2(r.rows[i].line, r.rows[i].len, "span_id", NULL, &v, &vn));
		snprintf(out + strlen(out), cap - strlen(out), "%s%.*s", i ? "," : "", (int)vn - 2,
			 v + 1);
	}
}

/* Every condition the table makes, end to end: a span stored with the field set is found by
 * the field's equality (started_at by its bounds), from the open tail and from the day's
 * built index, and a span without that value is not; a value of the wrong type is refused. */
START_TEST(every_condition_filters)
{
	char root[64] = "/tmp/check_fields.XXXXXX", cmd[96];
	struct store st;
	struct arena *a = arena_new();
	ck_assert_ptr_nonnull(mkdtemp(root));
	store_init(&st, root, false);
	for (int f = 0; f < SF__COUNT; f++) {
		if (!span_fields[f].cond)
			continue;
		struct span s[2];
		struct err e = {ST_OK, ""};
		span_min(&s[0]);
		span_min(&s[1]);
		set_field(&s[0], f);
		s[0].span_id = arena_printf(a, "a-%d", f);
		s[1].span_id = arena_printf(a, "b-%d", f);
		s[0].workspace = s[1].workspace = "ws";
		ck_assert_msg(store_append(&st, "ws", s, 2, &e) == ST_OK, "%s", err_text(&e));
		span_clear(&s[0]);
		span_clear(&s[1]);
	}
	for (int k = 0; k < SE__COUNT; k++) {
		struct span s;
		struct err e = {ST_OK, ""};
		span_min(&s);
		s.span_id = arena_printf(a, "e-%d", k);
		s.evaluation_context =
		    json_pack("{s:s+}", span_eval_keys[k].name, "v-", span_eval_keys[k].name);
		ck_assert_msg(store_append(&st, "ws", &s, 1, &e) == ST_OK, "%s", err_text(&e));
		span_clear(&s);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int c = 0; c < FF__FIELDS; c++) {
			int f = -1;
			for (int g = 0; g < SF__COUNT; g++)
				if (!strcmp(span_fields[g].name, cond_field_names[c]))
					f = g;
			struct filter_cond fc;
			struct filter fl = {.conds = &fc, .n = 1};
			struct err e;
			char text[64], ids[256], want[16];
			if (f < 0) { /* a member of evaluation_context */
				snprintf(text, sizeof text, "v-%s", cond_field_names[c]);
				ck_assert_int_eq(cond_eq(a, &fc, c, arena_strdup(a, text), &e),
						 ST_OK);
				filtered_ids(&st, a, &fl, ids, sizeof ids);
				snprintf(want, sizeof want, "e-%d", c - (FF__FIELDS - SE__COUNT));
				ck_assert_msg(!strcmp(ids, want),
					      "%s = %s finds %s, not %s (pass %d)",
					      cond_field_names[c], text, ids, want, pass);
				continue;
			}
			value_text(f, text, sizeof text);
			if (f == SF_STARTED_AT) {
				fc = (struct filter_cond){.field = c, .op = FOP_GTE};
				ck_assert(time_parse(text, true, &fc.us));
				struct filter_cond two[2] = {fc, fc};
				two[1].op = FOP_LTE;
				fl.conds = two;
				fl.n = 2;
				filtered_ids(&st, a, &fl, ids, sizeof ids);
			} else {
				ck_assert_int_eq(cond_eq(a, &fc, c, arena_strdup(a, text), &e),
						 ST_OK);
				filtered_ids(&st, a, &fl, ids, sizeof ids);
			}
			snprintf(want, sizeof want, "a-%d", f);
			ck_assert_msg(!strcmp(ids, want), "%s = %s finds %s, not %s (pass %d)",
				      cond_field_names[c], text, ids, want, pass);
		}
		bool built;
		size_t covered;
		ck_assert_int_eq(
		    store_text_index(&st, "ws", (int32_t)(1700000000 / 86400), &built, &covered),
		    ST_OK);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
	arena_free(a);
}
END_TEST

/* The member at dotted path p of o, or NULL. */
static json_t *at_path(json_t *o, const char *p)
{
	char seg[64];
	while (o && *p) {
		size_t l = strcspn(p, ".");
		snprintf(seg, sizeof seg, "%.*s", (int)l, p);
		o = json_object_get(o, seg);
		p += l + (p[l] == '.');
	}
	return o;
}

/* Every field set, as an API's renderer sees a span from another API. */
static void span_full(struct span *s)
{
	span_min(s);
	for (int f = 0; f < SF__COUNT; f++)
		if (span_fields[f].pres != SFP_REQ)
			set_field(s, f);
	s->parent_span_id = "pa-1";
	s->trace_id = "tr-1";
	s->status = SPST_ERROR;
}

/* Opik and Scale GP show each field the table names for them, under that name. */
START_TEST(api_names)
{
	struct span s;
	struct arena *a = arena_new();
	struct buf o, g;
	buf_init(&o);
	buf_init(&g);
	span_full(&s);
	opik_render(&o, a, OPIK_SPAN, &s, NULL, NULL, NULL);
	egp_render(&g, a, &s, "acct");
	json_t *oj = json_loadb(o.p, o.len, 0, NULL), *gj = json_loadb(g.p, g.len, 0, NULL);
	ck_assert_ptr_nonnull(oj);
	ck_assert_ptr_nonnull(gj);
	for (int f = 0; f < SF__COUNT; f++) {
		const char *on = opik_field_names[f], *gn = egp_field_names[f];
		ck_assert_msg(!on || at_path(oj, on), "Opik shows no %s (%s)", on,
			      span_fields[f].name);
		ck_assert_msg(!gn || at_path(gj, gn), "Scale GP shows no %s (%s)", gn,
			      span_fields[f].name);
	}
	json_decref(oj);
	json_decref(gj);
	span_clear(&s);
	buf_free(&o);
	buf_free(&g);
	arena_free(a);
}
END_TEST

/* span_id_problem's bounds in characters, not bytes, and its dot rule, on both sides of the
 * shortcuts that skip the count (1 to SPAN_MAX_ID bytes starting a character) and the walk (no
 * '.'). */
START_TEST(id_rules)
{
	char id[4 * SPAN_MAX_ID + 8];
	ck_assert_ptr_nonnull(span_id_problem(""));
	ck_assert_ptr_null(span_id_problem("a"));
	memset(id, 'x', SPAN_MAX_ID);
	id[SPAN_MAX_ID] = 0;
	ck_assert_ptr_null(span_id_problem(id));
	id[SPAN_MAX_ID] = 'x', id[SPAN_MAX_ID + 1] = 0;
	ck_assert_ptr_nonnull(span_id_problem(id)); /* 1025 characters */
	for (size_t i = 0; i < SPAN_MAX_ID; i++)
		memcpy(id + 2 * i, "\xc3\xa9", 2);
	id[2 * SPAN_MAX_ID] = 0;
	ck_assert_ptr_null(span_id_problem(id)); /* 1024 characters in 2048 bytes */
	memcpy(id + 2 * SPAN_MAX_ID, "\xc3\xa9", 3);
	ck_assert_ptr_nonnull(span_id_problem(id));
	ck_assert_ptr_nonnull(span_id_problem("\xa9\xa9")); /* no byte starts a character */
	ck_assert_ptr_null(span_id_problem("\xa9"
					   "a"));
	const char *bad[] = {".", "..", "a/.", "./a", "a/../b", "/..", "../"};
	const char *good[] = {"a.b", "...", ".a", "a/.../b", "a/.b/c", "..a/b.", "/", "a/b"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(span_id_problem(bad[i]), "%s", bad[i]);
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ck_assert_msg(!span_id_problem(good[i]), "%s", good[i]);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("fields");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, each_field_alone);
	tcase_add_test(tc, render_at_members);
	tcase_add_test(tc, raw_through_one_buffer);
	tcase_add_test(tc, signature_bits);
	tcase_add_test(tc, conditions);
	tcase_add_test(tc, literals_are_the_line);
	tcase_add_test(tc, every_condition_filters);
	tcase_add_test(tc, api_names);
	tcase_add_test(tc, id_rules);
	suite_add_tcase(s, tc);
	return s;
}
