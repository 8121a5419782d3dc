/* storecase: the fixture of the store suites' cases (t/storecase.h). */
#include "t/storecase.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "t/storefix.h"

char root[256];
struct store st;
struct arena *A;

void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/spandex-check-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	store_init(&st, root, false);
	A = arena_new();
}

void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	arena_free(A);
}

struct span mk(const char *id, int64_t start)
{
	struct span s = storefix_span(A, id, start, "step");
	s.str[SS_MODEL] = "gpt-x";
	s.cost_total_usd = 0.25;
	s.input = "hello \"world\"\n";
	return s;
}

static size_t nproblems;
char problems_seen[4096];
static void count_problem(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "verify: %s\n", msg);
	size_t n = strlen(problems_seen);
	snprintf(problems_seen + n, sizeof problems_seen - n, "%s\n", msg);
	nproblems++;
}

size_t verify(void)
{
	nproblems = 0;
	problems_seen[0] = 0;
	size_t n = store_verify(&st, "ws1", count_problem, NULL, NULL, NULL);
	ck_assert_uint_eq(n, nproblems);
	return n;
}

char *get(const char *id)
{
	struct buf b;
	buf_init(&b);
	enum status rc = store_get(&st, "ws1", id, &b);
	if (rc != ST_OK) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

void append(struct span *s, size_t n)
{
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_append(&st, "ws1", s, n, &e) == ST_OK, "append: %s", err_text(&e));
}

off_t fsize(const char *name)
{
	char p[PATH_MAX];
	struct stat sb;
	snprintf(p, sizeof(p), "%s/ws1/%s", root, name);
	return stat(p, &sb) == 0 ? sb.st_size : -1;
}

/* Plain file I/O on the documented format (store.h, "The file format"): what a test that
 * damages a file, or plays a crashed writer, needs. */
int open_file(const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/ws1/%s", root, name);
	int fd = open(p, O_RDWR);
	ck_assert_int_ge(fd, 0);
	return fd;
}

uint64_t get_u64(const char *name, off_t at)
{
	uint64_t v;
	int fd = open_file(name);
	ck_assert_int_eq(pread(fd, &v, sizeof(v), at), sizeof(v));
	close(fd);
	return v;
}

void put_u64(const char *name, off_t at, uint64_t v)
{
	int fd = open_file(name);
	ck_assert_int_eq(pwrite(fd, &v, sizeof(v), at), sizeof(v));
	close(fd);
}
