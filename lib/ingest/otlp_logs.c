/* otlp_logs: the GenAI content events of OTLP logs attached to their span, whichever arrives
 * first. The GenAI conventions now send prompt and completion content as log records
 * (gen_ai.client.inference.operation.details, and the deprecated per-message events) tied to
 * their span by trace and span id (otel-egp.md 3.1, instrumentation.md 6). Each span keeps its
 * events as the raw attribute otel.logs, and its input and output are read off them with the
 * mapping of the same events sent as span events (otlp_map.c). */
#include "lib/ingest/otlp_logs.h"

#include <string.h>

#include "lib/base/hash.h"
#include "lib/ingest/otlp_int.h"
#include "lib/json/jsonx.h"

#define DETAILS "gen_ai.client.inference.operation.details"
/* The GenAI conventions' exception event: the error of the operation, whose span keeps only
 * its status and error.type (instrumentation.md 6). */
#define EXCEPTION "gen_ai.client.operation.exception"
#define LOGS_KEY "otel.logs"

/* The events spandex reads content from: the current one, and the deprecated per-message ones
 * (the same names as the span events otlp_map_event_messages reads). */
static const char *const content_events[] = {DETAILS,
					     EXCEPTION,
					     "gen_ai.system.message",
					     "gen_ai.user.message",
					     "gen_ai.assistant.message",
					     "gen_ai.tool.message",
					     "gen_ai.choice",
					     NULL};

static bool content_event(const char *name)
{
	for (size_t i = 0; content_events[i]; i++)
		if (!strcmp(name, content_events[i]))
			return true;
	return false;
}

static void reject(struct otlp_logs *l, struct arena *a, size_t records, const char *fmt,
		   const char *what, const char *why)
{
	l->errors = otlp_grow(a, l->errors, l->nerrors, &l->err_cap, sizeof(char *));
	l->errors[l->nerrors++] = arena_printf(a, fmt, what, why);
	l->rejected += records;
}

/* The item of span id sid, made when new. Items are found through a hash table of their
 * indexes (power-of-two size, at most half full), so a request of many spans stays linear. */
static struct otlp_attach *item_of(struct dec *d, const char *sid, const char *tid, uint64_t ns)
{
	struct otlp_logs *l = d->logs;
	uint64_t h = hash_bytes(sid, strlen(sid));
	size_t mask = l->slot_cap - 1, k;

	for (k = l->slot_cap ? h & mask : 0; l->slot_cap && l->slots[k]; k = (k + 1) & mask)
		if (!strcmp(l->items[l->slots[k] - 1].span_id, sid))
			return &l->items[l->slots[k] - 1];
	if (2 * (l->n + 1) > l->slot_cap) {
		l->slot_cap = l->slot_cap ? 2 * l->slot_cap : 64;
		l->slots = arena_alloc(d->a, l->slot_cap * sizeof *l->slots);
		memset(l->slots, 0, l->slot_cap * sizeof *l->slots);
		for (size_t i = 0; i < l->n; i++) {
			const char *s = l->items[i].span_id;

			for (k = hash_bytes(s, strlen(s)) & (l->slot_cap - 1); l->slots[k];
			     k = (k + 1) & (l->slot_cap - 1))
				;
			l->slots[k] = i + 1;
		}
		for (k = h & (l->slot_cap - 1); l->slots[k]; k = (k + 1) & (l->slot_cap - 1))
			;
	}
	l->items = otlp_grow(d->a, l->items, l->n, &l->cap, sizeof *l->items);
	l->items[l->n] =
	    (struct otlp_attach){arena_strdup(d->a, sid), arena_strdup(d->a, tid),
				 ns ? (int64_t)(ns / 1000) : l->now_us, json_array(), 0};
	l->slots[k] = ++l->n;
	return &l->items[l->n - 1];
}

