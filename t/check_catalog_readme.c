/* t/check_catalog, docs/attributes.md: the block generated from the conventions
 * table, which docs/attributes.md must hold as it is. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include "lib/model/catalog.h"
#include "lib/model/span.h"
#include "lib/base/buf.h"
#include "t/check_catalog.h"
#include "t/readme.h"

/* ---- docs/attributes.md, generated from the table ----
 * The block between README_BEGIN and README_END is made by readme_mapping() below; the test
 * compares it with docs/attributes.md, and SPANDEX_GOLDEN_UPDATE=1 ./t/check_catalog writes it
 * there. */
#define README_BEGIN                                                                               \
	"<!-- conventions: generated from lib/model/catalog_rows.c by t/check_catalog -->\n"
#define README_END "<!-- end of the generated conventions -->\n"

static void md_key(struct buf *b, const char *k)
{
	buf_printf(b, "`%s`", k);
}

static void md_keys(struct buf *b, const char *const *keys)
{
	for (size_t j = 0; keys[j]; j++) {
		if (j)
			buf_adds(b, " → ");
		md_key(b, keys[j]);
	}
}

/* One field row's sources: "on KIND spans" for a kind's row, the keys, the row's note. */
static void md_row(struct buf *b, const struct catalog_row *r)
{
	if (r->sub)
		buf_printf(b, "`%s`: ", r->sub);
	if (r->kind)
		buf_printf(b, "on %s spans ", r->kind);
	md_keys(b, r->keys);
	if (r->note)
		buf_printf(b, " (%s)", r->note);
}

/* The sources of one catalog_field, in order; NULL last for the field's fixed end. */
static void md_sources(struct buf *b, enum catalog_field f)
{
	size_t n;
	const struct catalog_source *r = catalog_sources(&n);
	bool first = true, same = false;

	for (size_t i = 0; i < n; i++) {
		if (r[i].field != f)
			continue;
		if (r[i].how == CATALOG_EVENT && i && r[i - 1].field == f &&
		    r[i - 1].how == CATALOG_EVENT)
			continue;
		if (!first)
			buf_adds(b, r[i].how == CATALOG_RAW || f == CATALOG_DROPPED ? ", " : " → ");
		first = false;
		same = same || r[i].drop == CATALOG_DROP_SAME;
		if (r[i].kind >= 0)
			buf_printf(b, "on %s spans, ", span_kind_names[r[i].kind]);
		switch (r[i].how) {
		case CATALOG_OI_LIST:
			buf_printf(b, "the messages rebuilt from `%s<i>.message.*`", r[i].key);
			break;
		case CATALOG_FLAT_LIST:
			buf_printf(b, "the messages rebuilt from `%s<i>.*`", r[i].key);
			break;
		case CATALOG_TEXT_LIST:
			buf_printf(b, "the list of the `%s<i>.embedding.text`", r[i].key);
			break;
		case CATALOG_DOC_LIST:
			buf_printf(b, "the documents rebuilt from `%s<i>.document.*`", r[i].key);
			break;
		case CATALOG_MESSAGES:
			buf_printf(
			    b,
			    "`%s` (with `gen_ai.system_instructions` put in front as a "
			    "`system` message; the instructions alone when no messages came)",
			    r[i].key);
			break;
		case CATALOG_EVENT:
			buf_adds(b, "the ");
			for (size_t j = i; j < n && r[j].field == f && r[j].how == CATALOG_EVENT;
			     j++)
				buf_printf(b, "%s`%s`", j > i ? ", " : "", r[j].key);
			buf_adds(b, " events, as `{\"messages\": [...]}`");
			break;
		case CATALOG_NONEMPTY:
			buf_printf(b, "`%s` (unless empty)", r[i].key);
			break;
		case CATALOG_STATUS_TEXT:
			buf_adds(b, "the OTLP status message");
			break;
		case CATALOG_PREFIX:
			buf_printf(b, "`%s*`", r[i].key);
			break;
		default:
			md_key(b, r[i].key);
			if (f == CATALOG_FIRST_CHUNK)
				buf_adds(b, !strcmp(r[i].value, CATALOG_UNIT_MS)  ? " (ms)"
					    : !strcmp(r[i].value, CATALOG_UNIT_S) ? " (s)"
										  : " (its time)");
			break;
		}
		if (r[i].when && r[i].when_value)
			buf_printf(b, " when `%s` is `%s`", r[i].when, r[i].when_value);
		else if (r[i].when)
			buf_printf(b, " on spans with `%s`", r[i].when);
	}
	if (f == CATALOG_SESSION) {
		buf_adds(b, " → `session-` + a stable hash of workspace and trace id. ");
		first = true;
		for (size_t i = 0; i < n; i++)
			if (r[i].field == f && r[i].drop == CATALOG_DROP_SAME) {
				buf_adds(b, first ? "" : ", ");
				md_key(b, r[i].key);
				first = false;
			}
		if (same)
			buf_adds(b, " leave `raw_attributes` only when they equal the session");
	}
}

