/* catalog: the semantic attribute catalog (reference nemo-intake.md section 5), which applies
 * the conventions table's field rows (catalog_rows.c, docs/attributes.md) to OTLP and
 * direct-span attribute objects: the winner of each field by its keys' order, the costs summed
 * from their details, the usage a parent repeats from its children. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "lib/model/catalog.h"
#include "lib/model/catalog_object.h"
#include "lib/model/span.h"
#include "lib/base/arena.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/json/jeach.h"

/* Choices this file makes where the reference is silent (documented in span.h too):
 * - A value of the wrong type (a string token count, a negative token count, a number as a
 *   model name) is not a value for the field: the next source key is tried, and the
 *   attribute stays in raw_attributes untouched.
 * - A lower-priority key whose value equals the winner's is consumed too (it says nothing
 *   new); one with a different value stays in raw_attributes, so nothing is lost.
 * - null values count as absent for the catalog and are kept verbatim like any other
 *   unconsumed attribute. Key exclusions that belong to one ingest format (OTLP's
 *   input.value, session.id ...) are the caller's business: it leaves them out of attrs.
 * - Fields set from attributes overwrite what the span already held; JSON objects the span
 *   already holds (evaluation_context, usage_details, cost_details, raw_attributes) are
 *   extended, their existing keys kept.
 * - A row limited to one span kind (traceloop.entity.name names the tool of a TOOL span and
 *   the agent of an AGENT span) reads s->kind, so the caller sets the kind first; such a row
 *   only fills a field no earlier row filled.
 * - The Span has no field for a prompt version that is a number, so integer versions
 *   (Langfuse, Traceloop) are written in decimal. */

#define CAT_COST_PREFIX "llm.cost."

#define TOK(f) offsetof(struct span, f)

/* otel-egp.md 3.4: without llm.cost.prompt, cost_input_usd is the sum of the
 * llm.cost.prompt_details.* costs. OpenInference's own example (semantic_conventions.md:
 * prompt 0.0021 = input + cache_write + cache_read + cache_input + audio, completion 0.0045 =
 * output + reasoning + audio) shows both detail sets are parts of their whole, so the output
 * cost is summed the same way. The details stay in cost_details (reference section 5); the
 * total, when none is sent, is input + output (cat_sum_costs). */
static const struct {
	const char *detail; /* prefix of the cost_details name */
	size_t field;	    /* offsetof(struct span, x), a CATALOG_COST row's field */
} cat_sums[] = {
    {"prompt_details.", TOK(cost_input_usd)},
    {"completion_details.", TOK(cost_output_usd)},
};
#define CAT_NSUMS (sizeof cat_sums / sizeof cat_sums[0])

/* True when v is a value the row's field can take. */
static bool cat_usable(const struct catalog_row *r, json_t *v)
{
	int64_t n;
	double d;
	switch (r->type) {
	case CATALOG_STR:
	case CATALOG_EVAL:
		return json_is_string(v);
	case CATALOG_VERSION:
		return json_is_string(v) || catalog_whole(v, &n);
	case CATALOG_TOKENS:
	case CATALOG_USAGE:
		return catalog_count(v, &n);
	case CATALOG_COST:
		return catalog_cost(v, &d);
	}
	return false;
}

/* Returns *slot, creating an empty object there first when it is NULL. */
static json_t *cat_object(json_t **slot)
{
	if (!*slot)
		*slot = json_object();
	return *slot;
}

static void cat_set(struct arena *a, struct span *s, const struct catalog_row *r, json_t *v)
{
	int64_t n = 0;
	double d = 0;
	switch (r->type) {
	case CATALOG_STR:
		s->str[r->field] = arena_strndup(a, json_string_value(v), json_string_length(v));
		break;
	case CATALOG_VERSION:
		if (json_is_string(v))
			s->str[r->field] =
			    arena_strndup(a, json_string_value(v), json_string_length(v));
		else if (catalog_whole(v, &n))
			s->str[r->field] = arena_printf(a, "%lld", (long long)n);
		break;
	case CATALOG_EVAL:
		if (!json_object_get(cat_object(&s->evaluation_context), r->sub))
			json_object_set(s->evaluation_context, r->sub, v);
		break;
	case CATALOG_TOKENS:
		catalog_count(v, &n);
		*(int64_t *)((char *)s + r->field) = n;
		break;
	case CATALOG_USAGE:
		catalog_count(v, &n);
		if (!json_object_get(cat_object(&s->usage_details), r->sub))
			json_object_set_new(s->usage_details, r->sub, json_integer(n));
		break;
	case CATALOG_COST:
		catalog_cost(v, &d);
		*(double *)((char *)s + r->field) = d;
		break;
	}
}

