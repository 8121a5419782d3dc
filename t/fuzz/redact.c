/* fuzz redact: the redaction rules over hostile text (lib/redact): every byte of every span's
 * texts reaches the detectors and the patterns. The input is one text, as an input and as an
 * attribute value, through rules with every detector (hashed) and patterns of each kind (a
 * literal prefix, a class, an anchor, one that can cross texts, one that backtracks); and
 * through the detectors alone. What comes out must be UTF-8 when what went in was. */
#include "t/fuzz/fuzz.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "lib/base/utf8.h"
#include "lib/redact/internal.h"

static const char rules_text[] = "email hash\nphone\ncard hash=8\niban\nip\nsecret\n"
				 "/\\bEMP-\\d{6}\\b/ with=[EMP]\n/^secret \\S+/i\n"
				 "/[^\"\\s]+@corp/ in=attributes keys=user.*\n/(a|aa)+b/\n"
				 "value keys=*password*\n";

static struct redact_rules *rules(void)
{
	static struct redact_rules *r;
	if (r)
		return r;
	char path[] = "/tmp/fuzz-redact.XXXXXX";
	int fd = mkstemp(path);
	struct err e = {0};
	if (fd < 0 ||
	    write(fd, rules_text, sizeof rules_text - 1) != (ssize_t)(sizeof rules_text - 1) ||
	    redact_compile(path, "fuzz-redaction-key-0123456789", &r, &e) != ST_OK) {
		fprintf(stderr, "fuzz redact: the rules do not compile: %s\n", e.msg);
		abort();
	}
	close(fd);
	unlink(path);
	return r;
}

static void hit(void *ctx, unsigned det, size_t from, size_t to)
{
	size_t n = *(size_t *)ctx;
	if (from > to || to > n || det >= RD__COUNT)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	/* The bytes exactly, in a buffer of their own size, so ASan sees any read past them. */
	char *s = malloc(size ? size : 1);
	memcpy(s, data, size);
	redact_detect(s, size, (1u << RD__COUNT) - 1, hit, &size);
	bool utf8 = utf8_valid(s, size);
	for (int p = 0; p < 2; p++) {
		size_t n, finds;
		const char *out = redact_text(rules(), a, "ws", p ? RP_ATTRIBUTES : RP_INPUT,
					      p ? "user.email" : NULL, s, size, &n, &finds);
		if (utf8 && !utf8_valid(out, n))
			abort();
	}
	free(s);
	arena_free(a);
	return 0;
}
