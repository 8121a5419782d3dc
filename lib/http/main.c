/* main: the accept loop of every program: FastCGI (pre-forked workers, restarted when they
 * die) or one request as plain CGI (RFC 3875). */
#include "lib/http/internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "lib/base/mem.h"

/* A worker that dies sooner than this after its start is crash-looping: wait before the
 * next start so the parent does not spin. */
#define HTTP_RESPAWN_BACKOFF_SEC 1

static volatile sig_atomic_t stopping; /* SIGTERM/SIGINT seen */
static volatile sig_atomic_t busy;     /* a worker is inside a request */

static void serve_one(FCGX_Request *fr, struct arena *a, const struct http_surface *s,
		      const struct http_rtable *rt)
{
	struct http_conn c = {.fcgx = fr, .rt = rt};
	struct http_req req = {.arena = a, .priv = &c, .surface = s};

	arena_json(a);
	http_dispatch(&req);
	http_slots_release();
	/* Leave no body bytes unread: the web server may still be sending them, and a
	 * connection closed under it turns our reply into a 502 (FastCGI spec section 5.3). */
	if (fr) {
		char sink[16384];

		while (FCGX_GetStr(sink, sizeof sink, fr->in) > 0)
			;
	}
	free(c.inflated);
	buf_free(&c.unsized);
	arena_reset(a);
	arena_json(NULL);
}

/* A worker stops at once when idle, or after the request in hand. */
static void on_term_worker(int sig)
{
	(void)sig;
	if (!busy)
		_exit(0);
	stopping = 1;
}

static void on_term_parent(int sig)
{
	(void)sig;
	stopping = 1;
}

static void set_signals(void (*fn)(int))
{
	struct sigaction sa = {.sa_handler = fn}; /* no SA_RESTART: waits must see the signal */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* Whether a connection waits on the listening socket (fd 0), asking no time. */
static bool waiting(void)
{
	struct pollfd p = {.fd = 0, .events = POLLIN};

	return poll(&p, 1, 0) != 0;
}

/* The FastCGI accept loop on the listening socket the spawner left on fd 0 (FastCGI spec
 * section 2.2), with the surface's idle steps between requests while none waits: a request
 * that comes during one waits for it (another worker blocked in accept takes it at once). */
static int serve(const struct http_surface *s, const struct http_rtable *rt)
{
	FCGX_Request fr;
	struct arena *a = arena_new();
	int rc = 0;
	bool more = false; /* the surface's idle work is not done */

	set_signals(on_term_worker);
	mem_keep_for_reuse();
	if (FCGX_InitRequest(&fr, 0, 0) != 0)
		abort();
	while (!stopping) {
		if (more && !waiting()) {
			more = s->idle();
			continue;
		}
		if (FCGX_Accept_r(&fr) < 0) {
			rc = stopping ? 0 : 1;
			break;
		}
		busy = 1;
		serve_one(&fr, a, s, rt);
		FCGX_Finish_r(&fr);
		busy = 0;
		more = s->idle != NULL;
	}
	FCGX_Free(&fr, 1);
	arena_free(a);
	return rc;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static pid_t spawn_worker(const struct http_surface *s, const struct http_rtable *rt)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		/* A master that dies (SIGKILL, the OOM killer) takes its workers with it, as its
		 * SIGTERM does: none is left serving, unwatched, the binary it was started with. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0); /* it died before the line above */
		_exit(serve(s, rt));
	}
	if (pid < 0)
		http_log(NULL, "fork: %s", strerror(errno));
	return pid;
}

/* Pre-forks n workers that all accept on fd 0, replaces any that dies (after a back-off if
 * it died young), and on SIGTERM/SIGINT stops them and returns 0. */
static int prefork(const struct http_surface *s, const struct http_rtable *rt, int n)
{
	pid_t pids[HTTP_MAX_WORKERS];
	double born[HTTP_MAX_WORKERS];

	set_signals(on_term_parent);
	http_slots_init(n);
	for (int i = 0; i < n; i++) {
		pids[i] = spawn_worker(s, rt);
		born[i] = mono_now();
	}
	while (!stopping) {
		int wst, i = 0;
		pid_t pid = waitpid(-1, &wst, 0);

		if (pid < 0 && errno == EINTR)
			continue;
		/* The slot to refill: the dead worker's or, once no child is left, one whose fork
		 * failed. */
		while (i < n && pids[i] != (pid > 0 ? pid : -1))
			i++;
		if (i == n && pid < 0)
			break;
		if (i == n)
			continue;
		if (pid > 0 && !(WIFEXITED(wst) && WEXITSTATUS(wst) == 0))
			http_log(NULL, "worker %d died (status %d); restarting", (int)pid, wst);
		if (mono_now() - born[i] < HTTP_RESPAWN_BACKOFF_SEC) {
			struct timespec ts = {HTTP_RESPAWN_BACKOFF_SEC, 0};

			nanosleep(&ts, NULL); /* SIGTERM cuts it short */
		}
		if (stopping)
			break;
		pids[i] = spawn_worker(s, rt);
		born[i] = mono_now();
	}
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	return 0;
}

static int worker_count(void)
{
	const char *v = getenv("SPANDEX_WORKERS");
	char *end;
	long n;

	if (!v || !*v)
		return 1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 1 || n > HTTP_MAX_WORKERS) {
		http_log(NULL, "SPANDEX_WORKERS=%s is not 1..%d; using 1", v, HTTP_MAX_WORKERS);
		return 1;
	}
	return (int)n;
}

int http_main(const struct http_surface *s, int argc, char **argv)
{
	int n;

	if (argc == 2 && !strcmp(argv[1], "--routes") && !getenv("GATEWAY_INTERFACE")) {
		http_routes_print(stdout, s);
		return fflush(stdout) ? 1 : 0;
	}
	/* A client that hangs up mid-reply must not kill the process. Nor must a file-size limit
	 * (a shell's `ulimit -f`, systemd's LimitFSIZE=): past it a write fails with EFBIG, which
	 * the store rolls back and answers 503 "not stored", where SIGXFSZ killed the worker
	 * mid-batch (a 502 that left the client not knowing). */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	if (FCGX_Init() != 0)
		return 1;
	/* fd 0 is not a socket: plain CGI (RFC 3875), exactly one request (whose data directory
	 * the surface's start is not given: a check of the bucket for every request). */
	bool cgi = FCGX_IsCGI();
	const char *data = getenv("SPANDEX_DATA");
	if (s->start)
		s->start(cgi ? NULL : data && *data ? data : "./data");
	if (cgi) {
		struct arena *a = arena_new();

		serve_one(NULL, a, s, NULL); /* its one request splits the patterns */
		arena_free(a);
		return 0;
	}
	/* The patterns split once, before the workers fork, for every request of the process. */
	struct arena *ra = arena_new();
	const struct http_rtable *rt = http_routes_compile(s, ra);
	n = worker_count();
	int rc = n > 1 ? prefork(s, rt, n) : serve(s, rt);
	arena_free(ra);
	return rc;
}
