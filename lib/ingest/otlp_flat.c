/* otlp_flat: the lists instrumentations flatten into attributes ("<prefix><i>.<rest>"), built
 * again: OpenInference's and OpenLLMetry's messages (with their tool calls and content parts),
 * OpenInference's embedded texts and documents (nemo-intake.md 4.1; instrumentation.md 4).
 * What a catalog source's how names, for otlp_map's text_of. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ingest/otlp_int.h"
#include "lib/base/arena.h"
#include "lib/json/jeach.h"

/* Flattened OpenInference lists ("<prefix><i>.<rest>"): entries sorted by index, then by
 * their order in the request, so sparse or unordered indexes rebuild the same list. */
struct ient {
	unsigned long idx;
	size_t seq;
	const char *rest;
	json_t *v;
};

static int ient_cmp(const void *x, const void *y)
{
	const struct ient *a = x, *b = y;

	if (a->idx != b->idx)
		return a->idx < b->idx ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Selects the entries of in whose rest is "<prefix><digits>.<more>" and sorts them. */
static size_t indexed(struct arena *a, const struct ient *in, size_t n, const char *prefix,
		      struct ient **out)
{
	size_t pl = strlen(prefix), m = 0;
	struct ient *o = arena_alloc(a, (n ? n : 1) * sizeof *o);

	for (size_t i = 0; i < n; i++) {
		const char *r = in[i].rest, *p;
		char *end;
		unsigned long idx;

		if (strncmp(r, prefix, pl) || r[pl] < '0' || r[pl] > '9')
			continue;
		p = r + pl;
		errno = 0;
		idx = strtoul(p, &end, 10);
		if (errno || *end != '.')
			continue;
		o[m] = (struct ient){idx, in[i].seq, end + 1, in[i].v};
		m++;
	}
	qsort(o, m, sizeof *o, ient_cmp);
	*out = o;
	return m;
}

/* Copies the entries named in keys (in that order) from e[0..n) into obj; rest must equal
 * strip + key. */
static void pick(json_t *obj, const struct ient *e, size_t n, const char *strip,
		 const char *const *keys, const char *const *names)
{
	size_t sl = strlen(strip);

	for (size_t k = 0; keys[k]; k++)
		for (size_t i = 0; i < n; i++)
			if (!strncmp(e[i].rest, strip, sl) && !strcmp(e[i].rest + sl, keys[k]) &&
			    !json_is_null(e[i].v))
				json_object_set(obj, names[k], e[i].v);
}

/* One tool call {id, type, function: {name, arguments}}: the id and type under strip, the
 * function's fields under fstrip. */
static json_t *call_from(const struct ient *e, size_t n, const char *strip, const char *fstrip)
{
	static const char *const keys[] = {"id", "type", NULL};
	static const char *const fkeys[] = {"name", "arguments", NULL};
	json_t *tc = json_object(), *fn = json_object();

	pick(tc, e, n, strip, keys, keys);
	pick(fn, e, n, fstrip, fkeys, fkeys);
	if (json_object_size(fn)) {
		/* nemo-intake.md 4.1: a function call implies type "function". */
		if (!json_object_get(tc, "type"))
			json_object_set_new(tc, "type", json_string("function"));
		json_object_set(tc, "function", fn);
	}
	json_decref(fn);
	return tc;
}

/* OpenInference: tool_call.id, tool_call.function.name ... */
static json_t *tool_call(struct arena *a, const struct ient *e, size_t n)
{
	(void)a;
	return call_from(e, n, "tool_call.", "tool_call.function.");
}

/* OpenLLMetry: id, name, arguments (gen_ai.completion.<i>.tool_calls.<j>.name ...). */
static json_t *flat_call(struct arena *a, const struct ient *e, size_t n)
{
	(void)a;
	return call_from(e, n, "", "");
}

/* Calls each(group) for every run of entries sharing an index, appending non-empty results
 * to arr. */
static void groups(struct arena *a, const struct ient *e, size_t n, json_t *arr,
		   json_t *(*each)(struct arena *, const struct ient *, size_t))
{
	for (size_t i = 0, j; i < n; i = j) {
		json_t *x;

		for (j = i + 1; j < n && e[j].idx == e[i].idx; j++)
			;
		x = each(a, e + i, j - i);
		if (json_object_size(x))
			json_array_append(arr, x);
		json_decref(x);
	}
}

static json_t *content_part(struct arena *a, const struct ient *e, size_t n)
{
	static const char *const keys[] = {"type", "text", NULL};
	json_t *c = json_object();

	(void)a;
	pick(c, e, n, "message_content.", keys, keys);
	return c;
}

/* The list rebuilt from the "<prefix><i>.*" entries of e, one item per index made by
 * each(); NULL when it would be empty. */
static json_t *rebuild_list(struct arena *a, const struct ient *e, size_t n, const char *prefix,
			    json_t *(*each)(struct arena *, const struct ient *, size_t))
{
	struct ient *sub;
	size_t ns = indexed(a, e, n, prefix, &sub);
	json_t *arr;

	if (!ns)
		return NULL;
	arr = json_array();
	groups(a, sub, ns, arr, each);
	if (!json_array_size(arr)) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* How one convention flattens a message: its fields under strip, its tool calls built by
 * call. */
struct msg_shape {
	const char *strip;
	const char *const *keys;
	json_t *(*call)(struct arena *, const struct ient *, size_t);
};

static json_t *shaped_message(struct arena *a, const struct ient *e, size_t n,
			      const struct msg_shape *sh)
{
	size_t sl = strlen(sh->strip), k = 0;
	json_t *m = json_object(), *arr;
	struct ient *strip = arena_alloc(a, (n ? n : 1) * sizeof *strip);

	pick(m, e, n, sh->strip, sh->keys, sh->keys);
	for (size_t i = 0; i < n; i++)
		if (!strncmp(e[i].rest, sh->strip, sl)) {
			strip[k] = e[i];
			strip[k++].rest = e[i].rest + sl;
		}
	if ((arr = rebuild_list(a, strip, k, "contents.", content_part)))
		json_object_set_new(m, "contents", arr);
	if ((arr = rebuild_list(a, strip, k, "tool_calls.", sh->call)))
		json_object_set_new(m, "tool_calls", arr);
	return m;
}

/* OpenInference: llm.input_messages.<i>.message.{role,content,...} (nemo-intake.md 4.1). */
static json_t *message(struct arena *a, const struct ient *e, size_t n)
{
	static const char *const keys[] = {"role",	   "content", "name",
					   "tool_call_id", "status",  NULL};
	static const struct msg_shape sh = {"message.", keys, tool_call};

	return shaped_message(a, e, n, &sh);
}

/* OpenLLMetry: gen_ai.prompt.<i>.{role,content,tool_call_id,...} and gen_ai.completion.<i>.*
 * with finish_reason (otel-egp.md 3.1: the deprecated flattened prompt and completion). */
static json_t *flat_message(struct arena *a, const struct ient *e, size_t n)
{
	static const char *const keys[] = {"role",	   "content",	    "name",
					   "tool_call_id", "finish_reason", NULL};
	static const struct msg_shape sh = {"", keys, flat_call};

	return shaped_message(a, e, n, &sh);
}

char *otlp_flat_messages_text(struct arena *a, json_t *msgs)
{
	json_t *wrap = json_pack("{so}", "messages", msgs);
	char *s = otlp_dump(a, wrap);

	json_decref(wrap);
	return s;
}

/* The list rebuilt from the "<prefix><i>.*" attributes, one item per index made by each();
 * NULL when the attributes hold none. */
static json_t *rebuild_attrs(struct arena *a, json_t *attrs, const char *prefix,
			     json_t *(*each)(struct arena *, const struct ient *, size_t))
{
	size_t n = json_object_size(attrs), m = 0, pl = strlen(prefix);
	struct ient *all;
	const char *k;
	json_t *v;
	bool any = false;

	/* Most spans hold no such list: look before copying every attribute. */
	JSON_EACH(attrs, it, k, v)
	{
		if ((any = k[0] == prefix[0] && !strncmp(k, prefix, pl)))
			break;
	}
	if (!any)
		return NULL;
	all = arena_alloc(a, (n ? n : 1) * sizeof *all);
	JSON_EACH(attrs, it, k, v)
	{
		all[m] = (struct ient){0, m, k, v};
		m++;
	}
	return rebuild_list(a, all, m, prefix, each);
}

/* nemo-intake.md 4.1: {"messages":[...]} rebuilt from llm.input_messages.<i>.message.* (or
 * the output ones, or another convention's flattened list, by each); NULL when the
 * attributes hold none. */
static char *rebuild(struct arena *a, json_t *attrs, const char *prefix,
		     json_t *(*each)(struct arena *, const struct ient *, size_t))
{
	json_t *msgs = rebuild_attrs(a, attrs, prefix, each);
	return msgs ? otlp_flat_messages_text(a, msgs) : NULL;
}

/* OpenInference: embedding.embeddings.<i>.embedding.text, as {"text": ...}. */
static json_t *embedded_text(struct arena *a, const struct ient *e, size_t n)
{
	static const char *const keys[] = {"text", NULL};
	json_t *t = json_object();

	(void)a;
	pick(t, e, n, "embedding.", keys, keys);
	return t;
}

/* CATALOG_TEXT_LIST: the texts of "<prefix><i>.embedding.text", in index order, as a JSON
 * list (as the AI SDK's ai.values reads); NULL when there are none. */
static const char *text_list(struct arena *a, json_t *attrs, const char *prefix)
{
	json_t *items = rebuild_attrs(a, attrs, prefix, embedded_text), *out, *x;
	size_t i;
	const char *t;

	if (!items)
		return NULL;
	out = json_array();
	json_array_foreach(items, i, x) json_array_append(out, json_object_get(x, "text"));
	json_decref(items);
	t = otlp_dump(a, out);
	json_decref(out);
	return t;
}

/* OpenInference: retrieval.documents.<i>.document.{id,content,score,metadata} (and the
 * reranker's), as one object. */
static json_t *document(struct arena *a, const struct ient *e, size_t n)
{
	static const char *const keys[] = {"id", "content", "score", "metadata", NULL};
	json_t *d = json_object();

	(void)a;
	pick(d, e, n, "document.", keys, keys);
	return d;
}

/* CATALOG_DOC_LIST: the documents of "<prefix><i>.document.*", in index order, as a JSON
 * list of objects; NULL when there are none. */
static const char *doc_list(struct arena *a, json_t *attrs, const char *prefix)
{
	json_t *docs = rebuild_attrs(a, attrs, prefix, document);
	const char *t;

	if (!docs)
		return NULL;
	t = otlp_dump(a, docs);
	json_decref(docs);
	return t;
}

const char *otlp_flat_list(struct arena *a, json_t *attrs, enum catalog_how how, const char *prefix)
{
	switch (how) {
	case CATALOG_OI_LIST:
		return rebuild(a, attrs, prefix, message);
	case CATALOG_FLAT_LIST:
		return rebuild(a, attrs, prefix, flat_message);
	case CATALOG_TEXT_LIST:
		return text_list(a, attrs, prefix);
	case CATALOG_DOC_LIST:
		return doc_list(a, attrs, prefix);
	default:
		return NULL;
	}
}
