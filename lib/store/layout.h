/* layout: every name the store gives a file, in one table, and the paths built from it:
 * per shard <root>/<ws>/<YYYY-MM-DD>.<name>, per workspace <root>/<ws>/<name>. Also lists
 * the days and workspaces on disk and holds the workspace lock. Private to lib/store. */
#ifndef SPANDEX_STORE_LAYOUT_H
#define SPANDEX_STORE_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/store/store.h"

enum layout_file {
	/* per shard (docs/FORMAT.md, "Files") */
	LAYOUT_IDX,	   /* the index: header and records */
	LAYOUT_IDX_TMP,	   /* an index being rebuilt by reindex */
	LAYOUT_JSONL,	   /* the lines of an open shard */
	LAYOUT_ZST,	   /* the sealed lines */
	LAYOUT_ZST_TMP,	   /* a sealed file being written */
	LAYOUT_LATE,	   /* lines that arrived after the seal */
	LAYOUT_LINES_TMP,  /* a damaged day's lines written again by reindex, without the damage */
	LAYOUT_FOOTER_TMP, /* a sealed file whose footer reindex writes again, from its frames */
	LAYOUT_DAYINDEX,   /* the text index (derived) */
	LAYOUT_DAYINDEX_TMP, /* a text index being written */
	LAYOUT_TAILINDEX,    /* the text index of the tail, written with the data */
	LAYOUT_SUP,	     /* the batch that superseded each version (derived) */
	LAYOUT_TAILPAIRS, /* the tail's pairs of words, parts built by an idle worker (derived) */
	/* per workspace */
	LAYOUT_IDS,	/* span_id -> newest version */
	LAYOUT_IDS_TMP, /* written aside, then renamed over it */
	LAYOUT_TRACES,	/* trace_id -> first and last day */
	LAYOUT_TRACES_TMP,
	LAYOUT_SESSIONS, /* session_id -> first and last day */
	LAYOUT_SESSIONS_TMP,
	LAYOUT_JOURNAL,	   /* the shards of a batch in progress */
	LAYOUT_LOCK,	   /* the workspace's writer lock */
	LAYOUT_QUARANTINE, /* bytes reindex cut from a day's data, kept for a person to read */
	LAYOUT_RULES,	   /* the workspace's retention rules (rules.c) */
	LAYOUT_RULES_TMP,
	LAYOUT__COUNT
};

/* The name of f ("idx", "ids.tab" ...): a shard's files add it to the day and a dot. */
const char *layout_name(enum layout_file f);
/* The temporary name f is written under before it is renamed into place (f itself for a
 * file that is never replaced whole). */
enum layout_file layout_tmp(enum layout_file f);
/* Whether f is named by day (<day>.<name>), else a file of the workspace. */
bool layout_per_day(enum layout_file f);

/* The paths (out: PATH_MAX bytes). False (errno ENAMETOOLONG) when one would be too long;
 * layout_shard_path also for a day outside years 1-9999 (errno ENOENT: no file holds one). */
bool layout_dir(char *out, const struct store *st, const char *ws);
bool layout_path(char *out, const struct store *st, const char *ws, enum layout_file f);
bool layout_shard_path(char *out, const struct store *st, const char *ws, int32_t day,
		       enum layout_file f);

/* Sorted days of ws that have the shard file f (caller frees *days). */
enum status layout_days(struct store *st, const char *ws, enum layout_file f, int32_t **days,
			size_t *n);
/* Whether day is one of the n sorted days. */
bool layout_day_among(const int32_t *days, size_t n, int32_t day);
/* Sorted days of ws that have any file of a shard (index, plain, sealed or late lines). */
enum status layout_shard_days(struct store *st, const char *ws, int32_t **days, size_t *n);
/* Whether ws's day holds nothing: an index shorter than its header, and not one byte of lines
 * (plain, sealed or late). That is what a writer leaves when it is refused or killed between
 * creating the day's index and writing its header (issue 55: a full disk at midnight): every
 * reader and tool takes such a day as absent, the next writer of the day starts it again, and
 * reindex removes it. An index shorter than its header beside lines is data without an index. */
bool layout_day_unborn(struct store *st, const char *ws, int32_t day);
/* Whether the day of ws holds a byte of lines (plain, sealed or late), or may (a file that
 * cannot be looked at). */
bool layout_day_lines(struct store *st, const char *ws, int32_t day);
/* Whether the listing of ws's days under look (store_days_at) found no file f of day, for f
 * LAYOUT_DAYINDEX or LAYOUT_SUP: then a query need not look for one (false when it was not
 * listed so, or has one, or for another f). */
bool layout_lacks(uint64_t look, enum layout_file f, int32_t day);

/* Creates the root and the workspace directory as needed; -1 with errno on failure. */
int layout_mkdir(struct store *st, const char *ws);
/* Syncs the workspace directory (names created, renamed or removed in it). */
void layout_sync_dir(struct store *st, const char *ws);
/* Takes the workspace write lock: its fd (closing it releases the lock), or -1 with errno. */
int layout_ws_lock(struct store *st, const char *ws, bool create);

#endif
