/* forward: `spandex forward DATA [--every SECONDS]` (forward.h; docs/forwarding.md): every
 * version of every span stored, sent on to each configured OTLP/HTTP endpoint in the order of
 * its commit, off the acknowledgement path. Per endpoint and workspace a cursor (the ingested_at
 * of the last version the endpoint acknowledged, lib/store/forward.c) is replaced only once the
 * endpoint has answered, so a forwarder killed anywhere sends again at most the batch it had
 * in flight. The endpoint's answers are honoured (forward_send.c): a wait with backoff before
 * what it asks to be sent again, what it refuses dropped and counted, a key or URL it does not
 * take held until the configuration is put right. What it found is in
 * DATA/.spandex-forward/<endpoint>/status, which GET /healthz shows. */
#include "src/cli.h"
#include "src/forward.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/store/store.h"

/* Waits between tries of an endpoint that asked for one: from FWD_BACKOFF_MIN_MS, doubled
 * at each failure up to FWD_BACKOFF_MAX_MS, with up to a quarter more at random so that
 * forwarders of several hosts do not come back at once (the OTLP specification asks for
 * exponential backoff with jitter); a Retry-After is honoured up to FWD_RETRY_AFTER_MAX_MS.
 * An endpoint that refuses our key or URL is tried again every FWD_REFUSED_MS, so that a
 * configuration put right is noticed without a restart, and without hammering it. */
#define FWD_BACKOFF_MIN_MS 1000
#define FWD_BACKOFF_MAX_MS 60000
#define FWD_RETRY_AFTER_MAX_MS 600000
#define FWD_REFUSED_MS 60000
/* Batches one workspace sends in a row before the next has its turn: a backlog of one does
 * not hold back the others. */
#define FWD_ROUND_BATCHES 16

static volatile sig_atomic_t stopping;
static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* What the forwarder keeps of an endpoint between passes. */
struct fwd_state {
	char name[FORWARD_MAX_NAME + 1];
	int64_t next_us;    /* not tried before this */
	int64_t backoff_ms; /* the next wait, after a failure */
	struct forward_status st;
	bool failed;	  /* in the pass under way */
	uint64_t pending; /* summed over its workspaces in the pass under way */
	int64_t oldest_us;
};

struct fwd {
	struct store st;
	const char *data;
	struct fwd_client *client;
	struct arena *a;
	bool verbose;
	struct fwd_state *s;
	size_t ns;
};

static struct fwd_state *state_of(struct fwd *f, const char *name)
{
	for (size_t i = 0; i < f->ns; i++)
		if (!strcmp(f->s[i].name, name))
			return &f->s[i];
	f->s = xrealloc(f->s, (f->ns + 1) * sizeof *f->s);
	struct fwd_state *s = &f->s[f->ns++];
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	/* Counts go on from what the last run wrote. */
	if (!forward_status_read(f->data, name, &s->st))
		snprintf(s->st.endpoint, sizeof s->st.endpoint, "%s", name);
	return s;
}

/* Records an error of endpoint s: on stderr (cron mails it) whole, with the workspace and what
 * the endpoint said; in its status, which GET /healthz shows to anyone, only what (public):
 * no workspace, no text of the endpoint's (which may quote a span). One that stops the
 * endpoint for this pass (fatal) makes a one-off run exit 1. */
static void problem(struct fwd_state *s, const char *ws, const char *msg, const char *public,
		    bool fatal)
{
	fprintf(stderr, "spandex: forward: %s: %s%s%s\n", s->name, ws ? ws : "", ws ? ": " : "",
		msg);
	s->st.error_us = time_now();
	snprintf(s->st.error, sizeof s->st.error, "%s", public);
	s->failed |= fatal;
}

/* The public text of an answer that stops a batch: its HTTP status, or that none came. */
static const char *answer_class(const struct fwd_answer *ans, char *out, size_t cap)
{
	if (!ans->http)
		snprintf(out, cap, "no answer from the endpoint");
	else
		snprintf(out, cap, "HTTP %ld%s", ans->http,
			 ans->o == FWD_REFUSED
			     ? ": the endpoint refuses the url or headers, spans held"
			 : ans->o == FWD_RETRY ? ": sent again after a wait"
					       : "");
	return out;
}

