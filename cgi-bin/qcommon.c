/* qcommon: parameters, filter and reply shared by the read programs. */
#include "cgi-bin/qcommon.h"
#include "cgi-bin/common.h"

#include <string.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"

static const char *const modes[] = {"detailed", "summary", NULL};

void qc_list_specs(struct http_pspec *specs, const char *const *sorts)
{
	/* Reference §2: page >= 1, page_size 1..1000 (422 outside); defaults 1 and 10. */
	specs[QP_PAGE] =
	    (struct http_pspec){"page", PT_INT, false, 1, (long long)1 << 62, NULL, "1"};
	specs[QP_PAGE_SIZE] =
	    (struct http_pspec){"page_size", PT_INT, false, 1, QUERY_MAX_PAGE_SIZE, NULL, "10"};
	specs[QP_SORT] = (struct http_pspec){"sort", PT_ENUM, false, 0, 0, sorts, sorts[0]};
	specs[QP_MODE] = (struct http_pspec){"mode", PT_ENUM, false, 0, 0, modes, "detailed"};
	specs[QP_FILTER] = (struct http_pspec){"filter", PT_STRING, false, 0, 0, NULL, NULL};
}

void qc_query(struct http_req *req, struct query *q, struct store *st)
{
	cgi_store(req, st);
	memset(q, 0, sizeof *q);
	q->st = st;
	q->a = req->arena;
	q->ws = req->segs[QC_WS];
	q->page = 1;
	q->page_size = QUERY_DEFAULT_PAGE_SIZE;
	q->sort = "-started_at";
}

enum status qc_filter(struct http_req *req, enum filter_kind kind, const char *raw,
		      struct filter *f)
{
	const char **keys = arena_alloc(req->arena, (req->nparams + 1) * sizeof *keys);
	const char **vals = arena_alloc(req->arena, (req->nparams + 1) * sizeof *vals);
	for (size_t i = 0; i < req->nparams; i++) {
		keys[i] = req->params[i].key;
		vals[i] = req->params[i].value;
	}
	char err[1024];
	enum status s =
	    filter_parse(req->arena, kind, raw, keys, vals, req->nparams, f, err, sizeof err);
	if (s != ST_OK)
		http_error(req, s, err);
	return s;
}

enum status qc_reply(struct http_req *req, const struct query *q, enum status s,
		     const struct buf *body)
{
	if (s == ST_OK)
		http_reply_json(req, 200, body->p, body->len);
	else
		http_error(req, s, q->err[0] ? q->err : NULL);
	return s;
}

enum status qc_list(struct http_req *req, enum filter_kind kind, const char *const *sorts,
		    bool mode, const struct http_pspec *extra, size_t nextra, qc_run run)
{
	static const char *const prefixes[] = {"filter[", NULL};
	struct http_pspec specs[QP__COUNT + 4];
	struct http_pval vals[QP__COUNT + 4];
	struct store st;
	struct query q;
	struct filter f = {0};
	struct buf out;
	/* Reference §2: only the endpoint's own extras pass; the List Span Groups page has no
	 * mode, so there it is an unsupported parameter like any other. */
	size_t nc = mode ? QP__COUNT : QP_MODE;
	qc_list_specs(specs, sorts);
	for (size_t i = 0; i < nextra && i < 4; i++)
		specs[nc + i] = extra[i];
	enum status s = http_params(req, specs, nc + nextra, prefixes, vals);
	if (s != ST_OK)
		return s;
	if ((s = qc_filter(req, kind, vals[QP_FILTER].s, &f)) != ST_OK)
		return s;
	qc_query(req, &q, &st);
	q.page = vals[QP_PAGE].i;
	q.page_size = vals[QP_PAGE_SIZE].i;
	q.sort = vals[QP_SORT].s;
	q.summary = mode && strcmp(vals[QP_MODE].s, "summary") == 0;
	q.f = &f;
	buf_init(&out);
	s = qc_reply(req, &q, run(&q, vals + nc, &out), &out);
	buf_free(&out);
	filter_free(&f);
	return s;
}
