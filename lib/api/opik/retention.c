/* retention: Opik's retention rules (reference judgement.md 2.5; RetentionRulesResource,
 * RetentionRuleService), kept per workspace in the store (ops.h, store_rules_*) and honoured
 * by `spandex retain`: a workspace keeps the days of its longest enabled rule beyond what the
 * operator's --days keeps (docs/operations.md, "Retention rules"). Rules are never removed: a
 * create disables the enabled rule of the same project and level, a DELETE disables its rule. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/judgements/judged.h"
#include "lib/api/opik/params.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/store/ops.h"

/* RetentionPeriod: each word and the days it keeps. */
static const struct {
	const char *word;
	int32_t days;
} periods[] = {
    {"short_14d", 14},
    {"base_60d", 60},
    {"extended_400d", 400},
    {"unlimited", STORE_RULE_FOREVER},
};
#define NPERIODS (sizeof periods / sizeof *periods)

static const char *period_word(int32_t days)
{
	for (size_t i = 0; i < NPERIODS; i++)
		if (periods[i].days == days)
			return periods[i].word;
	return "unlimited"; /* not written by this API */
}

/* One RetentionRulePublic. Catch-up is Opik's cleanup of the past behind a new rule; `retain`
 * removes whole days from the oldest on, so there is none to wait for: done. */
static void rule_out(struct buf *b, const char *ws, const struct store_rule *r)
{
	buf_adds(b, "{\"id\":");
	opik_out_str(b, r->id);
	opik_out_key(b, "workspace_id"), opik_out_str(b, ws);
	opik_out_key(b, "project_id"), opik_out_str(b, r->project_id);
	opik_out_key(b, "level"), opik_out_str(b, store_rule_level_names[r->level]);
	opik_out_key(b, "retention"), opik_out_str(b, period_word(r->days));
	buf_printf(b, ",\"apply_to_past\":%s,\"enabled\":%s", r->apply_to_past ? "true" : "false",
		   r->enabled ? "true" : "false");
	opik_out_key(b, "created_by");
	opik_out_str(b, r->created_by ? r->created_by : OPIK_DEFAULT_USER);
	opik_out_key(b, "created_at"), opik_out_time(b, r->created_at);
	opik_out_key(b, "last_updated_by");
	opik_out_str(b, r->updated_by ? r->updated_by : OPIK_DEFAULT_USER);
	opik_out_key(b, "last_updated_at"), opik_out_time(b, r->updated_at);
	buf_adds(b, ",\"catch_up_done\":true}");
}

/* A failure of the rules' file: its reason (which names the file) for the log, and a reply
 * that names no file (issue 55, item 8). */
static enum status rules_failed(struct http_req *req, const struct err *e, const char *what)
{
	return http_fail_logged(req, e,
				"The retention rules of this workspace cannot be %s (the programs' "
				"log says why); retry later",
				what);
}

static enum status rules_read(struct http_req *req, struct store_rules *r)
{
	struct err e = {0};
	if (store_rules_read(api_store(req), req->ws, req->arena, r, &e) != ST_OK)
		return rules_failed(req, &e, "read");
	return ST_OK;
}

/* ---- GET rules ---- */

/* page, size, include_inactive: the newest first (the DAO's created_at DESC), size the
 * number of rules on the page. */
enum status opik_retention_rules(struct http_req *req)
{
	const struct http_pval *pv = req->pv;
	struct store_rules r;
	enum status st = rules_read(req, &r);
	if (st != ST_OK)
		return st;
	bool all = pv[OR_INACTIVE].i;
	long long page = pv[OR_PAGE].i, size = pv[OR_SIZE].i, skip = (page - 1) * size;
	size_t total = 0, shown = 0;
	struct buf *items = arena_buf(req->arena);
	for (size_t i = r.n; i-- > 0;) {
		if (!all && !r.v[i].enabled)
			continue;
		if ((long long)total++ < skip || (long long)shown >= size)
			continue;
		if (shown++)
			buf_addc(items, ',');
		rule_out(items, req->ws, &r.v[i]);
	}
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"content\":[");
	buf_add(out, items->p ? items->p : "", items->len);
	buf_printf(out, "],\"page\":%lld,\"size\":%zu,\"total\":%zu}", page, shown, total);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* ---- GET and DELETE rules/{ruleId} ---- */

static const struct store_rule *rule_find(const struct store_rules *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].id, id))
			return &r->v[i];
	return NULL;
}

enum status opik_retention_rule(struct http_req *req)
{
	struct store_rules r;
	enum status st = rules_read(req, &r);
	if (st != ST_OK)
		return st;
	const struct store_rule *x = rule_find(&r, req->id);
	if (!x)
		return http_fail(req, ST_NOT_FOUND, "Retention rule not found");
	struct buf *out = arena_buf(req->arena);
	rule_out(out, req->ws, x);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}

/* What a change to the rules does: disable the rule id, or add rule (after disabling the
 * enabled one of its project and level). found: the id was there. */
struct change {
	const char *id;
	struct store_rule *add;
	const char *by;
	int64_t now;
	bool found;
};

static bool same_scope(const struct store_rule *a, const struct store_rule *b)
{
	return a->level == b->level &&
	       (a->project_id == b->project_id ||
		(a->project_id && b->project_id && !strcmp(a->project_id, b->project_id)));
}

static void disable(struct store_rule *r, const struct change *c)
{
	r->enabled = false;
	r->updated_by = c->by;
	r->updated_at = c->now;
}

