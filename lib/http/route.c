/* route: from a parsed request to its handler. The route table decides the handler, the
 * workspace and the access the key needs; all of it is settled, and the parameters checked,
 * before a byte of the body is read. */
#include "lib/http/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "lib/auth/auth.h"
#include "lib/model/workspace.h"

/* A route table's patterns split into their segments once a process (http_routes_compile),
 * where route_find read every pattern of the surface again for each request with strspn,
 * strcspn, strncmp and strlen: about 25k instructions of an Opik get span (its 62 patterns,
 * each tried under its prefix too), 3.8k of a NeMo one. */
enum seg_kind { SEG_LIT, SEG_WS, SEG_ID, SEG_ID2 };
struct cseg {
	const char *s; /* a literal's bytes in the pattern */
	size_t n;
	enum seg_kind kind;
};
struct croute {
	size_t first, nseg; /* its segments in the table's segs */
	bool any;	    /* the pattern "*" */
};
struct http_rtable {
	const struct http_surface *s;
	struct croute *routes;	/* one a route of s, in its order */
	struct cseg *segs;	/* every route's, and last the prefix's */
	size_t prefix, nprefix; /* the dialect's prefix's segments in segs */
};

/* The segments of path pattern p ("/a/{id}"; "/" runs as one) appended to segs from *n: one
 * pass over its bytes. */
static size_t split_pattern(const char *p, struct cseg *segs, size_t *n)
{
	size_t k = 0;

	while (p && *p) {
		if (*p == '/') {
			p++;
			continue;
		}
		const char *s = p;
		p = strchrnul(p, '/');
		struct cseg c = {s, (size_t)(p - s), SEG_LIT};
		if (c.n == 11 && !memcmp(s, "{workspace}", 11))
			c.kind = SEG_WS;
		else if (c.n == 4 && !memcmp(s, "{id}", 4))
			c.kind = SEG_ID;
		else if (c.n == 5 && !memcmp(s, "{id2}", 5))
			c.kind = SEG_ID2;
		segs[(*n)++] = c;
		k++;
	}
	return k;
}

/* Segments of a pattern at most: each a byte and a '/' after it. */
static size_t pattern_room(const char *p)
{
	return p ? strlen(p) / 2 + 1 : 0;
}

const struct http_rtable *http_routes_compile(const struct http_surface *s, struct arena *a)
{
	struct http_rtable *t = arena_alloc(a, sizeof *t);
	size_t room = pattern_room(s->dialect->prefix), n = 0;

	for (size_t i = 0; i < s->nroutes; i++)
		room += pattern_room(s->routes[i].pattern);
	t->s = s;
	t->routes = arena_alloc(a, (s->nroutes + 1) * sizeof *t->routes);
	t->segs = arena_alloc(a, room * sizeof *t->segs);
	for (size_t i = 0; i < s->nroutes; i++) {
		const char *p = s->routes[i].pattern;
		struct croute *c = &t->routes[i];

		c->first = n;
		c->any = !strcmp(p, "*");
		c->nseg = c->any ? 0 : split_pattern(p, t->segs, &n);
	}
	t->prefix = n;
	t->nprefix = split_pattern(s->dialect->prefix, t->segs, &n);
	return t;
}

/* Whether the request's segments segs[from..] (their lengths in len) are route c's; fills the
 * captures of a match. */
static bool pattern_match(struct http_req *req, const struct http_rtable *t, const struct croute *c,
			  const size_t *len, size_t from, const char **ws, const char **id,
			  const char **id2)
{
	*ws = *id = *id2 = NULL;
	if (c->any)
		return true;
	if (c->nseg != req->nsegs - from)
		return false;
	for (size_t j = 0; j < c->nseg; j++) {
		const struct cseg *g = &t->segs[c->first + j];
		const char *seg = req->segs[from + j];

		if (g->kind == SEG_WS)
			*ws = seg;
		else if (g->kind == SEG_ID)
			*id = seg;
		else if (g->kind == SEG_ID2)
			*id2 = seg;
		else if (len[from + j] != g->n || memcmp(g->s, seg, g->n))
			return false;
	}
	return true;
}

/* The segments of the dialect's optional prefix ("/api" -> 1) when the path starts with it. */
static size_t prefix_segments(struct http_req *req, const struct http_rtable *t, const size_t *len)
{
	if (t->nprefix > req->nsegs)
		return 0;
	for (size_t k = 0; k < t->nprefix; k++) {
		const struct cseg *g = &t->segs[t->prefix + k];
		if (len[k] != g->n || memcmp(g->s, req->segs[k], g->n))
			return 0;
	}
	return t->nprefix;
}

static bool method_is(const char *route, const char *m)
{
	/* HEAD is GET without the body (RFC 9110 section 9.3.2); the reply drops the body. */
	return !strcmp(route, m) || (!strcmp(m, "HEAD") && !strcmp(route, "GET"));
}

