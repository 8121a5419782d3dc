/* map_bench: the CPU an ingest body's mapping costs, in-process and without the store: a direct
 * JSON body (`POST ingest/spans`: direct_parse, the checks and the attribute catalog) or an OTLP
 * protobuf one (otlp_decode: the wire, the conventions table) decoded ROUNDS times of
 * MAP_BENCH_DECODES decodes each; prints the best round's CPU microseconds a span. Usage:
 * map_bench json|otlp BODY [ROUNDS]; BODY from `node bench/ingest.mjs --make N` (json) or
 * `--make-otlp N` (otlp). Its instruction count under `valgrind --tool=cachegrind` is the
 * figure a loaded machine does not move (BENCHMARKS-HISTORY.md, "Conventions of issue 53"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/ingest/direct.h"
#include "lib/ingest/otlp.h"
#include "lib/json/jsonx.h"
#include "lib/base/arena.h"

#define MAP_BENCH_DECODES 10 /* decodes a round: a round of 1000-span bodies takes ~50 ms */

static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One decode of body: the spans it gave, 0 when it was refused. */
static size_t decode(struct arena *a, bool otlp, const char *body, size_t len, json_t *json)
{
	size_t n;
	if (otlp) {
		struct otlp_result out;
		struct err e;
		if (otlp_decode(a, "bench", OTLP_PROTOBUF, body, len, 1700000000000000, &out, &e) !=
		    ST_OK)
			return 0;
		n = out.nspans;
		otlp_result_free(&out);
	} else {
		struct span *out;
		struct verrs v;
		verrs_init(&v);
		n = direct_parse(a, "bench", json, &out, &v);
		for (size_t i = 0; i < n; i++)
			span_clear(&out[i]);
		verrs_free(&v);
	}
	arena_reset(a);
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "json") && strcmp(argv[1], "otlp"))) {
		fprintf(stderr, "usage: map_bench json|otlp BODY [ROUNDS]\n");
		return 2;
	}
	bool otlp = !strcmp(argv[1], "otlp");
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	FILE *f = fopen(argv[2], "rb");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	rewind(f);
	char *body = malloc((size_t)len + 1);
	if (!body || fread(body, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "map_bench: cannot read %s\n", argv[2]);
		return 1;
	}
	fclose(f);
	json_t *json = NULL;
	if (!otlp) {
		size_t pos = 0;
		struct err e;
		if (!(json = jsonx_parse(body, (size_t)len, &pos, &e))) {
			fprintf(stderr, "map_bench: %s: %s\n", argv[2], err_text(&e));
			return 1;
		}
	}
	struct arena *a = arena_new();
	double best = -1;
	for (int r = 0; r < (rounds > 0 ? rounds : 1); r++) {
		double t0 = cpu_s();
		size_t spans = 0;
		for (int i = 0; i < MAP_BENCH_DECODES; i++) {
			size_t n = decode(a, otlp, body, (size_t)len, json);
			if (!n) {
				fprintf(stderr, "map_bench: %s was refused\n", argv[2]);
				return 1;
			}
			spans += n;
		}
		double us = (cpu_s() - t0) * 1e6 / (double)spans;
		if (best < 0 || us < best)
			best = us;
	}
	printf("%s %.3f us of CPU a span (best of %d rounds of %d decodes)\n", argv[1], best,
	       rounds, MAP_BENCH_DECODES);
	json_decref(json);
	arena_free(a);
	free(body);
	return 0;
}
