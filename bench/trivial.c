/* trivial: the ceiling of the FastCGI architecture for the GET and ingest benchmarks
 * (BENCHMARKS.md). It answers every request with the bytes of one file, loaded once at start,
 * so bench/run can put the same body behind the same nginx as cgi-bin/spans and compare the
 * two rates; with --sink it reads every request's body to its end and answers 201 with no
 * body, as POST ingest/spans does, so bench/run can put it on cgi-bin/ingest's socket, behind
 * the same nginx location, and compare ingest with a program that stores nothing. A protobuf
 * body (Content-Type application/x-protobuf, OTLP) is answered 200 with an empty protobuf
 * body, as OTLP/HTTP's ExportTraceServiceResponse of a full success is. With --parse it is
 * the sink, but it also parses each body as the programs do before anything else and answers
 * 400 when that fails: JSON by lib/json's jsonx into jansson values on a per-request arena
 * (what cgi-bin/ingest does first with a direct or OTLP/JSON body; the spans are not read
 * out of it), protobuf by otlp_parse_only (lib/ingest/otlp.h) as cgi-bin/ingest's OTLP
 * decoder parses an ExportTraceServiceRequest: the wire check, then each span read off the
 * wire into its raw form (resource and span attributes, events, links as jansson values),
 * none mapped onto a span (it links lib/store, whose functions the decoder's objects name for
 * the evaluations, but calls none of them). The floor of a program that must read what it
 * acknowledges, which stores nothing either. */
#include <errno.h>
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/base/arena.h"
#include "lib/base/mem.h"
#include "lib/json/jsonx.h"
#include "lib/ingest/otlp.h"

#define TRIVIAL_MAX_WORKERS 64 /* far above what a benchmark host has cores for */

/* Reads all of path into a malloc'd buffer; NULL (with errno set) on failure. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			char *grown;

			cap = cap ? 2 * cap : 4096;
			grown = realloc(data, cap);
			if (!grown)
				goto fail;
			data = grown;
		}
		size_t got = fread(data + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	*len = n;
	return data;
fail:
	free(data);
	fclose(f);
	return NULL;
}

static int sink;  /* --sink: read each body to its end first */
static int parse; /* --parse: the sink, and the body parsed too */

/* --parse: whether body p[0..n) of content type ct parses (see the top of the file). */
static int parses(struct arena *a, const char *ct, const char *p, size_t n)
{
	int ok;
	if (ct && !strncmp(ct, "application/x-protobuf", 22)) {
		arena_json(a);
		ok = otlp_parse_only(a, OTLP_PROTOBUF, p, n);
		arena_json(NULL);
	} else {
		size_t pos;
		arena_json(a);
		json_t *v = jsonx_parse(p, n, &pos, NULL);
		ok = v != NULL;
		json_decref(v);
		arena_json(NULL);
	}
	arena_reset(a);
	return ok;
}

/* The sink's answer to an OTLP protobuf body (OTLP 1.1: 200, an empty
 * ExportTraceServiceResponse). */
static const char otlp_head[] =
    "Status: 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";

