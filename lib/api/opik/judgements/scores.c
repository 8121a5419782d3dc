/* scores: Opik's feedback scores on spans and traces (reference judgement.md 2.1, opik.md
 * S10-S12), written as judgements (lib/model/judgement.h): one per entity, name and author,
 * whose id says so (judgement_key_id "fs-"), so a score sent again replaces its author's and
 * keeps its creation. Read back beside the spans and traces by judged.c. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/judgements/judged.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/query/judgements.h"

/* Opik's bounds of a value: its Decimal(18, 9), between these (FeedbackScore.java). */
#define OPIK_SCORE_MAX 999999999.999999999
#define OPIK_SCORE_MAX_INT 999999999LL

static const char *const sources[] = {"ui", "sdk", "online_scoring", NULL};
static const enum judgement_source source_of[] = {JS_HUMAN, JS_SDK, JS_ONLINE};

/* ---- the span or trace a judgement is on ---- */

/* The entity's span in line (as store_get gives it): whether it is the entity asked for. */
static bool entity_line(struct http_req *req, enum opik_entity ent, const char *id,
			const char *line, size_t n, struct opik_entity_info *e)
{
	struct span s;
	json_t *root;
	if (!span_parse(line, n, &s, &root))
		return false;
	bool trace_row = opik_is_trace_row(&s);
	bool ok = ent == OPIK_SPAN ? !trace_row : s.trace_id && !strcmp(s.trace_id, id);
	if (ok) {
		e->found = true;
		e->trace_id = s.trace_id ? arena_strdup(req->arena, s.trace_id) : NULL;
		/* A span that names no session counts in its trace's (docs/api-intake.md,
		 * "Sessions"). */
		struct query q;
		api_query_init(req, &q);
		const char *session = query_span_session(&q, &s);
		e->session_id = session ? arena_strdup(req->arena, session) : NULL;
		e->project = arena_strdup(req->arena, s.str[SS_PROJECT] ? s.str[SS_PROJECT]
									: OPIK_DEFAULT_PROJECT);
	}
	span_clear(&s);
	json_decref(root);
	return ok;
}

enum status opik_entity_find(struct http_req *req, enum opik_entity ent, const char *id,
			     bool thorough, struct opik_entity_info *e)
{
	struct buf *line = arena_buf(req->arena);
	memset(e, 0, sizeof *e);
	if (store_get(api_store(req), req->ws, id, line) == ST_OK &&
	    entity_line(req, ent, id, line->p, line->len, e))
		return ST_OK;
	if (ent == OPIK_SPAN || !thorough)
		return ST_OK;
	/* A trace another API wrote has no row of its id: its root. */
	struct query q;
	struct query_trace t;
	api_query_init(req, &q);
	enum status st = query_trace_find(&q, id, &t);
	if (st == ST_OK)
		entity_line(req, ent, id, t.root.line, t.root.len, e);
	else if (st != ST_NOT_FOUND)
		return http_fail(req, st, "%s", err_text(&q.err));
	return ST_OK;
}

/* ---- validation ---- */

/* A string member: absent or null (NULL, true), a string (it, true), or else false. */
static bool opt_str(json_t *it, const char *k, const char **out)
{
	json_t *x = json_object_get(it, k);
	*out = json_string_value(x);
	return !x || json_is_null(x) || json_is_string(x);
}

