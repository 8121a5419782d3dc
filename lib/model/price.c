/* price: parsing the price table, matching models, computing costs. */
#include "lib/model/price.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/base/stamp.h"
#include "lib/model/catalog.h"

/* The parsed table and the identity of the file it came from. */
static struct {
	struct stamp stamp;
	struct prices p;
} cache;

/* prices_find's last answers, for the table prices_load keeps (cache.p): a batch names a few
 * models, and the scan of every row for each span with a model (strlen and strncasecmp a row)
 * was about 1,550 instructions a span (callgrind, a batch of 1,000 Opik spans of 3 models:
 * 0.72M). PRICE_MEMO_N models, the oldest replaced; a model name longer than a slot's is
 * looked up each time. */
#define PRICE_MEMO_N 8
#define PRICE_MEMO_MODEL 128
static struct {
	const struct prices *p; /* &cache.p while the slots hold answers, else NULL */
	size_t n, next;		/* slots filled; the one to replace */
	struct {
		char model[PRICE_MEMO_MODEL];
		const struct price_row *row; /* NULL: no row for model */
	} slot[PRICE_MEMO_N];
} memo;

static void prices_clear(struct prices *p)
{
	memo.p = NULL;
	for (size_t i = 0; i < p->n; i++)
		free(p->rows[i].model);
	free(p->rows);
	memset(p, 0, sizeof *p);
}

#define PRICE_MIN_FIELDS 4 /* model, input, output, cached */
#define PRICE_MAX_FIELDS 6 /* ... then cache write and reasoning, optional */

/* A price: a non-negative decimal number; "-" (the optional ones only) for none. */
static bool parse_price(const char *s, bool dash_ok, double *out)
{
	char *end;

	if (dash_ok && !strcmp(s, "-")) {
		*out = -1;
		return true;
	}
	errno = 0;
	*out = strtod(s, &end);
	return *s && !*end && !errno && isfinite(*out) && *out >= 0;
}

static enum status parse(FILE *f, const char *path, struct prices *p, struct err *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned no = 0;
	enum status st = ST_OK;

	memset(p, 0, sizeof *p);
	while (st == ST_OK && (len = getline(&line, &cap, f)) >= 0) {
		char *field[PRICE_MAX_FIELDS + 1];
		size_t nf = 0;

		no++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!strncmp(line, "# taken:", 8)) {
			const char *d = line + 8 + strspn(line + 8, " \t");
			snprintf(p->taken, sizeof p->taken, "%.*s", (int)strcspn(d, " \t,;"), d);
			continue;
		}
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		for (char *s = line; s && nf <= PRICE_MAX_FIELDS;) {
			field[nf++] = s;
			if ((s = strchr(s, '\t')))
				*s++ = '\0';
		}
		if (p->n == PRICE_MAX_MODELS)
			st = err_set(e, ST_INVALID, "%s: more than %d models", path,
				     PRICE_MAX_MODELS);
		else if (nf < PRICE_MIN_FIELDS || nf > PRICE_MAX_FIELDS || !*field[0])
			st = err_set(e, ST_INVALID,
				     "%s:%u: want model, input, output and cached (then "
				     "optionally cache write and reasoning), separated by "
				     "tabs",
				     path, no);
		else {
			struct price_row r = {.cache_write = -1, .reasoning = -1};
			if (!parse_price(field[1], false, &r.in) ||
			    !parse_price(field[2], false, &r.out) ||
			    !parse_price(field[3], true, &r.cached) ||
			    (nf > 4 && !parse_price(field[4], true, &r.cache_write)) ||
			    (nf > 5 && !parse_price(field[5], true, &r.reasoning))) {
				st = err_set(e, ST_INVALID,
					     "%s:%u: a price is a number of USD per "
					     "million tokens",
					     path, no);
			} else {
				r.model = xstrdup(field[0]);
				p->rows = xrealloc(p->rows, (p->n + 1) * sizeof *p->rows);
				p->rows[p->n++] = r;
			}
		}
	}
	free(line);
	if (st == ST_OK && !p->taken[0])
		st = err_set(e, ST_INVALID,
			     "%s: no \"# taken: YYYY-MM-DD\" line: say when the prices "
			     "were taken",
			     path);
	if (st != ST_OK)
		prices_clear(p);
	return st;
}

const struct prices *prices_load(const char *setting, struct err *e)
{
	const char *path = setting;
	struct stat sb;

	if (!setting) {
		/* The default table: not having one is no error, it is not installed. */
		path = !access(PRICES_INSTALLED, R_OK) ? PRICES_INSTALLED
		       : !access(PRICES_SOURCE, R_OK)  ? PRICES_SOURCE
						       : NULL;
		if (!path)
			return NULL;
	}
	if (!*path || !strcmp(path, PRICES_OFF))
		return NULL;
	FILE *f = stamp_open(path, "price table", &sb, e);
	if (!f)
		return NULL;
	if (!stamp_same(&cache.stamp, path, &sb)) {
		struct prices p;
		if (parse(f, path, &p, e) != ST_OK) {
			fclose(f);
			return NULL;
		}
		prices_clear(&cache.p);
		cache.p = p;
		stamp_set(&cache.stamp, path, &sb);
	}
	fclose(f);
	return &cache.p;
}

/* The longest row that is model itself, or a prefix of it ending where a version suffix
 * starts ('-', ':', '@'). */
