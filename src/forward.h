/* forward: `spandex forward`, every stored span sent on to OTLP/HTTP endpoints (issue 56;
 * docs/forwarding.md): the endpoints an operator names (forward_conf.c), a batch encoded
 * (forward_pb.c: protobuf; OTLP/JSON is lib/model/catalog_out_json.c's) and posted, with the
 * endpoint's answer read as the OTLP/HTTP specification says (forward_send.c), and the passes
 * over the workspaces in the order of their commits, a cursor per endpoint and workspace
 * (forward.c). */
#ifndef SPANDEX_SRC_FORWARD_H
#define SPANDEX_SRC_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/model/catalog_out.h"
#include "lib/store/ops.h"

/* ---- the configuration (forward_conf.c) ---- */
#define FWD_MAX_ENDPOINTS 16   /* a handful of backends, not a fan-out service */
#define FWD_MAX_HEADERS 16     /* per endpoint: its keys and tenant ids */
#define FWD_MAX_LINE 4096      /* a line of the file, a header with a long token included */
#define FWD_DEFAULT_TIMEOUT 30 /* seconds a request may take (timeout =) */
/* Where the file is looked for, the first that exists: SPANDEX_FORWARD_CONFIG, then
 * DATA/FWD_CONF_DATA, then FWD_CONF_INSTALLED (the Makefile sets it to sysconfdir's). */
#define FWD_CONF_DATA ".spandex-forward.conf"
#ifndef FWD_CONF_INSTALLED
#define FWD_CONF_INSTALLED "/etc/spandex/forward.conf"
#endif
/* The endpoint the environment names (SPANDEX_FORWARD_ENDPOINT ...), beside the file's. */
#define FWD_ENV_NAME "env"

struct fwd_endpoint {
	char name[FORWARD_MAX_NAME + 1];
	char *url;
	bool json; /* http/json; else http/protobuf */
	bool gzip; /* Content-Encoding: gzip (compression = gzip, the default) */
	char *headers[FWD_MAX_HEADERS]; /* "Name: value" */
	size_t nheaders;
	char **workspaces; /* NULL: every workspace */
	size_t nworkspaces;
	long timeout_s;
};
struct fwd_config {
	struct fwd_endpoint ep[FWD_MAX_ENDPOINTS];
	size_t n;
	char source[4096]; /* the file it came from ("" for the environment alone) */
};
/* The endpoints configured for DATA data, from the file and the environment. 0 (none
 * configured: n 0), or -1 with why (a line of the file, or a setting, that is wrong). */
int fwd_config_load(const char *data, struct fwd_config *c, char *why, size_t cap);
void fwd_config_free(struct fwd_config *c);
/* Whether e sends the spans of workspace ws. */
bool fwd_covers(const struct fwd_endpoint *e, const char *ws);

/* ---- a batch on the wire (forward_pb.c, forward_send.c) ---- */
/* At most this many spans, and stored lines of at most FWD_BATCH_BYTES, a request: well under
 * the request caps of receivers (spandex's 8 MiB body; a Collector's 20 MiB), and a bound on
 * what a forwarder killed mid-request sends twice (docs/forwarding.md, "At least once"). */
#define FWD_BATCH_SPANS 512
#define FWD_BATCH_BYTES (2u << 20)
#define FWD_MAX_RESPONSE (64u << 10) /* bytes of an answer read: a partial success, an error */

/* The ExportTraceServiceRequest of spans[0..n) as protobuf into body (appended). */
void fwd_pb_encode(struct arena *a, const struct catalog_otlp *spans, size_t n, struct buf *body);

enum fwd_outcome {
	FWD_OK,	     /* taken (some may have been rejected: a partial success) */
	FWD_RETRY,   /* not taken for now (429, 502, 503, 504, no answer): again after a wait */
	FWD_REFUSED, /* the endpoint refuses us, not the spans (401, 403, 404, 405, 407, 415):
			held, not dropped, until the configuration is put right */
	FWD_DROP,    /* the spans are refused (400, 413, any other 4xx or 5xx): not sent again */
};
struct fwd_answer {
	enum fwd_outcome o;
	long http;		/* 0: no answer */
	int64_t retry_after_ms; /* Retry-After, or -1 */
	uint64_t rejected;	/* partial_success.rejected_spans */
	char msg[FORWARD_MAX_ERROR];
};
struct fwd_client;
struct fwd_client *fwd_client_new(void);
void fwd_client_free(struct fwd_client *c);
/* Posts the request of spans[0..n) to e and reads its answer. */
void fwd_post(struct fwd_client *c, const struct fwd_endpoint *e, struct arena *a,
	      const struct catalog_otlp *spans, size_t n, struct fwd_answer *out);

#endif
