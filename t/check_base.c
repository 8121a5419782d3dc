/* Check suite for lib/base: the arena's marks (arena_mark, arena_release), which let a
 * predicate that parses every candidate of a query give its memory back after each one. */
#include <check.h>
#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/base/arena.h"
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"

static int ran;

static void count(void *p)
{
	(void)p;
	ran++;
}

/* Bytes malloc has handed out and not had back (glibc; 0 under a sanitizer's allocator,
 * where the test then checks nothing but must still not crash). */
static size_t in_use(void)
{
	return mallinfo2().uordblks;
}

START_TEST(test_release_reuses)
{
	struct arena *a = arena_new();
	char *keep = arena_strdup(a, "kept");
	struct arena_mark m = arena_mark(a);
	char *first = arena_alloc(a, 100);
	arena_release(a, m);
	/* The same bytes again: the head block got its old fill back. */
	ck_assert_ptr_eq(arena_alloc(a, 100), first);
	ck_assert_str_eq(keep, "kept");
	arena_free(a);
}
END_TEST

/* Small blocks, big blocks (behind the head) and deferred calls made after the mark all go;
 * what came before it stays. */
START_TEST(test_release_frees_blocks)
{
	struct arena *a = arena_new();
	ran = 0;
	char *before = arena_alloc(a, 40000); /* a big block, behind the head */
	memset(before, 'b', 40000);
	size_t base = 0;
	for (int i = 0; i < 200; i++) {
		struct arena_mark m = arena_mark(a);
		for (int k = 0; k < 20; k++)
			memset(arena_alloc(a, 10000), 'x', 10000); /* new heads */
		memset(arena_alloc(a, 200000), 'y', 200000);	   /* a big one */
		arena_defer(a, count, NULL);
		arena_release(a, m);
		if (i == 0)
			base = in_use();
	}
	ck_assert_int_eq(ran, 200);
	/* 200 rounds of 400 KB each would be 80 MB kept without the releases. */
	ck_assert_uint_le(in_use(), base + (1u << 20));
	for (int i = 0; i < 40000; i++)
		if (before[i] != 'b')
			ck_abort_msg("byte %d of the block before the mark changed", i);
	arena_reset(a);
	ck_assert_int_eq(ran, 200); /* released calls do not run twice */
	arena_free(a);
}
END_TEST

START_TEST(test_release_nested)
{
	struct arena *a = arena_new();
	struct arena_mark outer = arena_mark(a);
	char *o = arena_strdup(a, "outer");
	struct arena_mark inner = arena_mark(a);
	for (int k = 0; k < 50; k++)
		arena_alloc(a, 5000);
	arena_defer(a, count, NULL);
	ran = 0;
	arena_release(a, inner);
	ck_assert_int_eq(ran, 1);
	ck_assert_str_eq(o, "outer");
	arena_defer(a, count, NULL);
	arena_release(a, outer);
	ck_assert_int_eq(ran, 2);
	arena_free(a);
	ck_assert_int_eq(ran, 2);
}
END_TEST

/* The use it is for: JSON parsed per candidate while jansson allocates from the arena. */
START_TEST(test_release_json)
{
	struct arena *a = arena_new();
	arena_json(a);
	json_t *kept = json_pack("{s:s}", "k", "v");
	size_t base = 0;
	for (int i = 0; i < 5000; i++) {
		struct arena_mark m = arena_mark(a);
		json_t *j = json_loads("{\"a\":[1,2,3,{\"b\":\"some text of a line\"}],\"c\":null}",
				       0, NULL);
		ck_assert_ptr_nonnull(j);
		json_decref(j);
		arena_release(a, m);
		if (i == 0)
			base = in_use();
	}
	ck_assert_uint_le(in_use(), base + (1u << 20));
	ck_assert_str_eq(json_string_value(json_object_get(kept, "k")), "v");
	arena_json(NULL);
	arena_free(a);
}
END_TEST

/* Day names, formatted by hand (years 0-9999): each parses back to the same day. */
START_TEST(test_day_format)
{
	static const char *const days[] = {"1970-01-01", "2024-02-29", "2024-03-01",
					   "1000-01-01", "9999-12-31", "2000-10-09"};
	char out[11];
	for (size_t i = 0; i < sizeof days / sizeof *days; i++) {
		int32_t day;
		ck_assert(time_day_parse(days[i], &day));
		time_day_format(day, out);
		ck_assert_str_eq(out, days[i]);
	}
	time_day_format(0, out);
	ck_assert_str_eq(out, "1970-01-01");
}
END_TEST