void otlp_logs_add(struct dec *d, const struct raw_log *r)
{
	struct otlp_logs *l = d->logs;
	char sid[2 * ID_MAX + 1], tid[2 * ID_MAX + 1];
	const char *name = r->event_name, *why;
	size_t rec = l->records++;
	struct otlp_attach *it;
	json_t *ev;

	/* The event name is a LogRecord field since OTLP 1.5; older SDKs set event.name. */
	if (!*name && json_is_string(json_object_get(r->attrs, "event.name")))
		name = json_string_value(json_object_get(r->attrs, "event.name"));
	if (!strcmp(name, OTLP_EVAL_EVENT)) {
		if ((why = otlp_eval_log(d, &d->logs->evals, r, rec)))
			reject(l, d->a, 1, "log record %s: %s", arena_printf(d->a, "%zu", rec),
			       why);
		return;
	}
	if (!content_event(name)) {
		reject(l, d->a, 1, "log record %s: %s", arena_printf(d->a, "%zu", rec),
		       *name ? arena_printf(d->a, "%s is not a GenAI content or evaluation event",
					    name)
			     : "no event name; spandex keeps only the GenAI content and evaluation "
			       "events");
		return;
	}
	why = otlp_id_check(&r->span, 8, "span_id", sid, d->a);
	if (!why)
		why = otlp_id_check(&r->trace, 16, "trace_id", tid, d->a);
	if (why) {
		reject(l, d->a, 1, "log record %s: %s", arena_printf(d->a, "%zu", rec), why);
		return;
	}
	it = item_of(d, sid, tid, r->time_ns);
	ev = json_pack("{s:s, s:o, s:O}", "name", name, "time_unix_nano", otlp_time(r->time_ns),
		       "attributes", r->attrs);
	if (r->body && !json_is_null(r->body))
		json_object_set(ev, "body", r->body);
	json_array_append_new(it->events, ev);
	it->records++;
}

void otlp_logs_free(struct otlp_logs *l)
{
	for (size_t i = 0; i < l->n; i++)
		json_decref(l->items[i].events);
	l->n = 0;
	otlp_eval_free(&l->evals);
}

void otlp_logs_refuse(struct otlp_logs *l, struct arena *a, struct otlp_eval *e, const char *why)
{
	e->refused = true;
	reject(l, a, 1, "log record %s: %s", arena_printf(a, "%zu", e->record), why);
}

/* ---- the merges ---- */

/* The events a stored version keeps (otel.logs, a JSON string of an array): a new array,
 * empty when it has none. */
static json_t *stored_events(const struct span *s)
{
	json_t *v = s ? json_object_get(s->raw_attributes, LOGS_KEY) : NULL, *arr;
	size_t pos;

	if (!json_is_string(v) ||
	    !(arr = jsonx_parse(json_string_value(v), json_string_length(v), &pos, NULL)))
		return json_array();
	if (json_is_array(arr))
		return arr;
	json_decref(arr);
	return json_array();
}

/* Each event as the span-event mapping reads it: its attributes, with the body's members
 * under them (the per-message events carry their content in the body: a string is the
 * content, an object its fields), attributes first. Events without a string name are left
 * out. */
static json_t *as_span_events(json_t *events)
{
	json_t *out = json_array(), *ev;
	size_t i;

	json_array_foreach(events, i, ev)
	{
		json_t *at = json_object_get(ev, "attributes"), *body = json_object_get(ev, "body");
		json_t *m;

		/* A stored otel.logs may be a client's own attribute of that name: only events
		 * with a name are read. */
		if (!json_is_string(json_object_get(ev, "name")))
			continue;
		m = json_is_object(at) ? json_copy(at) : json_object();

		json_object_del(m, "event.name"); /* the event's name, which the name carries */
		if (json_is_object(body))
			json_object_update_missing(m, body);
		else if (body && !json_is_null(body) && !json_object_get(m, "content"))
			json_object_set(m, "content", body);
		json_array_append_new(out, json_pack("{s:O, s:o}", "name",
						     json_object_get(ev, "name"), "attributes", m));
	}
	return out;
}

/* The content the events carry: the newest details event's messages first, else the
 * per-message events. NULL where they carry none. Log content wins over the span's own, so
 * the result is the same whichever arrived first. */
