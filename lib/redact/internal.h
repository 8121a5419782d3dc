/* internal: what the files of lib/redact share, private to it: the built-in detectors
 * (detect.c), the matcher of the operator's patterns (match.c), a compiled rule and set
 * (rules.c), and the hits a text's scan collects (apply.c). */
#ifndef SPANDEX_REDACT_INTERNAL_H
#define SPANDEX_REDACT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <nettle/hmac.h>
#include "lib/base/stamp.h"
#include "lib/redact/redact.h"

/* The built-in detectors (docs/redaction.md, "Detectors"), one bit each in a mask. */
enum redact_detector {
	RD_EMAIL,
	RD_PHONE,
	RD_CARD,
	RD_IBAN,
	RD_IP,
	RD_OPENAI,
	RD_ANTHROPIC,
	RD_AWS_KEY,
	RD_AWS_SECRET,
	RD_GITHUB,
	RD_JWT,
	RD_BEARER,
	RD__COUNT
};
#define RD_SECRETS                                                                                 \
	(1u << RD_OPENAI | 1u << RD_ANTHROPIC | 1u << RD_AWS_KEY | 1u << RD_AWS_SECRET |           \
	 1u << RD_GITHUB | 1u << RD_JWT | 1u << RD_BEARER)

/* Called for each thing found: bytes [from, to) of the text, by detector det (or, from the
 * matcher, by pattern det). */
typedef void redact_hit_fn(void *ctx, unsigned det, size_t from, size_t to);

/* Finds what the detectors of mask (bits of enum redact_detector) see in s[0..n). Hits may
 * overlap and come in any order. */
void redact_detect(const char *s, size_t n, unsigned mask, redact_hit_fn *fn, void *ctx);
/* The value a keyed hash of det's hit s[0..n) is taken of, into out (room for n + 1 bytes):
 * e-mail addresses in lower case, phone and card numbers their digits (and a phone's '+'),
 * IBANs without spaces, IP addresses in their canonical form; others as they are. Returns its
 * length. */
size_t redact_normal(unsigned det, const char *s, size_t n, char *out);
/* Whether s[0..n) is ASCII alone (16 bytes at a time: most texts are, and are then UTF-8). */
bool redact_ascii(const char *s, size_t n);
/* Luhn's check of the digits of s[0..n) (other bytes skipped); ISO 13616's mod-97 check of an
 * IBAN written without spaces. */
bool redact_luhn(const char *s, size_t n);
bool redact_iban_ok(const char *s, size_t n);
/* A JSON escape (\n, \u00e9 ...) s[0..n) holds around at: the end of the one at holds, else at
 * itself. Hits are moved out of escapes, so a redacted JSON text stays JSON. */
size_t redact_escape_end(const char *s, size_t n, size_t at);

/* The operator's patterns (match.c). */
struct redact_matcher;
struct redact_matcher *redact_matcher_new(void);
void redact_matcher_free(struct redact_matcher *m);
/* Compiles pattern p (len bytes; caseless for /.../i) as the next pattern; false with the
 * engine's reason in why when it does not compile or matches the empty text. */
bool redact_matcher_add(struct redact_matcher *m, const char *p, size_t len, bool caseless,
			char *why, size_t whylen);
/* Calls fn(ctx, i, from, to) for each match of pattern i in s[0..n) (valid UTF-8: the caller
 * checks), left to right, none overlapping. False when the engine gave up (its match limit):
 * the caller then replaces the whole text, never keeps it. */
bool redact_matcher_scan(const struct redact_matcher *m, size_t i, const char *s, size_t n,
			 redact_hit_fn *fn, void *ctx);
/* Whether pattern i must be scanned text by text: it has an anchor or a lookbehind, which
 * would see the texts around it if texts were scanned joined. */
bool redact_matcher_local(const struct redact_matcher *m, size_t i);
/* The prefilter is built once the patterns have been asked about this many times (a span or a
 * judgement each): Hyperscan's compile of bench/redact20.rules' 14 patterns costs what its
 * pass saves over a few thousand spans (BENCHMARKS-HISTORY.md, "Redaction rules, 2026-11-27 (issue
 * 52)"), so a process that redacts less (a plain CGI request: 1000 spans at the most,
 * DIRECT_MAX_SPANS) never pays for it, and a FastCGI worker does in its first batches. */
#define REDACT_PREFILTER_AFTER 2048
/* Builds the prefilter now (the tests; else redact_matcher_maybe does when it is time). */
void redact_matcher_seal(struct redact_matcher *m);
/* Sets in maybe (REDACT_MAX_RULES bits) each pattern that can match in s[0..n): those the
 * prefilter finds, and every pattern it does not hold, or every one while it is not built. */
void redact_matcher_maybe(struct redact_matcher *m, const char *s, size_t n, uint64_t *maybe);
/* Drops the prefilter: every pattern is scanned (the tests run both ways). */
void redact_matcher_unfiltered(struct redact_matcher *m);

/* The prefilter (prefilter.c): NULL when there is none (no Hyperscan, or no pattern it takes);
 * pats NUL-terminated, skip: patterns it must not hold. */
struct redact_prefilter;
struct redact_prefilter *redact_prefilter_new(const char *const *pats, const bool *caseless,
					      const bool *skip, size_t n);
void redact_prefilter_free(struct redact_prefilter *p);
/* Sets maybe as redact_matcher_maybe says (every bit when p is NULL). */
void redact_prefilter_scan(const struct redact_prefilter *p, const char *s, size_t n,
			   uint64_t *maybe);

/* What a rule finds. */
enum redact_what { RW_DETECT, RW_PATTERN, RW_VALUE };

struct redact_rule {
	unsigned line;
	enum redact_what what;
	unsigned detectors; /* RW_DETECT: the mask */
	size_t pattern;	    /* RW_PATTERN: its number in the matcher */
	char tag[REDACT_MAX_TAG + 1];
	int hash;	 /* letters of the keyed hash, 0: none */
	unsigned places; /* bits of enum redact_place */
	char **keys;	 /* keys= globs, or NULL: every value of its places */
	size_t nkeys;
	char **workspaces; /* workspaces= names, or NULL: every workspace */
	size_t nws;
};

#define REDACT_WORDS (REDACT_MAX_RULES / 64) /* a set of rules: one bit a rule */

struct redact_rules {
	struct redact_rule *v;
	size_t n;
	/* The rules as sets, for a text's look at which apply (redact_rules_index): per place,
	 * those without keys= (plain) and the value rules; those with keys=, and with
	 * workspaces=, and the patterns. */
	uint64_t plain[RP__COUNT][REDACT_WORDS], values[RP__COUNT][REDACT_WORDS];
	uint64_t keyed[REDACT_WORDS], scoped[REDACT_WORDS], patterns[REDACT_WORDS];
	struct redact_matcher *m;
	size_t npatterns;
	bool has_key;
	struct hmac_sha256_ctx hmac; /* set to the key once; copied per hash */
};

/* Parses and compiles the rules file f (path names it in messages) for key (NULL: the file's
 * key-file line) into *out (the parser of redact_compile and of the cache); key_file gets the
 * key-file line's path (path "" when there is none) and, once read, its version. */
enum status redact_parse(FILE *f, const char *path, const char *key, struct redact_rules **out,
			 struct stamp *key_file, struct err *e);

#endif
