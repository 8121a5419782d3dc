/* search: Scale GP v5's span search (POST /v5/spans/search, the seed page and otel-egp.md
 * §4.5) and the older GET /v5/spans list (§4.6). Both are lib/query's span rows with a keyset
 * cursor on span ids: the index narrows by trace ids, status, type and the time window, and
 * the body's other filters are tested on each candidate's line. */
#include "lib/api/egp/surface.h"
#include "lib/api/egp/assess_map.h"
#include "lib/api/egp/params.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/base/utf8.h"
#include "lib/model/crosswalk.h"
#include "lib/model/vschema.h"
#include "lib/query/query.h"
#include "lib/query/search.h"

/* The body filters a search applies on each candidate's line (the index narrows by trace ids
 * and the time window first). */
struct sfilter {
	bool parents_only;
	json_t *trace_ids; /* more than the index takes, or empty (nothing matches) */
	json_t *span_ids, *excluded_span_ids, *excluded_trace_ids, *parent_ids, *names, *statuses,
	    *types, *extra_metadata, *variant_ids, *assessment_types, *acp_types, *agent_names,
	    *agent_ids;
	const char *group_id;
	bool has_min, has_max;
	long long min_ms, max_ms;
	bool parse; /* a condition beyond types needs the parsed span */
	/* As the body gave them, before egp_search splits them between index and predicate. */
	json_t *trace_list, *terms; /* trace_ids, search_texts */
	size_t nterms;
	bool has_from, has_to; /* the query's from_ts and to_ts */
	int64_t from, to;
};

static bool in_list(json_t *list, const char *s)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
	{
		if (s && json_is_string(x) && !strcmp(json_string_value(x), s))
			return true;
	}
	return false;
}

static json_t *raw(const struct span *s, const char *k)
{
	return s->raw_attributes ? json_object_get(s->raw_attributes, k) : NULL;
}

/* A metadata value matched against a filter value: equal JSON, or for a list filter value,
 * equal to any element (§4.5). */
static bool md_match(json_t *have, json_t *want)
{
	if (!have)
		return false;
	if (json_is_array(want)) {
		size_t i;
		json_t *x;
		json_array_foreach(want, i, x)
		{
			if (json_equal(have, x))
				return true;
		}
		return false;
	}
	return json_equal(have, want);
}

static bool search_match(void *ctx, const char *line, size_t n)
{
	struct sfilter *f = ctx;
	struct span s;
	json_t *root = NULL;
	/* The types from the line itself: most searches need nothing more, and parsing every
	 * candidate would cost more than the rest of the query. */
	if (f->types) {
		char buf[CROSSWALK_TYPE_MAX];
		struct span_line m;
		span_line_scan(line, n, &m);
		const char *t = crosswalk_line_type(&egp_crosswalk, &m, buf);
		bool in = t && in_list(f->types, t);
		if (t && (!in || !f->parse))
			return in;
	}
	if (!span_parse(line, n, &s, &root))
		return false;
	json_t *md = egp_metadata(&s);
	bool ok = true;
	if (f->span_ids && !in_list(f->span_ids, s.span_id))
		ok = false;
	if (ok && f->trace_ids && !in_list(f->trace_ids, s.trace_id))
		ok = false;
	if (ok && f->excluded_span_ids && in_list(f->excluded_span_ids, s.span_id))
		ok = false;
	if (ok && f->excluded_trace_ids && in_list(f->excluded_trace_ids, s.trace_id))
		ok = false;
	if (ok && f->parent_ids && !in_list(f->parent_ids, s.parent_span_id))
		ok = false;
	if (ok && f->names && !in_list(f->names, s.name))
		ok = false;
	if (ok && f->statuses &&
	    !in_list(f->statuses, crosswalk_status_name(&egp_crosswalk, s.status)))
		ok = false;
	if (ok && f->types && !in_list(f->types, crosswalk_type(&egp_crosswalk, &s)))
		ok = false;
	if (ok && f->group_id)
		ok = json_is_string(raw(&s, "sgp.group_id")) &&
		     !strcmp(json_string_value(raw(&s, "sgp.group_id")), f->group_id);
	if (ok && f->variant_ids)
		ok = in_list(f->variant_ids,
			     json_string_value(raw(&s, "sgp.application_variant_id")));
	/* Agentex's processors name their agent and protocol in the metadata (§4.7). */
	if (ok && f->agent_names)
		ok = in_list(f->agent_names,
			     json_string_value(json_object_get(md, "__agent_name__")));
	if (ok && f->agent_ids)
		ok = in_list(f->agent_ids, json_string_value(json_object_get(md, "__agent_id__")));
	if (ok && f->acp_types)
		ok = in_list(f->acp_types, json_string_value(json_object_get(md, "__acp_type__")));
	if (ok && f->extra_metadata) {
		const char *k;
		json_t *want;
		json_object_foreach(f->extra_metadata, k, want)
		{
			if (!md_match(json_object_get(md, k), want)) {
				ok = false;
				break;
			}
		}
	}
	if (ok && (f->has_min || f->has_max)) {
		/* Against the completed duration: a span without an end never matches (and its
		 * missing end, INT64_MIN, is not a time to subtract from). */
		ok = s.ended_at != SPAN_NONE_I64;
		long long ms = ok ? (s.ended_at - s.started_at) / 1000 : 0;
		ok = ok && (!f->has_min || ms >= f->min_ms) && (!f->has_max || ms <= f->max_ms);
	}
	return ok;
}