/* The accept loop: every request gets the same headers and body. */
static void serve(const char *head, int hlen, const char *body, size_t len)
{
	FCGX_Request req;
	static char discard[1 << 16];
	const char *ct;
	struct arena *a = arena_new();
	char *in = NULL;
	size_t cap = 0;

	if (FCGX_InitRequest(&req, 0, 0) != 0) {
		fprintf(stderr, "trivial: FCGX_InitRequest failed\n");
		return;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		size_t n = 0;
		int got;
		while (sink && !parse && FCGX_GetStr(discard, sizeof discard, req.in) > 0)
			;
		while (parse) {
			if (cap - n < sizeof discard) {
				cap = cap ? 2 * cap : 1 << 20;
				if (!(in = realloc(in, cap)))
					abort();
			}
			if ((got = FCGX_GetStr(in + n, (int)(cap - n), req.in)) <= 0)
				break;
			n += (size_t)got;
		}
		ct = sink ? FCGX_GetParam("CONTENT_TYPE", req.envp) : NULL;
		if (parse && !parses(a, ct, in, n))
			FCGX_FPrintF(req.out,
				     "Status: 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
		else if (ct && !strncmp(ct, "application/x-protobuf", 22))
			FCGX_PutStr(otlp_head, (int)sizeof otlp_head - 1, req.out);
		else
			FCGX_PutStr(head, hlen, req.out);
		FCGX_PutStr(body, (int)len, req.out);
		FCGX_Finish_r(&req);
	}
	free(in);
	arena_free(a);
}

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Forks n workers that serve the inherited socket, as http_main does for the real programs
 * with SPANDEX_WORKERS, so that both sides of the comparison have n processes and one master
 * whose SIGTERM stops them. Returns when every worker has ended. */
static void prefork(int n, const char *head, int hlen, const char *body, size_t len)
{
	struct sigaction sa;
	pid_t pids[TRIVIAL_MAX_WORKERS];
	int i, left = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term; /* no SA_RESTART: wait() must return on SIGTERM */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			serve(head, hlen, body, len);
			_exit(0);
		}
		if (pids[i] > 0)
			left++;
	}
	while (left > 0) {
		if (wait(NULL) > 0) {
			left--;
		} else if (errno == EINTR && stopping) {
			for (i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
			stopping = 0;
		} else if (errno != EINTR) {
			break;
		}
	}
}

int main(int argc, char **argv)
{
	char head[160];
	char *body = NULL, *end;
	size_t len = 0;
	long workers = 1;
	int hlen, rc = 1;

	if (argc >= 2 && (!strcmp(argv[1], "--sink") || !strcmp(argv[1], "--parse"))) {
		sink = 1;
		parse = !strcmp(argv[1], "--parse");
		argv[1] = NULL; /* no file: an empty body */
	}
	if (argc == 3) {
		errno = 0;
		workers = strtol(argv[2], &end, 10);
		if (errno || *end || workers < 1 || workers > TRIVIAL_MAX_WORKERS)
			argc = 0; /* usage */
	}
	if (argc != 2 && argc != 3) {
		fprintf(
		    stderr,
		    "usage: %s FILE|--sink|--parse [WORKERS]  (under spawn-fcgi -n; serves FILE "
		    "as application/json, or reads each body (--parse: and parses it) and "
		    "answers 201, from WORKERS processes, 1 to %d)\n",
		    argv[0], TRIVIAL_MAX_WORKERS);
		return 2;
	}
	body = argv[1] ? slurp(argv[1], &len) : calloc(1, 1);
	if (!body) {
		fprintf(stderr, "trivial: %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	/* The headers are formatted once with snprintf: FCGX_FPrintF has its own format parser,
	 * which knows no %zu, and per-request formatting would only add noise. They are the
	 * headers lib/http sends with a JSON reply, so only the body source differs. */
	hlen = sink
		   ? snprintf(head, sizeof head, "Status: 201 Created\r\nContent-Length: 0\r\n\r\n")
		   : snprintf(head, sizeof head,
			      "Status: 200 OK\r\nContent-Type: application/json\r\n"
			      "Content-Length: %zu\r\n\r\n",
			      len);
	/* A worker keeps a request's memory for the next, as http_main has every program do: a
	 * floor that handed its arena back to the kernel after each body, and faulted it in
	 * again, spent about a third of its CPU on that (BENCHMARKS-HISTORY.md, "The parsing
	 * sink's memory"). */
	mem_keep_for_reuse();
	if (FCGX_Init() != 0) {
		fprintf(stderr, "trivial: FCGX_Init failed\n");
		goto out;
	}
	if (workers == 1)
		serve(head, hlen, body, len);
	else
		prefork((int)workers, head, hlen, body, len);
	rc = 0;
out:
	free(body);
	return rc;
}
