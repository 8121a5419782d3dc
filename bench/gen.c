/* gen: benchmark data generator (see gen.h), and the `gen` program that loads it into a
 * store directly (fast) or prints canonical span lines for the ingest API. */
#include "bench/gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rnd(struct gen *g)
{
	/* splitmix64: fast, and the same data on every machine for a given seed */
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int64_t range(struct gen *g, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd(g) % (uint64_t)(hi - lo + 1));
}

void gen_init(struct gen *g, uint64_t seed, int days, int nws, int64_t end_us)
{
	static const char *const words[] = {"the",	  "agent",   "calls",	  "a",	  "tool",
					    "to",	  "search",  "documents", "and",  "then",
					    "summarizes", "results", "for",	  "user", "query",
					    "about",	  "weather", "flights",	  "code"};
	memset(g, 0, sizeof *g);
	g->rng = seed;
	g->days = days;
	g->nws = nws;
	g->end_us = end_us;
	const char *tm = getenv("GEN_TEXT_MAX");
	g->text_max =
	    tm && atoi(tm) >= 200 && atoi(tm) <= GEN_TEXT_MAX_LIMIT ? atoi(tm) : GEN_TEXT_MAX_LIMIT;
	size_t n = 0;
	while (n < sizeof g->text - 16) {
		const char *w = words[rnd(g) % (sizeof words / sizeof words[0])];
		size_t l = strlen(w);
		memcpy(g->text + n, w, l);
		g->text[n + l] = ' ';
		n += l + 1;
	}
	g->text[n] = 0;
}

void gen_pool(struct gen *g, const char *pool, size_t len)
{
	g->pool = pool;
	g->poollen = len;
}

const char *gen_ws(int i)
{
	static char names[16][16];
	snprintf(names[i & 15], sizeof names[0], "bench-%d", i);
	return names[i & 15];
}

static const char *text(struct gen *g, struct arena *a)
{
	const char *pool = g->pool ? g->pool : g->text;
	size_t n = g->pool ? g->poollen : sizeof g->text;
	size_t len = range(g, 200, g->text_max), off = rnd(g) % (n - 4096);
	return arena_strndup(a, pool + off, len);
}

static const struct {
	const char *model, *provider;
	double in_cost, out_cost; /* USD per token */
} models[] = {
    {"gpt-4o", "openai", 2.5e-6, 1e-5},
    {"gpt-4o-mini", "openai", 1.5e-7, 6e-7},
    {"claude-3-5-sonnet", "anthropic", 3e-6, 1.5e-5},
    {"llama-3.1-70b", "nim", 8.8e-7, 8.8e-7},
};

static void fill(struct gen *g, struct arena *a, struct span *s, int kind, int64_t start)
{
	s->kind = kind;
	s->started_at = start;
	s->ended_at = start + range(g, 1000, 5000000);
	s->status = rnd(g) % 100 < 3 ? SPST_ERROR : SPST_SUCCESS;
	s->input = text(g, a);
	s->output = text(g, a);
	/* Two words the pool lacks, for searches of known selectivity: one span in a hundred
	 * mentions zanzibar, about three in ten lisbon. */
	if (rnd(g) % 100 == 0)
		s->input = arena_printf(a, "%s zanzibar", s->input);
	if (rnd(g) % 10 < 3)
		s->output = arena_printf(a, "lisbon %s", s->output);
	s->name = span_kind_names[kind];
	s->source = "bench";
	if (s->status == SPST_ERROR) {
		s->str[SS_ERROR_TYPE] = "TimeoutError";
		s->str[SS_ERROR_MESSAGE] = "upstream timed out";
	}
	if (kind == KIND_LLM) {
		int m = rnd(g) % (sizeof models / sizeof models[0]);
		s->str[SS_MODEL] = models[m].model;
		s->str[SS_PROVIDER] = models[m].provider;
		s->input_tokens = range(g, 50, 4000);
		s->output_tokens = range(g, 10, 1000);
		s->cached_tokens = rnd(g) % 4 ? 0 : s->input_tokens / 2;
		s->total_tokens = s->input_tokens + s->output_tokens;
		s->cost_input_usd = round(s->input_tokens * models[m].in_cost * 1e6) / 1e6;
		s->cost_output_usd = round(s->output_tokens * models[m].out_cost * 1e6) / 1e6;
		s->cost_total_usd = round((s->cost_input_usd + s->cost_output_usd) * 1e6) / 1e6;
	} else if (kind == KIND_TOOL) {
		static const char *const tools[] = {"web_search", "calculator", "sql_query",
						    "read_file"};
		s->str[SS_TOOL_NAME] = tools[rnd(g) % 4];
	}
}