/* The table's keys by hash, built once per process: every attribute of every span is looked
 * up, so a scan of the whole table per key would cost more than the rest of the mapping. A
 * key may sit in more than one row (traceloop.entity.name). */
struct cat_key {
	uint64_t h;
	uint16_t row, k;
};
static struct cat_key cat_keys[CATALOG_NROWS * CATALOG_MAX_KEYS];
static size_t cat_nkeys;
/* The index's entries by the top 8 bits of their hash: cat_first[b] is the first entry whose
 * top byte is b or more, so a lookup scans the one or two entries of its bucket instead of a
 * binary search over them all (about 100 instructions of cat_lookup's 200, for every attribute
 * of every span). 256 buckets for the table's few hundred keys. */
#define CAT_BUCKET_BITS 8
static uint16_t cat_first[(1u << CAT_BUCKET_BITS) + 1];
_Static_assert(CATALOG_NROWS *CATALOG_MAX_KEYS <= UINT16_MAX, "an entry's place is 16 bits");
/* The rows limited to a kind (catalog_row.kind), bit i for row i: with the rows an attribute
 * gave, the only ones cat_apply visits (a span names a few of the table's rows). */
_Static_assert(CATALOG_NROWS <= 64, "a set of rows is a 64-bit mask");
static uint64_t cat_kinded;

/* The object attributes' keys by the same hash (catalog_objects): cat_candidates tells one
 * by its hash, which its lookup has. */
#define CAT_MAX_OBJECTS 4
static uint64_t cat_object_h[CAT_MAX_OBJECTS];
static bool cat_objects_past; /* more objects than that: every key is asked by name */

/* The keys that carry an AI SDK span's provider id (cat_apply, at its end), found by
 * cat_candidates' walk by the hash it has: two json_object_get a span were about 350
 * instructions, for spans that nearly never hold them. */
enum { CAT_ID_PROVIDER, CAT_ID_OPERATION, CAT_ID_SYSTEM, CAT_NIDS };
static const char *const cat_id_keys[CAT_NIDS] = {"ai.model.provider", "ai.operationId",
						  "gen_ai.system"};
static uint64_t cat_id_h[CAT_NIDS];
_Static_assert(CAT_NIDS == 3, "cat_candidates compares the three hashes");

static int cmp_cat_key(const void *a, const void *b)
{
	const struct cat_key *x = a, *y = b;
	return (x->h > y->h) - (x->h < y->h);
}

/* The entries of the index whose hash is key's (*n of them; the caller confirms the string),
 * or NULL. */
static void cat_index(void)
{
	if (cat_nkeys)
		return;
	for (size_t i = 0; i < CATALOG_NROWS; i++) {
		if (catalog_row_table[i].kind)
			cat_kinded |= 1ull << i;
		for (size_t j = 0; j < CATALOG_MAX_KEYS && catalog_row_table[i].keys[j]; j++)
			cat_keys[cat_nkeys++] =
			    (struct cat_key){hash_mem(catalog_row_table[i].keys[j],
						      strlen(catalog_row_table[i].keys[j])),
					     (uint16_t)i, (uint16_t)j};
	}
	qsort(cat_keys, cat_nkeys, sizeof(*cat_keys), cmp_cat_key);
	size_t nobj;
	const struct catalog_object *obj = catalog_objects(&nobj);
	cat_objects_past = nobj > CAT_MAX_OBJECTS;
	for (size_t i = 0; i < nobj && i < CAT_MAX_OBJECTS; i++)
		cat_object_h[i] = hash_mem(obj[i].key, strlen(obj[i].key));
	for (size_t i = 0; i < CAT_NIDS; i++)
		cat_id_h[i] = hash_mem(cat_id_keys[i], strlen(cat_id_keys[i]));
	size_t e = 0;
	for (size_t b = 0; b <= 1u << CAT_BUCKET_BITS; b++) {
		while (e < cat_nkeys && cat_keys[e].h >> (64 - CAT_BUCKET_BITS) < b)
			e++;
		cat_first[b] = (uint16_t)e;
	}
}