/* The status sources: the status attributes (the first present; every key takes the same
 * values, which the rendering says once), the level, the OTLP code. */
static void md_status(struct buf *b)
{
	size_t n, nkeys = 0, nattr = 0;
	const struct catalog_source *r = catalog_sources(&n);
	const char *keys[8];
	int step = 0;

	for (size_t i = 0; i < n; i++)
		if (r[i].field == CATALOG_STATUS && r[i].how == CATALOG_STATUS_ATTR) {
			bool seen = false;
			for (size_t k = 0; k < nkeys; k++)
				seen = seen || !strcmp(keys[k], r[i].key);
			if (!seen)
				keys[nkeys++] = r[i].key;
			nattr++;
		}
	buf_printf(b, "%d. the first present of ", ++step);
	for (size_t k = 0; k < nkeys; k++)
		buf_printf(b, "%s`%s`", k ? " and " : "", keys[k]);
	buf_adds(b, ", in any case:");
	for (int st = 0, groups = 0; st < SPST__COUNT; st++) {
		bool any = false;
		for (size_t i = 0; i < n; i++) {
			if (r[i].field != CATALOG_STATUS || r[i].how != CATALOG_STATUS_ATTR ||
			    (int)r[i].status != st || strcmp(r[i].key, keys[0]))
				continue;
			/* Each other key takes this value too. */
			for (size_t k = 1; k < nkeys; k++) {
				bool has = false;
				for (size_t j = 0; j < n; j++)
					has = has || (r[j].how == CATALOG_STATUS_ATTR &&
						      !strcmp(r[j].key, keys[k]) &&
						      !strcmp(r[j].value, r[i].value) &&
						      r[j].status == r[i].status);
				ck_assert_msg(has, "%s lacks %s", keys[k], r[i].value);
			}
			buf_printf(b, "%s `%s`", any ? "," : groups ? ";" : "", r[i].value);
			any = true;
		}
		if (any)
			buf_printf(b, " → %s", span_status_names[st]);
		groups += any;
	}
	buf_adds(b, ".");
	for (size_t i = 0; i < n; i++) {
		if (r[i].field != CATALOG_STATUS)
			continue;
		if (r[i].how == CATALOG_LEVEL)
			buf_printf(b, " %d. `%s` `%s` → %s.", ++step, r[i].key, r[i].value,
				   span_status_names[r[i].status]);
		else if (r[i].how == CATALOG_STATUS_EVENT)
			buf_printf(b,
				   " %d. an `%s` event on a span with `%s` → %s, whatever its OTLP "
				   "status (a failed LangSmith run).",
				   ++step, r[i].key, r[i].when, span_status_names[r[i].status]);
		else if (r[i].how == CATALOG_STATUS_CODE)
			buf_printf(
			    b,
			    " %d. the OTLP status code ERROR → %s; UNSET and OK → success, "
			    "whatever `error.type` or an `exception` event say (they still fill "
			    "`error_type` and `error_message`)",
			    ++step, span_status_names[r[i].status]);
	}
	ck_assert_uint_eq(nattr % nkeys, 0);
}

static const char *const usage_names[] = {"own", "its children's",
					  "its children's, unless the span is a CLIENT span"};

/* The kind table: one line per key, kind, whose usage and convention, its values listed. */
static void md_kinds(struct buf *b)
{
	size_t n;
	const struct catalog_kind_row *r = catalog_kind_rows(&n);

	buf_adds(b, "| attribute | values (any case) | kind | usage counted | convention |\n"
		    "|---|---|---|---|---|\n");
	for (size_t i = 0; i < n;) {
		size_t j = i;
		buf_printf(b, "| `%s` | ", r[i].key);
		for (; j < n && !strcmp(r[j].key, r[i].key) && r[j].kind == r[i].kind &&
		       r[j].usage == r[i].usage && !strcmp(r[j].note, r[i].note);
		     j++)
			if (r[j].value)
				buf_printf(b, "%s`%s`", j > i ? ", " : "", r[j].value);
			else
				buf_adds(b, "any");
		buf_printf(b, " | %s | %s | %s |\n", span_kind_names[r[i].kind],
			   usage_names[r[i].usage], r[i].note);
		i = j;
	}
}