/* A wait before the endpoint is tried again: the answer's Retry-After, else the backoff. */
static void wait_before_next(struct fwd_state *s, const struct fwd_answer *ans)
{
	int64_t ms = s->backoff_ms ? s->backoff_ms : FWD_BACKOFF_MIN_MS;
	if (ans->o == FWD_REFUSED)
		ms = FWD_REFUSED_MS;
	else if (ans->retry_after_ms >= 0)
		ms = ans->retry_after_ms < FWD_RETRY_AFTER_MAX_MS ? ans->retry_after_ms
								  : FWD_RETRY_AFTER_MAX_MS;
	else
		s->backoff_ms = ms * 2 < FWD_BACKOFF_MAX_MS ? ms * 2 : FWD_BACKOFF_MAX_MS;
	ms += ms / 4 * (rand() % 1000) / 1000;
	s->next_us = time_now() + ms * 1000;
}

/* Sends spans[0..n): on a refusal of the spans (FWD_DROP) the halves go again on their own,
 * down to the span that is refused, which alone is dropped and counted. FWD_OK when every span
 * was taken, rejected by a partial success or dropped so; else the answer that stops the
 * batch (nothing of it counts as sent: it goes again whole). */
static enum fwd_outcome send_spans(struct fwd *f, const struct fwd_endpoint *e, struct fwd_state *s,
				   const char *ws, const struct catalog_otlp *spans, size_t n,
				   struct fwd_answer *ans)
{
	fwd_post(f->client, e, f->a, spans, n, ans);
	if (ans->o == FWD_OK) {
		s->st.delivered += n - (ans->rejected < n ? ans->rejected : n);
		s->st.rejected += ans->rejected < n ? ans->rejected : n;
		if (ans->rejected)
			problem(s, ws, *ans->msg ? ans->msg : "spans rejected by a partial success",
				"spans rejected by a partial success", false);
		return FWD_OK;
	}
	if (ans->o != FWD_DROP)
		return ans->o;
	if (n == 1) {
		s->st.dropped++;
		char msg[FORWARD_MAX_ERROR];
		snprintf(msg, sizeof msg, "span %s dropped: %.200s", spans[0].span_id, ans->msg);
		char pub[64];
		snprintf(pub, sizeof pub, "a span dropped: HTTP %ld", ans->http);
		problem(s, ws, msg, pub, false);
		return FWD_OK;
	}
	enum fwd_outcome o = send_spans(f, e, s, ws, spans, n / 2, ans);
	return o == FWD_OK ? send_spans(f, e, s, ws, spans + n / 2, n - n / 2, ans) : o;
}

/* The spans of c[0..n) as OTLP spans into out (a holds them): the live versions; one
 * superseded (a newer version follows it in the commit order) or a deletion (OTLP has none)
 * is passed over. The stored lines of those taken stay under FWD_BATCH_BYTES; *upto gets how
 * many of c were taken or passed over. */
static size_t batch(struct fwd *f, struct store_commits *c, struct catalog_otlp *out, size_t *upto,
		    size_t *damaged)
{
	size_t n = 0, bytes = 0, i;
	for (i = 0; i < c->n; i++) {
		const char *line;
		size_t len;
		struct span sp;
		json_t *root;
		if (!store_flags_live(c->v[i].flags))
			continue;
		if (!store_commits_line(c, i, &line, &len) || !span_parse(line, len, &sp, &root)) {
			++*damaged;
			continue;
		}
		if (n && bytes + len > FWD_BATCH_BYTES) {
			span_clear(&sp);
			json_decref(root);
			break;
		}
		bytes += len;
		catalog_out_span(f->a, &sp, &out[n++]);
		/* The mapping keeps no pointer into the parsed line but its strings: they are
		 * copied into the arena, which outlives the request. */
		out[n - 1].name = arena_strdup(f->a, out[n - 1].name);
		if (out[n - 1].status_message)
			out[n - 1].status_message = arena_strdup(f->a, out[n - 1].status_message);
		span_clear(&sp);
		json_decref(root);
	}
	*upto = i;
	return n;
}