static const struct cat_key *cat_lookup_h(const char *key, size_t *n, uint64_t *hp)
{
	cat_index();
	uint64_t h = *hp = hash_mem(key, strlen(key));
	size_t b = (size_t)(h >> (64 - CAT_BUCKET_BITS)), lo = cat_first[b], hi = cat_first[b + 1];
	while (lo < hi && cat_keys[lo].h < h) /* the first entry of hash h or above */
		lo++;
	/* Equal hashes sit side by side. */
	size_t end = lo;
	while (end < hi && cat_keys[end].h == h)
		end++;
	*n = end - lo;
	return end > lo ? &cat_keys[lo] : NULL;
}

static const struct cat_key *cat_lookup(const char *key, size_t *n)
{
	uint64_t h;
	return cat_lookup_h(key, n, &h);
}

/* A member's entries of the index (cat_lookup's), kept from cat_candidates' walk over a span's
 * attributes for cat_apply's walk over the same members, which looked each key up again: the
 * first CAT_HITS members. */
#define CAT_HITS 64
struct cat_hit {
	const struct cat_key *e;
	size_t n;
};

/* cat_names of key, whose entries are e[0..n). */
static bool cat_names_in(const struct cat_key *e, size_t n, const char *key, json_t *v,
			 json_t *const *winner)
{
	for (size_t i = 0; i < n; i++) {
		json_t *w = winner ? winner[e[i].row] : NULL;
		if (strcmp(catalog_row_table[e[i].row].keys[e[i].k], key))
			continue;
		if (!winner || (w && (w == v || json_equal(w, v))))
			return true;
	}
	return false;
}

/* Whether the table names key; with winner, whether a row naming key chose v or a value
 * equal to it (then v says nothing new and is consumed). */
static bool cat_names(const char *key, json_t *v, json_t *const *winner)
{
	size_t n;
	const struct cat_key *e = cat_lookup(key, &n);
	return cat_names_in(e, n, key, v, winner);
}

/* cat_candidates' rare case: key one of cat_id_keys by its hash. */
static __attribute__((noinline)) void cat_id_take(const char *key, json_t *v, json_t **ids)
{
	for (size_t i = 0; i < CAT_NIDS; i++)
		if (!strcmp(key, cat_id_keys[i]))
			ids[i] = v;
}

/* For each row, the usable non-null value of its first source key present in attrs (NULL
 * for none): one index lookup per attribute instead of one per row and key, as most keys
 * of the table are absent from any one span. The first CAT_HITS members' entries into hits;
 * *objects (objects may be NULL) set when attrs holds an object attribute
 * (catalog_object_named); ids[i] the member cat_id_keys[i] (null ones too), or NULL; returns
 * the set of rows given a value. */
static uint64_t cat_candidates(json_t *attrs, json_t **cand, struct cat_hit *hits, bool *objects,
			       json_t **ids)
{
	unsigned char best[CATALOG_NROWS];
	const char *key;
	json_t *v;
	size_t at = 0;
	uint64_t rows = 0;

	memset(cand, 0, CATALOG_NROWS * sizeof *cand);
	memset(best, CATALOG_MAX_KEYS, sizeof best);
	memset(ids, 0, CAT_NIDS * sizeof *ids);
	JSON_EACH(attrs, it, key, v)
	{
		size_t n;
		uint64_t h;
		const struct cat_key *e = cat_lookup_h(key, &n, &h);

		if (at < CAT_HITS)
			hits[at++] = (struct cat_hit){e, n};
		if (objects && !*objects) {
			bool maybe = cat_objects_past;
			for (size_t i = 0; i < CAT_MAX_OBJECTS; i++)
				maybe |= h == cat_object_h[i];
			*objects = maybe && catalog_object_named(key);
		}
		if (h == cat_id_h[0] || h == cat_id_h[1] || h == cat_id_h[2])
			cat_id_take(key, v, ids);
		if (json_is_null(v))
			continue;
		for (size_t i = 0; i < n; i++)
			if (e[i].k < best[e[i].row] &&
			    !strcmp(catalog_row_table[e[i].row].keys[e[i].k], key) &&
			    cat_usable(&catalog_row_table[e[i].row], v)) {
				best[e[i].row] = (unsigned char)e[i].k;
				cand[e[i].row] = v;
				rows |= 1ull << e[i].row;
			}
	}
	return rows;
}