static void apply_content(struct arena *a, json_t *events, struct span *s)
{
	static const char *const output[] = {"gen_ai.output.messages", NULL};
	json_t *evs = as_span_events(events), *ev;
	const char *in = NULL, *out = NULL;
	size_t i;

	json_array_foreach(evs, i, ev)
	{
		json_t *at = json_object_get(ev, "attributes");
		const char *t, *name = json_string_value(json_object_get(ev, "name"));

		if (!strcmp(name, EXCEPTION)) {
			/* The span's own error fields win; the event fills what they leave. */
			static const struct {
				const char *key;
				enum span_str field;
			} err[] = {{"exception.type", SS_ERROR_TYPE},
				   {"exception.message", SS_ERROR_MESSAGE}};
			for (size_t k = 0; k < 2; k++)
				if (!s->str[err[k].field] &&
				    (t = json_string_value(json_object_get(at, err[k].key))))
					s->str[err[k].field] = arena_strdup(a, t);
			s->status = SPST_ERROR;
			continue;
		}
		if (strcmp(name, DETAILS))
			continue;
		if ((t = otlp_map_genai_input(a, at)))
			in = t;
		if ((t = otlp_map_first_text(a, at, output)))
			out = t;
	}
	if (!in)
		in = otlp_map_event_messages(a, evs, false);
	if (!out)
		out = otlp_map_event_messages(a, evs, true);
	json_decref(evs);
	if (in)
		s->input = in;
	if (out)
		s->output = out;
}

static void set_events(struct span *s, const char *text)
{
	if (!json_is_object(s->raw_attributes)) {
		json_decref(s->raw_attributes);
		s->raw_attributes = json_object();
	}
	json_object_set_new(s->raw_attributes, LOGS_KEY, json_string(text));
}

/* A stand-in for a span not stored yet: what the log records say of it (ids, time, the
 * session its OTLP span will have, nemo-intake.md 4.1), an LLM call by what the events are. */
static void stand_in(struct otlp_logs *l, struct arena *a, const struct otlp_attach *it,
		     struct span *out)
{
	out->span_id = it->span_id;
	out->trace_id = it->trace_id;
	out->workspace = l->ws;
	out->source = "otel";
	out->name = arena_strdup(
	    a, json_string_value(json_object_get(json_array_get(it->events, 0), "name")));
	out->kind = KIND_LLM;
	out->status = SPST_SUCCESS;
	out->started_at = it->time_us;
	out->session_id = span_session_default_id(a, l->ws, it->trace_id);
	out->raw_attributes = json_pack("{s:b}", OTLP_AWAITING_SPAN, 1);
}

enum status otlp_logs_merge(void *ctx, struct arena *a, const char *span_id, const struct span *cur,
			    struct span *out, struct err *e)
{
	struct otlp_logs *l = ctx;
	const struct otlp_attach *it = &l->items[l->next++];
	json_t *all, *ev;
	size_t i, added = 0;
	char *text;

	if (strcmp(it->span_id, span_id))
		return err_set(e, ST_INTERNAL, "log merge of span %s met span %s", it->span_id,
			       span_id);
	all = stored_events(cur);
	json_array_foreach(it->events, i, ev)
	{
		size_t j;
		json_t *x;
		bool seen = false;

		json_array_foreach(all, j, x)
		{
			if ((seen = json_equal(x, ev)))
				break;
		}
		if (!seen) {
			json_array_append(all, ev);
			added++;
		}
	}
	text = otlp_dump(a, all);
	if (added &&
	    (json_array_size(all) > OTLP_MAX_LOG_EVENTS || strlen(text) > OTLP_MAX_LOG_BYTES))
		reject(l, a, it->records, "span %s: %s", span_id,
		       arena_printf(a, "its log events would pass %d events or %u bytes",
				    OTLP_MAX_LOG_EVENTS, OTLP_MAX_LOG_BYTES));
	else if (added) {
		if (cur)
			span_copy(out, cur);
		else
			stand_in(l, a, it, out);
		set_events(out, text);
		apply_content(a, all, out);
	}
	json_decref(all);
	return ST_OK;
}

enum status otlp_logs_span_merge(void *ctx, struct arena *a, const char *span_id,
				 const struct span *cur, struct span *out, struct err *e)
{
	struct otlp_span_batch *b = ctx;
	struct span *s = &b->spans[b->next++];
	json_t *logs = cur ? json_object_get(cur->raw_attributes, LOGS_KEY) : NULL, *all;

	if (strcmp(s->span_id, span_id))
		return err_set(e, ST_INTERNAL, "span merge of span %s met span %s", s->span_id,
			       span_id);
	*out = *s;
	span_init(s);
	if (json_is_string(logs)) {
		set_events(out, json_string_value(logs));
		all = stored_events(cur);
		apply_content(a, all, out);
		json_decref(all);
	}
	return ST_OK;
}