/* One round of ws for endpoint e: up to FWD_ROUND_BATCHES batches from its cursor. true when
 * more is waiting (a backlog): the pass comes back to it. */
static bool deliver(struct fwd *f, const struct fwd_endpoint *e, struct fwd_state *s,
		    const char *ws)
{
	struct err er = {ST_OK, ""};
	int64_t cursor;
	enum status rc = forward_cursor_read(f->data, e->name, ws, &cursor, &er);
	if (rc != ST_OK && rc != ST_NOT_FOUND) {
		problem(s, ws, err_text(&er), "a cursor cannot be read", true);
		return false;
	}
	struct catalog_otlp *spans = xmalloc(FWD_BATCH_SPANS * sizeof *spans);
	bool more = false;
	for (int round = 0; round < FWD_ROUND_BATCHES && !stopping && !s->failed; round++) {
		struct store_commits c;
		struct fwd_answer ans;
		size_t upto, damaged = 0;
		if ((rc = store_commits_open(&f->st, ws, cursor, FWD_BATCH_SPANS, &c)) != ST_OK) {
			problem(s, ws,
				rc == ST_UNAVAILABLE ? "busy (an admin command holds it)"
						     : status_message(rc),
				"a workspace could not be read", true);
			break;
		}
		struct arena_mark mk = arena_mark(f->a);
		size_t n = batch(f, &c, spans, &upto, &damaged);
		enum fwd_outcome o = n ? send_spans(f, e, s, ws, spans, n, &ans) : FWD_OK;
		for (size_t i = 0; i < n; i++)
			catalog_out_clear(&spans[i]);
		arena_release(f->a, mk);
		if (damaged)
			problem(s, ws, "damaged lines passed over (spandex verify)",
				"damaged lines passed over", false);
		/* What is still to send after this batch (if it was taken). */
		uint64_t left = c.pending - (o == FWD_OK ? upto : 0);
		int64_t oldest = o != FWD_OK  ? c.oldest_us
				 : upto < c.n ? c.v[upto].ingested_us
				 : left	      ? c.v[c.n - 1].ingested_us
					      : 0;
		int64_t last = upto ? c.v[upto - 1].ingested_us : cursor;
		store_commits_close(&c);
		if (o != FWD_OK) {
			char pub[FORWARD_MAX_ERROR];
			problem(s, ws, ans.msg, answer_class(&ans, pub, sizeof pub), true);
			wait_before_next(s, &ans);
		} else if (upto &&
			   (rc = forward_cursor_write(f->data, e->name, ws, last, &er)) != ST_OK) {
			problem(s, ws, err_text(&er), "a cursor cannot be written", true);
		} else {
			s->backoff_ms = 0;
			cursor = last;
		}
		more = o == FWD_OK && left > 0;
		if (!more || s->failed) {
			s->pending += left;
			if (left && (!s->oldest_us || oldest < s->oldest_us))
				s->oldest_us = oldest;
			break;
		}
	}
	free(spans);
	return more && !s->failed;
}

/* One pass of endpoint e over every workspace it sends, round by round while any has a
 * backlog; then its status. */
