/* check_redact: lib/redact: each detector's finds and misses (Luhn, mod-97, the address forms,
 * the secrets' prefixes), the keyed hash's stability, rules by place, key and workspace, a span
 * and a judgement redacted whole, JSON texts that stay JSON, the rules file's errors with their
 * lines, the last good set kept, and the file read again when it changes. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/redact/internal.h"

static char path[64];
static struct arena *arena;
static bool unfiltered; /* the tests of patterns again, without the prefilter */

static void write_file(const char *p, const char *text)
{
	/* Written aside and renamed: another inode, so the cache sees another version however
	 * fast the test goes. */
	char tmp[80];
	snprintf(tmp, sizeof tmp, "%s.tmp", p);
	FILE *f = fopen(tmp, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(rename(tmp, p), 0);
}

static void setup(void)
{
	snprintf(path, sizeof path, "/tmp/check_redact.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	arena = arena_new();
}

static void setup_unfiltered(void)
{
	setup();
	unfiltered = true;
}

static void teardown(void)
{
	unlink(path);
	arena_free(arena);
}

/* The set of rules text (one rule a line), compiled with key. */
static struct redact_rules *rules_key(const char *text, const char *key)
{
	struct redact_rules *r;
	struct err e = {0};
	write_file(path, text);
	ck_assert_msg(redact_compile(path, key, &r, &e) == ST_OK, "%s", e.msg);
	if (unfiltered)
		redact_matcher_unfiltered(r->m);
	else
		redact_matcher_seal(r->m);
	return r;
}

static struct redact_rules *rules(const char *text)
{
	return rules_key(text, NULL);
}

/* The reason the rules text is refused. */
static const char *refused(const char *text, const char *key)
{
	static struct err e;
	struct redact_rules *r;
	write_file(path, text);
	memset(&e, 0, sizeof e);
	ck_assert_int_eq(redact_compile(path, key, &r, &e), ST_INVALID);
	ck_assert_ptr_null(r);
	return e.msg;
}

/* s redacted as an input in workspace "ws". */
static const char *red(const struct redact_rules *r, const char *s)
{
	size_t n;
	return redact_text(r, arena, "ws", RP_INPUT, NULL, s, strlen(s), &n, NULL);
}

/* Each of finds is replaced whole by tag; each of misses is left as it is. */
static void check_detector(const char *rule, const char *tag, const char *const *finds,
			   const char *const *misses)
{
	struct redact_rules *r = rules(rule);
	char buf[512];
	for (size_t i = 0; finds[i]; i++) {
		snprintf(buf, sizeof buf, "before %s after", finds[i]);
		char want[512];
		snprintf(want, sizeof want, "before %s after", tag);
		ck_assert_msg(!strcmp(red(r, buf), want), "%s: '%s' gave '%s'", rule, finds[i],
			      red(r, buf));
	}
	for (size_t i = 0; misses[i]; i++)
		ck_assert_msg(!strcmp(red(r, misses[i]), misses[i]), "%s: '%s' gave '%s'", rule,
			      misses[i], red(r, misses[i]));
	redact_free(r);
}

/* Each detector: a rule that names it, its tag, texts it finds whole and texts it leaves. */
#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
static const struct {
	const char *rule, *tag;
	const char *const *finds, *const *misses;
} detectors[] = {
    {"email\n", "[EMAIL]",
     LIST("alice@example.com", "Alice.Smith+tag@mail.Example.CO.uk", "a_b-c%d@x-y.io",
	  "bob@localhost.localdomain"),
     LIST("not an address: a@b", "@example.com alone", "user@ and", "x@y.z1", "a@b..com",
	  "the price @ 5 euros")},
    {"phone\n", "[PHONE]",
     LIST("+1 415 555 0100", "+14155550100", "+44 20 7946 0958", "+33 6 12 34 56 78",
	  "(415) 555-0100", "415-555-0100", "415.555.0100", "415 555 0100", "1-800-555-0199",
	  "020 7946 0958", "06 12 34 56 78"),
     LIST("4155550100 is an id", "2025-01-15 is a date", "at 10:30:45", "version 1.2.3",
	  "1735689600000 ms", "+12 short", "pi is 3.14159265358979", "+123")},
    {"card\n", "[CARD]",
     LIST("4111 1111 1111 1111", "4111111111111111", "4111-1111-1111-1111", "5555555555554444",
	  "2223003122003222", "378282246310005", "3782 822463 10005", "6011111111111117",
	  "3530111333300000", "4000056655665556", "6200000000000005"),
     LIST("4111 1111 1111 1112 fails Luhn", "1735689600000 an epoch in ms",
	  "1234567812345670 from 1, Luhn-valid", "4111 1111-1111 1111 mixed separators",
	  "id4111111111111111", "12345678-1234-1234-1234-123456789012", "79927398713 short")},
    {"iban\n", "[IBAN]",
     LIST("DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "GB82 WEST 1234 5698 7654 32",
	  "GB82WEST12345698765432", "FR14 2004 1010 0505 0001 3M02 606", "NL91ABNA0417164300",
	  "BE68 5390 0754 7034", "AT61 1904 3002 3457 3201"),
     LIST("DE89 3704 0044 0532 0130 01 fails mod-97", "de89370400440532013000 in lower case",
	  "XX12 not one", "GB82WEST1234569876543 one short")},
    {"ip\n", "[IP]",
     LIST("192.168.1.10", "10.0.0.1", "255.255.255.255", "2001:db8::1", "::1", "fe80::1",
	  "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "::ffff:192.0.2.1"),
     LIST("1.2.3.4.5 dotted", "256.1.1.1", "at 10:30:45", "std::vector", "cafe::face",
	  "00:1a:2b:3c:4d:5e a MAC", "1.2.3", "a:b")},
    {"secret\n", "[SECRET]",
     LIST("sk-proj-abcdefghijklmnopqrstuvwxyz012345",
	  "sk-abcdefghijklmnopqrstuvwxyzABCDEF0123456789",
	  "sk-ant-api03-abcdefghijklmnopqrstuvwxyz-_0123", "AKIAIOSFODNN7EXAMPLE",
	  "ASIAY34FZKBOKMUTVV7A", "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
	  "gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
	  "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
	  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
	  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
     LIST("sk-learn is a library", "task-abcdefghijklmnopqrstuvwxyz", "AKIA short", "ghp_short",
	  "eyJust a word", "the bearer instruments", "Bearer of bad news", "skeleton-key")},
};

START_TEST(detector)
{
	check_detector(detectors[_i].rule, detectors[_i].tag, detectors[_i].finds,
		       detectors[_i].misses);
}
END_TEST

START_TEST(luhn)
{
	ck_assert(redact_luhn("79927398713", 11));
	ck_assert(!redact_luhn("79927398710", 11));
	ck_assert(redact_luhn("4111 1111 1111 1111", 19));
	ck_assert(!redact_luhn("", 0));
	ck_assert(redact_luhn("0", 1));
}
END_TEST

START_TEST(iban_check)
{
	ck_assert(redact_iban_ok("DE89370400440532013000", 22));
	ck_assert(!redact_iban_ok("DE88370400440532013000", 22));
	ck_assert(!redact_iban_ok("DE89", 4));
	ck_assert(!redact_iban_ok("DE89 3704 0044 0532 0130 00", 27));
}
END_TEST

START_TEST(ip_forms)
{
	struct redact_rules *r = rules("ip\n");
	ck_assert_str_eq(red(r, "from [2001:db8::1]:8080 and 10.1.2.3:443"),
			 "from [[IP]]:8080 and [IP]:443");
	ck_assert_str_eq(red(r, "host fe80::1%eth0 up"), "host [IP]%eth0 up");
	redact_free(r);
}
END_TEST

START_TEST(secret_forms)
{
	struct redact_rules *r = rules("secret\n");
	/* The token of a Bearer header goes, not the word. */
	ck_assert_str_eq(red(r, "Authorization: Bearer abcdef0123456789ghijkl"),
			 "Authorization: Bearer [SECRET]");
	ck_assert_str_eq(red(r, "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
			 "aws_secret_access_key = [SECRET]");
	ck_assert_str_eq(
	    red(r, "{\"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"}"),
	    "{\"SecretAccessKey\": \"[SECRET]\"}");
	ck_assert_str_eq(red(r, "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
			 "AWS_SECRET_ACCESS_KEY=[SECRET]");
	/* 40 base64 characters with no name before them are no secret: a hash looks the same. */
	ck_assert_str_eq(red(r, "sha wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
			 "sha wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	redact_free(r);
	/* One kind alone. */
	r = rules("github-token with=[GH]\n");
	ck_assert_str_eq(red(r, "ghp_abcdefghijklmnopqrstuvwxyz0123456789 AKIAIOSFODNN7EXAMPLE"),
			 "[GH] AKIAIOSFODNN7EXAMPLE");
	redact_free(r);
}
END_TEST

START_TEST(patterns)
{
	struct redact_rules *r = rules("/EMP-\\d{6}/ with=[EMPLOYEE]\n"
				       "/acme corp/i\n"
				       "/\\/home\\/[a-z]+/ with=[HOME]\n");
	ck_assert_str_eq(red(r, "EMP-123456 of ACME Corp in /home/alice"),
			 "[EMPLOYEE] of [REDACTED] in [HOME]");
	ck_assert_str_eq(red(r, "EMP-12345 stays"), "EMP-12345 stays");
	/* Every match, left to right; UTF-8 around them kept. */
	ck_assert_str_eq(red(r, "é EMP-000001, EMP-000002 ü"), "é [EMPLOYEE], [EMPLOYEE] ü");
	redact_free(r);
	/* A pattern that gives up (its match limit) costs the text, never leaves it. */
	r = rules("/(a+)+$/\n");
	ck_assert_str_eq(red(r, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"),
			 "[REDACTED]");
	redact_free(r);
}
END_TEST

/* Overlapping finds are one replacement: the first to start, then the longest, then the rule
 * written first. */
START_TEST(overlaps)
{
	struct redact_rules *r = rules("/alice/ with=[NAME]\nemail\n/example/ with=[X]\n");
	ck_assert_str_eq(red(r, "alice@example.com and alice"), "[EMAIL] and [NAME]");
	redact_free(r);
	r = rules("secret\n/Bearer \\S+/ with=[AUTH]\n");
	ck_assert_str_eq(red(r, "Bearer abcdef0123456789ghijkl"), "[AUTH]");
	redact_free(r);
}
END_TEST

#define KEY "0123456789abcdef-a-test-key"

/* A keyed hash: the same value (as normalised) gives the same letters, another value or key
 * others; letters a to p only. */
START_TEST(keyed_hash)
{
	struct redact_rules *r =
	    rules_key("email hash\nphone hash=8\ncard with=[PAN] hash=64\n", KEY);
	const char *a = red(r, "Alice@Example.com"), *b = red(r, "alice@example.COM");
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(strlen(a), strlen("[EMAIL:]") + 16);
	ck_assert(!strncmp(a, "[EMAIL:", 7) && a[strlen(a) - 1] == ']');
	ck_assert_uint_eq(strspn(a + 7, "abcdefghijklmnop"), 16);
	ck_assert_str_ne(a, red(r, "bob@example.com"));
	ck_assert_str_eq(red(r, "+1 415 555 0100"), red(r, "+1-415-555-0100"));
	ck_assert_int_eq(strlen(red(r, "+1 415 555 0100")), strlen("[PHONE:]") + 8);
	ck_assert_str_eq(red(r, "4111 1111 1111 1111"), red(r, "4111-1111-1111-1111"));
	ck_assert_int_eq(strlen(red(r, "4111111111111111")), strlen("[PAN:]") + 64);
	/* Stable across compiles (a restart, another worker), and the key's. */
	char keep[128];
	snprintf(keep, sizeof keep, "%s", a);
	redact_free(r);
	r = rules_key("email hash\n", KEY);
	ck_assert_str_eq(red(r, "alice@example.com"), keep);
	redact_free(r);
	r = rules_key("email hash\n", KEY "-another");
	ck_assert_str_ne(red(r, "alice@example.com"), keep);
	redact_free(r);
	/* A tag without a closing bracket takes the hash after a colon. */
	r = rules_key("email with=user hash=8\n", KEY);
	ck_assert_int_eq(strlen(red(r, "alice@example.com")), strlen("user:") + 8);
	redact_free(r);
	/* The key from a key-file line, relative to the rules file's folder. */
	char kp[80];
	snprintf(kp, sizeof kp, "%s.key", path);
	write_file(kp, KEY "\n");
	char text[200];
	snprintf(text, sizeof text, "key-file %s\nemail hash\n", strrchr(kp, '/') + 1);
	r = rules(text);
	ck_assert_str_eq(red(r, "alice@example.com"), keep);
	redact_free(r);
	unlink(kp);
}
END_TEST

START_TEST(places_keys_workspaces)
{
	struct redact_rules *r = rules("email in=output\n"
				       "ip in=attributes keys=net.*,client.address\n"
				       "value keys=*password* with=[PW]\n"
				       "/CUST-\\d+/ workspaces=acme,beta\n");
	size_t n;
	const char *s = "alice@example.com 10.0.0.1 CUST-42";
	ck_assert_str_eq(redact_text(r, arena, "ws", RP_INPUT, NULL, s, strlen(s), &n, NULL), s);
	ck_assert_str_eq(redact_text(r, arena, "ws", RP_OUTPUT, NULL, s, strlen(s), &n, NULL),
			 "[EMAIL] 10.0.0.1 CUST-42");
	ck_assert_str_eq(
	    redact_text(r, arena, "ws", RP_ATTRIBUTES, "net.peer.ip", s, strlen(s), &n, NULL),
	    "alice@example.com [IP] CUST-42");
	ck_assert_str_eq(
	    redact_text(r, arena, "ws", RP_ATTRIBUTES, "server.address", s, strlen(s), &n, NULL),
	    s);
	ck_assert_str_eq(redact_text(r, arena, "acme", RP_INPUT, NULL, s, strlen(s), &n, NULL),
			 "alice@example.com 10.0.0.1 [REDACTED]");
	ck_assert_str_eq(
	    redact_text(r, arena, "acme", RP_ATTRIBUTES, "db.password", "hunter2", 7, &n, NULL),
	    "[PW]");
	redact_free(r);
}
END_TEST

/* A span: every text of it that a rule reaches, and nothing else. */
START_TEST(span_whole)
{
	struct redact_rules *r = rules("email\nsecret\n/EMP-\\d{6}/ with=[EMP]\n"
				       "value keys=opik.metadata.ssn\n");
	struct span s;
	span_init(&s);
	s.span_id = "alice@example.com"; /* an id stays: it could no longer be fetched */
	s.trace_id = "t1";
	s.session_id = "bob@example.com";
	s.name = "mail alice@example.com";
	s.input = "[{\"role\":\"user\",\"content\":\"I am EMP-123456, mail alice@example.com\"}]";
	s.output = "key sk-abcdefghijklmnopqrstuvwxyz012345";
	s.str[SS_MODEL] = "alice@example.com";
	s.str[SS_ERROR_MESSAGE] = "no such user alice@example.com";
	s.raw_attributes =
	    json_pack("{s:s, s:{s:[s,s], s:s, s:i}, s:s, s:s}", "user.id", "alice@example.com",
		      "opik.metadata", "cc", "x", "EMP-000001", "owner", "bob@example.com", "ssn",
		      123456789, "spandex.cost", "alice@example.com",
		      "http.request.header.authorization", "Bearer abcdef0123456789ghijkl");
	s.evaluation_context = json_pack("{s:s}", "dataset_name", "mails of bob@example.com");
	ck_assert_uint_eq(redact_span(r, arena, "ws", &s), 10);
	ck_assert_str_eq(s.span_id, "alice@example.com");
	ck_assert_str_eq(s.session_id, "bob@example.com");
	ck_assert_str_eq(s.str[SS_MODEL], "alice@example.com");
	ck_assert_str_eq(s.name, "mail [EMAIL]");
	ck_assert_str_eq(s.input, "[{\"role\":\"user\",\"content\":\"I am [EMP], mail [EMAIL]\"}]");
	ck_assert_str_eq(s.output, "key [SECRET]");
	ck_assert_str_eq(s.str[SS_ERROR_MESSAGE], "no such user [EMAIL]");
	char *attrs = json_dumps(s.raw_attributes, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_str_eq(attrs, "{\"http.request.header.authorization\":\"Bearer [SECRET]\","
				"\"opik.metadata\":{\"cc\":[\"x\",\"[EMP]\"],\"owner\":\"[EMAIL]\","
				"\"ssn\":\"[REDACTED]\"},\"spandex.cost\":\"alice@example.com\","
				"\"user.id\":\"[EMAIL]\"}");
	free(attrs);
	ck_assert_str_eq(json_string_value(json_object_get(s.evaluation_context, "dataset_name")),
			 "mails of [EMAIL]");
	/* Nothing to find: nothing changes, and no rules at all the same. */
	ck_assert_uint_eq(redact_span(r, arena, "ws", &s), 0);
	ck_assert_uint_eq(redact_span(NULL, arena, "ws", &s), 0);
	span_clear(&s);
	redact_free(r);
}
END_TEST

START_TEST(judgement_whole)
{
	struct redact_rules *r = rules("email in=judgements\nphone\n");
	struct judgement j;
	judgement_init(&j);
	j.id = "j1";
	j.kind = JK_TEXT;
	j.author = "carol@example.com"; /* who wrote it stays: filters name it */
	j.text = "asked alice@example.com, call +1 415 555 0100";
	j.label = "reply to bob@example.com";
	j.error = "mail to dan@example.com bounced";
	j.payload = json_pack("{s:{s:s}}", "metadata", "reviewer", "erin@example.com");
	ck_assert_uint_eq(redact_judgement(r, arena, "ws", &j), 4);
	ck_assert_str_eq(j.text, "asked [EMAIL], call [PHONE]");
	ck_assert_str_eq(j.label, "reply to [EMAIL]");
	ck_assert_str_eq(j.error, "mail to [EMAIL] bounced");
	ck_assert_str_eq(j.author, "carol@example.com");
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(j.payload, "metadata"), "reviewer")),
	    "[EMAIL]");
	judgement_clear(&j);
	/* A boolean's word is spandex's own. */
	judgement_init(&j);
	j.kind = JK_BOOLEAN;
	j.label = "true";
	ck_assert_uint_eq(redact_judgement(r, arena, "ws", &j), 0);
	redact_free(r);
}
END_TEST

/* A JSON text (an input of messages) stays JSON: no find starts or ends inside an escape. */
START_TEST(json_texts)
{
	struct redact_rules *r = rules("email\ncard\nphone\n/secret.?/\n");
	static const char *const texts[] = {
	    "[\"line\\nalice@example.com\"]",
	    "[\"\\u00a04111111111111111\\t4111 1111 1111 1111\"]",
	    "[\"\\\\nalice@example.com\"]",
	    "[\"call\\n+1 415 555 0100\\r\\n\"]",
	    "[\"secret\\u00e9x\",\"secret\\\\\",\"secret\\n\"]", /* ".?" takes a backslash */
	    "[\"\\\"alice@example.com\\\"\"]",
	};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		const char *out = red(r, texts[i]);
		json_error_t err;
		json_t *v = json_loads(out, 0, &err);
		ck_assert_msg(v != NULL, "'%s' became '%s': %s", texts[i], out, err.text);
		ck_assert_msg(strcmp(out, texts[i]), "'%s' unchanged", texts[i]);
		ck_assert_msg(!strstr(out, "alice@") && !strstr(out, "4111") && !strstr(out, "555"),
			      "%s", out);
		json_decref(v);
	}
	redact_free(r);
}
END_TEST

/* The texts of a span are scanned joined, but a match never spans two of them, an anchor
 * holds at each text's start, and a pattern the prefilter does not take is still run. */
START_TEST(joined_texts)
{
	struct redact_rules *r = rules("/x[^y]*z/ with=[XZ]\n/^secret \\w+/ with=[S]\n"
				       "/(?|(ab)|(cd))!/ with=[BR]\nemail\n");
	struct span s;
	span_init(&s);
	s.input = "ab x12 secret one";
	s.output = "34z cd";
	s.name = "secret two";
	s.raw_attributes = json_pack("{s:s,s:s,s:s}", "a", "secret three", "b", "cd! x1z", "c",
				     "mail alice@example.com");
	ck_assert_uint_eq(redact_span(r, arena, "ws", &s), 4);
	ck_assert_str_eq(s.input, "ab x12 secret one");
	ck_assert_str_eq(s.output, "34z cd");
	ck_assert_str_eq(s.name, "[S]");
	ck_assert_str_eq(json_string_value(json_object_get(s.raw_attributes, "a")), "[S]");
	ck_assert_str_eq(json_string_value(json_object_get(s.raw_attributes, "b")), "[BR] [XZ]");
	ck_assert_str_eq(json_string_value(json_object_get(s.raw_attributes, "c")), "mail [EMAIL]");
	span_clear(&s);
	redact_free(r);
}
END_TEST

/* A rule that does not compile refuses the file, naming its line and why. */
START_TEST(bad_rules)
{
	ck_assert_ptr_nonnull(strstr(refused("email\n# fine\n/EMP-[0-9{6}/\n", NULL),
				     ":3: /EMP-[0-9{6}/: missing terminating ]"));
	ck_assert_ptr_nonnull(strstr(refused("emial\n", NULL), ":1: 'emial' is no detector"));
	ck_assert_ptr_nonnull(
	    strstr(refused("\n\nemail colour=red\n", NULL), ":3: 'colour=red': an option is"));
	ck_assert_ptr_nonnull(
	    strstr(refused("email with=[E\"]\n", NULL), ":1: with=[E\"]: a tag is"));
	ck_assert_ptr_nonnull(strstr(refused("email in=body\n", NULL), ":1: in=body: a place is"));
	ck_assert_ptr_nonnull(strstr(refused("email hash=4\n", KEY), ":1: hash=4: letters"));
	ck_assert_ptr_nonnull(
	    strstr(refused("email\nphone hash\n", NULL), ":2: a keyed hash needs a key"));
	ck_assert_ptr_nonnull(
	    strstr(refused("email hash\n", "short"), "SPANDEX_REDACT_KEY is shorter than 16"));
	ck_assert_ptr_nonnull(
	    strstr(refused("key-file /nonexistent/redact.key\nemail hash\n", NULL),
		   ":1: key-file /nonexistent/redact.key: No such file"));
	ck_assert_ptr_nonnull(strstr(refused("value with=[X]\n", NULL),
				     ":1: value replaces the values of the keys="));
	ck_assert_ptr_nonnull(
	    strstr(refused("email keys=user.* in=input\n", NULL), ":1: keys= chooses"));
	ck_assert_ptr_nonnull(
	    strstr(refused("email workspaces=a/b\n", NULL), ":1: 'a/b' is no workspace"));
	ck_assert_ptr_nonnull(strstr(refused("/a*/\n", NULL), ":1: /a*/: matches the empty text"));
	ck_assert_ptr_nonnull(strstr(refused("/EMP/x\n", NULL), "after a pattern's closing '/'"));
	ck_assert_ptr_nonnull(strstr(refused("/EMP\n", NULL), "has no closing '/'"));
	ck_assert_ptr_nonnull(
	    strstr(refused("email with=[A] with=[B]\n", NULL), "with given twice"));
	char big[REDACT_MAX_LINE + 64];
	memset(big, 'x', sizeof big - 2);
	big[0] = '/', big[sizeof big - 3] = '/', big[sizeof big - 2] = '\n',
	big[sizeof big - 1] = 0;
	ck_assert_ptr_nonnull(strstr(refused(big, NULL), ":1: the line is over"));
	/* Comments, blank lines and a trailing comment are fine; an empty file is no rules. */
	struct redact_rules *r = rules("# nothing\n\n   \nemail   # the addresses\n");
	ck_assert_uint_eq(redact_count(r), 1);
	redact_free(r);
	r = rules("");
	ck_assert_uint_eq(redact_count(r), 0);
	redact_free(r);
}
END_TEST

/* redact_load: a changed file is compiled again with no restart; one that does not compile
 * leaves the last good set in force; with none ever good, writes are refused. */
START_TEST(load_and_reload)
{
	const struct redact_rules *r, *first;
	struct err e = {0};
	write_file(path, "email\n");
	ck_assert_int_eq(redact_load(path, NULL, &first, &e), ST_OK);
	ck_assert_str_eq(red(first, "alice@example.com 10.0.0.1"), "[EMAIL] 10.0.0.1");
	/* Unchanged: the same set, not compiled again. */
	ck_assert_int_eq(redact_load(path, NULL, &r, &e), ST_OK);
	ck_assert_ptr_eq(r, first);
	/* Changed: the new rules, from the next load on. */
	write_file(path, "ip\n");
	ck_assert_int_eq(redact_load(path, NULL, &r, &e), ST_OK);
	ck_assert_str_eq(red(r, "alice@example.com 10.0.0.1"), "alice@example.com [IP]");
	/* Broken: the rules of before stay in force (the reason goes to stderr). */
	const struct redact_rules *good = r;
	write_file(path, "ip\n/bad[/\n");
	ck_assert_int_eq(redact_load(path, NULL, &r, &e), ST_OK);
	ck_assert_ptr_eq(r, good);
	ck_assert_str_eq(red(r, "alice@example.com 10.0.0.1"), "alice@example.com [IP]");
	ck_assert_int_eq(redact_load(path, NULL, &r, &e), ST_OK);
	ck_assert_ptr_eq(r, good);
	/* Removed: the same, until a file is there again. */
	unlink(path);
	ck_assert_int_eq(redact_load(path, NULL, &r, &e), ST_OK);
	ck_assert_ptr_eq(r, good);
	/* Mended: in force at once. */
	write_file(path, "email\nip\n");
	ck_assert_int_eq(redact_load(path, NULL, &r, &e), ST_OK);
	ck_assert_str_eq(red(r, "alice@example.com 10.0.0.1"), "[EMAIL] [IP]");
	/* The key counts: another SPANDEX_REDACT_KEY compiles again. */
	write_file(path, "email hash\n");
	ck_assert_int_eq(redact_load(path, KEY, &r, &e), ST_OK);
	char a[64];
	snprintf(a, sizeof a, "%s", red(r, "alice@example.com"));
	ck_assert_int_eq(redact_load(path, KEY "x", &r, &e), ST_OK);
	ck_assert_str_ne(red(r, "alice@example.com"), a);
	/* No key now: the file no longer compiles, the keyed set stays. */
	ck_assert_int_eq(redact_load(path, NULL, &r, &e), ST_OK);
	ck_assert_str_ne(red(r, "alice@example.com"), "alice@example.com");
}
END_TEST

START_TEST(never_good)
{
	const struct redact_rules *r = (void *)1;
	struct err e = {0};
	write_file(path, "email\n/bad[/\n");
	ck_assert_int_eq(redact_load(path, NULL, &r, &e), ST_UNAVAILABLE);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(e.msg, "nothing is stored"));
	/* The client is not told the operator's rules. */
	ck_assert_ptr_null(strstr(e.msg, "bad["));
	ck_assert_int_eq(redact_load("/nonexistent/redact.rules", NULL, &r, &e), ST_UNAVAILABLE);
	/* A FIFO is no rules file, and does not hold the worker. */
	unlink(path);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(redact_load(path, NULL, &r, &e), ST_UNAVAILABLE);
	/* Another file's rules are not this one's past. */
	char other[80];
	snprintf(other, sizeof other, "%s.other", path);
	write_file(other, "email\n");
	ck_assert_int_eq(redact_load(other, NULL, &r, &e), ST_OK);
	ck_assert_int_eq(redact_load(path, NULL, &r, &e), ST_UNAVAILABLE);
	unlink(other);
	/* Off, and an empty setting: no rules, no error. */
	ck_assert_int_eq(redact_load(REDACT_OFF, NULL, &r, &e), ST_OK);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(redact_load("", NULL, &r, &e), ST_OK);
	ck_assert_ptr_null(r);
}
END_TEST

/* The shipped files compile; the default one (unset: the source tree's in a build) has no rule
 * on. */
START_TEST(shipped)
{
	static const char *const files[] = {"redact/redact.rules", "redact/examples/pii.rules",
					    "redact/examples/secrets.rules",
					    "redact/examples/own.rules"};
	const char *src = getenv("SPANDEX_SRCDIR");
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char p[512];
		struct redact_rules *r;
		struct err e = {0};
		snprintf(p, sizeof p, "%s/%s", src ? src : ".", files[i]);
		ck_assert_msg(redact_compile(p, KEY, &r, &e) == ST_OK, "%s", e.msg);
		ck_assert_uint_eq(redact_count(r) > 0, i > 0);
		redact_free(r);
	}
	const struct redact_rules *r;
	struct err e = {0};
	ck_assert_int_eq(redact_load(NULL, NULL, &r, &e), ST_OK);
	ck_assert_uint_eq(redact_count(r), 0);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = tcase_create("detectors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, detector, 0, sizeof detectors / sizeof *detectors);
	tcase_add_test(tc, luhn);
	tcase_add_test(tc, iban_check);
	tcase_add_test(tc, ip_forms);
	tcase_add_test(tc, secret_forms);
	tcase_add_test(tc, patterns);
	tcase_add_test(tc, overlaps);
	tcase_add_test(tc, keyed_hash);
	suite_add_tcase(s, tc);
	tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, places_keys_workspaces);
	tcase_add_test(tc, span_whole);
	tcase_add_test(tc, judgement_whole);
	tcase_add_test(tc, json_texts);
	tcase_add_test(tc, joined_texts);
	tcase_add_test(tc, bad_rules);
	tcase_add_test(tc, load_and_reload);
	tcase_add_test(tc, never_good);
	tcase_add_test(tc, shipped);
	suite_add_tcase(s, tc);
	/* Every find of a pattern is PCRE2's: the same without the prefilter (Hyperscan). */
	tc = tcase_create("unfiltered");
	tcase_add_checked_fixture(tc, setup_unfiltered, teardown);
	tcase_add_test(tc, patterns);
	tcase_add_test(tc, overlaps);
	tcase_add_test(tc, places_keys_workspaces);
	tcase_add_test(tc, span_whole);
	tcase_add_test(tc, json_texts);
	tcase_add_test(tc, joined_texts);
	suite_add_tcase(s, tc);
	return s;
}