/* The route of req; NULL after the 404 or 405 (with Allow) has been written. A route
 * without a handler names a path and method the surface refuses (405) though a later
 * pattern ({id}) would take it. */
static const struct http_route *route_find(struct http_req *req, const struct http_rtable *t)
{
	const struct http_surface *s = req->surface;
	size_t len[HTTP_MAX_SEGMENTS];
	for (size_t k = 0; k < req->nsegs; k++)
		len[k] = strlen(req->segs[k]);
	size_t offs[2] = {0, prefix_segments(req, t, len)};
	struct buf *allow = arena_buf(req->arena);
	bool refused = false;

	for (size_t o = 0; o < 2; o++) {
		if (o && !offs[1])
			break;
		for (size_t i = 0; i < s->nroutes; i++) {
			const struct http_route *r = &s->routes[i];
			const char *ws, *id, *id2;

			if (!pattern_match(req, t, &t->routes[i], len, offs[o], &ws, &id, &id2))
				continue;
			if (method_is(r->method, req->method)) {
				refused |= !r->fn;
				if (refused)
					continue;
				req->ws = ws;
				req->id = id;
				req->id2 = id2;
				return r;
			}
			if (!strstr(allow->p ? allow->p : "", r->method))
				buf_printf(allow, "%s%s", allow->len ? ", " : "", r->method);
		}
		if (allow->len || refused)
			break;
	}
	if (allow->len)
		http_reply_method(req, allow->p);
	else
		http_reply_error(req, ST_NOT_FOUND, "Not Found");
	return NULL;
}

/* The workspace a route without {workspace} names: the dialect's header, then its hook, then
 * the caller's key's own workspace when the dialect takes it (g: the key's grant, NULL when
 * it has none); NULL for none. */
static const char *route_ws_given(struct http_req *req, const struct http_dialect *d,
				  const struct auth_grant *g)
{
	const char *ws = d->ws_header ? http_header(req, d->ws_header) : NULL;

	if ((!ws || !*ws) && d->ws_from)
		ws = d->ws_from(req);
	if ((!ws || !*ws) && d->ws_from_key && g && strcmp(g->workspace, AUTH_ALL_WORKSPACES))
		ws = g->workspace;
	return ws;
}

/* Whether route r of dialect d names no workspace outside its path: a dialect with no source,
 * or a public route. */
static bool route_ws_none(const struct http_dialect *d, const struct http_route *r)
{
	return !(d->ws_header || d->ws_from || d->ws_from_key) || r->access == HTTP_PUBLIC;
}

/* The workspace of the route: its {workspace} segment, else route_ws_given's. */
static enum status route_workspace(struct http_req *req, bool in_path, const struct auth_grant *g)
{
	const struct http_dialect *d = http_req_dialect(req);

	if (in_path) {
		/* Reference section 10: checked before it is ever used in a path. */
		if (!workspace_valid(req->ws))
			return http_fail(req, d->ws_refusal, "Invalid workspace name '%.100s': %s",
					 req->ws, WORKSPACE_RULES);
		return ST_OK;
	}
	/* A dialect that names no source has no workspace outside the path. */
	if (route_ws_none(d, req->route) || d->ws_by_handler)
		return ST_OK;
	req->ws = route_ws_given(req, d, g);
	if (!req->ws || !*req->ws)
		req->ws = d->ws_default;
	if (workspace_valid(req->ws))
		return ST_OK;
	/* Named after the header, or after what the dialect's hook read when it has none. */
	const char *where = d->ws_header ? d->ws_header : "workspace";
	if (d->ws_refusal == ST_INVALID) {
		/* A 422 names the header as FastAPI would: loc ["header", <name>]. */
		struct verrs v;
		verrs_init(&v);
		verrs_add(&v, json_pack("[s,s]", "header", where), "value_error",
			  "Value error, not a workspace name: " WORKSPACE_RULES,
			  json_string(req->ws));
		return http_fail_invalid(req, &v);
	}
	return http_fail(req, d->ws_refusal, "Invalid workspace name in %s: '%.64s'", where,
			 req->ws);
}

/* Who the caller's key is (lib/auth): the grant, or the failure kept for route_authorize, so a
 * bad workspace is still answered first. Public routes have no caller. */
static enum status route_resolve(struct http_req *req, struct auth_grant *g, struct err *e)
{
	if (req->route->access == HTTP_PUBLIC)
		return ST_OK;
	return auth_resolve(req->root, http_env(req, "SPANDEX_TOKEN"),
			    http_req_dialect(req)->key->get(req), g, e);
}

/* The role the route needs, of the key resolved (rst its status, e its reason): none for
 * public routes; SPANDEX_TOKEN stays a global admin key. A failure answers 401 or 403 in the
 * dialect, before the body is read. */