size_t gen_trace(struct gen *g, struct arena *a, struct span *out, int *ws)
{
	static const int child_kinds[] = {KIND_LLM,	  KIND_LLM,   KIND_TOOL,
					  KIND_RETRIEVER, KIND_CHAIN, KIND_AGENT};
	uint64_t t = g->traces++;
	*ws = (int)(t % (uint64_t)g->nws);
	/* about three traces per session, so sessions are shared */
	if (g->sessions == 0 || rnd(g) % 3 == 0)
		g->sessions++;
	char *trace =
	    arena_printf(a, "%016llx%016llx", (unsigned long long)rnd(g), (unsigned long long)t);
	char *session = arena_printf(a, "session-%llu", (unsigned long long)g->sessions);
	const char *agent = (t % 5) ? "support-bot" : "code-agent";
	int64_t start =
	    g->step_us ? g->next_us : g->end_us - range(g, 1, (int64_t)g->days * 86400 * 1000000LL);
	size_t n = range(g, 5, 50);
	g->next_us += (int64_t)n * g->step_us;
	int depth = (int)range(g, 1, 4);
	size_t level_start[5] = {0};
	for (size_t i = 0; i < n; i++) {
		struct span *s = &out[i];
		span_init(s);
		s->span_id = arena_printf(a, "%s-%02zu", trace, i);
		s->trace_id = trace;
		s->session_id = session;
		s->workspace = gen_ws(*ws);
		s->str[SS_AGENT_NAME] = agent;
		s->str[SS_PROJECT] = "bench";
		if (i == 0) {
			fill(g, a, s, rnd(g) % 2 ? KIND_AGENT : KIND_CHAIN, start);
			continue;
		}
		/* level of span i: spread over 1..depth; its parent is on the level above */
		int lvl = depth == 1 ? 1 : 1 + (int)(i % (size_t)depth);
		if (!level_start[lvl])
			level_start[lvl] = i;
		size_t parent = lvl == 1 ? 0 : (level_start[lvl - 1] ? level_start[lvl - 1] : 0);
		s->parent_span_id = out[parent].span_id;
		fill(g, a, s, child_kinds[rnd(g) % 6],
		     out[parent].started_at + range(g, 1000, 60000000));
	}
	return n;
}

#ifdef GEN_MAIN
#include "lib/store/store.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/mem.h"

/* gen SPANS DATA_DIR [seed [workspaces [TEXT]]]  loads SPANS spans into DATA_DIR with
 *                                               store_append;
 * gen SPANS -        [seed [workspaces [TEXT]]]  prints canonical span lines (ws<TAB>line).
 * workspaces: 1 to 3 (default 3: bench-0, bench-1, bench-2). TEXT: a file (over 4 KiB) the
 * input and output are cut from instead of the word pool (gen_pool). GEN_SECONDS: below. */
int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: gen SPANS DATA_DIR|- [seed [workspaces]]\n");
		return 2;
	}
	long long want = atoll(argv[1]);
	bool print = strcmp(argv[2], "-") == 0;
	struct gen g;
	/* 2024-06-01T00:00:00Z: fixed, so a seed always gives the same data */
	int nws = argc > 4 ? atoi(argv[4]) : 3;
	if (nws < 1 || nws > 3) {
		fprintf(stderr, "gen: workspaces must be 1 to 3\n");
		return 2;
	}
	gen_init(&g, argc > 3 ? strtoull(argv[3], NULL, 10) : 1, 30, nws, 1717200000000000LL);
	/* GEN_SECONDS=N: the traces start in the order they are written, spread over the N
	 * seconds that end an hour before the end (the newest day a large one, as today is under
	 * a live ingest; issue 57's mixed load), not at random in 30 days. */
	long long secs = getenv("GEN_SECONDS") ? atoll(getenv("GEN_SECONDS")) : 0;
	if (secs > 0 && want > 0) {
		g.step_us = secs * 1000000 / want;
		g.next_us = g.end_us - 3600000000LL - g.step_us * want;
	}
	struct buf pool;
	buf_init(&pool);
	if (argc > 5) {
		FILE *f = fopen(argv[5], "rb");
		char chunk[65536];
		size_t got;
		while (f && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_add(&pool, chunk, got);
		if (!f || ferror(f) || pool.len <= 4096) {
			fprintf(stderr, "gen: %s: cannot read, or not over 4 KiB\n", argv[5]);
			return 2;
		}
		fclose(f);
		gen_pool(&g, pool.p, pool.len);
	}
	struct store st;
	store_init(&st, argv[2], false);
	struct arena *a = arena_new();
	enum { BATCH = 1000 };
	struct span *batch[3];
	size_t nb[3] = {0};
	for (int w = 0; w < 3; w++)
		batch[w] = xmalloc((BATCH + 50) * sizeof(struct span));
	struct buf line;
	buf_init(&line);
	long long made = 0;
	while (made < want) {
		struct span tr[50];
		int ws;
		size_t n = gen_trace(&g, a, tr, &ws);
		for (size_t i = 0; i < n; i++)
			batch[ws][nb[ws]++] = tr[i];
		made += n;
		if (nb[0] < BATCH && nb[1] < BATCH && nb[2] < BATCH && made < want)
			continue;
		/* flush every workspace so the arena holding their strings can be reset */
		for (int w = 0; w < 3; w++) {
			if (print) {
				for (size_t i = 0; i < nb[w]; i++) {
					line.len = 0;
					span_render(&batch[w][i], &line);
					printf("%s\t%s\n", gen_ws(w), line.p);
				}
			} else if (nb[w]) {
				struct err e = {ST_OK, ""};
				if (store_append(&st, gen_ws(w), batch[w], nb[w], &e) != ST_OK) {
					fprintf(stderr, "store_append: %s\n", err_text(&e));
					return 1;
				}
			}
			nb[w] = 0;
		}
		arena_reset(a);
	}
	fprintf(stderr, "gen: %lld spans, %llu traces\n", made, (unsigned long long)g.traces);
	buf_free(&line);
	buf_free(&pool);
	arena_free(a);
	for (int w = 0; w < 3; w++)
		free(batch[w]);
	return 0;
}
#endif
