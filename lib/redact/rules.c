/* rules: the rules file (docs/redaction.md, "The rules file"): its parser, the compiled set, and
 * the per-process cache of redact_load, which keeps the last set that compiled. */
#include "lib/redact/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/base/stamp.h"
#include "lib/model/workspace.h"

const char *const redact_place_names[RP__COUNT + 1] = {"input",	     "output",	   "name",
						       "attributes", "judgements", NULL};
#define PLACES_ALL ((1u << RP__COUNT) - 1)
#define PLACES_KEYED (1u << RP_ATTRIBUTES | 1u << RP_JUDGEMENTS) /* values that have a key */

/* The detectors by the names a rule gives them, with their tags. */
static const struct {
	const char *name;
	unsigned mask;
	const char *tag;
} detectors[] = {
    {"email", 1u << RD_EMAIL, "[EMAIL]"},
    {"phone", 1u << RD_PHONE, "[PHONE]"},
    {"card", 1u << RD_CARD, "[CARD]"},
    {"iban", 1u << RD_IBAN, "[IBAN]"},
    {"ip", 1u << RD_IP, "[IP]"},
    {"secret", RD_SECRETS, "[SECRET]"},
    {"openai-key", 1u << RD_OPENAI, "[SECRET]"},
    {"anthropic-key", 1u << RD_ANTHROPIC, "[SECRET]"},
    {"aws-key", 1u << RD_AWS_KEY, "[SECRET]"},
    {"aws-secret", 1u << RD_AWS_SECRET, "[SECRET]"},
    {"github-token", 1u << RD_GITHUB, "[SECRET]"},
    {"jwt", 1u << RD_JWT, "[SECRET]"},
    {"bearer", 1u << RD_BEARER, "[SECRET]"},
};
#define TAG_PATTERN "[REDACTED]" /* a pattern's and a value rule's tag */

void redact_free(struct redact_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < r->v[i].nkeys; k++)
			free(r->v[i].keys[k]);
		for (size_t k = 0; k < r->v[i].nws; k++)
			free(r->v[i].workspaces[k]);
		free(r->v[i].keys);
		free(r->v[i].workspaces);
	}
	free(r->v);
	redact_matcher_free(r->m);
	free(r);
}

size_t redact_count(const struct redact_rules *r)
{
	return r ? r->n : 0;
}

/* ---- one line ---- */

/* A comma-separated list: each item (non-empty) into *v, checked by ok when not NULL. */
static bool parse_list(char *s, char ***v, size_t *n, bool (*ok)(const char *), char *why,
		       size_t whylen, const char *what)
{
	char *save;
	for (char *item = strtok_r(s, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (ok && !ok(item)) {
			snprintf(why, whylen, "'%s' is no %s", item, what);
			return false;
		}
		*v = xrealloc(*v, (*n + 1) * sizeof **v);
		(*v)[(*n)++] = xstrdup(item);
	}
	if (!*n)
		snprintf(why, whylen, "%s= names no %s", what, what);
	return *n > 0;
}

/* A replacement tag: printable ASCII without quotes or backslashes, so it is the same text
 * inside a JSON text as outside. */
static bool tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (!n || n > REDACT_MAX_TAG)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] > '~' || t[i] == '"' || t[i] == '\\')
			return false;
	return true;
}

