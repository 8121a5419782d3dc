/* health: GET /healthz, for operators and load balancers: whether this host can take a write,
 * and, with a bucket (SPANDEX_S3), how far the bucket is behind each workspace it ships. */
#include "lib/api/intake/intake.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "lib/auth/auth.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/ship/ship.h"
#include "lib/store/ops.h"

/* Why the data directory cannot take a write, or NULL. */
static const char *data_fault(struct http_req *req)
{
	const char *v = http_env(req, "SPANDEX_MIN_FREE");
	unsigned long long min_free =
	    2ull * (req->max_body ? req->max_body : HTTP_MAX_BODY_DEFAULT);
	struct statvfs fs;
	char *end;

	if (v && *v) {
		unsigned long long n = strtoull(v, &end, 10);
		if (!*end)
			min_free = n;
	}
	if (access(req->root, R_OK | W_OK | X_OK) < 0 || statvfs(req->root, &fs) < 0)
		return "the data directory is not usable";
	if (fs.f_flag & ST_RDONLY)
		return "the data directory is read-only";
	if (fs.f_files && fs.f_favail == 0)
		return "the file system of the data directory has no inodes left";
	if ((unsigned long long)fs.f_bavail * fs.f_frsize < min_free)
		return "the file system of the data directory is (nearly) full";
	struct err ae = {0};
	if (auth_resolve(req->root, NULL, NULL, &(struct auth_grant){0}, &ae) ==
	    ST_UNAVAILABLE) /* the file cannot be read, or does not parse: the APIs' 503 */
		return arena_strdup(req->arena, ae.msg);
	return NULL;
}

static const char *env_of(void *ctx, const char *name)
{
	return http_env(ctx, name);
}

/* One workspace's line: its owner state, its last object, the bucket's lag and last error. */
static void bucket_ws(struct buf *out, const char *root, const char *ws, int64_t now, bool *failing)
{
	struct ship_status s;
	if (ship_status(root, ws, &s) != ST_OK)
		return;
	double lag = s.caught_up_at ? (double)(now - s.caught_up_at) / 1e6 : -1;
	buf_adds(out, "{\"workspace\":");
	jsonw_string(out, ws, strlen(ws));
	buf_printf(out,
		   ",\"owner\":\"%s\",\"seq\":%" PRIu64
		   ",\"lag_seconds\":%.1f,\"lag_bytes\":%" PRIu64 ",\"error\":",
		   ship_owner_names[s.owner], s.seq, lag, s.lag_bytes);
	if (s.error[0])
		jsonw_string(out, s.error, strlen(s.error));
	else
		buf_adds(out, "null");
	if (s.owner == SHIP_LOST)
		buf_printf(out, ",\"lost_to\":\"%s\"", s.lost_to);
	buf_addc(out, '}');
	*failing |= s.error[0] != '\0';
}

/* Sync mode, after a failure: whether the bucket answers now (a check, which clears the kept
 * failure when it does). A failure a pass left is not enough to keep the host out: with the
 * host out no write comes whose pass would clear it. */
static bool bucket_answers(struct http_req *req, const struct ship_conf *c)
{
	struct err e = {ST_OK, ""};
	struct ship *s = ship_open(req->root, c, &e);
	bool ok = s && ship_check(s, &e) == ST_OK;
	ship_close(s);
	return ok;
}

/* The "bucket" member of the answer (nothing without SPANDEX_S3). *why: the host is degraded
 * when the settings are wrong, or in sync mode when a pass failed (writes get 503). */
