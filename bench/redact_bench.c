/* redact_bench: the matchers of the redaction rules (issue 52) compared in-process over the
 * spans of a template batch (node bench/ingest.mjs --make 1000: one span in ten with a find of
 * each kind) and the rules of a file (bench/redact20.rules: the six detectors and 14 patterns):
 * the built-in detectors as PCRE2 expressions against lib/redact's by hand; the patterns in
 * PCRE2 text by text, over a span's texts joined, in Hyperscan as the matcher, and behind
 * Hyperscan's prefilter (as lib/redact runs them); then redact_span whole, with and without
 * the prefilter, and what compiling the file costs. CPU time per span, the median of ROUNDS
 * alternated rounds. Usage: redact_bench TEMPLATE RULES [ROUNDS]. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/base/mem.h"
#include "lib/ingest/direct.h"
#include "lib/redact/internal.h"
#ifdef HAVE_HYPERSCAN
#include <hs.h>
#endif

#define KEY "bench-redaction-key-0123456789"
#define MAX_TEXTS 64 /* texts of one span looked at */

/* The built-in detectors as one would write them as expressions (their checks left out). */
static const char *const builtin[] = {
    "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}",
    "(?:\\+\\d{1,3}[ .-]?)?\\(?\\d{3}\\)?[ .-]\\d{3}[ .-]\\d{4}",
    "\\b(?:\\d[ -]?){12,18}\\d\\b",
    "\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\\b",
    "\\b(?:\\d{1,3}\\.){3}\\d{1,3}\\b|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]*:[0-9A-Fa-f]{0,4}",
    "sk-[A-Za-z0-9_-]{20,}|(?:AKIA|ASIA)[A-Z0-9]{16}|gh[pousr]_[A-Za-z0-9]{36}|"
    "github_pat_[A-Za-z0-9_]{20,}|eyJ[A-Za-z0-9_-]+\\.eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*|"
    "Bearer\\s+[A-Za-z0-9._~+/=-]{8,}",
};
#define NBUILTIN (sizeof builtin / sizeof *builtin)

/* A span's texts, alone and joined by NULs. */
struct texts {
	const char *s[MAX_TEXTS];
	size_t len[MAX_TEXTS], n;
	char *joined;
	size_t jlen;
};

static json_t *batch; /* the template's document, which the spans' strings point into */
static struct span *spans;
static size_t nspans;
static struct texts *tx;
static pcre2_code *pat[REDACT_MAX_RULES], *det[NBUILTIN];
static size_t npat;
static pcre2_match_data *md;
static long found;

static double cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void add_text(struct texts *t, const char *s)
{
	if (s && t->n < MAX_TEXTS) {
		t->s[t->n] = s;
		t->len[t->n++] = strlen(s);
	}
}

static void load(const char *path, struct arena *a)
{
	json_error_t je;
	struct verrs v;
	verrs_init(&v);
	if (!(batch = json_load_file(path, 0, &je)) ||
	    !(nspans = direct_parse(a, "bench", batch, &spans, &v))) {
		fprintf(stderr, "redact_bench: %s is no batch of spans\n", path);
		exit(2);
	}
	verrs_free(&v);
	tx = xcalloc(nspans, sizeof *tx);
	for (size_t i = 0; i < nspans; i++) {
		struct texts *t = &tx[i];
		const char *k;
		json_t *x;
		add_text(t, spans[i].input);
		add_text(t, spans[i].output);
		add_text(t, spans[i].name);
		json_object_foreach(spans[i].raw_attributes, k, x) if (json_is_string(x))
		    add_text(t, json_string_value(x));
		for (size_t j = 0; j < t->n; j++)
			t->jlen += t->len[j] + 1;
		t->joined = xmalloc(t->jlen);
		for (size_t j = 0, at = 0; j < t->n; j++) {
			memcpy(t->joined + at, t->s[j], t->len[j]);
			at += t->len[j];
			t->joined[at++] = '\0';
		}
	}
}

/* What load made: the spans' fields, their document, the texts. */
static void unload(void)
{
	for (size_t i = 0; i < nspans; i++) {
		span_clear(&spans[i]);
		free(tx[i].joined);
	}
	free(tx);
	json_decref(batch);
}

static pcre2_code *compile(const char *p, size_t len, bool caseless)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile(
	    (PCRE2_SPTR)p, len, PCRE2_UTF | (caseless ? PCRE2_CASELESS : 0), &err, &off, NULL);
	if (!c || pcre2_jit_compile(c, PCRE2_JIT_COMPLETE)) {
		fprintf(stderr, "redact_bench: /%.*s/ does not compile\n", (int)len, p);
		exit(2);
	}
	return c;
}