static const struct price_row *longest(const struct prices *p, const char *model)
{
	const struct price_row *best = NULL;
	size_t best_len = 0, mlen = strlen(model);

	for (size_t i = 0; i < p->n; i++) {
		size_t n = strlen(p->rows[i].model);
		if (n <= best_len || n > mlen || strncasecmp(model, p->rows[i].model, n))
			continue;
		char next = model[n];
		if (next == '\0' || next == '-' || next == ':' || next == '@') {
			best = &p->rows[i];
			best_len = n;
		}
	}
	return best;
}

/* prices_find without its memo. */
static const struct price_row *find(const struct prices *p, const char *model)
{
	const struct price_row *r;

	if ((r = longest(p, model)))
		return r;
	/* "openai/gpt-4o"; Bedrock's "anthropic.claude-3-5-sonnet-20240620-v1:0" and its
	 * cross-region inference profiles, "us.anthropic.claude-3-7-sonnet-20250219-v1:0": the
	 * name after the last slash, else after each dot in turn. */
	const char *slash = strrchr(model, '/');
	if (slash && (r = longest(p, slash + 1)))
		return r;
	for (const char *dot = strchr(model, '.'); dot; dot = strchr(dot + 1, '.'))
		if ((r = longest(p, dot + 1)))
			return r;
	return NULL;
}

const struct price_row *prices_find(const struct prices *p, const char *model)
{
	if (!p || !model || !*model)
		return NULL;
	size_t n = strlen(model);
	if (n >= PRICE_MEMO_MODEL)
		return find(p, model);
	for (size_t i = 0; memo.p == p && i < memo.n; i++)
		if (!memcmp(memo.slot[i].model, model, n + 1))
			return memo.slot[i].row;
	const struct price_row *r = find(p, model);
	if (p == &cache.p) {
		if (memo.p != p)
			memo.n = memo.next = 0;
		memo.p = p;
		memcpy(memo.slot[memo.next].model, model, n + 1);
		memo.slot[memo.next].row = r;
		memo.next = (memo.next + 1) % PRICE_MEMO_N;
		if (memo.n < PRICE_MEMO_N)
			memo.n++;
	}
	return r;
}

static bool has(double v)
{
	return !isnan(v);
}

/* A count that is part of whole: n (absent is 0), at most whole. */
static int64_t part(int64_t n, int64_t whole)
{
	if (n == SPAN_NONE_I64 || n < 0)
		return 0;
	return n > whole ? whole : n;
}

/* usage_details[key] as a count, SPAN_NONE_I64 when absent. */
static int64_t detail(const struct span *s, const char *key)
{
	int64_t n;
	return s->usage_details && catalog_count(json_object_get(s->usage_details, key), &n)
		   ? n
		   : SPAN_NONE_I64;
}

bool prices_apply(const struct prices *p, struct span *s, bool recompute)
{
	const struct price_row *r;
	json_t *mark =
	    s->raw_attributes ? json_object_get(s->raw_attributes, PRICE_COMPUTED_KEY) : NULL;
	bool computed = json_is_string(mark) && !strcmp(json_string_value(mark), "computed");
	bool in = s->input_tokens != SPAN_NONE_I64, out = s->output_tokens != SPAN_NONE_I64;

	if (!p || (!in && !out) || !(r = prices_find(p, s->str[SS_MODEL])))
		return false;
	if (computed ? !recompute
		     : has(s->cost_total_usd) || has(s->cost_input_usd) || has(s->cost_output_usd))
		return false;
	s->cost_input_usd = s->cost_output_usd = NAN;
	double total = 0;
	if (in) {
		/* Cache reads and writes are parts of input_tokens, each at its own price. */
		int64_t cached = part(s->cached_tokens, s->input_tokens);
		int64_t written =
		    part(detail(s, "prompt_details.cache_write"), s->input_tokens - cached);
		double cp = r->cached >= 0 ? r->cached : r->in;
		double wp = r->cache_write >= 0 ? r->cache_write : r->in;
		s->cost_input_usd =
		    catalog_round_cost(((double)(s->input_tokens - cached - written) * r->in +
					(double)cached * cp + (double)written * wp) /
				       1e6);
		total += s->cost_input_usd;
	}
	if (out) {
		/* Reasoning tokens are a part of output_tokens. */
		int64_t reasoning =
		    part(detail(s, "completion_details.reasoning"), s->output_tokens);
		double rp = r->reasoning >= 0 ? r->reasoning : r->out;
		s->cost_output_usd = catalog_round_cost(
		    ((double)(s->output_tokens - reasoning) * r->out + (double)reasoning * rp) /
		    1e6);
		total += s->cost_output_usd;
	}
	s->cost_total_usd = catalog_round_cost(total);
	if (!s->raw_attributes)
		s->raw_attributes = json_object();
	json_object_set_new(s->raw_attributes, PRICE_COMPUTED_KEY, json_string("computed"));
	json_object_set_new(s->raw_attributes, PRICE_TABLE_KEY, json_string(p->taken));
	return true;
}

static bool same_cost(double a, double b)
{
	return has(a) ? has(b) && a == b : !has(b);
}

static const char *table_of(const struct span *s)
{
	json_t *t = s->raw_attributes ? json_object_get(s->raw_attributes, PRICE_TABLE_KEY) : NULL;
	return json_is_string(t) ? json_string_value(t) : "";
}

bool prices_same(const struct span *a, const struct span *b)
{
	return same_cost(a->cost_input_usd, b->cost_input_usd) &&
	       same_cost(a->cost_output_usd, b->cost_output_usd) &&
	       same_cost(a->cost_total_usd, b->cost_total_usd) && !strcmp(table_of(a), table_of(b));
}
