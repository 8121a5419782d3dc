/* export: spans written out in the forms users take them away in (issue 56): the stored lines
 * (JSONL), OTLP/JSON for any OpenTelemetry tool (catalog_out.h's mapping) and CSV for a
 * spreadsheet, one span at a time into the caller's buffer, which the caller empties as it
 * likes (`spandex export` into a file, the export routes into a streamed reply): a million
 * spans take the memory of one. What a line needs lives between an arena_mark and its release. */
#ifndef SPANDEX_MODEL_EXPORT_H
#define SPANDEX_MODEL_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/model/catalog_out.h"

/* The query budget of an export (lib/query's struct query): no time or byte limit (an export
 * reads the whole window, however long that takes), the memory one as every query has it. */
#define EXPORT_BUDGET_MS (30LL * 24 * 3600 * 1000)
#define EXPORT_BUDGET_BYTES (~0ULL >> 1)
/* What it keeps mapped of the records and lines it has read (query.budget_resident): each is
 * read once, so keeping them is memory for nothing (BENCHMARKS-HISTORY.md, "Export and
 * forwarding"). */
#define EXPORT_RESIDENT (4u << 20)

enum export_format { EXPORT_JSONL, EXPORT_OTLP_JSON, EXPORT_CSV, EXPORT__COUNT };
/* "jsonl", "otlp-json", "csv", then NULL: the names --format and format= take. */
extern const char *const export_format_names[EXPORT__COUNT + 1];
/* The format named name, or -1. */
int export_format_parse(const char *name);
/* Its media type (with charset for text), and the file extension a download gets. */
const char *export_content_type(enum export_format f);
const char *export_extension(enum export_format f);

struct export
{
	enum export_format fmt;
	struct arena *a;
	struct buf *out;
	struct catalog_out_doc doc;
	size_t spans;	/* written */
	size_t skipped; /* lines that are no span (damaged since the index was written) */
};
/* Starts an export of fmt into out (the CSV header, OTLP's opening). */
void export_begin(struct export *x, enum export_format fmt, struct arena *a, struct buf *out);
/* One stored line (a canonical span, no newline). */
void export_line(struct export *x, const char *line, size_t len);
/* Ends it (OTLP's closing). */
void export_end(struct export *x);

#endif