/* The patterns of the rules file, compiled again here for the engines compared. */
static void patterns(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[REDACT_MAX_LINE + 2];
	while (f && fgets(line, sizeof line, f)) {
		if (line[0] != '/' || npat == REDACT_MAX_RULES)
			continue;
		size_t j = 1;
		while (line[j] && line[j] != '/')
			j += line[j] == '\\' && line[j + 1] ? 2 : 1;
		pat[npat++] = compile(line + 1, j - 1, line[j + 1] == 'i');
	}
	if (f)
		fclose(f);
	for (size_t i = 0; i < NBUILTIN; i++)
		det[i] = compile(builtin[i], strlen(builtin[i]), false);
}

static void pscan(pcre2_code *c, const char *s, size_t n)
{
	for (size_t at = 0; at < n;) {
		if (pcre2_jit_match(c, (PCRE2_SPTR)s, n, at, PCRE2_NO_UTF_CHECK, md, NULL) < 0)
			return;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		found++;
		at = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
	}
}

static void on_hit(void *ctx, unsigned d, size_t from, size_t to)
{
	(void)ctx, (void)d, (void)from, (void)to;
	found++;
}

#ifdef HAVE_HYPERSCAN
static hs_database_t *hs_db;
static hs_scratch_t *hs_scr;

static int on_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned fl, void *c)
{
	(void)id, (void)from, (void)to, (void)fl, (void)c;
	found++;
	return 0;
}

/* Hyperscan as the matcher: every pattern, with its matches' starts (SOM_LEFTMOST). */
static double hs_matcher(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[REDACT_MAX_LINE + 2], *src[REDACT_MAX_RULES];
	unsigned flags[REDACT_MAX_RULES], ids[REDACT_MAX_RULES], n = 0;
	while (f && fgets(line, sizeof line, f) && n < REDACT_MAX_RULES) {
		if (line[0] != '/')
			continue;
		size_t j = 1;
		while (line[j] && line[j] != '/')
			j += line[j] == '\\' && line[j + 1] ? 2 : 1;
		flags[n] = HS_FLAG_UTF8 | HS_FLAG_SOM_LEFTMOST |
			   (line[j + 1] == 'i' ? HS_FLAG_CASELESS : 0);
		src[n] = strndup(line + 1, j - 1);
		ids[n] = n;
		n++;
	}
	if (f)
		fclose(f);
	hs_compile_error_t *err;
	double t0 = cpu();
	if (hs_compile_multi((const char *const *)src, flags, ids, n, HS_MODE_BLOCK, NULL, &hs_db,
			     &err) != HS_SUCCESS ||
	    hs_alloc_scratch(hs_db, &hs_scr) != HS_SUCCESS) {
		fprintf(stderr, "redact_bench: Hyperscan refuses the patterns as a matcher\n");
		exit(2);
	}
	for (unsigned i = 0; i < n; i++)
		free(src[i]);
	return cpu() - t0;
}
#endif

enum variant {
	V_DET_PCRE,
	V_DET_HAND,
	V_PAT_TEXTS,
	V_PAT_JOINED,
	V_PAT_HS,
	V_PAT_PRE,
	V_SPAN,
	V_SPAN_BARE,
	V_COPY,
	V__COUNT
};
static const char *const names[V__COUNT] = {
    "detectors as PCRE2 expressions, text by text",
    "detectors by hand (lib/redact), texts joined",
    "patterns in PCRE2, text by text",
    "patterns in PCRE2, texts joined",
    "patterns in Hyperscan as the matcher (SOM_LEFTMOST), texts joined",
    "patterns behind Hyperscan's prefilter, then PCRE2 (lib/redact)",
    "redact_span, every rule, as lib/redact runs (prefilter built)",
    "redact_span, every rule, without the prefilter",
    "(span_copy alone, taken off the two above)",
};

