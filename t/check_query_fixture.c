/* check_query_fixture: the store, spans, queries and files the tests of t/check_query share
 * (check_query.h). */
#include "t/check_query.h"

char fx_root[64];
struct store fx_st;
struct arena *A;

/* One span: id, trace, parent ("" for a root), session, start ("...Z"), seconds long, kind,
 * status, model (NULL for none), input tokens (-1 for none), cost (NAN for none). */
struct span mk(const char *id, const char *trace, const char *parent, const char *session,
	       const char *start, int secs, int kind, int status, const char *model, int tok,
	       double cost)
{
	struct span s;
	span_init(&s);
	s.span_id = id;
	s.trace_id = trace;
	s.parent_span_id = parent;
	s.session_id = session;
	s.workspace = "ws";
	s.source = "test";
	s.name = id;
	s.kind = kind;
	s.status = status;
	ck_assert(time_parse(start, true, &s.started_at));
	s.ended_at = secs < 0 ? SPAN_NONE_I64 : s.started_at + (int64_t)secs * 1000000;
	s.str[SS_MODEL] = model;
	if (tok >= 0) {
		s.input_tokens = tok;
		s.output_tokens = 2 * tok;
	}
	s.cost_total_usd = cost;
	s.input = "some input";
	s.output = "some output";
	return s;
}

void append(struct span *s, size_t n)
{
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_append(&fx_st, "ws", s, n, &e) == ST_OK, "append: %s", err_text(&e));
}

void setup(void)
{
	snprintf(fx_root, sizeof fx_root, "/tmp/check_query.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx_root));
	store_init(&fx_st, fx_root, false);
	A = arena_new();
	struct span s[] = {
	    /* trace t1 crosses midnight: root on the 1st, a child on the 2nd */
	    mk("s1", "t1", "", "sess-a", "2024-03-01T23:59:00Z", 120, KIND_AGENT, SPST_SUCCESS,
	       NULL, -1, NAN),
	    mk("s2", "t1", "s1", "sess-a", "2024-03-01T23:59:10Z", 5, KIND_LLM, SPST_SUCCESS,
	       "gpt-4o", 10, 0.1),
	    mk("s3", "t1", "s1", "sess-a", "2024-03-02T00:00:30Z", 5, KIND_LLM, SPST_ERROR,
	       "gpt-4o", 20, 0.2),
	    /* trace t2: same session, later */
	    mk("s4", "t2", "", "sess-a", "2024-03-02T10:00:00Z", 1, KIND_CHAIN, SPST_ERROR, NULL,
	       -1, NAN),
	    mk("s5", "t2", "s4", "sess-a", "2024-03-02T10:00:00.5Z", 1, KIND_LLM, SPST_SUCCESS,
	       "claude", 5, 0.05),
	    /* trace t3: another session, span without an end */
	    mk("s6", "t3", "", "sess-b", "2024-03-02T11:00:00Z", -1, KIND_TOOL, SPST_SUCCESS, NULL,
	       -1, NAN),
	};
	append(s, sizeof s / sizeof s[0]);
	/* a newer version of s5 supersedes the first: model and tokens change */
	struct span v2 = mk("s5", "t2", "s4", "sess-a", "2024-03-02T10:00:00.5Z", 1, KIND_LLM,
			    SPST_SUCCESS, "gpt-4o", 7, 0.07);
	append(&v2, 1);
}

void teardown(void)
{
	arena_free(A);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", fx_root);
	ck_assert_int_eq(system(cmd), 0);
}

struct query Q;
struct filter F;

void q_init(const char *sort, long long page, long long size, const char *filter,
	    enum filter_kind kind)
{
	memset(&Q, 0, sizeof Q);
	Q.st = &fx_st;
	Q.a = A;
	Q.ws = "ws";
	Q.sort = sort;
	Q.page = page;
	Q.page_size = size;
	ck_assert_int_eq(intake_filter_parse(A, kind, filter, NULL, NULL, 0, &F, NULL), ST_OK);
	Q.f = &F;
}

/* Runs fn into a JSON value (the caller decrefs). */
json_t *run(enum status (*fn)(struct query *, struct buf *))
{
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(fn(&Q, &b), ST_OK);
	json_error_t je;
	json_t *j = json_loadb(b.p, b.len, 0, &je);
	ck_assert_msg(j != NULL, "bad JSON: %s", b.p);
	buf_free(&b);
	return j;
}

const char *str_at(json_t *page, size_t i, const char *key)
{
	return json_string_value(
	    json_object_get(json_array_get(json_object_get(page, "data"), i), key));
}

long long pg(json_t *page, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(page, "pagination"), key));
}