/* A span without raw_attributes has its kind's default type and no SGP metadata. */
static int search_bare(void *ctx, int kind)
{
	struct sfilter *f = ctx;
	if (f->parse)
		return -1;
	return in_list(f->types, crosswalk_type_of(&egp_crosswalk, (enum span_kind)kind, NULL));
}

/* One list of strings of the body; false (with the 422 item) when it is not one. */
static bool str_list(struct verrs *v, json_t *body, const char *key, json_t **out, size_t *nids)
{
	json_t *x = json_object_get(body, key);
	size_t i;
	json_t *e;
	*out = NULL;
	if (!x || json_is_null(x))
		return true;
	if (!json_is_array(x)) {
		verrs_add(v, json_pack("[s,s]", "body", key), "list_type",
			  "Input should be a valid list", json_incref(x));
		return false;
	}
	json_array_foreach(x, i, e)
	{
		if (!json_is_string(e)) {
			verrs_add(v, json_pack("[s,s,i]", "body", key, (json_int_t)i),
				  "string_type", "Input should be a valid string", json_incref(e));
			return false;
		}
	}
	*nids += json_array_size(x);
	*out = x;
	return true;
}

/* min_duration_ms or max_duration_ms: the seed's integer with no bounds (a negative minimum
 * takes every completed span, a negative maximum none), also as a number with no fraction,
 * as JSON Schema's integer and pydantic take it. */
static void duration(struct verrs *v, json_t *body, const char *key, bool *has, long long *ms)
{
	json_t *d = json_object_get(body, key);
	double r = json_is_real(d) ? json_real_value(d) : 0.5;
	const char *t = json_string_value(d);
	int range;
	if (!d || json_is_null(d))
		return;
	if (json_is_integer(d) || json_is_boolean(d)) { /* pydantic's lax int: true is 1 */
		*ms = json_is_integer(d) ? json_integer_value(d) : json_is_true(d);
	} else if (r > -9.2e18 && r < 9.2e18 && r == (double)(long long)r) {
		*ms = (long long)r;
	} else if (t) {
		if (!http_text_int(t, true, ms, &range)) {
			verrs_add(v, json_pack("[s,s]", "body", key), "int_parsing",
				  "Input should be a valid integer, unable to parse string as an "
				  "integer",
				  json_incref(d));
			return;
		}
	} else {
		bool frac = json_is_real(d);
		const char *msg = frac ? "Input should be a valid integer, got a number with a "
					 "fractional part"
				       : "Input should be a valid integer";
		verrs_add(v, json_pack("[s,s]", "body", key), frac ? "int_from_float" : "int_type",
			  msg, json_incref(d));
		return;
	}
	*has = true;
}