/* The cost_details name of a dynamic llm.cost.<x> key, or NULL when key is not one. The
 * keys the table maps to typed cost fields are not dynamic. */
static const char *cat_cost_detail(const char *key)
{
	if (strncmp(key, CAT_COST_PREFIX, strlen(CAT_COST_PREFIX)) || !key[strlen(CAT_COST_PREFIX)])
		return NULL;
	if (cat_names(key, NULL, NULL))
		return NULL;
	return key + strlen(CAT_COST_PREFIX);
}

/* The value an earlier row chose for row i's field, or NULL. */
static json_t *cat_earlier(size_t i, json_t *const *winner)
{
	for (size_t j = 0; j < i; j++)
		if (winner[j] && catalog_row_table[j].type == catalog_row_table[i].type &&
		    catalog_row_table[j].field == catalog_row_table[i].field)
			return winner[j];
	return NULL;
}

/* The sums of cat_sums into fields no row filled; then a total no row filled is the sum of the
 * input and output costs this pass filled (Langfuse's cost_details {input, output}, the
 * OpenInference llm.cost.prompt/completion without llm.cost.total), as Langfuse computes an
 * omitted total: a trace's cost is the sum of its spans' totals (reference section 7), which
 * would leave such a span out. */
static void cat_sum_costs(struct span *s, json_t *const *winner, const double *sum,
			  const bool *seen, bool parts_before)
{
	for (size_t k = 0; k < CAT_NSUMS; k++) {
		bool filled = false;
		if (!seen[k])
			continue;
		for (size_t i = 0; i < CATALOG_NROWS; i++)
			if (catalog_row_table[i].type == CATALOG_COST &&
			    catalog_row_table[i].field == cat_sums[k].field)
				filled = filled || winner[i];
		/* A sum past CATALOG_MAX_USD is no cost, as a sent one would not be. */
		if (!filled && sum[k] <= CATALOG_MAX_USD)
			*(double *)((char *)s + cat_sums[k].field) = catalog_round_cost(sum[k]);
	}
	bool in = !isnan(s->cost_input_usd), out = !isnan(s->cost_output_usd);
	double total = (in ? s->cost_input_usd : 0) + (out ? s->cost_output_usd : 0);
	if (isnan(s->cost_total_usd) && !parts_before && (in || out) && total <= CATALOG_MAX_USD)
		s->cost_total_usd = catalog_round_cost(total);
}

/* A spread member no row took: into usage_details / cost_details (a count, an amount) under
 * its own name; a KEEP object's is dropped (the attribute is kept whole). False when key is
 * no spread member, or its value is no count (amount): then it is kept as it is. */
static bool cat_spread_rest(struct span *s, const char *key, json_t *v)
{
	const char *member;
	const struct catalog_object *o = catalog_object_member(key, &member);
	char *name;
	int64_t c;
	double d;
	bool done = false;

	if (!o)
		return false;
	if (o->rest == CATALOG_REST_KEEP)
		return true;
	name = xmalloc(strlen(member));
	memcpy(name, member, strlen(member) - 1);
	name[strlen(member) - 1] = '\0';
	if (o->rest == CATALOG_REST_USAGE && catalog_count(v, &c)) {
		if (!json_object_get(cat_object(&s->usage_details), name))
			json_object_set_new(s->usage_details, name, json_integer(c));
		done = true;
	} else if (o->rest == CATALOG_REST_COST && catalog_cost(v, &d)) {
		if (!json_object_get(cat_object(&s->cost_details), name))
			json_object_set_new(s->cost_details, name, json_real(d));
		done = true;
	}
	free(name);
	return done;
}

static bool cat_is_usage(const struct catalog_row *r)
{
	return r->type == CATALOG_TOKENS || r->type == CATALOG_USAGE || r->type == CATALOG_COST;
}

