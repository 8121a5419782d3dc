/* conf: a shipper's settings (SPANDEX_S3 and the rest, SPANDEX_S3_SYNC) and its handle. */
#include "lib/ship/internal.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/ship/state.h"

enum status ship_conf_read(struct ship_conf *c, ship_env_fn get, void *ctx, struct err *e)
{
	memset(c, 0, sizeof(*c));
	const char *url = get(ctx, "SPANDEX_S3");
	/* No bucket, as most stores have: the other six settings say nothing without one, and
	 * every request of every program reads them (lib/api/common's api_bucket). */
	if (!url || !*url)
		return s3_conf_parse(&c->s3, url, NULL, NULL, NULL, NULL, e);
	enum status st = s3_conf_parse(&c->s3, url, get(ctx, "SPANDEX_S3_ENDPOINT"),
				       get(ctx, "SPANDEX_S3_REGION"), get(ctx, "AWS_ACCESS_KEY_ID"),
				       get(ctx, "AWS_SECRET_ACCESS_KEY"), e);
	if (st == ST_OK)
		st = s3_conf_timeout(&c->s3, get(ctx, "SPANDEX_S3_TIMEOUT"), e);
	if (st != ST_OK)
		return st;
	const char *sync = get(ctx, "SPANDEX_S3_SYNC");
	if (sync && *sync && strcmp(sync, "0") && strcmp(sync, "1"))
		return err_set(e, ST_BAD_REQUEST, "SPANDEX_S3_SYNC '%.32s' is neither 0 nor 1",
			       sync);
	c->sync = sync && !strcmp(sync, "1");
	return ST_OK;
}

struct ship *ship_open(const char *root, const struct ship_conf *c, struct err *e)
{
	struct ship *s = xcalloc(1, sizeof(*s));
	s->root = xstrdup(root);
	s->c = *c;
	if (state_host(root, s->host, e) != ST_OK) {
		free(s->root);
		free(s);
		return NULL;
	}
	s3_conf_name(&c->s3, s->bucket, sizeof s->bucket);
	s->s3 = s3_new(&c->s3);
	return s;
}

void ship_close(struct ship *s)
{
	if (!s)
		return;
	s3_free(s->s3);
	free(s->root);
	free(s);
}

const struct ship_conf *ship_conf_of(const struct ship *s)
{
	return &s->c;
}

struct s3 *ship_s3(struct ship *s)
{
	return s->s3;
}

const char *ship_host(const struct ship *s)
{
	return s->host;
}

enum status ship_check(struct ship *s, struct err *e)
{
	enum status st = s3_check(s->s3, e);
	state_check_save(s->root, st == ST_OK ? NULL : e);
	return st;
}