static void bucket_health(struct http_req *req, struct buf *out, const char **why)
{
	struct ship_conf c;
	struct err e = {ST_OK, ""};
	enum status st = ship_conf_read(&c, env_of, req, &e);
	if (st == ST_NOT_FOUND)
		return;
	buf_adds(out, ",\"bucket\":{");
	if (st != ST_OK) {
		buf_adds(out, "\"error\":");
		jsonw_string(out, e.msg, strlen(e.msg));
		buf_addc(out, '}');
		if (!*why)
			*why =
			    "the bucket's settings (SPANDEX_S3 ...) are wrong: no write is taken";
		return;
	}
	buf_printf(out, "\"mode\":\"%s\",", c.sync ? "sync" : "async");
	char **ws = NULL, check[ERR_MSG];
	size_t n = 0;
	int64_t now = time_now(), at;
	/* The last check of the bucket (spandex ship, or this program's start), when it failed. */
	bool failing = ship_check_failed(req->root, check, &at);
	if (failing) {
		buf_adds(out, "\"error\":");
		jsonw_string(out, check, strlen(check));
		buf_printf(out, ",\"error_seconds_ago\":%.1f,", (double)(now - at) / 1e6);
	}
	buf_adds(out, "\"workspaces\":[");
	ship_known(req->root, &ws, &n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(out, ',');
		bucket_ws(out, req->root, ws[i], now, &failing);
		free(ws[i]);
	}
	free(ws);
	buf_adds(out, "]}");
	if (failing && c.sync && !*why && !bucket_answers(req, &c))
		*why = "the bucket does not take writes (sync mode): they are refused";
}

/* What `spandex forward` last found (docs/forwarding.md): per endpoint, how far behind it is
 * (the age of the oldest version it had not delivered when it last looked), when it last
 * looked, its counts and its last error. Endpoint names and counts only: no URL, no data. */
static void forwarding(struct http_req *req, struct buf *out)
{
	struct forward_status *fs;
	size_t n;
	int64_t now = time_now();
	forward_status_all(req->root, &fs, &n);
	if (!n)
		return;
	buf_adds(out, ",\"forwarding\":[");
	for (size_t i = 0; i < n; i++) {
		const struct forward_status *f = &fs[i];
		double lag = f->pending && f->oldest_us ? (double)(now - f->oldest_us) / 1e6 : 0;
		buf_adds(out, i ? ",{\"endpoint\":" : "{\"endpoint\":");
		jsonw_string(out, f->endpoint, strlen(f->endpoint));
		buf_printf(out, ",\"lag_seconds\":%.3f,\"pending\":%" PRIu64, lag < 0 ? 0 : lag,
			   f->pending);
		buf_printf(out, ",\"checked_seconds_ago\":%.3f",
			   (double)(now - f->checked_us) / 1e6);
		buf_printf(
		    out, ",\"delivered\":%" PRIu64 ",\"rejected\":%" PRIu64 ",\"dropped\":%" PRIu64,
		    f->delivered, f->rejected, f->dropped);
		if (f->error_us) {
			buf_adds(out, ",\"last_error\":");
			jsonw_string(out, f->error, strlen(f->error));
			buf_printf(out, ",\"last_error_seconds_ago\":%.3f",
				   (double)(now - f->error_us) / 1e6);
		}
		buf_addc(out, '}');
	}
	buf_addc(out, ']');
	free(fs);
}

/* For operators and load balancers (no key needed, so it names no path of the data): 200
 * {"status":"ok"} while the data directory can take a write; 503 {"status":"degraded",
 * "detail"} with Retry-After when it cannot (unusable, read-only, out of inodes, or less
 * free space than SPANDEX_MIN_FREE, by default two bodies of the maximum size: a full batch
 * would then be refused), when the API key file refuses every request, or when the bucket's
 * settings are wrong (or, in sync mode, a pass failed and the bucket does not answer now). With
 * SPANDEX_S3 a "bucket" member names the last failed check of the bucket, and per workspace its
 * owner state, lag and last error. With `spandex forward` configured, either says how forwarding
 * goes (forwarding, above). */
enum status intake_healthz(struct http_req *req)
{
	const char *why = data_fault(req);
	struct buf *out = arena_buf(req->arena), *bucket = arena_buf(req->arena);
	bucket_health(req, bucket, &why);
	if (!why) {
		buf_printf(out, "{\"status\":\"ok\"%s", bucket->len ? bucket->p : "");
		forwarding(req, out);
		buf_addc(out, '}');
		http_reply_json(req, 200, out->p, out->len);
		return ST_OK;
	}
	buf_adds(out, "{\"status\":\"degraded\",\"detail\":");
	jsonw_string(out, why, strlen(why));
	buf_printf(out, "%s", bucket->len ? bucket->p : "");
	forwarding(req, out);
	buf_addc(out, '}');
	http_reply_with(req, 503, "application/json", "Retry-After: 30\r\n", out->p, out->len);
	return ST_OK;
}