/* A client's cost that cannot be one (catalog.h). */
void catalog_check_cost(struct span *s)
{
	static const struct {
		const char *name;
		size_t field;
	} costs[] = {{"total", TOK(cost_total_usd)},
		     {"input", TOK(cost_input_usd)},
		     {"output", TOK(cost_output_usd)}};
	/* In double: a stored version (a PATCH's) may hold counts from before CATALOG_MAX_TOKENS,
	 * whose sum would not fit an int64_t. */
	double tok = (double)s->total_tokens;
	json_t *refused;
	bool bad = false;
	double cap;

	if (s->total_tokens == SPAN_NONE_I64) {
		if (s->input_tokens == SPAN_NONE_I64 && s->output_tokens == SPAN_NONE_I64)
			return;
		tok = (s->input_tokens == SPAN_NONE_I64 ? 0 : (double)s->input_tokens) +
		      (s->output_tokens == SPAN_NONE_I64 ? 0 : (double)s->output_tokens);
	}
	/* Half a micro-USD of slack for the rounding to 6 decimals. */
	cap = tok * CATALOG_MAX_USD_PER_TOKEN + 0.5 / CATALOG_COST_DECIMALS;
	for (size_t i = 0; i < 3; i++)
		bad = bad || *(double *)((char *)s + costs[i].field) > cap;
	if (!bad)
		return;
	refused = json_object();
	for (size_t i = 0; i < 3; i++) {
		double *d = (double *)((char *)s + costs[i].field);
		if (!isnan(*d))
			json_object_set_new(refused, costs[i].name, json_real(*d));
		*d = NAN;
	}
	json_object_set_new(cat_object(&s->raw_attributes), CATALOG_REFUSED_KEY, refused);
}

/* The catalog itself (see span.h and catalog.h for the contracts, the top of this file for
 * the choices where the reference is silent). */
/* The GenAI provider name of an AI SDK provider id ("openai.chat", "google.vertex.chat",
 * "amazon-bedrock"): the mapping the SDK's own OpenTelemetry integration (@ai-sdk/otel) applies,
 * so one provider reads the same from ai@6's raw ids and ai@7's names (instrumentation.md 1.2,
 * 2.2). Longer prefixes first; an id none matches stays as it is. */
static const char *cat_ai_sdk_provider(const char *id)
{
	static const char *const map[][2] = {
	    {"google.vertex", "gcp.vertex_ai"},
	    {"google.generative-ai", "gcp.gemini"},
	    {"google-vertex", "gcp.vertex_ai"},
	    {"amazon-bedrock", "aws.bedrock"},
	    {"azure-openai", "azure.ai.openai"},
	    {"anthropic", "anthropic"},
	    {"openai", "openai"},
	    {"azure", "azure.ai.inference"},
	    {"google", "gcp.gemini"},
	    {"mistral", "mistral_ai"},
	    {"cohere", "cohere"},
	    {"bedrock", "aws.bedrock"},
	    {"groq", "groq"},
	    {"deepseek", "deepseek"},
	    {"perplexity", "perplexity"},
	    {"xai", "x_ai"},
	};
	for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
		size_t n = strlen(map[i][0]);
		if (!strncasecmp(id, map[i][0], n) && (!id[n] || id[n] == '.' || id[n] == '-'))
			return map[i][1];
	}
	return id;
}

/* One cat_apply: what its phases share. */
struct cat_run {
	struct arena *a;
	struct span *s;
	/* The members walked for raw_attributes (the spread ones unless children), the members
	 * the rows read (the spread ones when there are any), and the spread object or NULL. */
	json_t *attrs, *look, *spread;
	bool children, held; /* held: the children's usage left in raw_attributes */
	json_t *winner[CATALOG_NROWS];
	json_t *ids[CAT_NIDS]; /* look's members cat_id_keys, or NULL */
	struct cat_hit hits[CAT_HITS];
	double sum[CAT_NSUMS];
	bool seen[CAT_NSUMS];
	/* With an object to take: the members consumed and those kept, for the choice after the
	 * walk (the winners are its values: nothing is deleted before the walk ends). */
	const char **gone;
	struct cat_kept {
		const char *key;
		json_t *v;
	} * kept;
	size_t ngone, nkept;
};

/* The rows: the first usable non-null source key of each, in priority order, set on the
 * span; the object attributes spread first when the walk met one (it was three lookups of their
 * long keys a span, about 700 instructions, for spans that nearly never hold one). */