/* The rows of q, answered as {object, items, limit, total, has_more}. */
static enum status answer(struct http_req *req, struct query *q, long long limit)
{
	struct query_rows r;
	enum status st = query_span_rows(q, &r);
	if (st == ST_NOT_FOUND && (q->after_id || q->before_id))
		return egp_invalid(
		    req,
		    json_pack("[s,s]", "query", q->after_id ? "starting_after" : "ending_before"),
		    "value_error", "Value error, the cursor is no span of this listing",
		    json_string(q->after_id ? q->after_id : q->before_id));
	if (st != ST_OK)
		return http_fail(req, st, "%s", err_text(&q->err));
	/* Streamed a chunk at a time, each span parsed and rendered in memory given back after it
	 * (arena_mark): a page of 10,000 spans took 13 times its size when built whole. */
	struct buf *out = arena_buf(req->arena);
	http_stream_open(req, 200, "application/json");
	buf_adds(out, "{\"object\":\"list\",\"items\":[");
	for (size_t i = 0; i < r.n; i++) {
		struct arena_mark m = arena_mark(req->arena);
		struct span s;
		json_t *root;
		if (span_parse(r.rows[i].line, r.rows[i].len, &s, &root)) {
			if (i)
				buf_addc(out, ',');
			egp_render(out, req->arena, &s, req->ws);
		}
		arena_release(req->arena, m);
		http_stream_flush(req, out, false);
	}
	buf_printf(out, "],\"limit\":%lld,\"total\":%zu,\"has_more\":%s}", limit, r.total,
		   r.more ? "true" : "false");
	http_stream_flush(req, out, true);
	return ST_OK;
}

/* api_query_init's, oldest first, ties by ids (otel-egp.md §4.5). */
static void query_init(struct http_req *req, struct query *q)
{
	api_query_init(req, q);
	q->sort = "started_at";
	q->ties_by_ids = true;
}

