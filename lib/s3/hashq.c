/* hashq: the SHA-256 of bodies hashed ahead, on a thread of its own, while earlier bodies are
 * sent. An S3 PUT needs its body's hash in its headers (x-amz-content-sha256, and the key of a
 * content-keyed object) before its first byte goes, so a pass that hashed each object and then
 * sent it left the connection idle while it hashed: 30 of the 32 gaps between the PUTs of
 * bench/ship_bench.mjs's first pass were the next day's hashing, 4-5 s of a 13-15 s pass at
 * load 20 (strace -tt). Hashing body i+1 while body i goes out overlaps the two. */
#include "lib/s3/s3.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"

struct hq_item {
	struct s3_part *parts;
	size_t n;
	bool done;
	enum status st;
	char sha[65];
	char msg[ERR_MSG]; /* the error's text when st is not ST_OK */
};

struct s3_hashq {
	struct hq_item *items;
	size_t n;
	size_t asked;  /* the index s3_hashq_get asks for next: the thread stays within AHEAD */
	bool stop;     /* s3_hashq_free: no more hashing */
	bool threaded; /* the thread runs (else each body is hashed when asked for) */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void hq_hash(struct hq_item *it)
{
	struct err e = {0};
	it->st = s3_sha256(it->parts, it->n, it->sha, &e);
	if (it->st != ST_OK)
		snprintf(it->msg, sizeof it->msg, "%s", e.msg);
}

static void *hq_run(void *arg)
{
	struct s3_hashq *q = arg;
	for (size_t i = 0; i < q->n; i++) {
		pthread_mutex_lock(&q->mu);
		while (!q->stop && i > q->asked + S3_HASH_AHEAD)
			pthread_cond_wait(&q->cv, &q->mu);
		bool stop = q->stop;
		pthread_mutex_unlock(&q->mu);
		if (stop)
			break;
		struct hq_item it = q->items[i]; /* hashed outside the lock */
		hq_hash(&it);
		pthread_mutex_lock(&q->mu);
		q->items[i] = it;
		q->items[i].done = true;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
	}
	return NULL;
}

struct s3_hashq *s3_hashq_new(const struct s3_body *b, size_t n)
{
	struct s3_hashq *q = xcalloc(1, sizeof(*q));
	q->items = xcalloc(n + 1, sizeof(*q->items));
	q->n = n;
	for (size_t i = 0; i < n; i++) {
		q->items[i].parts = xmalloc((b[i].n + 1) * sizeof(struct s3_part));
		memcpy(q->items[i].parts, b[i].parts, b[i].n * sizeof(struct s3_part));
		q->items[i].n = b[i].n;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	/* One body alone gains nothing from a thread; without one (none could be made), each is
	 * hashed when asked for, as before. */
	q->threaded = n > 1 && pthread_create(&q->th, NULL, hq_run, q) == 0;
	return q;
}

enum status s3_hashq_get(struct s3_hashq *q, size_t i, char sha[65], struct err *e)
{
	if (i >= q->n)
		return err_set(e, ST_INTERNAL, "hash %zu of %zu", i, q->n);
	struct hq_item *it = &q->items[i];
	if (!q->threaded) {
		hq_hash(it);
	} else {
		pthread_mutex_lock(&q->mu);
		q->asked = i;
		pthread_cond_broadcast(&q->cv);
		while (!it->done)
			pthread_cond_wait(&q->cv, &q->mu);
		pthread_mutex_unlock(&q->mu);
	}
	if (it->st != ST_OK)
		return err_set(e, it->st, "%s", it->msg);
	memcpy(sha, it->sha, 65);
	return ST_OK;
}

void s3_hashq_free(struct s3_hashq *q)
{
	if (!q)
		return;
	if (q->threaded) {
		pthread_mutex_lock(&q->mu);
		q->stop = true;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->th, NULL);
	}
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	for (size_t i = 0; i < q->n; i++)
		free(q->items[i].parts);
	free(q->items);
	free(q);
}