static bool parse_places(char *s, unsigned *places, char *why, size_t whylen)
{
	char *save;
	*places = 0;
	for (char *item = strtok_r(s, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		size_t p = 0;
		if (!strcmp(item, "all")) {
			*places = PLACES_ALL;
			continue;
		}
		while (redact_place_names[p] && strcmp(redact_place_names[p], item))
			p++;
		if (!redact_place_names[p]) {
			snprintf(why, whylen,
				 "in=%s: a place is input, output, name, attributes, judgements "
				 "or all",
				 item);
			return false;
		}
		*places |= 1u << p;
	}
	if (!*places)
		snprintf(why, whylen, "in= names no place");
	return *places != 0;
}

/* One option of a rule: with=TAG, hash[=N], in=PLACES, keys=GLOBS, workspaces=NAMES. */
static bool parse_option(struct redact_rule *r, char *opt, unsigned *seen, char *why, size_t whylen)
{
	static const char *const names[] = {"with", "hash", "in", "keys", "workspaces"};
	char *eq = strchr(opt, '='), *v = eq ? eq + 1 : NULL;
	size_t k = 0, len = eq ? (size_t)(eq - opt) : strlen(opt);
	while (k < 5 && (strlen(names[k]) != len || strncmp(names[k], opt, len)))
		k++;
	if (k == 5 || (!v && k != 1)) {
		snprintf(why, whylen,
			 "'%s': an option is with=TAG, hash, hash=N, in=PLACES, keys=GLOBS or "
			 "workspaces=NAMES",
			 opt);
		return false;
	}
	if (*seen & 1u << k) {
		snprintf(why, whylen, "%s given twice", names[k]);
		return false;
	}
	*seen |= 1u << k;
	char *end;
	switch (k) {
	case 0:
		if (!tag_ok(v)) {
			snprintf(why, whylen,
				 "with=%s: a tag is 1 to %d printable ASCII characters without "
				 "quotes or backslashes",
				 v, REDACT_MAX_TAG);
			return false;
		}
		snprintf(r->tag, sizeof r->tag, "%s", v);
		return true;
	case 1:
		r->hash = v ? (int)strtol(v, &end, 10) : REDACT_HASH_DEFAULT;
		if (v && (!*v || *end || r->hash < REDACT_HASH_MIN || r->hash > REDACT_HASH_MAX)) {
			snprintf(why, whylen, "hash=%s: letters of the hash, %d to %d", v,
				 REDACT_HASH_MIN, REDACT_HASH_MAX);
			return false;
		}
		return true;
	case 2:
		return parse_places(v, &r->places, why, whylen);
	case 3:
		return parse_list(v, &r->keys, &r->nkeys, NULL, why, whylen, "keys");
	default:
		return parse_list(v, &r->workspaces, &r->nws, workspace_valid, why, whylen,
				  "workspace");
	}
}

/* The first word of a rule: a /pattern/ (flag i), value, or a detector's name. *rest is set
 * past it. */
static bool parse_what(struct redact_rules *rs, struct redact_rule *r, char *s, char **rest,
		       char *why, size_t whylen)
{
	if (*s == '/') {
		size_t j = 1;
		while (s[j] && s[j] != '/')
			j += s[j] == '\\' && s[j + 1] ? 2 : 1;
		bool caseless = s[j] && s[j + 1] == 'i';
		char *after = s[j] ? s + j + 1 + caseless : s + j;
		if (!s[j] || (*after && *after != ' ' && *after != '\t')) {
			snprintf(why, whylen,
				 !s[j]
				     ? "a pattern /.../ has no closing '/'"
				     : "after a pattern's closing '/' comes i, a space or the end");
			return false;
		}
		char engine[256];
		if (!redact_matcher_add(rs->m, s + 1, j - 1, caseless, engine, sizeof engine)) {
			snprintf(why, whylen, "%.*s: %s", (int)(j + 1 + caseless), s, engine);
			return false;
		}
		r->what = RW_PATTERN;
		r->pattern = rs->npatterns++;
		snprintf(r->tag, sizeof r->tag, "%s", TAG_PATTERN);
		*rest = after;
		return true;
	}
	size_t len = strcspn(s, " \t");
	*rest = s + len;
	if (len == 5 && !strncmp(s, "value", 5)) {
		r->what = RW_VALUE;
		snprintf(r->tag, sizeof r->tag, "%s", TAG_PATTERN);
		return true;
	}
	for (size_t k = 0; k < sizeof detectors / sizeof *detectors; k++)
		if (strlen(detectors[k].name) == len && !strncmp(detectors[k].name, s, len)) {
			r->what = RW_DETECT;
			r->detectors = detectors[k].mask;
			snprintf(r->tag, sizeof r->tag, "%s", detectors[k].tag);
			return true;
		}
	snprintf(
	    why, whylen,
	    "'%.*s' is no detector (email, phone, card, iban, ip, secret, openai-key, "
	    "anthropic-key, aws-key, aws-secret, github-token, jwt, bearer), /pattern/ or value",
	    (int)len, s);
	return false;
}

/* What the parse of a file gathers besides its rules. */
struct parse {
	const char *path;
	struct stamp *key;  /* the key-file line's file: its path, and its version once read */
	unsigned key_line;  /* that line */
	unsigned hash_line; /* the first rule with a hash */
};

/* key-file PATH: relative to the rules file's directory. */
static bool parse_key_file(struct parse *ps, char *s, unsigned no, char *why, size_t whylen)
{
	s += strspn(s, " \t");
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	const char *slash = strrchr(ps->path, '/');
	int dir = *s == '/' || !slash ? 0 : (int)(slash - ps->path + 1);
	if (!len) {
		snprintf(why, whylen, "key-file names no file");
		return false;
	}
	if (ps->key_line) {
		snprintf(why, whylen, "a second key-file line (the first is line %u)",
			 ps->key_line);
		return false;
	}
	if (snprintf(ps->key->path, sizeof ps->key->path, "%.*s%s", dir, ps->path, s) >=
	    (int)sizeof ps->key->path) {
		snprintf(why, whylen, "key-file: the path is too long");
		return false;
	}
	ps->key_line = no;
	return true;
}

static void rule_free(struct redact_rule *r)
{
	for (size_t k = 0; k < r->nkeys; k++)
		free(r->keys[k]);
	for (size_t k = 0; k < r->nws; k++)
		free(r->workspaces[k]);
	free(r->keys);
	free(r->workspaces);
}

/* The options after a rule's first word, and what they must agree on. */
static bool parse_options(struct redact_rule *r, char *rest, char *why, size_t whylen)
{
	unsigned seen = 0;
	for (;;) {
		rest += strspn(rest, " \t");
		if (!*rest || *rest == '#')
			break;
		size_t len = strcspn(rest, " \t");
		bool last = !rest[len];
		rest[len] = '\0';
		if (!parse_option(r, rest, &seen, why, whylen))
			return false;
		rest += len + !last;
	}
	if (r->what == RW_VALUE && !r->nkeys) {
		snprintf(why, whylen,
			 "value replaces the values of the keys= it names: it names none");
		return false;
	}
	if (r->nkeys && !(r->places & PLACES_KEYED)) {
		snprintf(why, whylen,
			 "keys= chooses among attribute and judgement values: in= names "
			 "neither attributes nor judgements");
		return false;
	}
	return true;
}

static bool parse_line(struct redact_rules *rs, struct parse *ps, char *line, unsigned no,
		       char *why, size_t whylen)
{
	char *s = line + strspn(line, " \t"), *rest;
	if (!*s || *s == '#')
		return true;
	if (!strncmp(s, "key-file", 8) && (s[8] == ' ' || s[8] == '\t'))
		return parse_key_file(ps, s + 8, no, why, whylen);
	if (rs->n == REDACT_MAX_RULES) {
		snprintf(why, whylen, "more than %d rules", REDACT_MAX_RULES);
		return false;
	}
	struct redact_rule r = {.line = no, .places = PLACES_ALL};
	if (!parse_what(rs, &r, s, &rest, why, whylen) || !parse_options(&r, rest, why, whylen)) {
		rule_free(&r);
		return false;
	}
	if (r.hash && !ps->hash_line)
		ps->hash_line = no;
	rs->v = xrealloc(rs->v, (rs->n + 1) * sizeof *rs->v);
	rs->v[rs->n++] = r;
	return true;
}

/* ---- the key ---- */

/* The bytes of the key file key names into buf (its trailing white space left out), its
 * version into key; their count, or -1 with why. */
static ssize_t read_key(struct stamp *key, char *buf, size_t cap, char *why, size_t whylen)
{
	struct err e = {0};
	struct stat sb;
	const char *path = key->path;
	FILE *f = stamp_open(path, "key-file", &sb, &e);
	if (!f) {
		snprintf(why, whylen, "%s", e.msg);
		return -1;
	}
	stamp_set(key, path, &sb);
	size_t n = fread(buf, 1, cap, f);
	bool bad = ferror(f);
	fclose(f);
	while (n && strchr(" \t\r\n", buf[n - 1]))
		n--;
	if (bad || n == cap)
		snprintf(why, whylen, "key-file %s: %s", path,
			 bad ? "cannot be read" : "longer than a key");
	return bad || n == cap ? -1 : (ssize_t)n;
}

/* Sets rs's hash key: key (SPANDEX_REDACT_KEY) when given, else the key file's. */
static enum status set_key(struct redact_rules *rs, const struct parse *ps, const char *key,
			   struct err *e)
{
	char buf[REDACT_MAX_KEY + 1], why[PATH_MAX + 128];
	ssize_t n = -1;
	unsigned line = 0;
	if (key && *key) {
		n = (ssize_t)strlen(key);
		memcpy(buf, key, (size_t)n < sizeof buf ? (size_t)n : sizeof buf);
	} else if ((line = ps->key_line) &&
		   (n = read_key(ps->key, buf, sizeof buf, why, sizeof why)) < 0) {
		return err_set(e, ST_INVALID, "%s:%u: %s", ps->path, line, why);
	}
	if (n >= 0 && (size_t)n < REDACT_MIN_KEY)
		return line
			   ? err_set(e, ST_INVALID, "%s:%u: the key of %s is shorter than %d bytes",
				     ps->path, line, ps->key->path, REDACT_MIN_KEY)
			   : err_set(e, ST_INVALID,
				     "%s: SPANDEX_REDACT_KEY is shorter than %d bytes", ps->path,
				     REDACT_MIN_KEY);
	if (n < 0 && ps->hash_line)
		return err_set(e, ST_INVALID,
			       "%s:%u: a keyed hash needs a key: SPANDEX_REDACT_KEY, or a "
			       "key-file line",
			       ps->path, ps->hash_line);
	if (n >= 0) {
		hmac_sha256_set_key(&rs->hmac, (size_t)n < sizeof buf ? (size_t)n : sizeof buf,
				    (const uint8_t *)buf);
		rs->has_key = true;
	}
	explicit_bzero(buf, sizeof buf);
	return ST_OK;
}

/* The sets of struct redact_rules, from its rules. */
static void index_rules(struct redact_rules *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct redact_rule *r = &rs->v[i];
		uint64_t bit = 1ull << (i % 64);
		size_t w = i / 64;
		for (int p = 0; p < RP__COUNT; p++)
			if (r->places & 1u << p) {
				if (r->what == RW_VALUE)
					rs->values[p][w] |= bit;
				else if (!r->nkeys)
					rs->plain[p][w] |= bit;
			}
		if (r->nkeys && r->what != RW_VALUE)
			rs->keyed[w] |= bit;
		if (r->nws)
			rs->scoped[w] |= bit;
		if (r->what == RW_PATTERN)
			rs->patterns[w] |= bit;
	}
}

