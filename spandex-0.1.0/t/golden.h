/* golden: test helpers shared by the ingest-format suites: read a fixture, compare text with
 * a golden file (SPANDEX_GOLDEN_UPDATE=1 rewrites the golden files instead). */
#ifndef SPANDEX_T_GOLDEN_H
#define SPANDEX_T_GOLDEN_H

#include <jansson.h>

/* Parses t/fixtures/<dir>/<name>.json (under $srcdir); aborts the test when it is missing. */
json_t *golden_fixture(const char *dir, const char *name);
/* Compares got with t/golden/<dir>/<name>.<ext>; a failure names the first differing line. */
void golden_check(const char *dir, const char *name, const char *ext, const char *got);

#endif
