/* prefilter: which of the operator's patterns can match a span's texts at all, in one pass for
 * every pattern, so that PCRE2 runs only those (most texts hold none). Hyperscan in its
 * prefiltering mode, where a pattern matches a superset of what PCRE2's would: no find is ever
 * lost, and what is replaced is still PCRE2's match alone. Over bench/ingest.mjs's spans and
 * bench/redact20.rules' 14 patterns, the pass and PCRE2 on what it let through took 1.7 us a
 * span where PCRE2's 14 passes took 6.2, and Hyperscan as the matcher itself (the starts of
 * its matches, SOM_LEFTMOST) 5.1 (bench/redact_bench; BENCHMARKS-HISTORY.md, "Redaction rules,
 * 2026-11-27 (issue 52)"). Hyperscan is a Debian package on x86-64 only: built without it
 * (configure finds no libhs), or on a CPU without SSSE3, every pattern is scanned, with the same
 * finds. A pattern Hyperscan does not take is scanned every time. */
#include "lib/redact/internal.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#ifdef HAVE_HYPERSCAN
#include <hs.h>
#endif

#define WORDS (REDACT_MAX_RULES / 64)

struct redact_prefilter {
	uint64_t always[WORDS]; /* patterns not in the database: scanned every time */
#ifdef HAVE_HYPERSCAN
	hs_database_t *db;
	hs_scratch_t *scratch;
#endif
};

void redact_prefilter_free(struct redact_prefilter *p)
{
	if (!p)
		return;
#ifdef HAVE_HYPERSCAN
	hs_free_scratch(p->scratch);
	hs_free_database(p->db);
#endif
	free(p);
}

#ifdef HAVE_HYPERSCAN
/* Compiles the patterns of ids[0..n) into p->db; one Hyperscan refuses goes to p->always and
 * the rest are compiled again. False when none is left or Hyperscan refuses the whole set. */
static bool compile(struct redact_prefilter *p, const char **pats, unsigned *flags, unsigned *ids,
		    size_t n)
{
	while (n) {
		hs_compile_error_t *err = NULL;
		if (hs_compile_multi(pats, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &p->db,
				     &err) == HS_SUCCESS)
			return true;
		int bad = err ? err->expression : -1;
		hs_free_compile_error(err);
		if (bad < 0 || (size_t)bad >= n)
			return false;
		p->always[ids[bad] / 64] |= 1ull << (ids[bad] % 64);
		memmove(pats + bad, pats + bad + 1, (n - (size_t)bad - 1) * sizeof *pats);
		memmove(flags + bad, flags + bad + 1, (n - (size_t)bad - 1) * sizeof *flags);
		memmove(ids + bad, ids + bad + 1, (n - (size_t)bad - 1) * sizeof *ids);
		n--;
	}
	return false;
}
#endif

struct redact_prefilter *redact_prefilter_new(const char *const *pats, const bool *caseless,
					      const bool *skip, size_t n)
{
#ifdef HAVE_HYPERSCAN
	if (!n || hs_valid_platform() != HS_SUCCESS)
		return NULL;
	struct redact_prefilter *p = xcalloc(1, sizeof *p);
	const char **in = xmalloc(n * sizeof *in);
	unsigned *flags = xmalloc(n * sizeof *flags), *ids = xmalloc(n * sizeof *ids);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (skip[i]) {
			p->always[i / 64] |= 1ull << (i % 64);
			continue;
		}
		in[k] = pats[i];
		/* One report a pattern and a scan is all a prefilter needs. */
		flags[k] = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | HS_FLAG_UTF8 |
			   (caseless[i] ? HS_FLAG_CASELESS : 0);
		ids[k++] = (unsigned)i;
	}
	bool ok =
	    compile(p, in, flags, ids, k) && hs_alloc_scratch(p->db, &p->scratch) == HS_SUCCESS;
	free(in);
	free(flags);
	free(ids);
	if (!ok) {
		redact_prefilter_free(p);
		return NULL;
	}
	return p;
#else
	(void)pats, (void)caseless, (void)skip, (void)n;
	return NULL;
#endif
}

#ifdef HAVE_HYPERSCAN
static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *ctx)
{
	uint64_t *maybe = ctx;
	(void)from, (void)to, (void)flags;
	maybe[id / 64] |= 1ull << (id % 64);
	return 0;
}
#endif

void redact_prefilter_scan(const struct redact_prefilter *p, const char *s, size_t n,
			   uint64_t *maybe)
{
	if (!p) {
		memset(maybe, 0xff, WORDS * sizeof *maybe);
		return;
	}
	memcpy(maybe, p->always, sizeof p->always);
#ifdef HAVE_HYPERSCAN
	/* Hyperscan's lengths are 32 bits; a failed scan (never expected) scans everything. */
	if (n > UINT32_MAX ||
	    hs_scan(p->db, s, (unsigned)n, 0, p->scratch, on_match, maybe) != HS_SUCCESS)
		memset(maybe, 0xff, WORDS * sizeof *maybe);
#else
	(void)s, (void)n;
#endif
}