static void pass(struct fwd *f, const struct fwd_endpoint *e)
{
	struct fwd_state *s = state_of(f, e->name);
	char **ws;
	size_t nws;
	if (time_now() < s->next_us)
		return;
	s->failed = false;
	s->pending = 0;
	s->oldest_us = 0;
	if (store_workspaces(&f->st, &ws, &nws) != ST_OK) {
		problem(s, NULL, "the data directory cannot be listed",
			"the data directory cannot be listed", true);
		return;
	}
	bool *behind = xcalloc(nws ? nws : 1, sizeof *behind), any = true;
	for (size_t i = 0; i < nws; i++)
		behind[i] = fwd_covers(e, ws[i]);
	while (any && !stopping && !s->failed) {
		any = false;
		for (size_t i = 0; i < nws && !s->failed; i++)
			if (behind[i])
				any |= behind[i] = deliver(f, e, s, ws[i]);
	}
	free(behind);
	cli_free_names(ws, nws);
	s->st.checked_us = time_now();
	s->st.pending = s->pending;
	s->st.oldest_us = s->oldest_us;
	struct err er;
	if (forward_status_write(f->data, &s->st, &er) != ST_OK)
		fprintf(stderr, "spandex: forward: %s: %s\n", e->name, err_text(&er));
	if (f->verbose)
		printf("forward: %s: %llu delivered, %llu rejected, %llu dropped, %llu pending\n",
		       e->name, (unsigned long long)s->st.delivered,
		       (unsigned long long)s->st.rejected, (unsigned long long)s->st.dropped,
		       (unsigned long long)s->st.pending);
}

/* Sleeps until the next pass, or less when an endpoint's wait ends first. */
static void pause_until(const struct fwd *f, int64_t next_us)
{
	for (size_t i = 0; i < f->ns; i++)
		if (f->s[i].next_us > time_now() && f->s[i].next_us < next_us)
			next_us = f->s[i].next_us;
	while (!stopping && time_now() < next_us) {
		int64_t left = next_us - time_now();
		struct timespec ts = {left / 1000000, (left % 1000000) * 1000};
		if (ts.tv_sec > 1)
			ts = (struct timespec){1, 0}; /* a SIGTERM is seen within a second */
		nanosleep(&ts, NULL);
	}
}

/* DATA/.spandex-forward/lock: one forwarder per data directory (two would send twice). */
static int lock(const char *data, bool wait)
{
	char dir[4096], path[4200];
	snprintf(dir, sizeof dir, "%s/" FORWARD_DIR, data);
	snprintf(path, sizeof path, "%s/" FORWARD_LOCK, dir);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -1;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd >= 0 && flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int cmd_forward(const char *cmd, struct opts *o)
{
	(void)cmd;
	long every = 0;
	char *end, why[512], last_why[512] = "";
	if (o->every && (every = strtol(o->every, &end, 10), *end || every < 1 || every > 86400)) {
		fprintf(stderr, "spandex: forward: --every is a number of seconds (1 to 86400)\n");
		return 2;
	}
	struct fwd f = {.data = o->pos[0], .verbose = o->verbose};
	store_init(&f.st, o->pos[0], true);
	int lk = lock(f.data, o->wait);
	if (lk < 0) {
		fprintf(stderr, "spandex: forward: %s/" FORWARD_DIR "/" FORWARD_LOCK ": %s\n",
			f.data,
			errno == EWOULDBLOCK ? "another spandex forward runs (--wait waits)"
					     : strerror(errno));
		return 1;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	srand((unsigned)(time_now() ^ getpid()));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	f.client = fwd_client_new();
	f.a = arena_new();
	struct fwd_config conf = {0}, next;
	bool failed = false;
	do {
		int64_t start = time_now();
		/* The file again at every pass: an edit takes effect at the next. */
		if (fwd_config_load(f.data, &next, why, sizeof why) == 0) {
			fwd_config_free(&conf);
			conf = next;
			last_why[0] = '\0';
		} else if (strcmp(why, last_why)) {
			fprintf(stderr, "spandex: forward: %s%s\n", why,
				conf.n ? " (the last good configuration goes on)" : "");
			snprintf(last_why, sizeof last_why, "%s", why);
			failed = true;
		}
		for (size_t i = 0; i < conf.n && !stopping; i++) {
			pass(&f, &conf.ep[i]);
			failed |= state_of(&f, conf.ep[i].name)->failed;
		}
		if (every)
			pause_until(&f, start + every * 1000000LL);
	} while (every && !stopping);
	fwd_config_free(&conf);
	fwd_client_free(f.client);
	arena_free(f.a);
	free(f.s);
	curl_global_cleanup();
	close(lk);
	return failed && !every ? 1 : 0;
}
