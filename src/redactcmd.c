/* redactcmd: `spandex redact`, the redaction rules tried before they are put in place: a text
 * on stdin comes out on stdout as a span's would be stored, or the file's first bad line and
 * why (docs/redaction.md, "Trying rules"). */
#include "src/redactcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/buf.h"
#include "lib/redact/redact.h"

#define REDACTCMD_MAX_TEXT (64u << 20) /* bytes read from stdin: eight full request bodies */

static const char help[] =
    "usage: spandex redact [--rules FILE] [--in PLACE] [--key KEY] [--workspace W] [--verbose]\n"
    "Reads a text on stdin and writes it on stdout as spandex would store it by the redaction\n"
    "rules FILE (else SPANDEX_REDACT, else the installed rules), as the text of PLACE (input,\n"
    "output, name, attributes, judgements; default input), the value of the attribute KEY (for\n"
    "keys= and value rules), in workspace W. A file that does not compile: its first bad line\n"
    "and why, exit 1. The key of hash rules: SPANDEX_REDACT_KEY, else the file's key-file line.\n"
    "--verbose  how many finds were replaced, on stderr.\n";

/* The value of option name at argv[*i] (its next word); NULL after saying it is missing. */
static const char *value(int argc, char **argv, int *i)
{
	if (*i + 1 < argc)
		return argv[++*i];
	fprintf(stderr, "spandex: redact: %s needs a value\n%s", argv[*i], help);
	return NULL;
}

/* Parses the options; 2 on a bad one, -1 after --help, else 0. */
static int parse(int argc, char **argv, const char **rules, const char **place, const char **key,
		 const char **ws, bool *verbose)
{
	for (int i = 2; i < argc; i++) {
		const char **to = !strcmp(argv[i], "--rules")	    ? rules
				  : !strcmp(argv[i], "--in")	    ? place
				  : !strcmp(argv[i], "--key")	    ? key
				  : !strcmp(argv[i], "--workspace") ? ws
								    : NULL;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(help, stdout);
			return -1;
		} else if (!strcmp(argv[i], "--verbose")) {
			*verbose = true;
		} else if (!to) {
			fprintf(stderr, "spandex: redact: unknown argument '%s'\n%s", argv[i],
				help);
			return 2;
		} else if (!(*to = value(argc, argv, &i))) {
			return 2;
		}
	}
	return 0;
}

int redactcmd_main(int argc, char **argv)
{
	const char *rules = NULL, *place = "input", *key = NULL, *ws = NULL;
	bool verbose = false;
	int rc = parse(argc, argv, &rules, &place, &key, &ws, &verbose);
	if (rc)
		return rc < 0 ? 0 : rc;
	int p = 0;
	while (redact_place_names[p] && strcmp(redact_place_names[p], place))
		p++;
	if (!redact_place_names[p]) {
		fprintf(stderr,
			"spandex: redact: --in %s: a place is input, output, name, attributes "
			"or judgements\n",
			place);
		return 2;
	}
	const char *path = redact_path(rules ? rules : getenv("SPANDEX_REDACT"));
	struct redact_rules *r = NULL;
	struct err e = {0};
	if (path && redact_compile(path, getenv("SPANDEX_REDACT_KEY"), &r, &e) != ST_OK) {
		fprintf(stderr, "spandex: redact: %s\n", err_text(&e));
		return 1;
	}
	struct buf in;
	buf_init(&in);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0 && in.len <= REDACTCMD_MAX_TEXT)
		buf_add(&in, chunk, n);
	if (in.len > REDACTCMD_MAX_TEXT) {
		fprintf(stderr, "spandex: redact: more than %u bytes on stdin\n",
			REDACTCMD_MAX_TEXT);
		rc = 1;
	} else {
		struct arena *a = arena_new();
		size_t len, finds;
		const char *out = redact_text(r, a, ws, (enum redact_place)p, key, in.p ? in.p : "",
					      in.len, &len, &finds);
		fwrite(out, 1, len, stdout);
		if (verbose)
			fprintf(stderr, "spandex: redact: %zu replaced by %zu rules of %s\n", finds,
				redact_count(r), path ? path : "(none)");
		arena_free(a);
	}
	buf_free(&in);
	redact_free(r);
	return rc;
}
