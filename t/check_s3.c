/* Check suite for lib/s3: the settings and the answers parsed (offline), then every request
 * against the real radosgw t/s3_suite.sh starts (its address in SPANDEX_TEST_S3_ENDPOINT,
 * SPANDEX_TEST_S3_KEY, SPANDEX_TEST_S3_SECRET): create-only writes, streamed bodies, listings
 * over pages, and each bad configuration named by its cause. */
#include <check.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/s3/s3.h"

/* ---- offline ---- */

START_TEST(conf_parses)
{
	struct s3_conf c;
	struct err e = {0};
	ck_assert_int_eq(s3_conf_parse(&c, "s3://my-bucket/a/b/", "http://127.0.0.1:9000/", NULL,
				       "AK", "SK", &e),
			 ST_OK);
	ck_assert_str_eq(c.bucket, "my-bucket");
	ck_assert_str_eq(c.prefix, "a/b");
	ck_assert_str_eq(c.endpoint, "http://127.0.0.1:9000");
	ck_assert_str_eq(c.region, "us-east-1");
	ck_assert_int_eq(s3_conf_parse(&c, "s3://bkt", NULL, "eu-west-1", "AK", "SK", &e), ST_OK);
	ck_assert_str_eq(c.prefix, "");
	ck_assert_str_eq(c.endpoint, "https://s3.eu-west-1.amazonaws.com");
	ck_assert_int_eq(s3_conf_parse(&c, NULL, NULL, NULL, NULL, NULL, &e), ST_NOT_FOUND);
}
END_TEST

/* Each mistake is named with the setting it is in. */
START_TEST(conf_refuses)
{
	static const struct {
		const char *url, *ep, *region, *ak, *sk, *says;
	} bad[] = {
	    {"http://bkt/x", NULL, NULL, "a", "s", "SPANDEX_S3"},
	    {"s3://B_ad/x", NULL, NULL, "a", "s", "bucket name"},
	    {"s3://ab", NULL, NULL, "a", "s", "bucket name"},
	    {"s3://bkt/a//b", NULL, NULL, "a", "s", "prefix"},
	    {"s3://bkt/a/../b", NULL, NULL, "a", "s", "prefix"},
	    {"s3://bkt/x", "ftp://h", NULL, "a", "s", "SPANDEX_S3_ENDPOINT"},
	    {"s3://bkt/x", "http://h:1/bkt", NULL, "a", "s", "SPANDEX_S3_ENDPOINT"},
	    {"s3://bkt/x", NULL, "EU WEST", "a", "s", "SPANDEX_S3_REGION"},
	    {"s3://bkt/x", NULL, NULL, NULL, "s", "AWS_ACCESS_KEY_ID"},
	    {"s3://bkt/x", NULL, NULL, "a", "", "AWS_SECRET_ACCESS_KEY"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct s3_conf c;
		struct err e = {0};
		ck_assert_int_eq(s3_conf_parse(&c, bad[i].url, bad[i].ep, bad[i].region, bad[i].ak,
					       bad[i].sk, &e),
				 ST_BAD_REQUEST);
		ck_assert_msg(strstr(e.msg, bad[i].says), "%zu: %s", i, e.msg);
	}
}
END_TEST

struct seen {
	char keys[8][64];
	uint64_t sizes[8];
	int64_t mtimes[8];
	int n, stop_at;
};

static bool collect(void *ctx, const struct s3_obj *o)
{
	struct seen *s = ctx;
	if (s->n < 8) {
		snprintf(s->keys[s->n], sizeof s->keys[0], "%s", o->key);
		s->sizes[s->n] = o->size;
		s->mtimes[s->n] = o->mtime;
	}
	return ++s->n != s->stop_at;
}

START_TEST(answers_parse)
{
	static const char err[] = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code>"
				  "<BucketName>x</BucketName></Error>";
	char code[64];
	s3_error_code(err, sizeof err - 1, code, sizeof code);
	ck_assert_str_eq(code, "NoSuchBucket");
	s3_error_code("<html>404</html>", 16, code, sizeof code);
	ck_assert_str_eq(code, "");
	static const char page[] =
	    "<ListBucketResult><Name>b</Name><IsTruncated>true</IsTruncated>"
	    "<NextContinuationToken>t&amp;1</NextContinuationToken>"
	    "<Contents><Key>p/ws/log/1</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified>"
	    "<Size>12</Size></Contents>"
	    "<Contents><Key>p/a&amp;b&#x2B;c</Key><Size>0</Size></Contents></ListBucketResult>";
	struct seen s = {0};
	bool more, stop;
	char tok[64];
	size_t count;
	ck_assert(s3_list_parse(page, sizeof page - 1, 2, collect, &s, &more, tok, sizeof tok,
				&count, &stop));
	ck_assert(more && !stop);
	ck_assert_str_eq(tok, "t&1");
	ck_assert_int_eq(count, 2);
	ck_assert_str_eq(s.keys[0], "ws/log/1");
	ck_assert_int_eq(s.sizes[0], 12);
	ck_assert_int_eq(s.mtimes[0], 1767323045000000LL);
	ck_assert_str_eq(s.keys[1], "a&b+c");
	ck_assert(
	    !s3_list_parse("<html/>", 7, 0, collect, &s, &more, tok, sizeof tok, &count, &stop));
	struct buf b;
	buf_init(&b);
	s3_uri_encode(&b, "w@x+y/z~ é", 11, true);
	ck_assert_str_eq(b.p, "w%40x%2By/z~%20%C3%A9");
	buf_free(&b);
}
END_TEST

/* ---- against radosgw ---- */

static struct s3_conf live;

/* A bucket of its own for each test, made with curl's own PUT through the client. */
static struct s3 *live_client(const char *bucket, const char *prefix)
{
	const char *ep = getenv("SPANDEX_TEST_S3_ENDPOINT");
	ck_assert_msg(ep && *ep, "SPANDEX_TEST_S3_ENDPOINT is not set: run t/s3_suite.sh");
	char url[256];
	snprintf(url, sizeof url, "s3://%s/%s", bucket, prefix);
	struct err e = {0};
	ck_assert_int_eq(s3_conf_parse(&live, url, ep, NULL, getenv("SPANDEX_TEST_S3_KEY"),
				       getenv("SPANDEX_TEST_S3_SECRET"), &e),
			 ST_OK);
	/* The bucket: a PUT of its name, which s3_put cannot say; an empty-key request. */
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "curl -sS -o /dev/null -X PUT --aws-sigv4 aws:amz:us-east-1:s3 --user '%s:%s' "
		 "-H 'x-amz-content-sha256: "
		 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' '%s/%s'",
		 live.key_id, live.secret, live.endpoint, bucket);
	ck_assert_int_eq(system(cmd), 0);
	return s3_new(&live);
}