/* Keeps STORE_RULES_MAX with room for one more: the oldest disabled rule goes; none to drop
 * (every rule enabled) refuses the create. */
static enum status room(struct store_rules *r, struct err *e)
{
	if (r->n < STORE_RULES_MAX)
		return ST_OK;
	for (size_t i = 0; i < r->n; i++)
		if (!r->v[i].enabled) {
			memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof *r->v);
			r->n--;
			return ST_OK;
		}
	return err_set(e, ST_BAD_REQUEST, "a workspace keeps at most %d retention rules",
		       STORE_RULES_MAX);
}

static enum status rules_change(void *ctx, struct arena *a, struct store_rules *r, struct err *e)
{
	struct change *c = ctx;
	for (size_t i = 0; i < r->n; i++) {
		struct store_rule *x = &r->v[i];
		if (c->add && !strcmp(x->id, c->add->id))
			return err_set(e, ST_CONFLICT, "Retention rule already exists");
		if (c->id && !strcmp(x->id, c->id)) {
			c->found = true;
			if (x->enabled) /* an inactive one stays as it is: still a 204 */
				disable(x, c);
		} else if (c->add && x->enabled && same_scope(x, c->add)) {
			disable(x, c);
		}
	}
	if (!c->add)
		return ST_OK;
	enum status st = room(r, e);
	if (st != ST_OK)
		return st;
	struct store_rule *v = arena_alloc(a, (r->n + 1) * sizeof *v);
	if (r->n)
		memcpy(v, r->v, r->n * sizeof *v);
	v[r->n++] = *c->add;
	r->v = v;
	return ST_OK;
}

static enum status change_write(struct http_req *req, struct change *c)
{
	struct err e = {0};
	c->by = req->principal;
	c->now = time_now();
	enum status st =
	    store_rules_update(api_store(req), req->ws, req->arena, rules_change, c, &e);
	if (st == ST_BAD_REQUEST || st == ST_CONFLICT)
		return http_fail(req, st, "%s", err_text(&e));
	if (st != ST_OK)
		return rules_failed(req, &e, "read or stored");
	return ST_OK;
}

/* 204, whether the rule was enabled or not; 404 when there is none. */
enum status opik_retention_rule_delete(struct http_req *req)
{
	struct change c = {.id = req->id};
	enum status st = change_write(req, &c);
	if (st != ST_OK)
		return st;
	if (!c.found)
		return http_fail(req, ST_NOT_FOUND, "Retention rule not found");
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* ---- POST rules ---- */

/* RetentionRuleWrite {retention (required), project_id?, organization_level?, apply_to_past?,
 * id?} into r: 422 without retention; 400 for a word or a member Jackson would not bind, and
 * for organization_level with a project_id (the service's BadRequestException). */
static enum status rule_parse(struct http_req *req, json_t *body, struct store_rule *r)
{
	json_t *ret = json_object_get(body, "retention"),
	       *org = json_object_get(body, "organization_level");
	json_t *past = json_object_get(body, "apply_to_past"),
	       *pid = json_object_get(body, "project_id");
	json_t *id = json_object_get(body, "id");
	struct verrs v;
	size_t k = 0;
	verrs_init(&v);
	if (!json_is_object(body))
		verrs_add(&v, json_pack("[s]", "body"), "dict_type", "must be an object", NULL);
	else if (!ret || json_is_null(ret))
		verrs_add(&v, json_pack("[s,s]", "body", "retention"), "missing",
			  "must not be null", NULL);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	while (k < NPERIODS &&
	       !(json_is_string(ret) && !strcmp(json_string_value(ret), periods[k].word)))
		k++;
	if (k == NPERIODS || (org && !json_is_null(org) && !json_is_boolean(org)) ||
	    (past && !json_is_null(past) && !json_is_boolean(past)) ||
	    (pid && !json_is_null(pid) &&
	     (!json_is_string(pid) || span_id_problem(json_string_value(pid)))) ||
	    (id && !json_is_null(id) &&
	     (!json_is_string(id) || span_id_problem(json_string_value(id)))))
		return http_fail(req, ST_BAD_REQUEST, "Unable to process JSON");
	memset(r, 0, sizeof *r);
	r->project_id = json_string_value(pid);
	if (json_is_true(org) && r->project_id)
		return http_fail(req, ST_BAD_REQUEST,
				 "Cannot set organization_level=true with a project_id");
	r->level = json_is_true(org) ? STORE_RULE_ORGANIZATION
		   : r->project_id   ? STORE_RULE_PROJECT
				     : STORE_RULE_WORKSPACE;
	r->days = periods[k].days;
	r->apply_to_past = !json_is_false(past); /* true unless said */
	r->enabled = true;
	r->id = json_is_string(id) ? json_string_value(id) : hash_uuid(req->arena, 7);
	return ST_OK;
}

/* 201, the rule, Location: the request's path and its id. */
enum status opik_retention_rule_create(struct http_req *req)
{
	json_t *body;
	struct store_rule r;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK || (st = rule_parse(req, body, &r)) != ST_OK)
		return st;
	r.created_by = r.updated_by = req->principal;
	r.created_at = r.updated_at = time_now();
	struct change c = {.add = &r};
	if ((st = change_write(req, &c)) != ST_OK)
		return st;
	struct buf *out = arena_buf(req->arena);
	rule_out(out, req->ws, &r);
	const char *loc = http_location(req, NULL, r.id);
	http_reply_with(req, 201, "application/json", loc, out->p, out->len);
	return ST_OK;
}
