/* handler: what the harnesses of write and search bodies share (opik_body.c, egp_body.c). An
 * input is a few requests separated by NUL bytes (JSON bodies hold none); each request's first
 * byte picks a route of the surface and the {id} of its path, the rest is the body. Each is
 * handed to the route's handler as http_dispatch does once the body is read (parameters from
 * the route's defaults, workspace "fuzz", Content-Type application/json), so the handlers'
 * own parsing, mapping, merging and rendering run over a real store; no HTTP is parsed. The
 * store starts empty for every input, so an input is a finding on its own. */
#ifndef SPANDEX_FUZZ_HANDLER_H
#define SPANDEX_FUZZ_HANDLER_H

#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "lib/api/common/api.h"
#include "lib/http/internal.h"
#include "t/fuzz/fuzz.h"

struct fuzz_op {
	const char *method, *pattern; /* a route of the surface, as its table names it */
};

static char fuzz_root[64];

static int fuzz_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static void fuzz_cleanup(void)
{
	nftw(fuzz_root, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(fuzz_root);
}

/* A store of its own, and replies to /dev/null (plain CGI mode writes them to fd 1). */
static void fuzz_handler_init(void)
{
	int fd = open("/dev/null", O_WRONLY);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	snprintf(fuzz_root, sizeof fuzz_root, "/tmp/spandex-fuzz-XXXXXX");
	if (!mkdtemp(fuzz_root))
		abort();
	atexit(fuzz_cleanup);
}

static const struct http_route *fuzz_route(const struct http_surface *s, const struct fuzz_op *op)
{
	for (size_t i = 0; i < s->nroutes; i++)
		if (!strcmp(s->routes[i].method, op->method) &&
		    !strcmp(s->routes[i].pattern, op->pattern))
			return &s->routes[i];
	abort(); /* the harness names a route the table no longer has */
}

/* One request: the handler of op on body[0..n) with {id} id. */
static void fuzz_request(const struct http_surface *s, const struct fuzz_op *op, const char *id,
			 const char *body, size_t n)
{
	struct arena *a = arena_new();
	struct http_conn conn = {0};
	struct http_req req;
	const struct http_route *r = fuzz_route(s, op);
	char *b = arena_strndup(a, body, n);

	arena_json(a); /* as the programs do (lib/http/main.c) */

	memset(&req, 0, sizeof req);
	req.arena = a;
	req.priv = &conn;
	req.surface = s;
	req.route = r;
	req.method = op->method;
	req.path = op->pattern;
	req.ws = "fuzz";
	req.id = strstr(op->pattern, "{id}") ? id : NULL;
	req.id2 = strstr(op->pattern, "{id2}") ? id : NULL;
	req.content_type = "application/json";
	req.body = b;
	req.body_len = n;
	req.pv = arena_alloc(a, (r->nparams + 1) * sizeof *req.pv);
	struct api_app app;
	store_init(&app.store, fuzz_root, false);
	req.root = fuzz_root;
	req.app = &app;
	enum status st = http_params(&req, r, req.pv);
	if (st == ST_OK)
		st = r->fn(&req);
	if (!req.replied)
		http_reply_failure(&req, st == ST_OK ? ST_INTERNAL : st);
	arena_free(a); /* its defers release JSON into it */
	arena_json(NULL);
}

/* Every request of the input in turn, on an empty store; ops[data[i] % nops] with the id
 * ids[data[i] / nops % nids]. */
static void fuzz_requests(const struct http_surface *s, const struct fuzz_op *ops, size_t nops,
			  const char *const *ids, size_t nids, const uint8_t *data, size_t size)
{
	nftw(fuzz_root, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < size;) {
		const uint8_t *end = memchr(data + i, 0, size - i);
		size_t len = (end ? (size_t)(end - data) : size) - i;
		if (len) {
			uint8_t k = data[i];
			fuzz_request(s, &ops[k % nops], ids[k / nops % nids],
				     (const char *)data + i + 1, len - 1);
		}
		i += len + 1;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The entry points of a harness of surface s: ops and ids as fuzz_requests takes them. */
#define FUZZ_HANDLER_MAIN(s, ops, ids)                                                             \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                                          \
	{                                                                                          \
		(void)argc, (void)argv;                                                            \
		fuzz_handler_init();                                                               \
		return 0;                                                                          \
	}                                                                                          \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                               \
	{                                                                                          \
		fuzz_requests(&(s), ops, sizeof ops / sizeof *ops, ids, sizeof ids / sizeof *ids,  \
			      data, size);                                                         \
		return 0;                                                                          \
	}

#endif
