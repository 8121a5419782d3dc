/* readme: the blocks of docs/attributes.md generated from a table of the code (the conventions,
 * Opik's and Scale GP's fields), for the Check suites that walk those tables. (The name is
 * older than the page: the tables were README's until issue 54.) */
#ifndef SPANDEX_T_README_H
#define SPANDEX_T_README_H

#include "lib/base/buf.h"

/* The page that holds the generated tables, under the source tree. */
#define README_DOC "docs/attributes.md"

/* Fails the running test unless README_DOC (under $SPANDEX_SRCDIR) holds want, which starts
 * with the line begin and ends with the line end; with SPANDEX_GOLDEN_UPDATE set, writes want
 * there instead. */
void readme_block_check(const char *begin, const char *end, const struct buf *want);

#include <stdbool.h>
#include "lib/model/span.h"

/* The members of a field table's Span column ("a, b (a note), raw x"), notes left out, in
 * order: "a, b, raw x". */
void readme_doc_members(const char *doc, struct buf *out);
/* The members whose rendering (span_render) differs between base and got, in the canonical
 * line's order, raw_attributes member by member as "raw <key>": "a, b, raw x". */
void readme_span_diff(const struct span *base, const struct span *got, struct buf *out);
/* Whether two such lists name the same members, in any order. */
bool readme_same_members(const char *a, const char *b);
/* Fails the running test unless the members that differ between base and got (the spans an
 * API object made without and with field name) are those doc names; clears both spans. */
void readme_row_check(const char *name, const char *doc, struct span *base, struct span *got);
/* A field table's Span column for README_DOC: each member in backquotes, raw_attributes' as
 * `raw_attributes` `x`, notes as they are. */
void readme_doc_md(const char *doc, struct buf *out);

#endif