static void cat_rows(struct cat_run *r)
{
	json_t *cand[CATALOG_NROWS], *v;
	bool objects = false;
	uint64_t given = cat_candidates(r->attrs, cand, r->hits, &objects, r->ids);

	if (objects && (r->spread = catalog_object_spread(r->attrs))) {
		r->look = r->spread;
		given = cat_candidates(r->look, cand, r->hits, NULL, r->ids);
	}
	/* The children's usage is looked for in the spread members too, but stays in
	 * raw_attributes as it came. */
	if (!r->children)
		r->attrs = r->look;
	/* The rows in order, those given a value and those limited to a kind alone. */
	for (uint64_t rows = given | cat_kinded; rows; rows &= rows - 1) {
		size_t i = (size_t)__builtin_ctzll(rows);
		if (catalog_row_table[i].kind) {
			if (strcmp(catalog_row_table[i].kind, span_kind_names[r->s->kind]))
				continue;
			/* A row limited to a kind only fills what no earlier row filled; the
			 * earlier value counts as its own, so an equal value is consumed too. */
			if ((r->winner[i] = cat_earlier(i, r->winner)))
				continue;
		}
		if (!(v = cand[i]))
			continue;
		/* The children's usage: left where it is, said so after. */
		if (r->children && cat_is_usage(&catalog_row_table[i])) {
			r->held = true;
			continue;
		}
		r->winner[i] = v;
		cat_set(r->a, r->s, &catalog_row_table[i], v);
	}
}

/* The members no row consumed: the dynamic costs into cost_details (and their sums), a spread
 * member into usage or cost details, the rest into raw_attributes, or into r->kept when the
 * object may be taken. */
static void cat_rest(struct cat_run *r)
{
	struct span *s = r->s;
	size_t at = 0;
	const char *key;
	json_t *v;

	JSON_EACH(r->attrs, it, key, v)
	{
		const char *detail;
		double d;
		/* cat_candidates' entries, when it walked these same members. */
		struct cat_hit h = {NULL, 0};
		if (r->attrs == r->look && at < CAT_HITS)
			h = r->hits[at++];
		else
			h.e = cat_lookup(key, &h.n);
		bool consumed = cat_names_in(h.e, h.n, key, v, r->winner);
		detail = consumed || r->children ? NULL : cat_cost_detail(key);
		if (detail && catalog_cost(v, &d)) {
			for (size_t k = 0; k < CAT_NSUMS; k++)
				if (!strncmp(detail, cat_sums[k].detail,
					     strlen(cat_sums[k].detail))) {
					r->sum[k] += d;
					r->seen[k] = true;
				}
			if (!json_object_get(cat_object(&s->cost_details), detail))
				json_object_set_new(s->cost_details, detail, json_real(d));
			consumed = true;
		}
		consumed = consumed || (r->spread && !r->children && cat_spread_rest(s, key, v));
		if (r->gone) {
			if (consumed)
				r->gone[r->ngone++] = key;
			else
				r->kept[r->nkept++] = (struct cat_kept){key, v};
		} else if (!consumed && !json_object_get(cat_object(&s->raw_attributes), key)) {
			/* key is a member's of attrs: UTF-8 already, no check again. */
			json_object_set_nocheck(s->raw_attributes, key, v);
		}
	}
}

/* The taken object as raw_attributes, the members consumed deleted, when fewer were consumed
 * than kept (a deletion costs about what an insertion does: about 250 instructions in jansson
 * 2.14); else a new object of the kept ones. The same members in the same order either way. */
static void cat_keep(struct cat_run *r)
{
	if (r->ngone < r->nkept) {
		for (size_t i = 0; i < r->ngone; i++)
			json_object_del(r->attrs, r->gone[i]);
		r->s->raw_attributes = json_incref(r->attrs);
		return;
	}
	/* key is a member's of attrs: UTF-8 already, no check again. */
	for (size_t i = 0; i < r->nkept; i++)
		json_object_set_nocheck(cat_object(&r->s->raw_attributes), r->kept[i].key,
					r->kept[i].v);
}

/* With take, attrs is the caller's object, referenced once, and cat_apply's to keep or
 * release: when raw_attributes would be a copy of it less what the rows consumed (s holds no
 * raw_attributes yet and attrs was not spread), cat_keep makes it raw_attributes or copies
 * what it kept, after every read of the winners and of attrs. */
