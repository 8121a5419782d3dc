/* params: query parameter tables (kcgi style), checked with pydantic's messages. */
#include "lib/http/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool key_declared(const char *key, const struct http_pspec *specs, size_t n,
			 const char *const *prefixes)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(key, specs[i].name))
			return true;
	for (size_t i = 0; prefixes && prefixes[i]; i++)
		if (!strncmp(key, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 400 naming every undeclared key once, sorted; false when there is none. */
static bool refuse_unknown(struct http_req *req, const struct http_pspec *specs, size_t n,
			   const char *const *prefixes)
{
	const char *unknown[HTTP_MAX_PARAMS];
	size_t nu = 0;
	struct buf msg;

	for (size_t i = 0; i < req->nparams; i++)
		if (!key_declared(req->params[i].key, specs, n, prefixes))
			unknown[nu++] = req->params[i].key;
	if (nu == 0)
		return false;
	qsort(unknown, nu, sizeof *unknown, cmp_str);
	buf_init(&msg);
	buf_adds(&msg, "Unsupported query parameter(s): ");
	for (size_t i = 0; i < nu; i++)
		if (i == 0 || strcmp(unknown[i], unknown[i - 1]))
			buf_printf(&msg, "%s%s", i ? ", " : "", unknown[i]);
	http_fail(req, ST_BAD_REQUEST, "%s", msg.p);
	buf_free(&msg);
	return true;
}

/* pydantic's messages and ctx for an int query parameter with ge/le bounds. */
bool http_text_int(const char *s, bool lax, long long *out, int *range)
{
	char *end;
	const char *p = lax ? s + strspn(s, " \t\n\r") : s;
	errno = 0;
	*out = strtoll(p, &end, 10);
	*range = errno == ERANGE ? (*out < 0 ? -1 : 1) : 0;
	if (lax && end != p && *end == '.' && end[1] == '0')
		end += 1 + strspn(end + 1, "0");
	if (lax)
		end += strspn(end, " \t\n\r");
	/* strtoll skips leading blanks, which only the lax reading takes */
	return end != p && !*end && (lax || (*p != ' ' && (*p < '\t' || *p > '\r')));
}

bool http_text_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "1", "yes", "on", "t", "y", NULL};
	static const char *const no[] = {"false", "0", "no", "off", "f", "n", NULL};
	for (size_t i = 0; yes[i]; i++)
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			return true;
		}
	return false;
}

static void check_int(const struct http_pspec *sp, const char *s, bool lax, long long *out,
		      struct verrs *v)
{
	long long x;
	int range;
	bool low, high;

	if (!http_text_int(s, lax, &x, &range)) {
		verrs_add(v, json_pack("[s,s]", "query", sp->name), "int_parsing",
			  "Input should be a valid integer, unable to parse string as an integer",
			  json_string(s));
		return;
	}
	low = x < sp->min || range < 0;
	high = x > sp->max || range > 0;
	if (low || high) {
		long long bound = low ? sp->min : sp->max;
		char msg[96];

		snprintf(msg, sizeof msg, "Input should be %s than or equal to %lld",
			 low ? "greater" : "less", bound);
		verrs_add_ctx(v, json_pack("[s,s]", "query", sp->name),
			      low ? "greater_than_equal" : "less_than_equal", msg, json_string(s),
			      json_pack("{s:I}", low ? "ge" : "le", (json_int_t)bound));
		return;
	}
	*out = x;
}

/* Whether s is choice c: equal, or for a choice ending in '*' (an extension's family, such as
 * spandex's "evaluator_scores.*" sorts; no other choice holds a '*') its prefix followed by at
 * least one byte. */
static bool enum_is(const char *c, const char *s)
{
	size_t n = strlen(c);
	if (n && c[n - 1] == '*')
		return !strncmp(s, c, n - 1) && s[n - 1];
	return !strcmp(s, c);
}

/* pydantic's enum error: "Input should be 'a', 'b' or 'c'", of the plain choices only: a
 * family ending in '*' is an extension the API it imitates does not have. */
static void check_enum(const struct http_pspec *sp, const char *s, struct verrs *v)
{
	struct buf expected, msg;
	size_t n = 0, k = 0;

	for (size_t i = 0; sp->choices[i]; i++) {
		if (enum_is(sp->choices[i], s))
			return;
		n += !strchr(sp->choices[i], '*');
	}
	buf_init(&expected);
	for (size_t i = 0; sp->choices[i]; i++) {
		if (strchr(sp->choices[i], '*'))
			continue;
		buf_printf(&expected, "%s'%s'",
			   k == 0	? ""
			   : k + 1 == n ? " or "
					: ", ",
			   sp->choices[i]);
		k++;
	}
	buf_init(&msg);
	buf_printf(&msg, "Input should be %s", expected.p);
	verrs_add_ctx(v, json_pack("[s,s]", "query", sp->name),
		      sp->type == PT_LITERAL ? "literal_error" : "enum", msg.p, json_string(s),
		      json_pack("{s:s}", "expected", expected.p));
	buf_free(&expected);
	buf_free(&msg);
}

/* pydantic's lax bool: the words it takes for true and false, case-insensitive. */
static void check_bool(const struct http_pspec *sp, const char *s, long long *out, struct verrs *v)
{
	bool b;
	if (http_text_bool(s, &b)) {
		*out = b;
		return;
	}
	verrs_add(v, json_pack("[s,s]", "query", sp->name), "bool_parsing",
		  "Input should be a valid boolean, unable to interpret input", json_string(s));
}

enum status http_params(struct http_req *req, const struct http_route *r, struct http_pval *out)
{
	const struct http_pspec *specs = r->params;
	size_t n = r->nparams;
	struct verrs v;

	verrs_init(&v);
	for (size_t i = 0; i < n; i++) {
		const struct http_pspec *sp = &specs[i];
		const char *s = http_param(req, sp->name);

		out[i] = (struct http_pval){.s = s, .present = s != NULL};
		if (!s && sp->required) {
			verrs_add(&v, json_pack("[s,s]", "query", sp->name), "missing",
				  "Field required", json_null());
			continue;
		}
		/* A default goes through the same checks, so a wrong table shows at once. */
		if (!s)
			s = out[i].s = sp->def;
		if (!s)
			continue;
		if (sp->type == PT_INT)
			check_int(sp, s, !http_req_dialect(req)->strict_ints, &out[i].i, &v);
		else if (sp->type == PT_ENUM || sp->type == PT_LITERAL)
			check_enum(sp, s, &v);
		else if (sp->type == PT_BOOL)
			check_bool(sp, s, &out[i].i, &v);
	}
	if (verrs_count(&v))
		return http_fail_invalid(req, &v);
	verrs_free(&v);
	/* After the values, as NeMo's handlers check their parameters (validate_list_query_params)
	 * only once FastAPI has validated the declared ones: page_size=0&x=1 is the 422. */
	if (r->strict && refuse_unknown(req, specs, n, r->prefixes))
		return ST_BAD_REQUEST;
	return ST_OK;
}
