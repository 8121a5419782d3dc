/* otlp_map: one decoded OTLP span mapped onto struct span (nemo-intake.md 4.1, 5, 6;
 * otel-egp.md 3.4) by the conventions table (lib/model/catalog_rows.c): ids here, then session,
 * kind, status, input, output and the error message from the table's sources (this file
 * builds what a source's how names: the events, the GenAI messages; otlp_flat.c the flattened
 * lists), the rest from its field rows. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/ingest/otlp_int.h"
#include "lib/json/jsonx.h"
#include "lib/model/catalog.h"
#include "proto/otlp_trace.pb-c.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/json/jsonw.h"
#include "lib/json/jeach.h"

static const char *str_attr(json_t *attrs, const char *key)
{
	json_t *v = json_object_get(attrs, key);

	return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

/* The span's first event named name, or NULL. */
static json_t *event_named(json_t *events, const char *name)
{
	size_t i;
	json_t *ev;

	json_array_foreach(events, i, ev)
	{
		json_t *n = json_object_get(ev, "name");

		if (json_is_string(n) && !strcmp(json_string_value(n), name))
			return ev;
	}
	return NULL;
}

/* The attributes of the span's first exception event (OTel "recording exceptions"), or
 * NULL. */
static json_t *exception_attrs(json_t *events)
{
	return json_object_get(event_named(events, "exception"), "attributes");
}

/* The sources of one field of the conventions table, in order (catalog.h). */
static const struct catalog_source *field_sources(enum catalog_field f, size_t *n)
{
	static const struct catalog_source *by[CATALOG__FIELDS];
	static size_t nby[CATALOG__FIELDS];
	size_t all;
	const struct catalog_source *src;

	if (!by[f]) {
		/* A field's rows sit together in the table. */
		src = catalog_sources(&all);
		for (size_t i = 0; i < all; i++)
			if (src[i].field == f) {
				if (!by[f])
					by[f] = &src[i];
				nby[f]++;
			}
	}
	*n = nby[f];
	return by[f];
}

/* The status by the table's status sources (nemo-intake.md 6, which the NeMo service follows
 * and spandex answers like): the first present of the status attributes, then Langfuse's
 * level, then an event where a convention says it fails the span (LangSmith's exception),
 * then the OTLP code, whose ERROR is error and everything else (UNSET and OK alike) success,
 * whatever error.type or other exception events say. */
static enum span_status status_of(json_t *attrs, json_t *events, int64_t code)
{
	size_t n;
	const struct catalog_source *r = field_sources(CATALOG_STATUS, &n);
	const char *key = NULL, *v = NULL, *asked = NULL;

	/* A key's rows sit together (one per value it names): each key is looked up once. */
	for (size_t i = 0; i < n && !v; i++) {
		if (r[i].how != CATALOG_STATUS_ATTR || (asked && !strcmp(asked, r[i].key)))
			continue;
		asked = r[i].key;
		if ((v = str_attr(attrs, r[i].key)))
			key = r[i].key;
	}
	for (size_t i = 0; i < n; i++) {
		switch (r[i].how) {
		case CATALOG_STATUS_ATTR:
			if (v && !strcmp(r[i].key, key) && !strcasecmp(v, r[i].value))
				return r[i].status;
			break;
		case CATALOG_LEVEL: {
			const char *l = str_attr(attrs, r[i].key);
			if (l && !strcasecmp(l, r[i].value))
				return r[i].status;
			break;
		}
		case CATALOG_STATUS_EVENT:
			if (json_array_size(events) && catalog_source_when(&r[i], attrs) &&
			    event_named(events, r[i].key))
				return r[i].status;
			break;
		case CATALOG_STATUS_CODE:
			if (code == 2)
				return r[i].status;
			break;
		default:
			break;
		}
	}
	return SPST_SUCCESS;
}

/* Keys the mapping consumes itself, so they do not reach raw_attributes (nemo-intake.md 4.1,
 * the raw_attributes exceptions): the table's sources that are always dropped, exact keys
 * (sorted, searched by halves: every attribute of every span asks) and prefixes, gathered
 * once. */