/* The ids of a row listing, comma-joined. */
const char *row_ids(const struct query_rows *r)
{
	static char ids[8192];
	ids[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		json_t *j = json_loadb(r->rows[i].line, r->rows[i].len, 0, NULL);
		ck_assert_ptr_nonnull(j);
		snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? "," : "",
			 json_string_value(json_object_get(j, "span_id")));
		json_decref(j);
	}
	return ids;
}

/* The ids free text finds among the spans of "ws", oldest first ("" for none). */
const char *found(const char *t1, const char *t2)
{
	static char out[256];
	const char *terms[] = {t1, t2};
	struct query_rows r;
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 100;
	Q.search = terms;
	Q.nsearch = t2 ? 2 : 1;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	snprintf(out, sizeof out, "%s", row_ids(&r));
	return out;
}

/* The ids of the live spans of "ws" a filter keeps, oldest first. */
const char *filtered(const char *filter)
{
	static char out[256];
	struct query_rows r;
	q_init("started_at", 0, 0, filter, FILTER_SPANS);
	Q.limit = 100;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	snprintf(out, sizeof out, "%s", row_ids(&r));
	return out;
}

int32_t fx_day_of(const char *d)
{
	int32_t n;
	ck_assert(time_day_parse(d, &n));
	return n;
}

/* Builds the text index of day d; returns whether it was (re)built. */
bool index_day(const char *d)
{
	bool built;
	size_t covered;
	ck_assert_int_eq(store_text_index(&fx_st, "ws", fx_day_of(d), &built, &covered), ST_OK);
	return built;
}

void dayindex_at(const char *d, const char *v)
{
	setenv("SPANDEX_TEST_TIX_VERSION", v, 1);
	ck_assert(index_day(d));
	unsetenv("SPANDEX_TEST_TIX_VERSION");
	store_forget_day(&fx_st, "ws", fx_day_of(d));
}

void dayindex_v10(const char *d)
{
	dayindex_at(d, "10");
}

static char dayindex_path[128];
const char *dayindex_of(const char *root_dir, const char *d)
{
	snprintf(dayindex_path, sizeof dayindex_path, "%s/ws/%s.tix", root_dir, d);
	return dayindex_path;
}

size_t count_problems(void)
{
	return store_verify(&fx_st, "ws", NULL, NULL, NULL, NULL);
}

/* A successful one-second span, an LLM root when parent is "" and a tool span under it else,
 * whose input and output are the given texts (NULL: mk's own). */
struct span mk_text(const char *id, const char *trace, const char *parent, const char *session,
		    const char *start, const char *input, const char *output)
{
	struct span s = mk(id, trace, parent, session, start, 1, *parent ? KIND_TOOL : KIND_LLM,
			   SPST_SUCCESS, NULL, -1, NAN);
	if (input)
		s.input = input;
	if (output)
		s.output = output;
	return s;
}

/* Spans s[0..n) of one trace, a second apart from 10:00 on day: ids <c>000 on into ids (the
 * first the others' parent), trace t<c>, session sess-<c>. n at most 1000 (ids of three digits). */
void one_trace(struct span *s, int n, char (*ids)[8], char c, const char *day)
{
	const char *trace = arena_printf(A, "t%c", c), *sess = arena_printf(A, "sess-%c", c);
	ck_assert_int_le(n, 1000);
	for (int k = 0; k < n; k++) {
		const char *start = arena_printf(A, "%sT10:%02d:%02dZ", day, k / 60, k % 60);
		snprintf(ids[k], 8, "%c%03u", c, (unsigned)k % 1000);
		s[k] = mk(ids[k], trace, k ? ids[0] : "", sess, start, 1, KIND_LLM, SPST_SUCCESS,
			  NULL, -1, NAN);
	}
}

/* Appends s[0..n) in a child that a test hook of lib/store/write.c SIGKILLs: hook
 * SPANDEX_TEST_KILL_AFTER_SHARDS once it has committed the batch's first shard, before the
 * others and the id table; SPANDEX_TEST_KILL_IN_TEXT once the first shard's lines, records and
 * text segment are written, before the header commits them. */