enum status redact_parse(FILE *f, const char *path, const char *key, struct redact_rules **out,
			 struct stamp *key_file, struct err *e)
{
	struct redact_rules *rs = xcalloc(1, sizeof *rs);
	struct parse ps = {.path = path, .key = key_file};
	char *line = NULL, why[PATH_MAX + 256];
	size_t cap = 0, total = 0;
	ssize_t len;
	unsigned no = 0;
	enum status st = ST_OK;
	struct stat sb;

	memset(key_file, 0, sizeof *key_file);
	rs->m = redact_matcher_new();
	/* A file of one endless line is refused before getline holds it whole. */
	if (!fstat(fileno(f), &sb) && sb.st_size > (off_t)REDACT_MAX_FILE)
		st = err_set(e, ST_INVALID, "%s: the file is over %u bytes", path, REDACT_MAX_FILE);
	while (st == ST_OK && (len = getline(&line, &cap, f)) >= 0) {
		no++;
		if ((total += (size_t)len) > REDACT_MAX_FILE || len > REDACT_MAX_LINE) {
			st = total > REDACT_MAX_FILE
				 ? err_set(e, ST_INVALID, "%s:%u: the file is over %u bytes", path,
					   no, REDACT_MAX_FILE)
				 : err_set(e, ST_INVALID, "%s:%u: the line is over %d bytes", path,
					   no, REDACT_MAX_LINE);
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!parse_line(rs, &ps, line, no, why, sizeof why))
			st = err_set(e, ST_INVALID, "%s:%u: %s", path, no, why);
	}
	free(line);
	if (st == ST_OK && ferror(f))
		st = err_sys(e, errno, "%s", path);
	if (st == ST_OK)
		st = set_key(rs, &ps, key, e);
	if (st == ST_OK)
		index_rules(rs);
	if (st != ST_OK) {
		redact_free(rs);
		rs = NULL;
	}
	*out = rs;
	return st;
}

