/* qb_age: bench/query_bench's store aged in place: every day indexed as `spandex index` does,
 * or sealed as `spandex seal --older-than 0` does, each timed and its bytes printed. */
#include "bench/qb_age.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include "lib/base/time.h"

double qb_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* What qb_seal_all and qb_index_all add up over the days. */
struct tally {
	const char *dir;
	size_t days;
	uint64_t in, out;		    /* seal: stream and file bytes */
	uint64_t recs, data, idx, dayindex; /* index: records covered, file bytes */
};

/* Runs fn on every day of every workspace of the store (exits when one cannot be listed). */
static void each_day(struct store *st,
		     void (*fn)(struct store *, const char *, int32_t, struct tally *),
		     struct tally *t)
{
	char **ws;
	size_t nws;
	if (store_workspaces(st, &ws, &nws) != ST_OK) {
		fprintf(stderr, "store_workspaces failed\n");
		exit(1);
	}
	for (size_t w = 0; w < nws; w++) {
		int32_t *dl;
		size_t nd;
		if (store_days(st, ws[w], &dl, &nd) != ST_OK) {
			fprintf(stderr, "store_days %s failed\n", ws[w]);
			exit(1);
		}
		for (size_t d = 0; d < nd; d++)
			fn(st, ws[w], dl[d], t);
		free(dl);
		free(ws[w]);
	}
	free(ws);
}

static void seal_day(struct store *st, const char *ws, int32_t day, struct tally *t)
{
	struct err e = {ST_OK, ""};
	uint64_t in, out;
	if (store_seal(st, ws, day, &in, &out, &e) != ST_OK) {
		fprintf(stderr, "store_seal %s day %d: %s\n", ws, day, err_text(&e));
		exit(1);
	}
	t->days += in > 0;
	t->in += in;
	t->out += out;
}

/* Seals every day of every workspace of the store, as `spandex seal --older-than 0` does;
 * prints the stream bytes, the sealed files' bytes, their ratio and the throughput. */
void qb_seal_all(struct store *st)
{
	struct tally t = {0};
	st->seal_dict = getenv("QB_SEAL_DICT") && *getenv("QB_SEAL_DICT") == '1';
	double t0 = qb_now_ms();
	each_day(st, seal_day, &t);
	double secs = (qb_now_ms() - t0) / 1e3;
	printf("seal: %zu days, %llu stream bytes into %llu bytes of .jsonl.zst (%.1fx) in %.2f s "
	       "(%.1f MB/s)\n",
	       t.days, (unsigned long long)t.in, (unsigned long long)t.out,
	       t.out ? (double)t.in / t.out : 0.0, secs, secs > 0 ? t.in / 1e6 / secs : 0.0);
}

/* Bytes of the file of ws/day named by ext (0 when absent). */
static uint64_t file_bytes(const char *dir, const char *ws, int32_t day, const char *ext)
{
	char p[4200], d[11];
	struct stat sb;
	time_day_format(day, d);
	snprintf(p, sizeof p, "%s/%s/%s.%s", dir, ws, d, ext);
	return stat(p, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

static void index_day(struct store *st, const char *ws, int32_t day, struct tally *t)
{
	bool built;
	size_t covered;
	if (store_text_index(st, ws, day, &built, &covered) != ST_OK) {
		fprintf(stderr, "store_text_index %s day %d failed\n", ws, day);
		exit(1);
	}
	t->days++;
	t->recs += covered;
	t->data += file_bytes(t->dir, ws, day, "jsonl") + file_bytes(t->dir, ws, day, "jsonl.zst");
	t->idx += file_bytes(t->dir, ws, day, "idx");
	t->dayindex += file_bytes(t->dir, ws, day, "tix");
}

/* Builds the text index of every day of every workspace, as `spandex index` does; prints
 * the time and what it costs beside the data and the day indexes. */
void qb_index_all(struct store *st, const char *dir)
{
	struct tally t = {.dir = dir};
	double t0 = qb_now_ms();
	each_day(st, index_day, &t);
	double secs = (qb_now_ms() - t0) / 1e3;
	printf("text index: %zu days, %llu spans in %.2f s (%.1f MB/s of lines); %.1f bytes a "
	       "span, %.2f%% of the data (the day indexes: %.2f%%)\n",
	       t.days, (unsigned long long)t.recs, secs, secs > 0 ? t.data / 1e6 / secs : 0.0,
	       t.recs ? (double)t.dayindex / t.recs : 0.0,
	       t.data ? 100.0 * t.dayindex / t.data : 0.0, t.data ? 100.0 * t.idx / t.data : 0.0);
}