/* 8-4-4-4-12 hex digits: a search_texts term SGP takes for a trace id. */
static bool uuid_shaped(const char *s)
{
	for (int i = 0; i < 36; i++) {
		char ch = s[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash
			? ch != '-'
			: !((ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')))
			return false;
	}
	return s[36] == 0;
}

/* The started_at window of a search or list, into the filter's conditions. */
static void window(struct filter *f, struct filter_cond *c, bool has_from, int64_t from,
		   bool has_to, int64_t to)
{
	if (has_from)
		c[f->n++] = (struct filter_cond){.field = FF_STARTED_AT, .op = FOP_GTE, .us = from};
	if (has_to)
		c[f->n++] = (struct filter_cond){.field = FF_STARTED_AT, .op = FOP_LTE, .us = to};
}

/* The cursors of a search or list: one of them (422 for both). */
static enum status cursors(struct http_req *req, struct query *q, const char *after,
			   const char *before)
{
	if (after && before)
		return egp_invalid(req, json_pack("[s,s]", "query", "ending_before"), "value_error",
				   "Value error, give starting_after or ending_before, not both",
				   json_string(before));
	q->after_id = after && *after ? after : NULL;
	q->before_id = before && *before ? before : NULL;
	return ST_OK;
}

/* The element checks of the body's lists: each adds its 422 items for element i of list key. */
static void elem_bad(struct verrs *v, const char *key, size_t i, const char *type, const char *msg,
		     json_t *x)
{
	verrs_add(v, json_pack("[s,s,i]", "body", key, (json_int_t)i), type, msg, json_incref(x));
}

static void status_elem(struct arena *a, struct verrs *v, const char *key, size_t i, json_t *x)
{
	(void)a;
	if (crosswalk_status(&egp_crosswalk, json_string_value(x)) < 0)
		elem_bad(v, key, i, "enum", "Input should be 'SUCCESS', 'ERROR' or 'CANCELED'", x);
}

/* The seed's ApplicationOperationType, strictly: writes keep an unknown type (§4.8), but a
 * filter naming one is a mistake the caller should hear of. */
static void type_elem(struct arena *a, struct verrs *v, const char *key, size_t i, json_t *x)
{
	const char *t = json_string_value(x);
	size_t k = 0;
	(void)a;
	while (egp_crosswalk.types[k] && strcmp(egp_crosswalk.types[k], t))
		k++;
	if (egp_crosswalk.types[k])
		return;
	/* pydantic's enum message: every value, quoted, the last after "or". */
	struct buf m;
	buf_init(&m);
	buf_adds(&m, "Input should be ");
	for (k = 0; egp_crosswalk.types[k]; k++)
		buf_printf(&m, "%s'%s'",
			   !k				? ""
			   : egp_crosswalk.types[k + 1] ? ", "
							: " or ",
			   egp_crosswalk.types[k]);
	elem_bad(v, key, i, "enum", m.p, x);
	buf_free(&m);
}

/* AssessmentType, as span-assessments takes it. */
static void assessment_elem(struct arena *a, struct verrs *v, const char *key, size_t i, json_t *x)
{
	json_t *loc = json_pack("[s,s,i]", "body", key, (json_int_t)i);
	(void)a;
	vs_choice(v, loc, x, egp_assess_types, "enum");
	json_decref(loc);
}

/* A search text: at least EGP_MIN_TERM characters, and words and "quoted phrases" that
 * lib/query/search.h takes. */
static void term_elem(struct arena *a, struct verrs *v, const char *key, size_t i, json_t *x)
{
	const char **words;
	size_t nw;
	enum search_parse r;

	if (utf8_valid(json_string_value(x), json_string_length(x)) &&
	    json_string_length(x) < EGP_MIN_TERM)
		elem_bad(v, key, i, "string_too_short", "String should have at least 2 characters",
			 x);
	r = search_phrase_terms(a, json_string_value(x), &words, &nw);
	if (r != SEARCH_OK)
		elem_bad(v, key, i, "value_error",
			 arena_printf(a, "Value error, %s", search_parse_msg(r)), x);
}

/* pydantic's lax bool: true and false, 0 and 1, and the words it reads as them. */
static int lax_bool(const json_t *x, bool *out)
{
	double d = json_is_number(x) ? json_number_value(x) : -1;
	if (json_is_boolean(x) || d == 0 || d == 1) {
		*out = json_is_boolean(x) ? json_is_true(x) : d == 1;
		return 1;
	}
	return json_is_string(x) && http_text_bool(json_string_value(x), out);
}

static int is_bool(const json_t *x)
{
	bool b;
	return lax_bool(x, &b);
}

static int is_string(const json_t *x)
{
	return json_is_string(x);
}

static int is_object(const json_t *x)
{
	return json_is_object(x);
}

/* The body's lists of strings (otel-egp.md §4.5, the seed page): where each goes in struct
 * sfilter, and the check of each element. All but search_texts count toward EGP_MAX_IDS. */
static const struct slist {
	const char *key;
	size_t off;
	void (*elem)(struct arena *a, struct verrs *v, const char *key, size_t i, json_t *x);
} slists[] = {
    {"span_ids", offsetof(struct sfilter, span_ids), NULL},
    {"trace_ids", offsetof(struct sfilter, trace_list), NULL},
    {"excluded_span_ids", offsetof(struct sfilter, excluded_span_ids), NULL},
    {"excluded_trace_ids", offsetof(struct sfilter, excluded_trace_ids), NULL},
    {"parent_ids", offsetof(struct sfilter, parent_ids), NULL},
    {"names", offsetof(struct sfilter, names), NULL},
    {"statuses", offsetof(struct sfilter, statuses), status_elem},
    {"types", offsetof(struct sfilter, types), type_elem},
    {"application_variant_ids", offsetof(struct sfilter, variant_ids), NULL},
    {"assessment_types", offsetof(struct sfilter, assessment_types), assessment_elem},
    {"acp_types", offsetof(struct sfilter, acp_types), NULL},
    {"agentex_agent_names", offsetof(struct sfilter, agent_names), NULL},
    {"agentex_agent_ids", offsetof(struct sfilter, agent_ids), NULL},
    {"search_texts", offsetof(struct sfilter, terms), term_elem},
};

#define NSLISTS (sizeof slists / sizeof *slists)

/* The element checks of the lists in sf, the search texts' (terms) or the others'. */
static void slist_elems(struct arena *a, struct sfilter *sf, struct verrs *v, bool terms)
{
	size_t i;
	json_t *x;

	for (size_t k = 0; k < NSLISTS; k++) {
		json_t *list = *(json_t **)((char *)sf + slists[k].off);
		if (!slists[k].elem || (slists[k].off == offsetof(struct sfilter, terms)) != terms)
			continue;
		json_array_foreach(list, i, x)
		{
			slists[k].elem(a, v, slists[k].key, i, x);
		}
	}
}

/* The body's other members: the JSON type each must have (null is absence). */
static const struct sfield {
	const char *key;
	int (*is)(const json_t *x);
	const char *type, *msg;
} sfields[] = {
    {"parents_only", is_bool, "bool_parsing",
     "Input should be a valid boolean, unable to interpret input"},
    {"group_id", is_string, "string_type", "Input should be a valid string"},
    {"extra_metadata", is_object, "dict_type", "Input should be a valid dictionary"},
};

/* The conditions of extra_metadata: a key each, or each element of a list value. */
static size_t metadata_conds(json_t *md)
{
	const char *k;
	json_t *x;
	size_t n = 0;
	json_object_foreach(md, k, x) n += json_is_array(x) ? json_array_size(x) : 1;
	return n;
}

/* What the predicate tests on each line, in conditions (query_pred.tests): each of
 * extra_metadata's, and each list's elements, compared one by one, 64 to a condition. */
static size_t line_tests(const struct sfilter *sf)
{
	size_t n = metadata_conds(sf->extra_metadata);
	for (size_t k = 0; k < NSLISTS; k++) {
		json_t *list = *(json_t *const *)((const char *)sf + slists[k].off);
		if (slists[k].off != offsetof(struct sfilter, terms))
			n += (json_array_size(list) + 63) / 64;
	}
	return n;
}

_Static_assert(EGP_MAX_METADATA == 64, "the 422 of extra_metadata names 64");

/* Validates the body and the time window of a search into sf (the 422 items into v). */
static void search_filters(struct http_req *req, json_t *body, struct sfilter *sf, struct verrs *v)
{
	const struct http_pval *pv = req->pv;
	size_t nids = 0;
	json_t *x;

	for (size_t k = 0; k < NSLISTS; k++) {
		json_t **out = (json_t **)((char *)sf + slists[k].off);
		size_t n = 0;
		if (str_list(v, body, slists[k].key, out, &n) && out != &sf->terms)
			nids += n;
	}
	sf->nterms = json_array_size(sf->terms);
	/* The items in the order the clients were shown them: the lists' shapes, their
	 * elements, the limits, then the search texts. */
	slist_elems(req->arena, sf, v, false);
	if (nids > EGP_MAX_IDS)
		verrs_add(v, json_pack("[s]", "body"), "value_error",
			  "Value error, the id lists hold more than 10000 ids together",
			  json_incref(body));
	if (sf->nterms > EGP_MAX_TERMS)
		egp_too_long(v, "search_texts", EGP_MAX_TERMS, sf->terms);
	slist_elems(req->arena, sf, v, true);
	for (size_t k = 0; k < sizeof sfields / sizeof *sfields; k++) {
		x = json_object_get(body, sfields[k].key);
		/* A bool from a value of no kind pydantic reads as one is its bool_type. */
		bool other = sfields[k].is == is_bool && !json_is_string(x) && !json_is_number(x);
		if (x && !json_is_null(x) && !sfields[k].is(x))
			verrs_add(v, json_pack("[s,s]", "body", sfields[k].key),
				  other ? "bool_type" : sfields[k].type,
				  other ? "Input should be a valid boolean" : sfields[k].msg,
				  json_incref(x));
	}
	duration(v, body, "min_duration_ms", &sf->has_min, &sf->min_ms);
	duration(v, body, "max_duration_ms", &sf->has_max, &sf->max_ms);
	sf->has_from = pv[ES_FROM].s != NULL;
	sf->has_to = pv[ES_TO].s != NULL;
	/* pydantic's datetime: RFC 3339, or a Unix time's text. */
	if (sf->has_from && !time_parse(pv[ES_FROM].s, false, &sf->from) &&
	    !time_parse_unix(pv[ES_FROM].s, &sf->from))
		verrs_add(v, json_pack("[s,s]", "query", "from_ts"), "datetime_from_date_parsing",
			  "Input should be a valid datetime", json_string(pv[ES_FROM].s));
	if (sf->has_to && !time_parse(pv[ES_TO].s, false, &sf->to) &&
	    !time_parse_unix(pv[ES_TO].s, &sf->to))
		verrs_add(v, json_pack("[s,s]", "query", "to_ts"), "datetime_from_date_parsing",
			  "Input should be a valid datetime", json_string(pv[ES_TO].s));
	if (sf->has_from && sf->has_to && sf->from > sf->to)
		verrs_add(v, json_pack("[s,s]", "query", "from_ts"), "value_error",
			  "Value error, from_ts is later than to_ts", json_string(pv[ES_FROM].s));
	lax_bool(json_object_get(body, "parents_only"), &sf->parents_only);
	x = json_object_get(body, "group_id");
	sf->group_id = json_is_string(x) ? json_string_value(x) : NULL;
	x = json_object_get(body, "extra_metadata");
	sf->extra_metadata = json_is_object(x) ? x : NULL;
	if (metadata_conds(sf->extra_metadata) > EGP_MAX_METADATA)
		verrs_add(v, json_pack("[s,s]", "body", "extra_metadata"), "value_error",
			  "Value error, extra_metadata holds more than 64 conditions (keys, and "
			  "the elements of a list value)",
			  json_incref(x));
}

/* The conditions the index narrows by, into f (room for them in c): status (exactly: the
 * statuses that read back as those asked for), the kinds the types are stored as, and the
 * trace ids by hash (at most FILTER_MAX_IN; more go to the predicate, through sf). */
static void search_index_conds(struct http_req *req, struct sfilter *sf, struct filter *f,
			       struct filter_cond *c)
{
	json_t *trace_ids = sf->trace_list, *x;
	uint32_t set = 0;
	size_t i;

	json_array_foreach(sf->statuses, i, x)
	{
		set |= crosswalk_statuses_of(&egp_crosswalk, json_string_value(x));
	}
	if (sf->statuses)
		c[f->n++] = (struct filter_cond){.field = FF_STATUS, .op = FOP_IN, .enums = set};
	set = 0;
	json_array_foreach(sf->types, i, x) set |=
	    crosswalk_kinds_of(&egp_crosswalk, json_string_value(x));
	if (sf->types)
		c[f->n++] = (struct filter_cond){.field = FF_KIND, .op = FOP_IN, .enums = set};
	sf->statuses = NULL;
	size_t ntr = json_array_size(trace_ids);
	if (ntr && ntr <= FILTER_MAX_IN) {
		/* One id is an equality, which the trace range table narrows to its days. */
		struct filter_cond *in = &c[f->n++];
		*in = (struct filter_cond){
		    .field = FF_TRACE_ID, .op = ntr == 1 ? FOP_EQ : FOP_IN, .nvals = ntr};
		in->vals = arena_alloc(req->arena, ntr * sizeof(char *));
		json_array_foreach(trace_ids, i, x) in->vals[i] = json_string_value(x);
	} else {
		sf->trace_ids = trace_ids;
	}
}

/* The search texts, ANDed, into q's search words; one shaped like a UUID is a trace id
 * condition instead (§4), into f (room in c). Each text is one phrase, or words and "quoted
 * phrases" (lib/query/search.h), checked already. */
static void search_texts(struct http_req *req, json_t *terms, struct query *q, struct filter *f,
			 struct filter_cond *c)
{
	const char **t;
	json_t *x;
	size_t i;

	if (!terms || !json_array_size(terms))
		return;
	t = arena_alloc(req->arena, json_array_size(terms) * SEARCH_MAX_TERMS * sizeof *t);
	json_array_foreach(terms, i, x)
	{
		const char *term = json_string_value(x), **words;
		size_t nw;
		if (!uuid_shaped(term)) {
			search_phrase_terms(req->arena, term, &words, &nw);
			memcpy(t + q->nsearch, words, nw * sizeof *words);
			q->nsearch += nw;
			continue;
		}
		char *id = arena_strndup(req->arena, term, 36);
		for (char *p = id; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
		c[f->n] = (struct filter_cond){.field = FF_TRACE_ID, .op = FOP_EQ, .nvals = 1};
		c[f->n].vals = arena_alloc(req->arena, sizeof(char *));
		c[f->n++].vals[0] = id;
	}
	q->search = t;
}

/* sort_by: start_timestamp (the default), duration_ms, input_tokens, output_tokens; other
 * values order by start time, as SGP's legacy store does (§4.5). */
static enum query_order search_order(const char *by)
{
	return !by			      ? QO_START
	       : !strcmp(by, "duration_ms")   ? QO_DURATION
	       : !strcmp(by, "input_tokens")  ? QO_INPUT_TOKENS
	       : !strcmp(by, "output_tokens") ? QO_OUTPUT_TOKENS
					      : QO_START;
}

enum status egp_search(struct http_req *req)
{
	const struct http_pval *pv = req->pv;
	json_t *body;
	struct verrs v;
	enum status st = http_fastapi_body(req, &body);
	if (st != ST_OK)
		return st;
	if (!json_is_object(body))
		return egp_invalid(
		    req, json_pack("[s]", "body"), "model_attributes_type",
		    "Input should be a valid dictionary or object to extract fields from",
		    json_incref(body));
	struct sfilter *sf = arena_alloc(req->arena, sizeof *sf);
	memset(sf, 0, sizeof *sf);
	verrs_init(&v);
	search_filters(req, body, sf, &v);
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);

	struct query q;
	struct filter f = {0};
	struct filter_cond *c = arena_alloc(req->arena, (5 + sf->nterms) * sizeof *c);
	struct query_pred pred = {
	    .fn = search_match, .ctx = sf, .bare = search_bare, .transient = true};
	query_init(req, &q);
	f.conds = c;
	search_index_conds(req, sf, &f, c);
	window(&f, c, sf->has_from, sf->from, sf->has_to, sf->to);
	q.f = &f;
	q.roots_only = sf->parents_only;
	sf->parse = sf->trace_ids || sf->span_ids || sf->excluded_span_ids ||
		    sf->excluded_trace_ids || sf->parent_ids || sf->names || sf->group_id ||
		    sf->variant_ids || sf->agent_names || sf->agent_ids || sf->acp_types ||
		    sf->extra_metadata || sf->has_min || sf->has_max;
	q.preds = &pred;
	q.npreds = sf->parse || sf->types;
	pred.tests = line_tests(sf);
	/* The traces with assessments of those types (judgement.md 3.6), by the index's trace
	 * ids. */
	struct query_keys keys;
	if (json_array_size(sf->assessment_types)) {
		if ((st = egp_assessed_traces(req, sf->assessment_types, &keys)) != ST_OK)
			return st;
		q.keys = &keys;
		q.nkeys = 1;
	}
	search_texts(req, sf->terms, &q, &f, c);
	q.order = search_order(pv[ES_SORT_BY].s);
	q.sort = !strcmp(pv[ES_SORT_ORDER].s, "desc") ? "-started_at" : "started_at";
	q.limit = pv[ES_LIMIT].i;
	if ((st = cursors(req, &q, pv[ES_AFTER].s, pv[ES_BEFORE].s)) != ST_OK)
		return st;
	return answer(req, &q, q.limit);
}

/* GET /v5/spans (older docs): trace_id, parents_only, from_ts/to_ts in epoch seconds. */
enum status egp_list(struct http_req *req)
{
	const struct http_pval *pv = req->pv;
	struct query q;
	struct filter f = {0};
	struct filter_cond c[3];
	enum status st;
	query_init(req, &q);
	f.conds = c;
	if (pv[EL_TRACE_ID].s) {
		c[f.n] = (struct filter_cond){.field = FF_TRACE_ID, .op = FOP_EQ, .nvals = 1};
		c[f.n].vals = arena_alloc(req->arena, sizeof(char *));
		c[f.n++].vals[0] = pv[EL_TRACE_ID].s;
	}
	window(&f, c, pv[EL_FROM].present, pv[EL_FROM].i * 1000000, pv[EL_TO].present,
	       pv[EL_TO].i * 1000000);
	q.f = &f;
	q.roots_only = pv[EL_PARENTS_ONLY].i;
	q.limit = pv[EL_LIMIT].i;
	if ((st = cursors(req, &q, pv[EL_AFTER].s, pv[EL_BEFORE].s)) != ST_OK)
		return st;
	return answer(req, &q, q.limit);
}