void append_killed_by(const char *hook, struct span *s, size_t n)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct err e = {ST_OK, ""};
		setenv(hook, "1", 1);
		store_append(&fx_st, "ws", s, n, &e);
		_exit(3); /* not reached: the hook kills */
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

void append_killed(struct span *s, size_t n)
{
	append_killed_by("SPANDEX_TEST_KILL_AFTER_SHARDS", s, n);
}

/* Bits i of a bitmap, for i in [0, n), as a string of 0 and 1. */
const char *bitstr(const uint64_t *bits, size_t n)
{
	static char out[64];
	for (size_t i = 0; i < n && i + 1 < sizeof out; i++)
		out[i] = bits && (bits[i >> 6] >> (i & 63) & 1) ? '1' : '0';
	out[n < sizeof out ? n : sizeof out - 1] = 0;
	return out;
}

char *file_read(const char *path, long *size)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	*size = ftell(f);
	char *p = malloc((size_t)*size);
	fseek(f, 0, SEEK_SET);
	ck_assert_uint_eq(fread(p, 1, (size_t)*size, f), (size_t)*size);
	fclose(f);
	return p;
}

/* Writes p[0..size) to a new file renamed over path (which a process checks anew: a tail's
 * segments are checked once per mapping). */
void file_write_new(const char *path, const char *p, long size)
{
	char tmp[200];
	snprintf(tmp, sizeof tmp, "%s.new", path);
	FILE *f = fopen(tmp, "w");
	ck_assert_uint_eq(fwrite(p, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	ck_assert_int_eq(rename(tmp, path), 0);
}

/* The file at path again, with byte at (from its end when negative) xored with x. */
void file_damage(const char *path, long at, int x)
{
	long size;
	char *file = file_read(path, &size);
	file[at < 0 ? size + at : at] ^= (char)x;
	file_write_new(path, file, size);
	free(file);
}

static uint64_t at8(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

long dayindex_drop_triples(char *file, long size)
{
	uint32_t nw, eight = 8, crc;
	memcpy(&nw, file + 20, 4);
	size_t pad = 7, blob = (at8(file + 48) + pad) & ~pad, starts = (4 * (nw + 1) + pad) & ~pad;
	size_t poffs = 128 + blob + starts, text = blob + starts + 8 * (nw + 1);
	text += (at8(file + poffs + 8 * nw) + pad) & ~pad;
	uint64_t np = at8(file + 128 + text);
	text += 24 + 16 * np + ((at8(file + 128 + text + 16 + 16 * np) + pad) & ~pad);
	const char *p = file + 128 + text;
	uint64_t nt = at8(p), tri = 24 + 16 * nt + ((at8(p + 16 + 16 * nt) + pad) & ~pad);
	ck_assert_uint_le(128 + text + tri, (uint64_t)size);
	memmove(file + 128 + text, file + 128 + text + tri, (size_t)size - 128 - text - tri);
	memcpy(file + 8, &eight, 4);
	crc = hash_crc32c(0, file + 128, text);
	memcpy(file + 56, &crc, 4);
	crc = hash_crc32c(0, file, 124);
	memcpy(file + 124, &crc, 4);
	return size - (long)tri;
}

long dayindex_drop_lists(char *file, long size)
{
	uint64_t lists;
	uint32_t seven = 7, crc;
	size = dayindex_drop_triples(file, size);
	memcpy(&lists, file + size - 8, 8);
	ck_assert_uint_le(lists, (uint64_t)size - 128);
	memcpy(file + 8, &seven, 4);
	crc = hash_crc32c(0, file, 124);
	memcpy(file + 124, &crc, 4);
	return size - (long)lists;
}

long dayindex_drop_ids(char *file, long size)
{
	uint64_t ids;
	uint32_t six = 6, zero = 0, crc;
	size = dayindex_drop_lists(file, size);
	memcpy(&ids, file + size - 8, 8);
	ck_assert_uint_le(ids, (uint64_t)size - 128);
	memcpy(file + 8, &six, 4);
	memcpy(file + 120, &zero, 4);
	crc = hash_crc32c(0, file, 124);
	memcpy(file + 124, &crc, 4);
	return size - (long)ids;
}

static char tailindex_file[128];
const char *tailindex_of(const char *d)
{
	snprintf(tailindex_file, sizeof tailindex_file, "%s/ws/%s.tdx", fx_root, d);
	return tailindex_file;
}

/* What fn answers with the text indexes of days[0..n), the day's and the tail's, set aside
 * (every record read). */
char *unindexed(const char *const *days, int n, char *(*fn)(void))
{
	char saved[8][2][160];
	for (int d = 0; d < n; d++) {
		snprintf(saved[d][0], sizeof saved[d][0], "%s.saved",
			 dayindex_of(fx_root, days[d]));
		rename(dayindex_of(fx_root, days[d]), saved[d][0]);
		snprintf(saved[d][1], sizeof saved[d][1], "%s.saved", tailindex_of(days[d]));
		rename(tailindex_of(days[d]), saved[d][1]);
	}
	char *r = fn();
	for (int d = 0; d < n; d++) {
		rename(saved[d][0], dayindex_of(fx_root, days[d]));
		rename(saved[d][1], tailindex_of(days[d]));
	}
	return r;
}

/* That fn answers as plain did. */
void answers_as(char *(*fn)(void), const char *plain)
{
	char *got = fn();
	ck_assert_str_eq(got, plain);
	free(got);
}

/* Builds the text index of days[0..n), each new, and finds each right (1) by right. */
void index_days(const char *const *days, int n, int (*right)(const char *))
{
	for (int d = 0; d < n; d++)
		ck_assert(index_day(days[d]));
	for (int d = 0; d < n; d++)
		ck_assert_int_eq(right(days[d]), 1);
}

/* fn's answer for each of filters[0..nf), newest and oldest first, on each of pages[0..np)
 * (page, size), appended to b. */
void each_page(struct buf *b, const char *const *filters, size_t nf, const long long (*pages)[2],
	       size_t np, enum filter_kind kind, bool summary,
	       enum status (*fn)(struct query *, struct buf *))
{
	static const char *const sorts[] = {"-started_at", "started_at"};
	for (size_t f = 0; f < nf; f++)
		for (size_t s = 0; s < 2; s++)
			for (size_t p = 0; p < np; p++) {
				q_init(sorts[s], pages[p][0], pages[p][1], filters[f], kind);
				Q.summary = summary;
				buf_printf(b, "|%d|", fn(&Q, b));
			}
}

/* Day d of workspace ws sealed (store_seal): the bytes of its lines read. */
uint64_t seal_day(const char *d)
{
	uint64_t in, out;
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_seal(&fx_st, "ws", fx_day_of(d), &in, &out, &e), ST_OK);
	return in;
}

/* each_page's pages of span listings (intake_pages_spans), in a new string. */
char *span_pages(const char *const *filters, size_t nf, const long long (*pages)[2], size_t np)
{
	struct buf b;
	buf_init(&b);
	each_page(&b, filters, nf, pages, np, FILTER_SPANS, false, intake_pages_spans);
	return b.p;
}

char *parted(const char *got, const char *want)
{
	size_t i = 0;
	while (got[i] && got[i] == want[i])
		i++;
	char *r = NULL;
	size_t from = i > 300 ? i - 300 : 0;
	if (got[i] || want[i])
		ck_assert_int_ge(asprintf(&r, "parted at %zu:\n...%.600s\nwanted ...%.600s", i,
					  got + from, want + from),
				 0);
	return r ? r : strdup("same");
}

void others_asked(void (*ask)(const char *ws))
{
	static const char *const others[] = {"o1", "o2", "o3", "o4"};
	for (int i = 0; i < 4; i++) {
		struct span s = mk("o", "ot", "", "sess-1", "2024-03-11T01:00:00Z", i, KIND_AGENT,
				   SPST_SUCCESS, NULL, 0, NAN);
		s.workspace = others[i];
		struct err e = {ST_OK, ""};
		ck_assert_int_eq(store_append(&fx_st, others[i], &s, 1, &e), ST_OK);
		ask(others[i]);
	}
}

void same_right(char *(*fn)(void), const char *when)
{
	char *r = fn();
	ck_assert_msg(!strcmp(r, "same"), "%s: %s", when, r);
	free(r);
}

void same_unindexed(const char *const *days, int n, char *(*fn)(void))
{
	char *r = unindexed(days, n, fn);
	ck_assert_msg(!strcmp(r, "same"), "indexes set aside: %s", r);
	free(r);
}
