/* bucket: a request's store (api_store) told of the bucket (SPANDEX_S3 and the rest, from the web
 * server's parameters or the environment): the hook of a shipper (lib/ship) kept for the
 * process, so its connection to the bucket is reused from request to request. Settings that
 * do not parse refuse every write (503, the reason named) rather than leave the store
 * unshipped without a word; /healthz says it too. */
#include "lib/api/common/api.h"

#include <stdlib.h>
#include <string.h>
#include "lib/ship/ship.h"

/* The process's shipper and what it was made from. */
static struct {
	struct ship *s;
	struct ship_conf c;
	char *root;
	struct err bad; /* the settings' fault, refused with every write */
	char said[ERR_MSG];
} kept;

static const char *req_env(void *ctx, const char *name)
{
	return http_env(ctx, name);
}

static enum status refuse(void *ctx, struct store *st, const char *ws, struct err *e)
{
	(void)ctx;
	(void)st;
	(void)ws;
	return err_set(e, ST_UNAVAILABLE,
		       "the bucket's settings are wrong, so no write is taken: %s", kept.bad.msg);
}

static const struct store_hook refusing = {.before = refuse};

void api_bucket(struct http_req *req)
{
	struct ship_conf c;
	struct err e = {ST_OK, ""};
	enum status st = ship_conf_read(&c, req_env, req, &e);
	if (st == ST_NOT_FOUND)
		return;
	if (st != ST_OK) {
		kept.bad = e;
		if (strcmp(kept.said, e.msg)) {
			http_log(req, "%s", e.msg);
			snprintf(kept.said, sizeof kept.said, "%s", e.msg);
		}
		api_store(req)->hook = &refusing;
		return;
	}
	if (!kept.s || memcmp(&kept.c, &c, sizeof c) || strcmp(kept.root, req->root)) {
		ship_close(kept.s);
		free(kept.root);
		kept.s = ship_open(req->root, &c, &e);
		kept.c = c;
		kept.root = strdup(req->root);
		if (!kept.s) {
			kept.bad = e;
			http_log(req, "the bucket's shipper: %s", e.msg);
		}
	}
	api_store(req)->hook = kept.s ? ship_hook(kept.s) : &refusing;
}

void api_start(const char *root)
{
	struct ship_conf c;
	struct err e = {ST_OK, ""};
	enum status st = ship_conf_read(&c, req_env, NULL, &e);
	if (st == ST_BAD_REQUEST)
		http_log(NULL, "%s: every write will be refused until it is fixed", e.msg);
	if (st != ST_OK || !root)
		return;
	/* The bucket itself, once: its fault said now rather than at the first write (sync
	 * mode) or by the shipper (async). A start waits at most S3_CONNECT_MS for an endpoint
	 * that does not answer. */
	struct ship *s = ship_open(root, &c, &e);
	if (!s || ship_check(s, &e) != ST_OK)
		http_log(NULL, "the bucket (SPANDEX_S3): %s: %s", err_text(&e),
			 c.sync ? "every write will be refused until it answers"
				: "the data stays here until the shipper reaches it");
	ship_close(s);
}