/* The range every parser keeps: years 1-9999 as the UTC instant, after the offset, so no time
 * is stored in a day whose name is 0000-12-31 or a cut 10000-01-0 (which no listing reads). */
START_TEST(test_time_range)
{
	static const char *const out[] = {
	    "0001-01-01T00:00:00+14:00", "0001-01-01T00:59:59.999999+01:00",
	    "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59.999999-00:01",
	    "0000-12-31T23:59:59Z",	 "0001-01-01T00:00:00+0001"};
	int64_t us;
	for (size_t i = 0; i < sizeof out / sizeof *out; i++)
		ck_assert_msg(!time_parse(out[i], false, &us), "%s", out[i]);
	static const struct {
		const char *s;
		int64_t us;
	} in[] = {{"0001-01-01T00:00:00Z", TIME_MIN_US},
		  {"0001-01-01T01:00:00+01:00", TIME_MIN_US},
		  {"0001-01-01", TIME_MIN_US},
		  {"9999-12-31T23:59:59.999999Z", TIME_MAX_US},
		  {"9999-12-31T09:59:59.999999-14:00", TIME_MAX_US},
		  {"9999-12-31 23:59:59.999999", TIME_MAX_US}};
	for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
		ck_assert_msg(time_parse(in[i].s, false, &us), "%s", in[i].s);
		ck_assert_int_eq(us, in[i].us);
	}
	ck_assert_int_eq(time_day(TIME_MIN_US), TIME_DAY_MIN);
	ck_assert_int_eq(time_day(TIME_MAX_US), TIME_DAY_MAX);
	ck_assert(time_day_valid(TIME_DAY_MIN) && time_day_valid(TIME_DAY_MAX));
	ck_assert(!time_day_valid(TIME_DAY_MIN - 1) && !time_day_valid(TIME_DAY_MAX + 1));
	/* Unix times: seconds, milliseconds past +-2e10 (pydantic's rule), and their text. */
	ck_assert(time_from_unix(-62135596800000.0, &us) && us == TIME_MIN_US);
	ck_assert(!time_from_unix(-62135596800001.0, &us));
	ck_assert(time_from_unix(253402300799999.0, &us) && time_day(us) == TIME_DAY_MAX);
	ck_assert(!time_from_unix(253402300800000.0, &us));
	ck_assert(!time_from_unix(1e300, &us) && !time_from_unix(-1e300, &us));
	ck_assert(time_parse_unix("-62135596800000", &us) && us == TIME_MIN_US);
	ck_assert(!time_parse_unix("253402300800000", &us));
	char d[11];
	time_day_format(TIME_DAY_MIN, d);
	ck_assert_str_eq(d, "0001-01-01");
	time_day_format(TIME_DAY_MAX, d);
	ck_assert_str_eq(d, "9999-12-31");
}
END_TEST

/* time_format writes two digits a step and returns the length: every field's digits against
 * gmtime_r and snprintf, at the range's ends and across each digit of the fraction. */
START_TEST(test_time_format)
{
	static const int64_t us[] = {0,
				     1,
				     9,
				     10,
				     99,
				     100,
				     999999,
				     1000000,
				     59999999,
				     86399999999,
				     -1,
				     1735696237592000,
				     1798333200013393,
				     951782400123456,
				     TIME_MIN_US,
				     TIME_MAX_US};
	for (size_t i = 0; i < sizeof us / sizeof *us; i++) {
		char got[32], want[48];
		int64_t s = us[i] / 1000000 - (us[i] % 1000000 < 0), f = us[i] - s * 1000000;
		time_t t = (time_t)s;
		struct tm tm;
		ck_assert(gmtime_r(&t, &tm));
		int n =
		    snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (f)
			n += snprintf(want + n, sizeof want - (size_t)n, ".%06d", (int)f);
		snprintf(want + n, sizeof want - (size_t)n, "Z");
		ck_assert_uint_eq(time_format(us[i], got), strlen(want));
		ck_assert_str_eq(got, want);
	}
}
END_TEST

/* A day outside the range has no name: formatting one aborts rather than cut it to fit. */
START_TEST(test_day_format_out_of_range)
{
	const int32_t days[] = {TIME_DAY_MIN - 1, TIME_DAY_MAX + 1, INT32_MIN, INT32_MAX};
	for (size_t i = 0; i < sizeof days / sizeof *days; i++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (!pid) {
			char d[11];
			fclose(stderr); /* the abort's message, expected */
			time_day_format(days[i], d);
			_exit(0);
		}
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "day %d",
			      (int)days[i]);
	}
}
END_TEST