START_TEST(put_get_create_only)
{
	struct s3 *s = live_client("check-basic", "pre/fix");
	struct err e = {0};
	static const char a[] = "hello ", b[] = "world\n";
	struct s3_part parts[] = {{.mem = a, .len = 6}, {.mem = b, .len = 6}};
	ck_assert_int_eq(s3_delete(s, "w@x+y/log/1", &e), ST_OK);
	ck_assert_int_eq(s3_put(s, "w@x+y/log/1", parts, 2, NULL, S3_CREATE, &e), ST_OK);
	/* Create-only: the second create finds it and changes nothing. */
	struct s3_part other = {.mem = "other", .len = 5};
	ck_assert_int_eq(s3_put(s, "w@x+y/log/1", &other, 1, NULL, S3_CREATE, &e), ST_CONFLICT);
	struct buf got;
	buf_init(&got);
	ck_assert_msg(s3_get(s, "w@x+y/log/1", &got, &e) == ST_OK, "%s", e.msg);
	ck_assert_str_eq(got.p, "hello world\n");
	uint64_t size = 0;
	ck_assert_int_eq(s3_head(s, "w@x+y/log/1", &size, &e), ST_OK);
	ck_assert_int_eq(size, 12);
	ck_assert_int_eq(s3_head(s, "w@x+y/log/2", &size, &e), ST_NOT_FOUND);
	got.len = 0;
	ck_assert_int_eq(s3_get(s, "w@x+y/log/2", &got, &e), ST_NOT_FOUND);
	ck_assert_int_eq(s3_put(s, "w@x+y/log/1", &other, 1, NULL, S3_REPLACE, &e), ST_OK);
	ck_assert_int_eq(s3_delete(s, "w@x+y/log/1", &e), ST_OK);
	ck_assert_int_eq(s3_delete(s, "w@x+y/log/1", &e), ST_OK); /* gone already: no error */
	buf_free(&got);
	s3_free(s);
}
END_TEST

