/* record: one index record and the header of the index file: a record made from a span, its
 * checksum and signature bits, reading a record and flipping its flags in place, and the
 * check that a line holds a given span id. Private to lib/store. */
#ifndef SPANDEX_STORE_RECORD_H
#define SPANDEX_STORE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/store/store.h"

#define IDX_MAGIC "SPXIDX1\n"
#define IDX_VERSION 1
#define IDX_VERSION_SEALED 2   /* set by a seal, so that older programs refuse the shard */
#define ENDIAN_TAG 0x01020304u /* in every file header: a file of the other byte order fails */

/* Batch ends an index header holds above durable; a writer that would need one more syncs
 * the shard first (commit_shard). As many writers as that can have a batch between its
 * commit and its fdatasync on one day without a sync under the lock. */
#define IDX_ENDS 10

/* <day>.idx starts with this header; committed records follow it. */
struct idx_hdr {
	char magic[8];
	uint32_t version, rec_size, endian;
	int32_t day;
	uint64_t committed;    /* records readers may trust; the commit point of a batch */
	uint64_t sealed_bytes; /* stream bytes in <day>.jsonl.zst; 0: an open shard */
	uint64_t sealed_recs;  /* records whose lines are there */
	/* Changes before and after every flag written in place (rec_write_flags): odd while a
	 * write is under way, even between them, and a fresh even value in a new header, so
	 * that counts taken from the flags (the day's .tix) can tell they still hold. 0 in a
	 * header written before it existed. */
	uint64_t flag_gen;
	/* Bytes of <day>.tdx that the committed records' text segments fill
	 * (lib/store/tailindex.h), moved by the same header write that commits them; 0 when there
	 * is none. */
	uint64_t text_end;
	/* A batch that moved committed but is not yet published (docs/ARCHITECTURE.md, "Writing
	 * a batch"): its journal sequence number (0: none) and the count before it. While the
	 * journal still has that batch open, readers take committed to be pend_from. Written
	 * before the committed count, cleared after the batch is published. */
	uint64_t pend_seq, pend_from;
	/* Power loss (docs/FORMAT.md, "Crash rules"): records [0, durable) and their lines
	 * are on disk (a writer's fdatasync covered them; raised after it), and ends holds the
	 * end (committed count) of each batch's records above durable, ascending, 0 past the
	 * last, so that after a power cut each of those batches is kept whole or cut off
	 * (store_settle). Every header written under the shard lock keeps every end above its
	 * durable. durable 0 with no end: a header written before these fields, trusted whole. */
	uint64_t durable;
	uint32_t ends[IDX_ENDS];
};
_Static_assert(sizeof(struct idx_hdr) == STORE_IDX_HDR, "the header is STORE_IDX_HDR bytes");

/* The header of a workspace's journal (format 3), which every reader of a day whose header
 * names a pending batch looks at. The entries (struct jent) follow it.
 * n is 0 when no batch is under way; open is the seq of the batch being written, 0 once it
 * is published (the batch's commit point) or undone. */
#define JOURNAL_MAGIC3 "SPXJRN3\n"
#define JOURNAL_HDR 64
struct jrn_hdr {
	char magic[8];
	uint32_t n;
	uint32_t count; /* the spans of the batch (0: written before the field) */
	uint64_t boot;	/* the boot id of the batch's writer, or of the last settle */
	uint64_t seq;	/* the last batch's number; each batch takes the next */
	uint64_t open;
	/* The ingested_at of the batch's first span: its spans have [base, base + count), so
	 * recovery knows a shard's records at the entry's start as the batch's or another's (a
	 * journal a power cut left behind after the batch was undone). */
	int64_t base;
	char pad2[JOURNAL_HDR - 48];
};
/* An entry of the journal, from byte JOURNAL_HDR on: a shard of the batch, its committed count
 * before the batch and after it. A reader of a day whose header names the open batch takes the
 * day at its entry's start (lines_visible). */
struct jent {
	int32_t day;
	uint32_t start, end;
};

/* CRC-32C of r with the superseded bit cleared (it is flipped in place later). */
uint32_t rec_crc(const struct idx_rec *r);
void rec_hdr_init(struct idx_hdr *h, int32_t day);
bool rec_hdr_ok(const struct idx_hdr *h);
/* The ends of h above its durable count (IDX_ENDS at most). */
size_t rec_ends_n(const struct idx_hdr *h);
/* Drops the ends at or below h->durable and above h->committed (a batch cut back). */
void rec_ends_prune(struct idx_hdr *h);
/* Adds end (a batch's records end there): false when h holds IDX_ENDS already. */
bool rec_ends_push(struct idx_hdr *h, uint64_t end);
/* Whether h predates durable and ends (both 0): its committed records are trusted whole. */
bool rec_hdr_legacy(const struct idx_hdr *h);
/* Record i of the index fd: 0, or -1 with errno. */
int rec_read(int fd, uint64_t i, struct idx_rec *r);
/* Writes the flags of record i of the index fd in place (the CRC leaves out SUPERSEDED, the
 * only bit that changes), the header's flag_gen made odd before and even after: 0, or -1
 * with errno. The caller holds the workspace lock. */
int rec_write_flags(int fd, uint64_t i, uint16_t flags);
/* Walks *committed back over records whose line is not all in the first size bytes of the
 * stream (a machine crash lost unsynced data; acknowledged records were synced). *end gets
 * where the line of the last one left ends (base when none past sealed_recs is left; records
 * up to sealed_recs are in the sealed file). 0, or -1 with errno. */
int rec_walk_back(int fd, uint64_t sealed_recs, uint64_t base, uint64_t size, uint64_t *committed,
		  uint64_t *end);
/* Where the id's JSON string starts on a canonical line, which opens with it ({"span_id": of
 * a span, {"id": of a judgement); 0 when it does not. */
size_t rec_line_id_at(const char *line, size_t len);
/* True when the canonical line starts with id literal lit (a rendered JSON string). */
bool rec_line_has_id(const char *line, size_t len, const struct buf *lit);
/* The record of a line of a store of kind (rec_from_line for spans, judgement_parse and
 * rec_from_judgement for judgements); false when the line is none of that kind. */
bool rec_line_record(enum store_kind kind, const char *line, size_t len, struct buf *scratch,
		     struct idx_rec *r);

/* What the write path needs of a kind of record: its C struct (size bytes), its id and the
 * time that picks its day, where the store sets its ingested_at, its canonical line (ending in
 * ingested_at when set), its index record, and reading a line back (strings into *root). */
struct jline_at;
/* The most members a line render_at writes has. */
#define REC_MAX_AT 64
struct rec_kind {
	const char *noun; /* "span", "judgement": in messages */
	size_t size;
	const char *(*id)(const void *o);
	int64_t (*started)(const void *o);
	int64_t *(*ingested)(void *o);
	void (*render)(const void *o, struct buf *out);
	/* render, and its members into at (room for REC_MAX_AT), their count into *nat; NULL when
	 * the kind has none (the text index reads its lines). */
	void (*render_at)(const void *o, struct buf *out, struct jline_at *at, size_t *nat);
	void (*rec)(const void *o, struct idx_rec *r);
	bool (*parse)(const char *line, size_t n, void *o, json_t **root);
	void (*init)(void *o);
	void (*clear)(void *o);
};
const struct rec_kind *rec_kind_of(enum store_kind k);

#endif
