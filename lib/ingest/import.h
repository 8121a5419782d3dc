/* import: JSONL Span lines (as `spandex export` writes them) into one workspace, each line
 * checked as ingest checks a span. Nothing here keeps state between calls; e (may be NULL)
 * gets a one-line reason. */
#ifndef SPANDEX_INGEST_IMPORT_H
#define SPANDEX_INGEST_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "lib/base/status.h"
#include "lib/store/store.h"

struct import {
	struct store *st;
	const char *ws;
	/* The redaction rules the spans are stored by, as the programs take them (SPANDEX_REDACT,
	 * SPANDEX_REDACT_KEY; NULL: the default file, and its key-file line). */
	const char *rules, *key;
	bool check_only; /* validate every line, store nothing */
	/* Media (lib/ingest/media.h): the directory of the files the lines reference, named by
	 * their SHA-256 as `spandex export --media` writes them (NULL: the workspace must hold
	 * each already), and the threshold of inline payloads moved out (media_min; 0: none). */
	const char *media;
	size_t media_min;
	void (*report)(void *ctx, const char *msg); /* one message per bad line */
	void *ctx;
	size_t spans, bad; /* counted over every file */
};
/* Validates each line of f (open, read from where it stands; path names it in messages) as
 * ingest validates a span (the direct-ingest rules for the fields it shares, the Span types
 * for the rest, and a file for each media reference: in the workspace, or in im->media with
 * the bytes its name says; a Langfuse tag's file is taken from im->media the same way when the
 * workspace lacks it, and a tag that neither holds a file for is text) and, unless
 * check_only, stores the spans with store_append in batches, their media first (media_span,
 * and the referenced files from im->media), each redacted by im's rules then (rules that
 * cannot be applied store nothing). The line's workspace is replaced by im->ws and ingested_at
 * is set anew. Bad lines are reported with their number. When storing, the first bad line
 * stops the import (batches before it stay), so callers check every file first. */
enum status import_stream(struct import *im, const char *path, FILE *f, struct err *e);

#endif
