/* match: the operator's patterns, in PCRE2 with its JIT compiler (PCRE2's syntax, as
 * pcre2pattern(3) writes it): what a pattern matches, and so what is replaced, is PCRE2's
 * answer on every platform. Before them a prefilter (prefilter.c, Hyperscan where it is
 * built) says which patterns can match a span's texts at all, in one pass for all of them;
 * only those are run (BENCHMARKS-HISTORY.md, "Redaction rules, 2026-11-27 (issue 52)"). */
#include "lib/redact/internal.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"

/* The JIT's stack: PCRE2's default is 32 KiB; a pattern that needs more than the most gives up
 * (and its text is replaced whole). */
#define MATCH_JIT_STACK_MAX (1u << 20)

struct redact_matcher {
	pcre2_general_context *gc;
	pcre2_code **code;
	bool *local;	  /* per pattern: it looks past its text's ends (anchors, lookbehind) */
	uint32_t *minlen; /* per pattern: the shortest text it can match */
	char **src;	  /* per pattern: its text (for the prefilter) */
	bool *caseless;	  /* per pattern: /.../i */
	size_t n;
	struct redact_prefilter *pre; /* NULL: every pattern is scanned */
	size_t uses;		      /* scans asked of the prefilter before it is built */
	bool built;		      /* pre is what it will be: built, or never to be */
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *stack;
};

/* PCRE2's memory from lib/base/mem.h: out of memory aborts, as everywhere else. */
static void *pcre_alloc(PCRE2_SIZE n, void *data)
{
	(void)data;
	return xmalloc(n);
}

static void pcre_free(void *p, void *data)
{
	(void)data;
	free(p);
}

struct redact_matcher *redact_matcher_new(void)
{
	struct redact_matcher *m = xcalloc(1, sizeof *m);
	m->gc = pcre2_general_context_create(pcre_alloc, pcre_free, NULL);
	m->md = pcre2_match_data_create(1, m->gc);
	m->mc = pcre2_match_context_create(m->gc);
	/* Without it (its mapping failed) PCRE2 uses 32 KiB of the machine stack. */
	m->stack = pcre2_jit_stack_create(32 * 1024, MATCH_JIT_STACK_MAX, m->gc);
	if (m->stack)
		pcre2_jit_stack_assign(m->mc, NULL, m->stack);
	pcre2_set_match_limit(m->mc, REDACT_MATCH_LIMIT);
	return m;
}

void redact_matcher_free(struct redact_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		pcre2_code_free(m->code[i]);
	for (size_t i = 0; i < m->n; i++)
		free(m->src[i]);
	free(m->code);
	free(m->local);
	free(m->minlen);
	free(m->src);
	free(m->caseless);
	redact_prefilter_free(m->pre);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mc);
	pcre2_jit_stack_free(m->stack);
	pcre2_general_context_free(m->gc);
	free(m);
}

/* Whether pattern p can see past the ends of its text when texts are scanned joined: an anchor
 * (^, $, \A, \z, \Z, \G) or a lookbehind, anywhere in it (a '^' in a class counts too: such a
 * pattern is only scanned text by text, never wrongly). */
static bool looks_out(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '^' || p[i] == '$')
			return true;
		if (p[i] == '\\' && i + 1 < len && strchr("AzZG", p[i + 1]) && p[i + 1])
			return true;
		if (p[i] == '(' && i + 3 < len && p[i + 1] == '?' && p[i + 2] == '<' &&
		    (p[i + 3] == '=' || p[i + 3] == '!'))
			return true;
		if (p[i] == '\\')
			i++;
	}
	return false;
}

bool redact_matcher_add(struct redact_matcher *m, const char *p, size_t len, bool caseless,
			char *why, size_t whylen)
{
	int err;
	PCRE2_SIZE off;
	uint32_t min = 0;
	/* UTF: matches end on characters; \d, \w and \b stay ASCII's (no UCP), as fast. */
	pcre2_compile_context *cc = pcre2_compile_context_create(m->gc);
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)p, len,
				      PCRE2_UTF | (caseless ? PCRE2_CASELESS : 0), &err, &off, cc);
	pcre2_compile_context_free(cc);
	if (!c) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof msg);
		snprintf(why, whylen, "%s at offset %zu", (const char *)msg, (size_t)off);
		return false;
	}
	if (pcre2_pattern_info(c, PCRE2_INFO_MINLENGTH, &min) || !min) {
		snprintf(why, whylen, "matches the empty text: it would find nothing to replace");
		pcre2_code_free(c);
		return false;
	}
	if ((err = pcre2_jit_compile(c, PCRE2_JIT_COMPLETE))) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof msg);
		snprintf(why, whylen, "the JIT compiler refuses it: %s", (const char *)msg);
		pcre2_code_free(c);
		return false;
	}
	m->code = xrealloc(m->code, (m->n + 1) * sizeof *m->code);
	m->local = xrealloc(m->local, (m->n + 1) * sizeof *m->local);
	m->minlen = xrealloc(m->minlen, (m->n + 1) * sizeof *m->minlen);
	m->src = xrealloc(m->src, (m->n + 1) * sizeof *m->src);
	m->caseless = xrealloc(m->caseless, (m->n + 1) * sizeof *m->caseless);
	m->code[m->n] = c;
	m->local[m->n] = looks_out(p, len);
	m->minlen[m->n] = min;
	m->src[m->n] = memcpy(xmalloc(len + 1), p, len);
	m->src[m->n][len] = '\0';
	m->caseless[m->n++] = caseless;
	return true;
}

void redact_matcher_seal(struct redact_matcher *m)
{
	redact_prefilter_free(m->pre);
	/* A pattern that looks past its text is scanned text by text, and so every time. */
	m->pre = redact_prefilter_new((const char *const *)m->src, m->caseless, m->local, m->n);
	m->built = true;
}

void redact_matcher_unfiltered(struct redact_matcher *m)
{
	redact_prefilter_free(m->pre);
	m->pre = NULL;
	m->built = true;
}

void redact_matcher_maybe(struct redact_matcher *m, const char *s, size_t n, uint64_t *maybe)
{
	if (!m->built && ++m->uses > REDACT_PREFILTER_AFTER)
		redact_matcher_seal(m);
	redact_prefilter_scan(m->pre, s, n, maybe);
}

bool redact_matcher_local(const struct redact_matcher *m, size_t i)
{
	return m->local[i];
}

bool redact_matcher_scan(const struct redact_matcher *m, size_t i, const char *s, size_t n,
			 redact_hit_fn *fn, void *ctx)
{
	if (n < m->minlen[i])
		return true;
	for (size_t at = 0; at < n;) {
		int rc = pcre2_jit_match(m->code[i], (PCRE2_SPTR)s, n, at, PCRE2_NO_UTF_CHECK,
					 m->md, m->mc);
		if (rc == PCRE2_ERROR_NOMATCH)
			return true;
		if (rc < 0)
			return false;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
		fn(ctx, (unsigned)i, ov[0], ov[1]);
		at =
		    ov[1] > ov[0] ? ov[1] : ov[1] + 1; /* never empty (MINLENGTH), but lookbehind */
		while (at < n && (s[at] & 0xC0) == 0x80)
			at++;
	}
	return true;
}