static enum status route_authorize(struct http_req *req, enum status rst,
				   const struct auth_grant *g, struct err *e)
{
	static const enum auth_role need[] = {
	    [HTTP_READ] = AUTH_READ, [HTTP_WRITE] = AUTH_WRITE, [HTTP_ADMIN] = AUTH_ADMIN};

	if (req->route->access == HTTP_PUBLIC)
		return ST_OK;
	if (rst == ST_OK)
		rst = auth_allow(req->root, g, req->ws, need[req->route->access], e);
	if (rst != ST_OK) {
		/* A key file that refuses everyone is said in the log, once per reason. */
		const char *why = e->st == ST_UNAVAILABLE ? auth_unlogged() : NULL;
		if (why)
			http_log(req, "%s", why);
		return http_fail_err(req, e);
	}
	if (!g->open)
		req->principal = g->id[0] ? arena_strdup(req->arena, g->id) : "token";
	req->admin = g->open || g->role == AUTH_ADMIN;
	return ST_OK;
}

/* The data directory, then what the surface's handlers run against (http_surface.open). */
static enum status route_open(struct http_req *req)
{
	const char *root = http_env(req, "SPANDEX_DATA");

	req->root = root && *root ? root : "./data";
	return req->surface->open ? req->surface->open(req) : ST_OK;
}

/* The slots are slots.c's; the refusal is written here, so that slots.c, which reply.c asks to
 * give a slot back before a reply, takes nothing of reply.c. */
enum status http_heavy(struct http_req *req)
{
	const char *ws = req->ws ? req->ws : "";
	int most = 0;

	switch (http_slots_take(ws, &most)) {
	case 1:
		return http_fail(
		    req, ST_TOO_MANY,
		    "Workspace %s is running %d expensive queries (scans of a large "
		    "project: stats, searches, filters) already, its most at once; retry "
		    "when one ends",
		    ws, most);
	case 2:
		return http_fail(req, ST_TOO_MANY,
				 "%d expensive queries (scans of a large project: stats, searches, "
				 "filters) are running, the most at once; retry when one ends",
				 most);
	default:
		return ST_OK;
	}
}

void http_dispatch(struct http_req *req)
{
	const struct http_conn *c = req->priv;
	const char *m = http_var(req, "REQUEST_METHOD");
	const struct http_route *r;
	struct auth_grant g;
	struct err ae = {0};
	enum status st, rst = ST_OK;

	http_slots_start(req);
	req->method = m && *m ? m : "GET";
	st = http_parse_path(req);
	if (st == ST_OK)
		st = http_parse_query(req);
	if (st != ST_OK) {
		http_reply_failure(req, st);
		return;
	}
	if (!(r = route_find(req, c->rt && c->rt->s == req->surface
				      ? c->rt
				      : http_routes_compile(req->surface, req->arena))))
		return;
	req->route = r;
	req->pv = arena_alloc(req->arena, (r->nparams + 1) * sizeof *req->pv);
	st = route_open(req);
	if (st == ST_OK)
		rst = route_resolve(req, &g, &ae);
	if (st == ST_OK)
		st = route_workspace(req, req->ws != NULL, rst == ST_OK ? &g : NULL);
	/* Before the body, so no unauthenticated body is read or inflated. */
	if (st == ST_OK)
		st = route_authorize(req, rst, &g, &ae);
	if (st == ST_OK)
		st = http_params(req, r, req->pv);
	if (st == ST_OK && r->admit)
		st = r->admit(req);
	if (st == ST_OK)
		st = http_read_body(req);
	if (st == ST_OK)
		st = r->fn(req);
	if (req->replied)
		return;
	if (st == ST_OK) {
		http_log(req, "handler for %s %s returned without a reply", req->method, req->path);
		st = ST_INTERNAL;
	}
	http_reply_failure(req, st);
}

/* Where route r names its workspace (http_routes_print): the words of route_workspace and
 * route_ws_given, the handler's sources for a dialect whose handler reads them. */
static void route_ws_words(const struct http_surface *s, const struct http_route *r, FILE *f)
{
	struct http_req q = {.surface = s, .route = r};
	const struct http_dialect *d = http_req_dialect(&q);
	const char *sep = "";

	if (strstr(r->pattern, "{workspace}")) {
		fputs("path", f);
		return;
	}
	if (route_ws_none(d, r)) {
		fputs("-", f);
		return;
	}
	if (d->ws_header) {
		fputs(d->ws_header, f);
		sep = ",";
	}
	if (d->ws_from) {
		fprintf(f, "%s%s", sep, d->ws_from == http_ws_basic_user ? "basic" : "hook");
		sep = ",";
	}
	if (d->ws_from_key)
		fprintf(f, "%skey", sep);
}

void http_routes_print(FILE *f, const struct http_surface *s)
{
	const char *prefix = s->dialect->prefix;

	for (size_t i = 0; i < s->nroutes; i++) {
		const struct http_route *r = &s->routes[i];

		for (int under = 0; under < 1 + (prefix != NULL); under++) {
			fprintf(f, "%s\t%s%s\t", r->method, under ? prefix : "", r->pattern);
			route_ws_words(s, r, f);
			fputc('\n', f);
		}
	}
}