enum status redact_compile(const char *path, const char *key, struct redact_rules **out,
			   struct err *e)
{
	struct stat sb;
	struct err oe = {0};
	FILE *f = stamp_open(path, "redaction rules", &sb, &oe);
	*out = NULL;
	if (!f) {
		if (e)
			*e = oe;
		return oe.st;
	}
	struct stamp key_file;
	enum status st = redact_parse(f, path, key, out, &key_file, e);
	fclose(f);
	return st;
}

/* ---- the cache of redact_load ---- */

/* One file's rules per process: the version last looked at (the rules file, its key file and
 * SPANDEX_REDACT_KEY), and the set compiled last from that file, which a version that does
 * not compile leaves in force. */
static struct {
	struct stamp rules;	   /* the rules file's version looked at last */
	struct stamp key;	   /* its key-file line's file then (path "": none) */
	char *env_key;		   /* SPANDEX_REDACT_KEY then, or NULL */
	struct redact_rules *good; /* the set compiled last from rules.path, or NULL */
	char told[ERR_MSG + 128];  /* the reason last written to stderr */
} cache;

/* Writes why (of the rules) to stderr, once until another reason comes. */
static void tell(const char *why, bool kept)
{
	char line[sizeof cache.told];
	snprintf(line, sizeof line, "%s; %s", why,
		 kept ? "the rules loaded before stay in force"
		      : "no span or judgement is stored until the rules load");
	if (strcmp(line, cache.told)) {
		fprintf(stderr, "spandex: %s\n", line);
		snprintf(cache.told, sizeof cache.told, "%s", line);
	}
}

