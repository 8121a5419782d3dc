/* check_query.h: the fixture the files of t/check_query share (t/check_query_fixture.c): a
 * store in a temp dir with a few spans over two days (setup, teardown), spans made and appended,
 * a query to fill and run, and the files of a day's indexes to read, damage and set aside. */
#ifndef SPANDEX_T_CHECK_QUERY_H
#define SPANDEX_T_CHECK_QUERY_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/api/intake/filter.h"
#include "lib/api/intake/pages.h"
#include "lib/query/query.h"
#include "lib/query/search.h"
#include "lib/store/ops.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/base/utf8.h"
#include "lib/json/jline.h"

/* The store in its temp dir (setup, teardown) and the spans appended to its workspace "ws". */
extern char fx_root[64];
extern struct store fx_st;
extern struct arena *A;
struct span mk(const char *id, const char *trace, const char *parent, const char *session,
	       const char *start, int secs, int kind, int status, const char *model, int tok,
	       double cost);
void append(struct span *s, size_t n);
void setup(void);
void teardown(void);
/* The query a test fills (q_init) and runs. */
extern struct query Q;
extern struct filter F;
void q_init(const char *sort, long long page, long long size, const char *filter,
	    enum filter_kind kind);
json_t *run(enum status (*fn)(struct query *, struct buf *));
const char *str_at(json_t *page, size_t i, const char *key);
long long pg(json_t *page, const char *key);
const char *row_ids(const struct query_rows *r);
const char *found(const char *t1, const char *t2);
const char *filtered(const char *filter);
/* A day's indexes and files: built, read, damaged, set aside. */
int32_t fx_day_of(const char *d);
bool index_day(const char *d);
/* Day d's .tix built again as version v ("10" or "11") wrote it (the builder's test hook,
 * SPANDEX_TEST_TIX_VERSION), so that the older versions' tests make theirs from it. */
void dayindex_at(const char *d, const char *v);
void dayindex_v10(const char *d);
const char *dayindex_of(const char *root_dir, const char *d);
size_t count_problems(void);
struct span mk_text(const char *id, const char *trace, const char *parent, const char *session,
		    const char *start, const char *input, const char *output);
void one_trace(struct span *s, int n, char (*ids)[8], char c, const char *day);
void append_killed_by(const char *hook, struct span *s, size_t n);
void append_killed(struct span *s, size_t n);
const char *bitstr(const uint64_t *bits, size_t n);
/* The reference of the word rules (check_query_words.c): whether c is a byte of a word; whether
 * text s has a word of at most DAYINDEX_MAX_WORD bytes that, folded, holds the folded run
 * t[0..tn) (at its start with left, at its end with right; *lng set when s has a longer word). */
bool ref_word_byte(unsigned char c);
bool ref_holds_run(const char *s, const char *t, size_t tn, bool left, bool right, bool *lng);
char *file_read(const char *path, long *size);
void file_write_new(const char *path, const char *p, long size);
void file_damage(const char *path, long at, int x);
/* file[0..size), a .tix of version 9, as version 7 wrote it: without the triples of words
 * (dayindex_drop_triples) and the value lists that end it
 * (the file's last 8 bytes are their number of bytes), the header's version and checksum made
 * again. Its new size. */
long dayindex_drop_lists(char *file, long size);
/* file[0..size), a .tix of version 9, as version 6 wrote it: without the triples, the value lists
 * (dayindex_drop_lists) and the id strings that then end it (the last 8 bytes are their number
 * of bytes), the header's version, the strings' checksum (0) and the header's own checksum made
 * again. Its new size. */
long dayindex_drop_ids(char *file, long size);
/* file[0..size), a .tix of version 9, as version 8 wrote it: without the triples of words after
 * the pairs (docs/FORMAT.md, "Triples of words"), the checksums made again. Its new size. */
long dayindex_drop_triples(char *file, long size);
const char *tailindex_of(const char *d);
char *unindexed(const char *const *days, int n, char *(*fn)(void));
void answers_as(char *(*fn)(void), const char *plain);
void index_days(const char *const *days, int n, int (*right)(const char *));
/* Tail segment seg of n records rewritten as SPXTDX2 wrote it: keys only (check_query_tail.c). */
void seg_as_keys_only(char *seg, size_t n);
void each_page(struct buf *b, const char *const *filters, size_t nf, const long long (*pages)[2],
	       size_t np, enum filter_kind kind, bool summary,
	       enum status (*fn)(struct query *, struct buf *));
uint64_t seal_day(const char *d);
char *span_pages(const char *const *filters, size_t nf, const long long (*pages)[2], size_t np);

/* The tests of each file, added to the suite's cases: store and index have the fixture, text
 * has none. */
void check_query_rows(TCase *store);
void check_query_text(TCase *store, TCase *index, TCase *text);
void check_query_words(TCase *store);
/* The day's index (store_index_text) of sh for terms: the records it answers for, the bits in
 * *bits and *sure (NULL: none); *tix the records of those the .tix covers (check_query_text.c). */
size_t day_text_of(struct shard *sh, const char *const *terms, uint64_t **bits, uint64_t **sure,
		   size_t *tix);
void check_query_phrase(TCase *index);
void check_query_index(TCase *index);
void check_query_snap(TCase *index);
void check_query_tail(TCase *store);
/* "same" when got and want are equal, else where they part (the caller frees). */
char *parted(const char *got, const char *want);
/* A span in each of four other workspaces, each then asked about by ask, so that what the
 * process keeps of "ws" (of four workspaces: lib/query/twins.c, gcount.c) is let go. */
void others_asked(void (*ask)(const char *ws));
/* fn's answer "same" (parted's), else a failure naming when. */
void same_right(char *(*fn)(void), const char *when);
/* The same with the days' indexes set aside (unindexed). */
void same_unindexed(const char *const *days, int n, char *(*fn)(void));
void check_query_traces(TCase *store);
void check_query_groups(TCase *store);
void check_query_ids(TCase *index);
void check_query_lists(TCase *store, TCase *index);
void check_query_tailwords(TCase *store);
void check_query_tailphrase(TCase *store);

#endif
