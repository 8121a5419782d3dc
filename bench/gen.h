/* gen: a deterministic generator of realistic agent traces for benchmarks (issue 3): traces
 * 1-4 levels deep with 5-50 spans, kinds LLM/TOOL/AGENT/CHAIN/RETRIEVER with models,
 * providers, tokens and costs, 200-4000 byte input/output, some errors, shared sessions,
 * spread over `days` days and `nws` workspaces. Spans live in the caller's arena. */
#ifndef SPANDEX_BENCH_GEN_H
#define SPANDEX_BENCH_GEN_H

#include <stdint.h>
#include "lib/model/span.h"

struct gen {
	uint64_t rng;
	int days, nws;
	int64_t end_us;	 /* spans start in the `days` days before this */
	uint64_t traces; /* traces made so far */
	uint64_t sessions;
	char text[8192];  /* pool the input/output text is cut from */
	const char *pool; /* when set (gen_pool), the pool instead of text */
	size_t poollen;
	/* With step_us set, each trace starts step_us a span after the one before, from next_us
	 * on (the order ingest meets them in), instead of at random in the days. */
	int64_t next_us, step_us;
	/* The longest input or output text (200 to GEN_TEXT_MAX_LIMIT bytes; GEN_TEXT_MAX, default
	 * the limit): shorter spans for a store of 5M that fits the disk beside its copies in
	 * SQLite and Postgres (bench/compare.sh). The random draws are the same at any value. */
	int text_max;
};

/* The longest text gen cuts (bytes): the pool's offset leaves 4096 bytes after it. */
#define GEN_TEXT_MAX_LIMIT 4000

/* seed: any value; end_us: the end of the time range (fixed for reproducible data). */
void gen_init(struct gen *g, uint64_t seed, int days, int nws, int64_t end_us);
/* Cuts input/output from pool (len > 4096 bytes, kept by the caller) instead of the
 * default pool of 19 words: real prose and code compress like real traces, the word pool
 * does not (issue 5's compression ratio). */
void gen_pool(struct gen *g, const char *pool, size_t len);
/* Workspace name i ("bench-0" ...). */
const char *gen_ws(int i);
/* One trace into out (capacity >= 50 spans); returns its span count and sets *ws. */
size_t gen_trace(struct gen *g, struct arena *a, struct span *out, int *ws);

#endif