/* Whether the key file is as it was when the rules were compiled. */
static bool key_same(void)
{
	struct stat sb;
	if (!cache.key.path[0])
		return true;
	if (stat(cache.key.path, &sb))
		return !cache.key.known;
	return stamp_same(&cache.key, cache.key.path, &sb);
}

static bool env_key_same(const char *key)
{
	return (!key || !*key) ? !cache.env_key : cache.env_key && !strcmp(cache.env_key, key);
}

/* The set for the file f opened at path (sb its stat): the cached one, or compiled again. */
static enum status load_file(FILE *f, const char *path, const struct stat *sb, const char *key,
			     const struct redact_rules **out, struct err *e)
{
	if (!stamp_same(&cache.rules, path, sb) || !key_same() || !env_key_same(key)) {
		struct redact_rules *rs;
		struct err pe = {0};
		if (strcmp(cache.rules.path, path)) { /* another file's rules are not its past */
			redact_free(cache.good);
			cache.good = NULL;
		}
		stamp_set(&cache.rules, path, sb);
		free(cache.env_key);
		cache.env_key = key && *key ? xstrdup(key) : NULL;
		if (redact_parse(f, path, key, &rs, &cache.key, &pe) == ST_OK) {
			redact_free(cache.good);
			cache.good = rs;
			cache.told[0] = '\0';
		} else {
			char why[sizeof pe.msg + 32];
			snprintf(why, sizeof why, "redaction rules %s", pe.msg);
			tell(why, cache.good != NULL);
		}
	}
	*out = cache.good;
	if (!cache.good)
		return err_set(e, ST_UNAVAILABLE,
			       "Not stored: the server's redaction rules do not load, and nothing "
			       "is stored until they do");
	return ST_OK;
}

const char *redact_path(const char *setting)
{
	struct stat sb;
	if (!setting) {
		/* The default file: not having one is no error, it is not installed. One that is
		 * there but cannot be read is an error (lstat, not access). */
		return !lstat(REDACT_INSTALLED, &sb) ? REDACT_INSTALLED
		       : !lstat(REDACT_SOURCE, &sb)  ? REDACT_SOURCE
						     : NULL;
	}
	return *setting && strcmp(setting, REDACT_OFF) ? setting : NULL;
}

enum status redact_load(const char *setting, const char *key, const struct redact_rules **out,
			struct err *e)
{
	const char *path = redact_path(setting);
	struct stat sb;
	*out = NULL;
	if (!path)
		return ST_OK;
	struct err oe = {0};
	FILE *f = stamp_open(path, "redaction rules", &sb, &oe);
	if (!f) {
		bool kept = cache.good && !strcmp(cache.rules.path, path);
		tell(oe.msg, kept);
		*out = kept ? cache.good : NULL;
		return kept
			   ? ST_OK
			   : err_set(e, ST_UNAVAILABLE,
				     "Not stored: the server's redaction rules cannot be read, and "
				     "nothing is stored until they can");
	}
	enum status st = load_file(f, path, &sb, key, out, e);
	fclose(f);
	return st;
}