static bool blank(const char *s)
{
	while (s && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return !s || !*s;
}

/* Checks the optional strings of an item against their limits. */
static void strings_check(struct verrs *v, json_t *it, json_t *loc, bool batch)
{
	static const struct {
		const char *name;
		size_t max;
		bool batch_only;
	} opt[] = {
	    {"category_name", JUDGEMENT_MAX_NAME, false}, {"reason", JUDGEMENT_MAX_TEXT, false},
	    {"error_reason", JUDGEMENT_MAX_TEXT, false},  {"author", JUDGEMENT_MAX_NAME, true},
	    {"project_name", JUDGEMENT_MAX_NAME, true},
	};
	const char *s;
	for (size_t k = 0; k < sizeof opt / sizeof *opt; k++) {
		if (opt[k].batch_only && !batch)
			continue;
		if (!opt_str(it, opt[k].name, &s) || (s && strlen(s) > opt[k].max))
			verrs_add_field(v, loc, opt[k].name, "string_type",
					opt[k].max == JUDGEMENT_MAX_NAME
					    ? "must be a string of at most 512 characters"
					    : "must be a string of at most 65536 characters",
					NULL);
	}
	if (batch && opt_str(it, "project_name", &s) && s && blank(s))
		verrs_add_field(v, loc, "project_name", "value_error", "must not be blank", NULL);
}

bool opik_score_check(struct verrs *v, json_t *it, json_t *loc, const char *id_key)
{
	bool batch = id_key != NULL;
	const char *name, *src;
	json_t *val = json_object_get(it, "value"), *err = json_object_get(it, "error");
	size_t k = 0;
	if (!json_is_object(it)) {
		verrs_add(v, loc, "dict_type", "must be an object", NULL);
		return true;
	}
	if (json_is_string(val)) {
		double d;
		if (!opik_number(json_string_value(val), &d)) {
			json_decref(loc);
			return false;
		}
		/* An integer's text stays an integer, so that the bound below can tell 1e9 from
		 * the largest Decimal(18, 9). */
		const char *t = json_string_value(val);
		size_t sign = strspn(t, "+-");
		bool whole =
		    t[sign] && strspn(t + sign, "0123456789") == strlen(t + sign) && fabs(d) < 9e18;
		json_object_set_new(it, "value",
				    whole ? json_integer((json_int_t)d) : json_real(d));
		val = json_object_get(it, "value");
	} else if (val && !json_is_null(val) && !json_is_number(val)) {
		json_decref(loc);
		return false;
	}
	/* A thread's thread_id is @NotBlank (FeedbackScoreBatchItemThread); an entity's id an id.
	 */
	const char *idv = json_string_value(json_object_get(it, id_key));
	if (batch && !strcmp(id_key, "thread_id") && (!idv || blank(idv)))
		verrs_add_field(v, loc, id_key, "missing", "must not be blank", NULL);
	else if (batch && (!idv || span_id_problem(idv)))
		verrs_add_field(v, loc, id_key, "missing", "must be an id", NULL);
	if (!opt_str(it, "name", &name) || blank(name))
		verrs_add_field(v, loc, "name", "missing", "must not be blank", NULL);
	else if (strlen(name) > JUDGEMENT_MAX_NAME)
		verrs_add_field(v, loc, "name", "string_too_long",
				"must be a string of at most 512 characters", NULL);
	if (!json_is_number(val))
		verrs_add_field(v, loc, "value", "missing", "must not be null", NULL);
	else if (fabs(json_number_value(val)) > OPIK_SCORE_MAX ||
		 /* ±1e9 is past the bound, though as a double the bound is 1e9 itself: an
		  * integer's text says which (a fraction's cannot, and is taken). */
		 (json_is_integer(val) && (json_integer_value(val) > OPIK_SCORE_MAX_INT ||
					   json_integer_value(val) < -OPIK_SCORE_MAX_INT)))
		verrs_add_field(v, loc, "value", "value_error",
				"must be between -999999999.999999999 and 999999999.999999999",
				NULL);
	opt_str(it, "source", &src);
	while (src && sources[k] && strcmp(sources[k], src))
		k++;
	if (!src || !sources[k])
		verrs_add_field(v, loc, "source", "enum",
				src ? "must be one of ui, sdk, online_scoring" : "must not be null",
				NULL);
	if (err && !json_is_null(err) &&
	    !(json_is_integer(err) && json_integer_value(err) >= 0 && json_integer_value(err) <= 1))
		verrs_add_field(v, loc, "error", "value_error", "must be 0 or 1", NULL);
	strings_check(v, it, loc, batch);
	json_decref(loc);
	return true;
}

/* ---- the write ---- */

void opik_score_value(struct http_req *req, json_t *it, const char *entity, const char *id,
		      int64_t now, struct judgement *j)
{
	const char *author, *category, *reason, *src, *why;
	opt_str(it, "author", &author);
	opt_str(it, "category_name", &category);
	opt_str(it, "reason", &reason);
	opt_str(it, "source", &src);
	opt_str(it, "error_reason", &why);
	if (!author || !*author)
		author = req->principal;
	judgement_init(j);
	j->name = json_string_value(json_object_get(it, "name"));
	const char *parts[] = {entity, id, j->name, author ? author : ""};
	j->id = judgement_key_id(req->arena, "fs-", parts, 4);
	j->workspace = req->ws;
	/* Opik's value is always a number; a category rides beside it (judgement.md 5, 3). */
	j->kind = JK_NUMBER;
	j->value = json_number_value(json_object_get(it, "value"));
	j->label = category;
	j->text = reason;
	for (size_t k = 0; sources[k]; k++)
		if (!strcmp(sources[k], src))
			j->source = source_of[k];
	j->api = OPIK_API;
	j->subtype = "feedback_score";
	j->author = author;
	if (json_integer_value(json_object_get(it, "error")) == 1)
		j->error = why ? why : "error";
	j->created_at = now;
}

/* The judgement of a checked item on entity id (e: what is known of it), made at now. */
static void score_judgement(struct http_req *req, enum opik_entity ent, json_t *it, const char *id,
			    const struct opik_entity_info *e, int64_t now, struct judgement *j)
{
	const char *project;
	opt_str(it, "project_name", &project);
	opik_score_value(req, it, ent == OPIK_SPAN ? "span" : "trace", id, now, j);
	j->target = opik_target(ent);
	j->span_id = ent == OPIK_SPAN ? id : NULL;
	j->trace_id = ent == OPIK_SPAN ? e->trace_id : id;
	j->session_id = e->session_id;
	j->project = project ? project : e->project ? e->project : OPIK_DEFAULT_PROJECT;
}

/* The judgements of one write, by id: the newest of an id named twice. */
struct upsert {
	struct judgement *js;
	size_t n;
};

static int cmp_id(const void *a, const void *b)
{
	return strcmp(((const struct judgement *)a)->id, ((const struct judgement *)b)->id);
}

/* A score replaces its author's older one of the name, keeping when it was first made. */
static enum status merge_upsert(void *ctx, struct arena *a, const char *id,
				const struct judgement *cur, struct judgement *out, struct err *e)
{
	const struct upsert *u = ctx;
	struct judgement key = {.id = id};
	const struct judgement *j = bsearch(&key, u->js, u->n, sizeof key, cmp_id);
	(void)a, (void)e;
	if (!j)
		return ST_OK; /* not ours: no change */
	*out = *j;
	if (cur && !cur->deleted) {
		out->created_at = cur->created_at;
		out->updated_at = j->created_at;
	}
	return ST_OK;
}

/* An id (a judgement's, an entity's) and where its item came in the request: sorted by both,
 * the items of an id are together in their order. */
struct ranked {
	const char *id;
	size_t at;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->at > y->at) - (x->at < y->at);
}