/* One pass of variant v over every span: its CPU seconds. */
static double pass(enum variant v, struct redact_rules *with, struct redact_rules *bare,
		   struct arena *a, struct span *copy)
{
	double t0 = cpu();
	for (size_t i = 0; i < nspans; i++) {
		const struct texts *t = &tx[i];
		uint64_t maybe[REDACT_WORDS];
		switch (v) {
		case V_DET_PCRE:
			for (size_t j = 0; j < t->n; j++)
				for (size_t d = 0; d < NBUILTIN; d++)
					pscan(det[d], t->s[j], t->len[j]);
			break;
		case V_DET_HAND:
			redact_detect(t->joined, t->jlen, (1u << RD__COUNT) - 1, on_hit, NULL);
			break;
		case V_PAT_TEXTS:
			for (size_t j = 0; j < t->n; j++)
				for (size_t p = 0; p < npat; p++)
					pscan(pat[p], t->s[j], t->len[j]);
			break;
		case V_PAT_JOINED:
			for (size_t p = 0; p < npat; p++)
				pscan(pat[p], t->joined, t->jlen);
			break;
		case V_PAT_HS:
#ifdef HAVE_HYPERSCAN
			hs_scan(hs_db, t->joined, (unsigned)t->jlen, 0, hs_scr, on_hs, NULL);
#endif
			break;
		case V_PAT_PRE:
			redact_matcher_maybe(with->m, t->joined, t->jlen, maybe);
			for (size_t p = 0; p < npat; p++)
				if (maybe[p / 64] >> (p % 64) & 1)
					redact_matcher_scan(with->m, p, t->joined, t->jlen, on_hit,
							    NULL);
			break;
		case V_SPAN:
		case V_SPAN_BARE:
		case V_COPY:
			span_copy(copy, &spans[i]);
			if (v != V_COPY)
				found += redact_span(v == V_SPAN ? with : bare, a, "bench", copy);
			span_clear(copy);
			break;
		default:
			break;
		}
	}
	arena_reset(a);
	return cpu() - t0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: redact_bench TEMPLATE RULES [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	struct arena *a = arena_new(), *held = arena_new(); /* held: the spans, never reset */
	struct redact_rules *with, *bare;
	struct err e = {0};
	size_t bytes = 0, texts = 0;
	load(argv[1], held);
	patterns(argv[2]);
	md = pcre2_match_data_create(1, NULL);
	double t0 = cpu();
	if (redact_compile(argv[2], KEY, &with, &e) || redact_compile(argv[2], KEY, &bare, &e)) {
		fprintf(stderr, "redact_bench: %s\n", e.msg);
		return 2;
	}
	double compile = (cpu() - t0) / 2;
	t0 = cpu();
	redact_matcher_seal(with->m);
	double seal = cpu() - t0, hs = 0;
	redact_matcher_unfiltered(bare->m);
#ifdef HAVE_HYPERSCAN
	hs = hs_matcher(argv[2]);
#endif
	for (size_t i = 0; i < nspans; i++)
		bytes += tx[i].jlen, texts += tx[i].n;
	double(*t)[V__COUNT] = xcalloc((size_t)rounds, sizeof *t);
	struct span copy;
	for (int r = 0; r < rounds; r++)
		for (int v = 0; v < V__COUNT; v++)
			t[r][v] =
			    pass((enum variant)v, with, bare, a, &copy) / (double)nspans * 1e6;
	printf("%zu spans of %s, %.0f bytes of text a span in %.1f texts; %zu rules of %s, %zu of "
	       "them patterns; CPU microseconds a span, the median of %d rounds\n\n",
	       nspans, argv[1], (double)bytes / (double)nspans, (double)texts / (double)nspans,
	       redact_count(with), argv[2], npat, rounds);
	printf("| what | us a span |\n|---|---|\n");
	double copy_us = 0;
	for (int v = V__COUNT; v-- > 0;) {
		double m[rounds];
		for (int r = 0; r < rounds; r++)
			m[r] = t[r][v];
		qsort(m, (size_t)rounds, sizeof *m, cmp_double);
		if (v == V_COPY)
			copy_us = m[rounds / 2];
		t[0][v] = m[rounds / 2] - (v == V_SPAN || v == V_SPAN_BARE ? copy_us : 0);
	}
	for (int v = 0; v < V__COUNT - 1; v++)
		if (v != V_PAT_HS || hs > 0)
			printf("| %s | %.2f |\n", names[v], t[0][v]);
	printf("\nCompiling the file: %.1f ms (PCRE2 and the rest); its prefilter %.1f ms; "
	       "Hyperscan as the matcher %.1f ms (CPU). Finds: %ld.\n",
	       compile * 1e3, seal * 1e3, hs * 1e3, found);
	redact_free(with);
	redact_free(bare);
	free(t);
	for (size_t i = 0; i < npat; i++)
		pcre2_code_free(pat[i]);
	for (size_t i = 0; i < NBUILTIN; i++)
		pcre2_code_free(det[i]);
	pcre2_match_data_free(md);
#ifdef HAVE_HYPERSCAN
	hs_free_scratch(hs_scr);
	hs_free_database(hs_db);
#endif
	unload();
	arena_free(a);
	arena_free(held);
	return 0;
}
