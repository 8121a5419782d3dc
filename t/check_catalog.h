/* check_catalog.h: what the files of t/check_catalog share: the arena and span fixture
 * (setup, teardown) and a value as sorted compact JSON (check_catalog_fixture.c), and the test
 * cases of the other files:
 * the conventions table walked through the OTLP mapping (check_catalog_table.c) and
 * docs/attributes.md's tables generated from it (check_catalog_readme.c). */
#ifndef SPANDEX_T_CHECK_CATALOG_H
#define SPANDEX_T_CHECK_CATALOG_H

#include <check.h>
#include <jansson.h>
#include "lib/model/span.h"
#include "lib/base/arena.h"

extern struct arena *A;
extern struct span S; /* the span a test fills */
void setup(void);
void teardown(void);
/* v as compact JSON with sorted keys ("" when NULL), in a static buffer. */
const char *dump(json_t *v);
/* A rendered line as JSON, raw_attributes parsed (the caller releases it). */
json_t *line_json(const char *line);
/* The table's cases: each row and key through the OTLP mapping, and docs/attributes.md's block. */
TCase *table_tcase(void);
void readme_tcase_add(TCase *tc);
/* s (a span as the OTLP mapping made it) sent on by catalog_out and read back by the OTLP
 * mapping renders to the same line (check_catalog_out.c). */
void out_roundtrip(const struct span *s);
/* Spans of the other APIs sent on (check_catalog_out.c). */
void out_tcase_add(TCase *tc);

#endif