/* arena_size, the measure SPANDEX_QUERY_MEM bounds: it grows with blocks big and small and
 * comes back down with a release and a reset. */
/* mem_sort_keyed orders by key, then in the order given (the value here), as qsort with a
 * comparison of both does: sizes each side of its insertion sort's bound, keys from a few
 * values (many equal), from one (every pass skipped) and from every byte. */
static int keyed_cmp(const void *a, const void *b)
{
	const struct mem_keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->val > y->val) - (x->val < y->val);
}

/* hash_bytes is part of the file format (lib/base/hash.c): 8 bytes a step gives the values of
 * FNV-1a a byte a step and the murmur3 finalizer, at every length around the steps. */
static uint64_t ref_hash_bytes(const unsigned char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h ? h : 1;
}

START_TEST(test_hash_bytes)
{
	unsigned char s[80];
	for (size_t i = 0; i < sizeof s; i++)
		s[i] = (unsigned char)(i * 151 + 7);
	for (size_t n = 0; n <= sizeof s; n++)
		for (size_t at = 0; at < 3 && at + n <= sizeof s; at++)
			ck_assert_uint_eq(hash_bytes(s + at, n), ref_hash_bytes(s + at, n));
}
END_TEST

START_TEST(test_sort_keyed)
{
	static const size_t sizes[] = {0, 1, 2, 63, 64, 65, 1000, 4099};
	unsigned seed = 57;
	for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
		for (int kind = 0; kind < 3; kind++) {
			size_t n = sizes[si];
			struct mem_keyed *a = xmalloc((n ? n : 1) * sizeof *a),
					 *b = xmalloc((n ? n : 1) * sizeof *b);
			for (size_t i = 0; i < n; i++) {
				uint64_t r = (uint64_t)rand_r(&seed) << 40 ^
					     (uint64_t)rand_r(&seed) << 20 ^
					     (uint64_t)rand_r(&seed);
				uint64_t key = kind == 0 ? r % 7 << 56 | r % 3 : kind == 1 ? 42 : r;
				a[i] = b[i] = (struct mem_keyed){key, i};
			}
			mem_sort_keyed(a, n);
			if (n)
				qsort(b, n, sizeof *b, keyed_cmp);
			for (size_t i = 0; i < n; i++)
				ck_assert_msg(a[i].key == b[i].key && a[i].val == b[i].val,
					      "n %zu kind %d at %zu", n, kind, i);
			free(a);
			free(b);
		}
}
END_TEST

/* buf_add and buf_addc (inline since issue 57) against a plain array, on random appends of 0
 * to 700 bytes and single bytes from an empty buffer: the same bytes, NUL after them, and an
 * empty append to an empty buffer gives a buffer ("", not NULL). */
START_TEST(test_buf_appends)
{
	static char ref[1 << 20];
	char src[700];
	size_t n = 0;
	struct buf b;
	srand(57);
	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (char)(rand() % 255 + 1);
	buf_init(&b);
	buf_add(&b, src, 0);
	ck_assert_ptr_nonnull(b.p);
	ck_assert_str_eq(b.p, "");
	while (n < sizeof ref - 2 * sizeof src) {
		if (rand() % 3) {
			size_t k = (size_t)rand() % (rand() % 8 ? 20 : sizeof src);
			buf_add(&b, src + sizeof src - k, k);
			memcpy(ref + n, src + sizeof src - k, k);
			n += k;
		} else {
			buf_addc(&b, src[n % sizeof src]);
			ref[n] = src[n % sizeof src];
			n++;
		}
		ck_assert_uint_eq(b.len, n);
		ck_assert_int_eq(b.p[n], 0);
	}
	ck_assert(!memcmp(b.p, ref, n));
	buf_free(&b);
}
END_TEST

/* bits_copy against a bit at a time: every start and end around words' edges, every offset
 * of the source within a word, the source's last word read only for bits of it. */
START_TEST(test_bits_copy)
{
	enum { N = 300 };
	uint64_t src[5], dst[6], want[6];
	for (size_t w = 0; w < 5; w++)
		src[w] = 0x9e3779b97f4a7c15ull * (w + 1) ^ (0xf0f0ull << w);
	for (size_t off = 0; off < 70; off += 3)
		for (size_t a = off; a < off + 140; a += 7)
			for (size_t z = a; z <= a + 170 && z - off <= N; z += 5)
				for (int none = 0; none < 2; none++) {
					for (size_t w = 0; w < 6; w++)
						dst[w] = want[w] = 0x5555555555555555ull ^ w;
					for (size_t i = a; i < z; i++)
						bits_put(want, i, !none && bits_get(src, i - off));
					bits_copy(dst, a, z, none ? NULL : src, off);
					ck_assert_mem_eq(dst, want, sizeof dst);
				}
}
END_TEST

