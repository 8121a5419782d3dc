/* internal: what the files of lib/ship share: the shipper's handle, a pass's plan (pass.c,
 * snap.c), fetching objects (fetch.c) and the files that travel with a workspace (files.c).
 * Private to lib/ship. */
#ifndef SPANDEX_SHIP_INTERNAL_H
#define SPANDEX_SHIP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/s3/s3.h"
#include "lib/ship/logobj.h"
#include "lib/ship/ship.h"
#include "lib/ship/state.h"
#include "lib/store/ops.h"

/* How much of an object a resolution reads first for its header (a delta's is small). */
#define SHIP_HEAD_BYTES (1u << 20)
/* Times a pass takes again an object this host wrote but never recorded (a pass killed
 * between its upload and its state) before it gives up. */
#define SHIP_ADOPT_MAX 4

struct ship {
	char *root;
	struct ship_conf c;
	struct s3 *s3;
	char host[17];
	char bucket[1200]; /* s3_conf_name: a state shipped elsewhere is not this bucket's */
	struct store_hook hook;
};

/* What became of a day since the last pass. */
enum day_change {
	DAY_SAME,      /* nothing new */
	DAY_APPEND,    /* lines appended after what was shipped */
	DAY_NEW,       /* not shipped before */
	DAY_REWRITTEN, /* its lines changed (reindex, erasure): a snapshot replaces it */
	DAY_RESEALED,  /* sealed (again) since: a snapshot puts the sealed file in */
};
struct pday {
	const struct ops_day *d;
	struct sday *sd; /* its state, or NULL */
	enum day_change ch;
};
/* A file that travels with the workspace, as read now. */
struct pfile {
	const char *name;
	struct buf data;
	char sha[65];
	bool changed;
};
#define PASS_FILES 3 /* retention.json, the keys and the signing secret */
struct pass {
	struct ship *s;
	const char *ws;
	struct store st[2]; /* by enum store_kind */
	struct sstate state;
	struct ops_cut cut[2];
	bool cut_done[2];
	bool opened_all; /* the cuts opened every day (a snapshot without a previous one) */
	struct pday *days;
	size_t ndays;
	size_t removed; /* days shipped before that are gone here (retention) */
	struct pfile files[PASS_FILES];
	uint64_t new_bytes; /* lines not yet in the bucket */
	uint64_t new_recs;
	bool snapshot; /* the plan: a snapshot, else a delta */
	struct ship_report *r;
};

/* fetch.c: an object downloaded into an unlinked file of DATA/.spandex-ship (*fd, closed by the
 * caller) and its header decoded; fetch_head reads only its first SHIP_HEAD_BYTES when they
 * hold the header. ST_NOT_FOUND: no such object. */
enum status fetch_obj(struct ship *s, const char *key, int *fd, struct lo_hdr *h, struct err *e);
enum status fetch_head(struct ship *s, const char *key, struct lo_hdr *h, struct err *e);
/* An unlinked temporary file in DATA/.spandex-ship. */
int fetch_tmp(const char *root);
/* Uploads parts as the content-keyed object ws/data/<sha> (once: an object already there is
 * the same bytes), its key into key. sha: the parts' hex SHA-256 (s3_hashq), or NULL: hashed
 * here. */
enum status fetch_put_data(struct ship *s, const char *ws, const struct s3_part *parts, size_t n,
			   const char *sha, char key[LOGOBJ_KEY_MAX], struct err *e);

/* media.c: ws's media files as content-keyed objects <ws>/media/<sha256>: media_ship creates
 * those of DATA/<ws>/media the bucket lacks (before the object that references them);
 * media_pull fetches every one into root/<ws>/media (a pull's copy). */
enum status media_ship(struct ship *s, const char *ws, size_t *objects, struct err *e);
enum status media_pull(struct ship *s, const char *ws, const char *root, size_t *objects,
		       uint64_t *bytes, struct err *e);

/* files.c: the files of ws that travel with it, read into p->files (changed: their sha differs
 * from the state's); and one applied to the data directory root that a pull builds. */
enum status files_read(struct pass *p, struct err *e);
void files_free(struct pass *p);
enum status files_apply(const char *root, const char *data, const char *ws, const char *name,
			int fd, uint64_t off, uint64_t len, struct err *e);

/* snap.c: the snapshot of a pass (p->snapshot), created as object seq, and the compaction
 * after it; ST_CONFLICT when the object was there (the caller resolves it). */
enum status snap_write(struct pass *p, uint64_t seq, struct err *e);
/* Deletes what snapshot seq (now) replaced: what the snapshot before it (prev, or NULL) still
 * needs stays until the next one, unless erase (then all of it at once that is older than
 * started, when the pass began). */
size_t snap_compact(struct ship *s, const char *ws, uint64_t seq, const struct lo_hdr *prev,
		    const struct lo_hdr *now, bool erase, int64_t started);

/* pass.c, for snap.c and pull.c: the stores of ws. */
void pass_stores(struct ship *s, struct store st[2]);

#endif