/* A body larger than S3_CHUNK from a file, and a ranged read back into a file. */
START_TEST(streams_files)
{
	struct s3 *s = live_client("check-stream", "");
	struct err e = {0};
	char path[] = "/tmp/check_s3.XXXXXX", back[] = "/tmp/check_s3_back.XXXXXX";
	int fd = mkstemp(path), bfd = mkstemp(back);
	ck_assert(fd >= 0 && bfd >= 0);
	size_t n = 3 * S3_CHUNK + 12345;
	char *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + (i * 7 + i / 977) % 26);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	struct s3_part p = {.fd = fd, .off = 100, .len = n - 100};
	char sha[65];
	ck_assert_int_eq(s3_sha256(&p, 1, sha, &e), ST_OK);
	ck_assert_msg(s3_put(s, "big", &p, 1, sha, S3_REPLACE, &e) == ST_OK, "%s", e.msg);
	uint64_t got = 0;
	ck_assert_int_eq(s3_get_fd(s, "big", 5, S3_CHUNK, bfd, &got, &e), ST_OK);
	ck_assert_int_eq(got, S3_CHUNK);
	char *rb = malloc(S3_CHUNK);
	ck_assert_int_eq(pread(bfd, rb, S3_CHUNK, 0), (ssize_t)S3_CHUNK);
	ck_assert(!memcmp(rb, data + 105, S3_CHUNK));
	/* A body that does not match the hash it was signed with is refused by the server. */
	struct s3_part q = {.mem = "abc", .len = 3};
	ck_assert_int_eq(s3_put(s, "bad", &q, 1, sha, S3_REPLACE, &e), ST_UNAVAILABLE);
	ck_assert_int_eq(s3_head(s, "bad", NULL, &e), ST_NOT_FOUND);
	free(rb);
	free(data);
	close(fd);
	close(bfd);
	unlink(path);
	unlink(back);
	s3_free(s);
}
END_TEST

START_TEST(lists_pages)
{
	struct s3 *s = live_client("check-list", "p");
	struct err e = {0};
	char key[64];
	for (int i = 0; i < S3_LIST_MAX + 5; i++) {
		snprintf(key, sizeof key, "ws/log/%06d", i);
		struct s3_part p = {.mem = key, .len = strlen(key)};
		ck_assert_msg(s3_put(s, key, &p, 1, NULL, S3_REPLACE, &e) == ST_OK, "%s", e.msg);
	}
	struct seen all = {0};
	ck_assert_int_eq(s3_list(s, "ws/log/", NULL, 0, collect, &all, &e), ST_OK);
	ck_assert_int_eq(all.n, S3_LIST_MAX + 5);
	ck_assert_str_eq(all.keys[0], "ws/log/000000");
	ck_assert_int_eq(all.sizes[0], 13);
	ck_assert(all.mtimes[0] > 0);
	struct seen after = {0};
	ck_assert_int_eq(s3_list(s, "ws/log/", "ws/log/001002", 0, collect, &after, &e), ST_OK);
	ck_assert_int_eq(after.n, 2);
	ck_assert_str_eq(after.keys[0], "ws/log/001003");
	struct seen some = {.stop_at = 3};
	ck_assert_int_eq(s3_list(s, "ws/", NULL, 0, collect, &some, &e), ST_OK);
	ck_assert_int_eq(some.n, 3);
	struct seen none = {0};
	ck_assert_int_eq(s3_list(s, "other/", NULL, 0, collect, &none, &e), ST_OK);
	ck_assert_int_eq(none.n, 0);
	ck_assert_int_eq(s3_check(s, &e), ST_OK);
	s3_free(s);
}
END_TEST