enum status opik_scores_upsert(struct http_req *req, struct judgement *js, size_t n)
{
	struct err e = {0};
	struct ranked *v = arena_alloc(req->arena, n * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = (struct ranked){js[i].id, i};
	qsort(v, n, sizeof *v, cmp_ranked);
	struct judgement *w = arena_alloc(req->arena, n * sizeof *w);
	const char **ids = arena_alloc(req->arena, n * sizeof *ids);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (i + 1 == n || strcmp(v[i].id, v[i + 1].id)) {
			w[u] = js[v[i].at];
			ids[u] = w[u].id;
			u++;
		}
	struct upsert ctx = {w, u};
	struct ingest_to to = api_ingest_to(req);
	if (ingest_update_judgements(&to, ids, u, merge_upsert, &ctx, &e) != ST_OK)
		return http_fail(req, e.st, "not stored (%s); retry later", err_text(&e));
	return ST_OK;
}

/* The judgements of the checked items, each entity looked up once. */
static enum status batch_judgements(struct http_req *req, enum opik_entity ent, json_t *items,
				    struct judgement *js)
{
	size_t n = json_array_size(items);
	struct ranked *v = arena_alloc(req->arena, n * sizeof *v);
	struct opik_entity_info e;
	int64_t now = time_now();
	for (size_t i = 0; i < n; i++)
		v[i] = (struct ranked){
		    json_string_value(json_object_get(json_array_get(items, i), "id")), i};
	qsort(v, n, sizeof *v, cmp_ranked);
	for (size_t i = 0; i < n; i++) {
		enum status st;
		if ((!i || strcmp(v[i - 1].id, v[i].id)) &&
		    (st = opik_entity_find(req, ent, v[i].id, false, &e)) != ST_OK)
			return st;
		score_judgement(req, ent, json_array_get(items, v[i].at), v[i].id, &e, now,
				&js[v[i].at]);
	}
	return ST_OK;
}

/* PUT {spans,traces}/feedback-scores {"scores": [1 to OPIK_MAX_BATCH items]}: 204. The span
 * or trace need not exist yet (the SDK's queues are not ordered); what is known of it is
 * recorded (its trace, its session, its project when the item names none). */
enum status opik_score_items(struct http_req *req, const char *id_key, json_t **items)
{
	json_t *body, *it;
	struct verrs v;
	size_t i, n;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	*items = json_object_get(body, "scores");
	n = json_array_size(*items);
	verrs_init(&v);
	if (!json_is_array(*items) || n < 1 || n > OPIK_MAX_BATCH)
		verrs_add(&v, json_pack("[s,s]", "body", "scores"), "list_type",
			  "size must be between 1 and 1000", NULL);
	json_array_foreach(*items, i, it)
	{
		if (!opik_score_check(&v, it, json_pack("[s,s,I]", "body", "scores", (json_int_t)i),
				      id_key)) {
			verrs_free(&v);
			return http_fail(req, ST_BAD_REQUEST, "Unable to process JSON");
		}
	}
	return verrs_count(&v) ? http_fail_invalid(req, &v) : ST_OK;
}

enum status opik_scores(struct http_req *req)
{
	enum opik_entity ent = opik_entity_of(req);
	json_t *items;
	enum status st = opik_score_items(req, "id", &items);
	if (st != ST_OK)
		return st;
	size_t n = json_array_size(items);
	struct judgement *js = arena_alloc(req->arena, n * sizeof *js);
	if ((st = batch_judgements(req, ent, items, js)) != ST_OK)
		return st;
	if ((st = opik_scores_upsert(req, js, n)) != ST_OK)
		return st;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* The 404 of a span or trace that is not there, in Opik's words (ErrorUtils). */
enum status opik_not_found(struct http_req *req, enum opik_entity ent, const char *id)
{
	return http_fail(req, ST_NOT_FOUND, "%s id: %s not found",
			 ent == OPIK_SPAN ? "Span" : "Trace", id);
}

/* PUT {spans,traces}/{id}/feedback-scores: one FeedbackScore; 404 when the entity is not
 * stored. */
enum status opik_score(struct http_req *req)
{
	enum opik_entity ent = opik_entity_of(req);
	json_t *body;
	struct verrs v;
	struct opik_entity_info e;
	struct judgement j;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	verrs_init(&v);
	if (!opik_score_check(&v, body, json_pack("[s]", "body"), NULL)) {
		verrs_free(&v);
		return http_fail(req, ST_BAD_REQUEST, "Unable to process JSON");
	}
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	if ((st = opik_entity_find(req, ent, req->id, true, &e)) != ST_OK)
		return st;
	if (!e.found)
		return opik_not_found(req, ent, req->id);
	score_judgement(req, ent, body, req->id, &e, time_now(), &j);
	if ((st = opik_scores_upsert(req, &j, 1)) != ST_OK)
		return st;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

/* ---- delete ---- */

/* An erasure of each (docs/erasure.md): hidden at once, as Opik's delete is, and its bytes
 * gone from the files after the next `spandex erase --pending`. With only, an id is read first
 * and left alone unless that view shows it. */
enum status opik_delete_judgements(struct http_req *req, const char *const *ids, size_t n,
				   const struct judgement_view *const *only)
{
	struct err e = {0};
	const char *const *keep = ids;
	size_t k = n;
	if (only) {
		struct jquery q = {.st = api_store(req), .a = req->arena, .ws = req->ws};
		const char **shown = arena_alloc(req->arena, (n ? n : 1) * sizeof *shown);
		k = 0;
		for (size_t i = 0; i < n; i++) {
			struct judgement j;
			enum status st = query_judgement_get(&q, ids[i], &j);
			if (st != ST_OK && st != ST_NOT_FOUND)
				return http_fail(req, st, "%s", err_text(&q.err));
			if (st == ST_OK && judgement_shows(&j, *only))
				shown[k++] = ids[i];
		}
		keep = shown;
	}
	if (k && api_erase(req, OPIK_API, STORE_ERASE_JUDGEMENT, keep, k, NULL, &e) != ST_OK)
		return http_fail(req, e.st, "not deleted (%s); retry later", err_text(&e));
	return ST_OK;
}

/* POST {spans,traces}/{id}/feedback-scores/delete {"name", "author"?}: the entity's scores of
 * that name as Opik shows them (another API's too), of that author only when one is named;
 * 204 whether there were any or not. */
enum status opik_score_delete(struct http_req *req)
{
	enum opik_entity ent = opik_entity_of(req);
	json_t *body;
	struct verrs v;
	const char *name = NULL, *author = NULL;
	enum status st = opik_json_body(req, &body);
	if (st != ST_OK)
		return st;
	verrs_init(&v);
	if (!json_is_object(body))
		verrs_add(&v, json_pack("[s]", "body"), "dict_type", "must be an object", NULL);
	else if (!opt_str(body, "name", &name) || blank(name))
		verrs_add(&v, json_pack("[s,s]", "body", "name"), "missing", "must not be blank",
			  NULL);
	else if (!opt_str(body, "author", &author))
		verrs_add(&v, json_pack("[s,s]", "body", "author"), "string_type",
			  "must be a string", NULL);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	/* The scores the entity shows: a span's own, a trace's and its root's. */
	struct opik_marks *m;
	if ((st = opik_item_marks(req, ent, req->id, &m)) != ST_OK)
		return st;
	const char **ids = arena_alloc(req->arena, (m->n ? m->n : 1) * sizeof *ids);
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++)
		if (judgement_shows(m->v[i], &opik_view_score) && m->v[i]->name &&
		    !strcmp(m->v[i]->name, name) &&
		    (!author || !strcmp(author, opik_author(m->v[i]))))
			ids[k++] = m->v[i]->id;
	if ((st = opik_delete_judgements(req, ids, k, NULL)) != ST_OK)
		return st;
	http_reply(req, 204, NULL, NULL, 0);
	return ST_OK;
}

struct doomed {
	const char **ids;
	size_t n, cap;
	struct arena *a;
};

static void doom(void *ctx, size_t which, const struct judgement *j)
{
	struct doomed *d = ctx;
	(void)which;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		const char **v = arena_alloc(d->a, cap * sizeof *v);
		if (d->n)
			memcpy(v, d->ids, d->n * sizeof *v);
		d->ids = v, d->cap = cap;
	}
	d->ids[d->n++] = j->id;
}

enum status opik_delete_judgements_of(struct http_req *req, enum judgement_target by,
				      const char *const *ids, size_t n, const struct jfilter *f)
{
	struct jquery q = {.st = api_store(req), .a = req->arena, .ws = req->ws, .f = f};
	struct doomed d = {NULL, 0, 0, req->arena};
	enum status st = query_judgements_of(&q, by, ids, n, doom, &d);
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q.err));
	for (size_t i = 0; i < d.n && st == ST_OK; i += OPIK_MAX_BATCH)
		st = opik_delete_judgements(
		    req, d.ids + i, d.n - i < OPIK_MAX_BATCH ? d.n - i : OPIK_MAX_BATCH, NULL);
	return st;
}

enum status opik_delete_traces_judged(struct http_req *req, const char *const *traces, size_t n)
{
	/* A thread's own judgements stay: other traces of the thread may remain. */
	struct jfilter f = {.targets = 1u << JT_SPAN | 1u << JT_TRACE};
	return opik_delete_judgements_of(req, JT_TRACE, traces, n, &f);
}