#define OWN_MAX 32
static const char *own_keys[OWN_MAX], *own_prefixes[OWN_MAX];
static size_t n_own_keys, n_own_prefixes, own_prefix_len[OWN_MAX];

static int cmp_own(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool own_key(const char *k)
{
	if (!n_own_keys) {
		size_t n;
		const struct catalog_source *r = catalog_sources(&n);

		for (size_t i = 0; i < n; i++) {
			if (r[i].drop != CATALOG_DROP || !r[i].key)
				continue;
			if (r[i].how == CATALOG_OI_LIST || r[i].how == CATALOG_PREFIX) {
				if (n_own_prefixes < OWN_MAX) {
					own_prefix_len[n_own_prefixes] = strlen(r[i].key);
					own_prefixes[n_own_prefixes++] = r[i].key;
				}
			} else if (n_own_keys < OWN_MAX) {
				own_keys[n_own_keys++] = r[i].key;
			}
		}
		qsort(own_keys, n_own_keys, sizeof *own_keys, cmp_own);
	}
	for (size_t lo = 0, hi = n_own_keys; lo < hi;) {
		size_t mid = (lo + hi) / 2;
		/* The first bytes tell most keys apart without a call. */
		int c = (unsigned char)k[0] - (unsigned char)own_keys[mid][0];
		if (!c)
			c = strcmp(k, own_keys[mid]);
		if (!c)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (size_t i = 0; i < n_own_prefixes; i++)
		if (k[0] == own_prefixes[i][0] && !strncmp(k, own_prefixes[i], own_prefix_len[i]))
			return true;
	return false;
}

/* The first present key of keys: strings verbatim, anything else as compact JSON. */
const char *otlp_map_first_text(struct arena *a, json_t *attrs, const char *const *keys)
{
	for (size_t i = 0; keys[i]; i++) {
		json_t *v = json_object_get(attrs, keys[i]);

		if (!v || json_is_null(v))
			continue;
		if (json_is_string(v))
			return arena_strndup(a, json_string_value(v), json_string_length(v));
		return otlp_dump(a, v);
	}
	return NULL;
}

/* JSON text v as a value, or NULL when it is not JSON. */
static json_t *parse_text(json_t *v)
{
	size_t pos;

	return jsonx_parse(json_string_value(v), json_string_length(v), &pos, NULL);
}

/* v as a new JSON array the caller may change: a copy of it, or the array its JSON text
 * holds; NULL otherwise. */
static json_t *as_array(json_t *v)
{
	json_t *p;

	if (json_is_array(v))
		return json_copy(v);
	if (!json_is_string(v) || !(p = parse_text(v)))
		return NULL;
	if (json_is_array(p))
		return p;
	json_decref(p);
	return NULL;
}

/* gen_ai.input.messages, with gen_ai.system_instructions (which the GenAI conventions keep
 * apart from the chat history) in front as the system message the conventions'
 * gen-ai-input-messages.json would hold them in; otel-egp.md 3.4 allows this. Without system
 * instructions the messages are kept verbatim, as the reference keeps them. Both attributes
 * stay in raw_attributes. */
const char *otlp_map_genai_input(struct arena *a, json_t *attrs)
{
	static const char *const keys[] = {"gen_ai.input.messages", NULL};
	json_t *si = json_object_get(attrs, "gen_ai.system_instructions");
	json_t *msgs = json_object_get(attrs, keys[0]), *parts, *all;
	const char *t;

	if (!si || json_is_null(si))
		return otlp_map_first_text(a, attrs, keys);
	/* An array of parts; a string that is no such array is one text part. */
	parts = as_array(si);
	if (!parts && json_is_string(si))
		parts = json_pack("[{s:s, s:O}]", "type", "text", "content", si);
	all = !msgs || json_is_null(msgs) ? json_array() : as_array(msgs);
	if (!parts || !all) {
		/* Nothing that could be put together: the messages as they came. */
		json_decref(parts);
		json_decref(all);
		return otlp_map_first_text(a, attrs, keys);
	}
	json_array_insert_new(all, 0, json_pack("{s:s, s:o}", "role", "system", "parts", parts));
	t = otlp_dump(a, all);
	json_decref(all);
	return t;
}

/* The deprecated GenAI span events (otel-egp.md 3.1, sent as span events by older
 * instrumentations): the table's EVENT sources, gen_ai.{system,user,assistant,tool}.message
 * for the input, gen_ai.choice for the output, as {"messages":[...]}. Each message is the role
 * its source gives, then the event's attributes (content, tool_calls, id ...; a choice's
 * message object lifted), without the gen_ai.system / gen_ai.provider.name that only repeat
 * the span's. */
const char *otlp_map_event_messages(struct arena *a, json_t *events, bool output)
{
	size_t nr;
	const struct catalog_source *r =
	    field_sources(output ? CATALOG_OUTPUT : CATALOG_INPUT, &nr);
	json_t *msgs = json_array(), *ev, *v;
	const char *k;
	size_t i;

	json_array_foreach(events, i, ev)
	{
		const char *name = json_string_value(json_object_get(ev, "name"));
		json_t *m;
		size_t j;

		for (j = 0; j < nr; j++)
			if (name && r[j].how == CATALOG_EVENT && !strcmp(name, r[j].key))
				break;
		if (j == nr)
			continue;
		m = json_pack("{s:s}", "role", r[j].value);
		json_object_foreach(json_object_get(ev, "attributes"), k, v)
		{
			if (json_is_null(v) || !strcmp(k, "gen_ai.system") ||
			    !strcmp(k, "gen_ai.provider.name"))
				continue;
			/* A choice's message: an object, or the JSON text of one (a span event's
			 * attribute holds no map in some instrumentations). */
			json_t *msg = !output || strcmp(k, "message") ? NULL
				      : json_is_string(v)	      ? parse_text(v)
								      : json_incref(v);
			if (json_is_object(msg))
				json_object_update(m, msg);
			else
				json_object_set(m, k, v);
			json_decref(msg);
		}
		json_array_append_new(msgs, m);
	}
	if (!json_array_size(msgs)) {
		json_decref(msgs);
		return NULL;
	}
	return otlp_flat_messages_text(a, msgs);
}

/* CATALOG_JSON_LIST: the list of the values the JSON texts of key hold, or as TEXT when it
 * is no list of JSON texts. */
static const char *json_list_text(struct arena *a, json_t *attrs, const char *key)
{
	const char *one[] = {key, NULL};
	json_t *v = json_object_get(attrs, key), *x;
	size_t i;
	if (!json_is_array(v) || !json_array_size(v))
		return otlp_map_first_text(a, attrs, one);
	json_t *out = json_array();
	json_array_foreach(v, i, x)
	{
		json_t *y = json_is_string(x) ? parse_text(x) : NULL;
		if (!y) {
			json_decref(out);
			return otlp_map_first_text(a, attrs, one);
		}
		json_array_append_new(out, y);
	}
	const char *t = otlp_dump(a, out);
	json_decref(out);
	return t;
}

/* The input or output of a span of kind kind: its field's first source that gives one, in
 * the table's order (catalog.h, enum catalog_how). */
static const char *text_of(struct arena *a, enum catalog_field f, json_t *attrs, json_t *events,
			   enum span_kind kind)
{
	size_t n;
	const struct catalog_source *r = field_sources(f, &n);
	bool events_read = false;

	for (size_t i = 0; i < n; i++) {
		const char *one[] = {r[i].key, NULL}, *t = NULL;

		if (r[i].kind >= 0 && (int)kind != r[i].kind)
			continue;
		switch (r[i].how) {
		case CATALOG_TEXT:
			t = otlp_map_first_text(a, attrs, one);
			break;
		case CATALOG_NONEMPTY:
			if ((t = otlp_map_first_text(a, attrs, one)) && !*t)
				t = NULL;
			break;
		case CATALOG_MESSAGES:
			t = otlp_map_genai_input(a, attrs);
			break;
		case CATALOG_OI_LIST:
		case CATALOG_FLAT_LIST:
		case CATALOG_TEXT_LIST:
		case CATALOG_DOC_LIST:
			t = otlp_flat_list(a, attrs, r[i].how, r[i].key);
			break;
		case CATALOG_JSON_LIST:
			t = json_list_text(a, attrs, r[i].key);
			break;
		case CATALOG_EVENT:
			/* The field's event sources are one list. */
			if (!events_read)
				t = otlp_map_event_messages(a, events, f == CATALOG_OUTPUT);
			events_read = true;
			break;
		default:
			break;
		}
		if (t)
			return t;
	}
	return NULL;
}

/* Exception events (OTel "recording exceptions") name the error when the span's own
 * attributes do not. */
static void exception_event(json_t *work, json_t *events)
{
	static const char *const keys[] = {"exception.type", "exception.message"};
	json_t *at = exception_attrs(events);

	for (size_t k = 0; at && k < 2; k++) {
		json_t *v = json_object_get(at, keys[k]);

		if (json_is_string(v) && !json_object_get(work, keys[k]))
			json_object_set(work, keys[k], v);
	}
}

static void set_json_string(json_t *obj, const char *key, json_t *v)
{
	struct buf b;

	buf_init(&b);
	jsonw_value(&b, v);
	json_object_set_new(obj, key, json_stringn_nocheck(b.p, b.len));
	buf_free(&b);
}

static void reject(struct dec *d, const char *sid, const char *why)
{
	d->res.errors = otlp_grow(d->a, d->res.errors, d->res.nerrors, &d->err_cap, sizeof(char *));
	d->res.errors[d->res.nerrors++] = arena_printf(d->a, "span %s: %s", sid, why);
}

/* The session: the first of the table's session sources with a non-empty string, or NULL.
 * One id rule for every format: the caller refuses a session id that could not be stored. */
static const char *session_of(json_t *attrs)
{
	size_t n;
	const struct catalog_source *r = field_sources(CATALOG_SESSION, &n);
	const char *k = NULL;

	for (size_t i = 0; !k && i < n; i++)
		k = str_attr(attrs, r[i].key);
	return k;
}

/* True when k is a session source dropped when it says the session sess (a later key equal
 * to the winner says nothing new; one that differs stays in raw_attributes). */
static bool same_session(const char *k, json_t *v, const char *sess)
{
	size_t n;
	const struct catalog_source *r;

	if (!sess || !json_is_string(v) || json_string_length(v) != strlen(sess) ||
	    strcmp(json_string_value(v), sess))
		return false;
	r = field_sources(CATALOG_SESSION, &n);
	for (size_t i = 0; i < n; i++)
		if (r[i].drop == CATALOG_DROP_SAME && !strcmp(k, r[i].key))
			return true;
	return false;
}

/* The error message no field row gave: the table's later error sources, the OTLP status
 * message, then an attribute read when another says so (Langfuse's status message when its
 * level is ERROR, otel-egp.md 3.3), which stays in raw_attributes. */
static const char *error_of(struct arena *a, const struct raw_span *r)
{
	size_t n;
	const struct catalog_source *src = field_sources(CATALOG_ERROR_MESSAGE, &n);

	for (size_t i = 0; i < n; i++) {
		const char *t = NULL;

		if (src[i].when && !catalog_source_when(&src[i], r->attrs))
			continue;
		if (src[i].how == CATALOG_STATUS_TEXT && r->status_message && *r->status_message)
			return r->status_message;
		if (src[i].how == CATALOG_ID && (t = str_attr(r->attrs, src[i].key)))
			return arena_strdup(a, t);
	}
	return NULL;
}

/* What the catalog sees: every non-null attribute the mapping did not consume, the exception
 * event's names, and the span's events, scope and links as raw attributes. The span's own
 * attributes object (each decoder makes one a span) becomes it in place, and the catalog
 * takes it for raw_attributes: an attribute was inserted into three objects one by one
 * (about 290 instructions each) where it is now inserted once. Whatever reads the attributes
 * as they came runs before. */
static void catalog_work(struct dec *d, struct raw_span *r, struct span *s, const char *sess,
			 bool children)
{
	json_t *work = r->attrs, *v;
	const char *k;

	r->attrs = NULL;
	JSON_EACH_SAFE(work, it, next, k, v)
	{
		/* Langfuse's (the AI SDK's, OpenLLMetry's) session key is consumed like session.id
		 * when it gave the session; one that differs stays, so nothing is lost. */
		if (json_is_null(v) || own_key(k) || same_session(k, v, sess))
			json_object_del(work, k);
	}
	exception_event(work, r->events);
	if (json_array_size(r->events))
		set_json_string(work, "otel.events", r->events);
	if (json_array_size(r->links))
		set_json_string(work, "otel.links", r->links);
	if (r->scope)
		json_object_set(work, "otel.scope", r->scope);
	catalog_take_span(d->a, s, work, r->name, children);
}

void otlp_map_span(struct dec *d, struct raw_span *r)
{
	bool children;
	char tid[2 * ID_MAX + 1], sid[2 * ID_MAX + 1], pid[2 * ID_MAX + 1];
	const char *why, *k, *sess = NULL;
	struct span *s;

	if (d->parse_only)
		return;
	why = otlp_id_check(&r->span, 8, "span_id", sid, d->a);
	if (why) {
		reject(d, "<missing>", why);
		return;
	}
	why = otlp_id_check(&r->trace, 16, "trace_id", tid, d->a);
	if (!why && (r->parent.len || r->parent.bad)) {
		/* An empty parent means a root; a present one must be a real id. */
		why = otlp_id_check(&r->parent, 8, "parent_span_id", pid, d->a);
		if (!r->parent.bad && r->parent.len == 8 && otlp_all_zero(r->parent.b, 8))
			why = "parent_span_id must not be all zeros";
	}
	if (why) {
		reject(d, sid, why);
		return;
	}
	/* A session id that could not be stored is refused with its span. */
	k = session_of(r->attrs);
	if (k && (why = span_id_problem(k))) {
		reject(d, sid, arena_printf(d->a, "session id: %s", why));
		return;
	}

	d->res.spans = otlp_grow(d->a, d->res.spans, d->res.nspans, &d->span_cap, sizeof *s);
	s = &d->res.spans[d->res.nspans++];
	span_init(s);
	s->span_id = arena_strdup(d->a, sid);
	s->trace_id = arena_strdup(d->a, tid);
	s->parent_span_id = r->parent.len ? arena_strdup(d->a, pid) : NULL;
	s->workspace = d->ws;
	s->source = "otel";
	s->name = r->name;
	/* nemo-intake.md 4.1: a zero start is the ingest time, a zero end is absent. */
	s->started_at = r->start_ns ? (int64_t)(r->start_ns / 1000) : d->now_us;
	s->ended_at = r->end_ns ? (int64_t)(r->end_ns / 1000) : SPAN_NONE_I64;

	if (k) {
		s->session_id = sess = arena_strdup(d->a, k);
	} else {
		s->session_id = span_session_default_id(d->a, d->ws, s->trace_id);
	}
	s->kind =
	    catalog_kind(r->attrs, r->kind == OTLP__SPAN__SPAN_KIND__SPAN_KIND_CLIENT, &children);
	s->status = status_of(r->attrs, r->events, r->status_code);

	s->input = text_of(d->a, CATALOG_INPUT, r->attrs, r->events, s->kind);
	s->output = text_of(d->a, CATALOG_OUTPUT, r->attrs, r->events, s->kind);

	/* The error message's later sources and the evaluations read the attributes as they
	 * came, which catalog_work takes apart. */
	const char *err = error_of(d->a, r);
	size_t evals = d->res.evals.n;
	otlp_eval_span(d, r, s);

	catalog_work(d, r, s, sess, children);

	if (!s->str[SS_ERROR_MESSAGE])
		s->str[SS_ERROR_MESSAGE] = err;
	otlp_eval_project(d, evals, s);
}

void otlp_map_free(struct raw_span *r)
{
	json_decref(r->attrs);
	json_decref(r->events);
	json_decref(r->links);
}