/* bits_count's two paths (popcnt where the CPU has it, the portable count) equal a bit-by-bit
 * count on random bytes of every length and alignment up to 3 words past 8. */
START_TEST(test_bits_count)
{
	unsigned char b[300];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof b; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* sparse, dense and random bytes */
			b[i] = round % 3 == 0	? (unsigned char)x
			       : round % 3 == 1 ? (x & 7) == 0
						: 255 ^ (x % 5 == 0);
		}
		for (size_t a = 0; a < 8; a++)
			for (size_t n = 0; a + n <= sizeof b; n += n < 40 ? 1 : 37) {
				size_t want = 0;
				for (size_t i = a; i < a + n; i++)
					for (unsigned v = b[i]; v; v >>= 1)
						want += v & 1;
				ck_assert_uint_eq(bits_count_path(b + a, n, false), want);
				ck_assert_uint_eq(bits_count_path(b + a, n, true), want);
				ck_assert_uint_eq(bits_count(b + a, n), want);
			}
	}
#if defined(__x86_64__) && defined(__GNUC__)
	ck_assert(bits_count_hw() == (bool)__builtin_cpu_supports("popcnt"));
#endif
}
END_TEST

/* CRC-32C: the check value, and the instruction's path (three streams side by side past 768
 * bytes, joined by the zero-byte tables) equal to the table's a byte at a time on random bytes
 * of every length around the streams' sizes, at every alignment, and continued in two pieces. */
START_TEST(test_crc32c_paths)
{
	ck_assert_uint_eq(hash_crc32c(0, "123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(hash_crc32c_portable(0, "123456789", 9), 0xe3069283u);
	enum { N = 3 * 8192 * 2 + 3 * 256 + 64 };
	unsigned char *b = malloc(N);
	uint64_t x = 0x2545f4914f6cdd1dull;
	for (size_t i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		b[i] = (unsigned char)(x >> 24);
	}
	static const size_t lens[] = {
	    0,		 1,    7,     8,     9,	    767,   768,		 769,
	    3 * 256 + 8, 1000, 24575, 24576, 24577, 24583, 3 * 8192 * 2, N - 8};
	for (size_t a = 0; a < 8; a++)
		for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
			size_t n = lens[k];
			uint32_t want = hash_crc32c_portable(0, b + a, n);
			ck_assert_uint_eq(hash_crc32c(0, b + a, n), want);
			size_t cut = n / 3;
			ck_assert_uint_eq(
			    hash_crc32c(hash_crc32c(0, b + a, cut), b + a + cut, n - cut), want);
		}
	for (size_t n = 0; n < 2000; n += 13)
		ck_assert_uint_eq(hash_crc32c(7, b + 3, n), hash_crc32c_portable(7, b + 3, n));
	free(b);
}
END_TEST

START_TEST(test_arena_size)
{
	struct arena *a = arena_new();
	size_t empty = arena_size(a);
	ck_assert_uint_gt(empty, 0);
	struct arena_mark m = arena_mark(a);
	for (int i = 0; i < 100; i++)
		arena_alloc(a, 4096);
	arena_alloc(a, 1u << 20);
	ck_assert_uint_ge(arena_size(a), 100 * 4096 + (1u << 20));
	arena_release(a, m);
	ck_assert_uint_eq(arena_size(a), empty);
	arena_alloc(a, 3u << 20);
	ck_assert_uint_ge(arena_size(a), 3u << 20);
	arena_reset(a);
	ck_assert_uint_eq(arena_size(a), empty);
	arena_free(a);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("arena");
	tcase_add_test(tc, test_release_reuses);
	tcase_add_test(tc, test_release_frees_blocks);
	tcase_add_test(tc, test_release_nested);
	tcase_add_test(tc, test_release_json);
	tcase_add_test(tc, test_arena_size);
	tcase_add_test(tc, test_bits_copy);
	tcase_add_test(tc, test_bits_count);
	tcase_add_test(tc, test_crc32c_paths);
	tcase_add_test(tc, test_sort_keyed);
	tcase_add_test(tc, test_hash_bytes);
	tcase_add_test(tc, test_day_format);
	tcase_add_test(tc, test_time_range);
	tcase_add_test(tc, test_time_format);
	tcase_add_test(tc, test_day_format_out_of_range);
	tcase_add_test(tc, test_buf_appends);
	suite_add_tcase(s, tc);
	return s;
}
