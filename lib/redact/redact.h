/* redact: the operator's redaction rules (SPANDEX_REDACT, redact/redact.rules, the format in
 * docs/redaction.md) and their use on what is stored: lib/ingest loads the rules the request's
 * environment names (redact_load) and redacts each version of a span or a judgement it stores
 * (redact_span, redact_judgement), so that no stored byte holds what a rule finds. The rules
 * are compiled once per process and again when their file (or the key) changes, as the price
 * table is; a file that does not compile is refused with its line and the reason, and the last
 * set that compiled stays in force. A set of redact_load's is the cache's (never freed by the
 * caller); one of redact_compile's is freed with redact_free. Replaced strings live in the
 * arena given; JSON values are changed in place. */
#ifndef SPANDEX_REDACT_REDACT_H
#define SPANDEX_REDACT_REDACT_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/model/judgement.h"
#include "lib/model/span.h"

#define REDACT_OFF "off" /* SPANDEX_REDACT value that turns redaction off */
/* The rules used when SPANDEX_REDACT is unset, the first that exists: the installed one (make
 * install puts redact/redact.rules there, every rule commented out), then the source tree's
 * (a build-tree run). Neither: no rules. The Makefile sets both. */
#ifndef REDACT_INSTALLED
#define REDACT_INSTALLED "/etc/spandex/redact.rules"
#endif
#ifndef REDACT_SOURCE
#define REDACT_SOURCE "redact/redact.rules"
#endif

/* Limits (docs/limits.md). A rules file is a list an operator writes and reads, not a
 * dictionary: every pattern is one more pass of the matcher over each text. */
#define REDACT_MAX_RULES 256
#define REDACT_MAX_LINE 4096	   /* bytes of one line of the file */
#define REDACT_MAX_FILE (1u << 20) /* bytes of the file, comments included */
#define REDACT_MAX_TAG 64	   /* bytes of a replacement tag */
#define REDACT_MIN_KEY 16	   /* bytes of the hash key: 128 bits, HMAC's floor */
#define REDACT_MAX_KEY 4096	   /* bytes of the hash key file */
#define REDACT_HASH_MIN 8	   /* letters of a keyed hash: 32 bits at the least, */
#define REDACT_HASH_MAX 64	   /* all 256 of HMAC-SHA256 at the most, */
#define REDACT_HASH_DEFAULT 16	   /* and 64 bits unless the rule says */
#define REDACT_MAX_KEYPATH 512	   /* bytes of the attribute key a keys= glob is matched on */
#define REDACT_MATCH_LIMIT 1000000 /* a pattern's steps on one text (PCRE2's match limit) */

/* Where a rule applies (in=): a span's input, output and name; its attribute values
 * (raw_attributes, evaluation_context, usage and cost details, error type and message); and a
 * judgement's texts (text, label, error) and payload values. */
enum redact_place { RP_INPUT, RP_OUTPUT, RP_NAME, RP_ATTRIBUTES, RP_JUDGEMENTS, RP__COUNT };
extern const char *const redact_place_names[RP__COUNT + 1];

struct redact_rules;

/* The rules that setting (SPANDEX_REDACT) names, for key (SPANDEX_REDACT_KEY, or NULL: the
 * file's key-file line, if any). *out is NULL, with ST_OK, when there are none: setting "off"
 * or empty, or, for a NULL setting, no default file. A file that changed is compiled again;
 * when it does not compile (or cannot be read), the reason goes to stderr once and the set
 * compiled last from that file stays in force; when there is none, ST_UNAVAILABLE (e: that
 * nothing is stored until the rules are fixed, without the operator's reason). */
enum status redact_load(const char *setting, const char *key, const struct redact_rules **out,
			struct err *e);

/* The rules file that setting (SPANDEX_REDACT) names: setting itself, or for NULL the default
 * (REDACT_INSTALLED, else REDACT_SOURCE, the first that exists); NULL for none (REDACT_OFF,
 * empty, no default file). */
const char *redact_path(const char *setting);
/* Compiles the file at path for key (as redact_load does, without the cache) into *out, which
 * the caller frees with redact_free. ST_INVALID with "<path>:<line>: <reason>" in e when a
 * rule does not compile; ST_NOT_FOUND or ST_UNAVAILABLE when the file cannot be read. */
enum status redact_compile(const char *path, const char *key, struct redact_rules **out,
			   struct err *e);
void redact_free(struct redact_rules *r);
/* How many rules r holds (a secret rule counts once). */
size_t redact_count(const struct redact_rules *r);

/* Redacts span s of workspace ws in place: input, output, name and the attribute values, by
 * the rules of r that apply there; replaced strings in a. Returns how many values were
 * replaced (0: s is unchanged). Ids, times, kinds, counts, costs and the typed names (model,
 * provider, project, agent, tool, prompt) are never changed. */
size_t redact_span(const struct redact_rules *r, struct arena *a, const char *ws, struct span *s);
/* The same for judgement j: its text, label, error and payload values. Ids, names, authors,
 * values and times are never changed. */
size_t redact_judgement(const struct redact_rules *r, struct arena *a, const char *ws,
			struct judgement *j);
/* One text of place p (key: the attribute's, NULL for input, output, name): the redacted text
 * in a (*outlen its length), or text itself when no rule found anything; *n (may be NULL) the
 * number of replacements. */
const char *redact_text(const struct redact_rules *r, struct arena *a, const char *ws,
			enum redact_place p, const char *key, const char *text, size_t len,
			size_t *outlen, size_t *n);

#endif