/* Every bad configuration fails with its cause named, never a crash or a hang. */
START_TEST(bad_configuration_named)
{
	struct s3 *good = live_client("check-conf", "");
	s3_free(good);
	static const struct {
		size_t off, size; /* the member of struct s3_conf set to value */
		const char *value, *says;
	} bad[] = {
	    {offsetof(struct s3_conf, secret), sizeof live.secret, "not-the-secret",
	     "AWS_SECRET_ACCESS_KEY is wrong"},
	    {offsetof(struct s3_conf, key_id), sizeof live.key_id, "NOSUCHKEY",
	     "AWS_ACCESS_KEY_ID is wrong"},
	    {offsetof(struct s3_conf, bucket), sizeof live.bucket, "no-such-bucket-here",
	     "no bucket 'no-such-bucket-here'"},
	    /* discard: nothing listens there */
	    {offsetof(struct s3_conf, endpoint), sizeof live.endpoint, "http://127.0.0.1:9",
	     "cannot reach the endpoint"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct err e = {0};
		struct s3_conf c = live;
		snprintf((char *)&c + bad[i].off, bad[i].size, "%s", bad[i].value);
		struct s3 *s = s3_new(&c);
		ck_assert_int_eq(s3_check(s, &e), ST_UNAVAILABLE);
		ck_assert_msg(strstr(e.msg, bad[i].says), "%zu: %s", i, e.msg);
		s3_free(s);
	}
}
END_TEST

/* Hashing ahead gives each body the hash s3_sha256 gives it, in order, from memory and from
 * files, a failed read named on its own body; freed before every body was asked for, it stops. */
START_TEST(hashes_ahead)
{
	char path[] = "/tmp/check_s3_hq.XXXXXX";
	int fd = mkstemp(path);
	ck_assert(fd >= 0);
	size_t n = 2 * S3_CHUNK + 777;
	char *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + (i * 13 + i / 1013) % 26);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	struct s3_part parts[] = {
	    {.fd = fd, .off = 0, .len = n},
	    {.mem = "abc", .len = 3},
	    {.fd = fd, .off = 10, .len = S3_CHUNK + 1},
	    {.mem = "", .len = 0},
	    {.fd = fd, .off = n - 5, .len = 10}, /* past the end: a read that fails */
	    {.mem = data, .len = 5},
	};
	size_t nb = sizeof parts / sizeof *parts;
	struct s3_body b[sizeof parts / sizeof *parts + 1];
	/* bodies of one part each, and one of two parts */
	for (size_t i = 0; i < nb; i++)
		b[i] = (struct s3_body){&parts[i], 1};
	b[nb] = (struct s3_body){&parts[1], 2};
	struct s3_hashq *q = s3_hashq_new(b, nb + 1);
	for (size_t i = 0; i <= nb; i++) {
		char want[65], got[65];
		struct err e = {0}, we = {0};
		enum status ws = s3_sha256(b[i].parts, b[i].n, want, &we);
		enum status gs = s3_hashq_get(q, i, got, &e);
		ck_assert_int_eq(gs, ws);
		if (ws == ST_OK)
			ck_assert_str_eq(got, want);
		else
			ck_assert_msg(strstr(e.msg, "reading what to upload"), "%zu: %s", i, e.msg);
	}
	s3_hashq_free(q);
	q = s3_hashq_new(b, 3);
	char sha[65];
	ck_assert_int_eq(s3_hashq_get(q, 0, sha, NULL), ST_OK);
	s3_hashq_free(q); /* bodies 1 and 2 never asked for */
	s3_hashq_free(s3_hashq_new(b, 0));
	free(data);
	close(fd);
	unlink(path);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("s3");
	TCase *off = tcase_create("offline");
	tcase_add_test(off, conf_parses);
	tcase_add_test(off, conf_refuses);
	tcase_add_test(off, answers_parse);
	suite_add_tcase(s, off);
	TCase *hq = tcase_create("hashing"); /* the one Check bound, CHECK_TIMEOUT_S (t/main.c) */
	tcase_add_test(hq, hashes_ahead);
	suite_add_tcase(s, hq);
	TCase *on = tcase_create("radosgw");
	/* Requests to a real server on a loaded machine: bounded by the client's own timeouts
	 * (S3_CONNECT_MS, S3_STALL_SEC) inside the one Check bound, CHECK_TIMEOUT_S (t/main.c). */
	tcase_add_test(on, put_get_create_only);
	tcase_add_test(on, streams_files);
	tcase_add_test(on, lists_pages);
	tcase_add_test(on, bad_configuration_named);
	suite_add_tcase(s, on);
	return s;
}