/* The whole generated block (README_BEGIN and README_END included). */
static void readme_mapping(struct buf *b)
{
	size_t n, no;
	const struct catalog_row *r = catalog_rows(&n);
	const struct catalog_object *o = catalog_objects(&no);

	buf_adds(b, README_BEGIN);
	buf_adds(b, "| Span field | sources, in precedence order |\n|---|---|\n");
	buf_adds(b, "| `session_id` | ");
	md_sources(b, CATALOG_SESSION);
	buf_adds(b, " |\n| `kind` | the first row of the kind table below that matches → any "
		    "`gen_ai.evaluation.*` attribute → EVALUATOR → UNKNOWN |\n| `status` | ");
	md_status(b);
	buf_adds(b, " |\n");
	for (size_t i = 0; i < n;) {
		size_t j = i;
		buf_printf(b, "| `%s` | ", r[i].name);
		for (; j < n && !strcmp(r[j].name, r[i].name); j++) {
			if (j > i)
				buf_adds(b, r[j].sub ? "; " : " → ");
			md_row(b, &r[j]);
		}
		if (!strcmp(r[i].name, "error_message")) {
			buf_adds(b, " → ");
			md_sources(b, CATALOG_ERROR_MESSAGE);
		}
		for (size_t k = 0; k < no; k++)
			if (o[k].note && o[k].rest == CATALOG_REST_USAGE &&
			    !strcmp(r[i].name, "usage_details"))
				buf_printf(b, "; %s", o[k].note);
		buf_adds(b, " |\n");
		i = j;
	}
	buf_adds(b, "| `cost_details` | every other numeric `llm.cost.<x>`, named `x`");
	for (size_t k = 0; k < no; k++)
		if (o[k].note && o[k].rest == CATALOG_REST_COST)
			buf_printf(b, "; %s", o[k].note);
	buf_adds(b, " |\n| `input` | ");
	md_sources(b, CATALOG_INPUT);
	buf_adds(b, " |\n| `output` | ");
	md_sources(b, CATALOG_OUTPUT);
	buf_adds(b, " |\n");
	for (size_t f = CATALOG_USER; f < CATALOG__FIELDS; f++) {
		size_t paren = strcspn(catalog_field_names[f], "(");
		buf_printf(b, "| %.*s(no Span field: kept in `raw_attributes`%s) | ", (int)paren,
			   catalog_field_names[f],
			   f == CATALOG_FIRST_CHUNK ? "; Opik's `ttft`, in the unit named" : "");
		md_sources(b, (enum catalog_field)f);
		buf_adds(b, " |\n");
	}
	buf_adds(b, "| dropped, as the NeMo service drops them | ");
	{
		size_t ns;
		const struct catalog_source *src = catalog_sources(&ns);
		bool first = true;
		for (size_t i = 0; i < ns; i++)
			if (src[i].drop == CATALOG_DROP && src[i].key &&
			    !(i && src[i - 1].key && !strcmp(src[i - 1].key, src[i].key))) {
				buf_printf(b, "%s`%s%s`", first ? "" : ", ", src[i].key,
					   src[i].how == CATALOG_OI_LIST ||
						   src[i].how == CATALOG_PREFIX
					       ? "*"
					       : "");
				first = false;
			}
	}
	buf_adds(b, " |\n");
	for (size_t k = 0; k < no; k++)
		if (o[k].parts)
			buf_printf(
			    b,
			    "\n`%s{input}` and `%s{output}` are read as the member plus every "
			    "other member whose name contains `input` (`output`): that object's "
			    "members are parts, counted apart, as Langfuse counts usage types "
			    "(its OpenAI wrapper sends `input` less the cached tokens, and those "
			    "as "
			    "`input_cached_tokens`).\n",
			    o[k].key, o[k].key);
	buf_adds(b, "\nThe kind table, in precedence order (`lib/model/catalog_kind.c`, "
		    "`cat_kinds`):\n\n");
	md_kinds(b);
	buf_adds(b, README_END);
}

/* docs/attributes.md's block is the generated one; SPANDEX_GOLDEN_UPDATE=1 writes it there. */

START_TEST(readme_generated)
{
	struct buf want;

	buf_init(&want);
	readme_mapping(&want);
	readme_block_check(README_BEGIN, README_END, &want);
	buf_free(&want);
}
END_TEST

void readme_tcase_add(TCase *tc)
{
	tcase_add_test(tc, readme_generated);
}