static void cat_apply(struct arena *a, struct span *s, json_t *attrs, bool children, bool take)
{
	/* Not an initializer: the hits (1 KiB) are written before they are read, and zeroing
	 * them was about 170 instructions a span. */
	struct cat_run r;
	r.a = a, r.s = s, r.attrs = r.look = attrs, r.spread = NULL;
	r.children = children, r.held = false;
	memset(r.winner, 0, sizeof r.winner);
	memset(r.sum, 0, sizeof r.sum);
	memset(r.seen, 0, sizeof r.seen);
	r.gone = NULL, r.kept = NULL, r.ngone = r.nkept = 0;
	json_t *taken = take ? attrs : NULL;
	/* Costs the span held before (a direct span's own fields) are not the attributes'. */
	bool parts_before =
	    !isnan(s->cost_input_usd) || !isnan(s->cost_output_usd) || !isnan(s->cost_total_usd);

	cat_index();
	cat_rows(&r);
	if (taken && r.attrs == taken && !s->raw_attributes) {
		r.gone = arena_alloc(a, (json_object_size(taken) + 1) * sizeof *r.gone);
		r.kept = arena_alloc(a, (json_object_size(taken) + 1) * sizeof *r.kept);
	}
	cat_rest(&r);
	cat_sum_costs(s, r.winner, r.sum, r.seen, parts_before);
	/* An AI SDK span's provider is its provider id: read as the SDK's integration names it,
	 * the id kept in raw_attributes. Traceloop's rewrite of an AI SDK span (it keeps
	 * ai.operationId) drops ai.model.provider and leaves the id in gen_ai.system. The id's
	 * value is held: cat_keep may release its member. */
	size_t idk = r.ids[CAT_ID_PROVIDER]    ? CAT_ID_PROVIDER
		     : r.ids[CAT_ID_OPERATION] ? CAT_ID_SYSTEM
					       : CAT_NIDS;
	const char *idkey = idk < CAT_NIDS ? cat_id_keys[idk] : NULL;
	json_t *idv = idkey ? json_incref(r.ids[idk]) : NULL;
	const char *id = json_string_value(idv);
	if (r.gone)
		cat_keep(&r);
	if (id && s->str[SS_PROVIDER] && !strcmp(s->str[SS_PROVIDER], id) &&
	    strcmp(cat_ai_sdk_provider(id), id)) {
		s->str[SS_PROVIDER] = cat_ai_sdk_provider(id);
		json_object_set_new(cat_object(&s->raw_attributes), idkey, json_string(id));
	}
	json_decref(idv);
	if (r.held)
		json_object_set_new(cat_object(&s->raw_attributes), CATALOG_USAGE_KEY,
				    json_string("children"));
	json_decref(r.spread);
	json_decref(taken);
}

/* Applies the catalog of reference section 5 to attrs (span.h). */
void catalog_apply(struct arena *a, struct span *s, json_t *attrs)
{
	if (json_is_object(attrs))
		cat_apply(a, s, attrs, false, false);
}

#define CAT_TOOL_PREFIX "execute_tool " /* the GenAI tool span name: execute_tool {tool.name} */

static void cat_apply_span(struct arena *a, struct span *s, json_t *attrs, const char *name,
			   bool children, bool take)
{
	if (!json_is_object(attrs)) {
		if (take)
			json_decref(attrs);
		return;
	}
	cat_apply(a, s, attrs, children, take);
	if (s->kind == KIND_TOOL && !s->str[SS_TOOL_NAME] && name && *name) {
		if (!strncmp(name, CAT_TOOL_PREFIX, strlen(CAT_TOOL_PREFIX)) &&
		    name[strlen(CAT_TOOL_PREFIX)])
			name += strlen(CAT_TOOL_PREFIX);
		s->str[SS_TOOL_NAME] = arena_strdup(a, name);
	}
}

/* The catalog for one OTLP span (catalog.h). */
void catalog_apply_span(struct arena *a, struct span *s, json_t *attrs, const char *name,
			bool children)
{
	cat_apply_span(a, s, attrs, name, children, false);
}

void catalog_take_span(struct arena *a, struct span *s, json_t *attrs, const char *name,
		       bool children)
{
	cat_apply_span(a, s, attrs, name, children, true);
}
