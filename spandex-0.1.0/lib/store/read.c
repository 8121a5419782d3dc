/* store: append, get and read views over the JSONL shards, their indexes and the id table.
 * The file format and the crash rules are described in docs/ARCHITECTURE.md. */
#include "lib/store/store.h"
#include "lib/store/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/model/workspace.h"

_Static_assert(sizeof(struct idx_rec) == 128, "idx_rec is 128 bytes");
_Static_assert(sizeof(struct idx_hdr) == IDX_HDR, "idx header is 128 bytes");
_Static_assert(sizeof(struct ids_hdr) == IDS_HDR, "id table header is 64 bytes");

const char *const sig_eval_keys[SIG_EVAL_KEYS] = {
    "evaluation_id", "evaluation_sha",	"evaluation_run_id", "dataset_id",
    "dataset_name",  "dataset_version", "test_case_id",
};

void store_init(struct store *st, const char *root, bool sync)
{
	st->root = root;
	st->sync = sync;
}

uint64_t sig_bits(int field, const char *value, size_t n)
{
	uint64_t h = hash_bytes(value, n) ^ ((uint64_t)(field + 1) * 0x9e3779b97f4a7c15ull);
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (1ull << (h & 63)) | (1ull << ((h >> 6) & 63));
}

static uint64_t id_hash(const char *s)
{
	return s ? hash_bytes(s, strlen(s)) : 0;
}

static void set_tok(int64_t v, uint32_t *out, uint16_t *flags, uint16_t bit)
{
	if (v == SPAN_NONE_I64)
		return;
	*out = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	*flags |= bit;
}

static void set_cost(double v, double *out, uint16_t *flags, uint16_t bit)
{
	if (isnan(v))
		return;
	*out = v;
	*flags |= bit;
}

void idx_rec_from_span(const struct span *s, struct idx_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->span_h = id_hash(s->span_id);
	r->trace_h = id_hash(s->trace_id);
	r->session_h = id_hash(s->session_id);
	bool root = !s->parent_span_id || !*s->parent_span_id;
	r->parent_h = root ? 0 : id_hash(s->parent_span_id);
	r->started_us = s->started_at;
	r->ended_us = s->ended_at;
	r->ingested_us = s->ingested_at;
	r->kind = (uint8_t)s->kind;
	r->status = (uint8_t)s->status;
	r->flags = root ? REC_ROOT : 0;
	if (s->trace_id)
		r->flags |= REC_HAS_TRACE;
	set_tok(s->input_tokens, &r->in_tok, &r->flags, REC_HAS_IN_TOK);
	set_tok(s->output_tokens, &r->out_tok, &r->flags, REC_HAS_OUT_TOK);
	set_tok(s->cached_tokens, &r->cached_tok, &r->flags, REC_HAS_CACHED_TOK);
	set_tok(s->total_tokens, &r->total_tok, &r->flags, REC_HAS_TOTAL_TOK);
	set_cost(s->cost_total_usd, &r->cost_total, &r->flags, REC_HAS_COST_TOTAL);
	set_cost(s->cost_input_usd, &r->cost_in, &r->flags, REC_HAS_COST_IN);
	set_cost(s->cost_output_usd, &r->cost_out, &r->flags, REC_HAS_COST_OUT);
	for (int i = 0; i < SS__COUNT; i++)
		if (s->str[i] && i != SS_ERROR_TYPE && i != SS_ERROR_MESSAGE)
			r->sig |= sig_bits(i, s->str[i], strlen(s->str[i]));
	for (int k = 0; k < SIG_EVAL_KEYS && s->evaluation_context; k++) {
		json_t *v = json_object_get(s->evaluation_context, sig_eval_keys[k]);
		if (json_is_string(v))
			r->sig |= sig_bits(SIG_FIELD_EVAL + k, json_string_value(v),
					   json_string_length(v));
	}
	r->source_h = (uint32_t)id_hash(s->source);
}

uint32_t idx_rec_crc(const struct idx_rec *r)
{
	/* The superseded bit is flipped in place later, so the checksum leaves it out. */
	struct idx_rec c = *r;
	c.flags &= (uint16_t)~REC_SUPERSEDED;
	return hash_crc32c(0, &c, offsetof(struct idx_rec, crc));
}

/* ---- paths and small I/O helpers ---- */

bool store_path(char *out, const struct store *st, const char *ws, const char *name)
{
	int n = ws ? snprintf(out, PATH_MAX, "%s/%s/%s", st->root, ws, name)
		   : snprintf(out, PATH_MAX, "%s/%s", st->root, name);
	return n > 0 && n < PATH_MAX;
}

bool shard_path(char *out, const struct store *st, const char *ws, int32_t day, const char *ext)
{
	char d[11], name[32];
	time_day_format(day, d);
	snprintf(name, sizeof(name), "%s.%s", d, ext);
	return store_path(out, st, ws, name);
}

int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	const char *s = p;
	while (n) {
		ssize_t w = pwrite(fd, s, n, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

int pread_all(int fd, void *p, size_t n, off_t off)
{
	char *s = p;
	while (n) {
		ssize_t r = pread(fd, s, n, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO; /* short file: treated like a damaged one */
			return -1;
		}
		s += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

uint64_t boot_id(void)
{
	/* Changes at every boot: an id table written before a crash of the machine may have
	 * lost pages that its shards (which are fdatasync'ed) kept, so it is rebuilt then. A
	 * process lives within one boot, so it reads the id once. */
	static uint64_t cached;
	static bool known;
	if (known)
		return cached;
	char b[64] = {0};
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, b, sizeof(b) - 1);
		close(fd);
		cached = n > 0 ? hash_bytes(b, (size_t)n) : 0;
	}
	known = true;
	return cached;
}

/* ---- shard headers ---- */

void idx_hdr_init(struct idx_hdr *h, int32_t day)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, IDX_MAGIC, 8);
	h->version = IDX_VERSION;
	h->rec_size = sizeof(struct idx_rec);
	h->endian = ENDIAN_TAG;
	h->day = day;
}

bool idx_hdr_ok(const struct idx_hdr *h)
{
	return !memcmp(h->magic, IDX_MAGIC, 8) &&
	       (h->version == IDX_VERSION || h->version == IDX_VERSION_SEALED) &&
	       h->rec_size == sizeof(struct idx_rec) && h->endian == ENDIAN_TAG;
}

/* ---- reading ---- */

enum status shard_open(struct store *st, const char *ws, int32_t day, struct shard *sh)
{
	char p[PATH_MAX];
	memset(sh, 0, sizeof(*sh));
	sh->day = day;
	sh->d.fd = -1;
	if (!shard_path(p, st, ws, day, "idx"))
		return ST_NOT_FOUND;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return status_from_errno(errno);
	struct idx_hdr h;
	struct stat sb;
	enum status rc = shard_data_open(st, ws, day, fd, &h, &sh->d);
	if (rc != ST_OK)
		goto out;
	rc = ST_UNAVAILABLE;
	if (fstat(fd, &sb) < 0)
		goto out;
	/* Readers trust only committed records, and never past the end of the file. */
	size_t have = ((size_t)sb.st_size - IDX_HDR) / sizeof(struct idx_rec);
	sh->nrecs = h.committed < have ? h.committed : have;
	sh->nsealed = h.sealed_recs < sh->nrecs ? h.sealed_recs : sh->nrecs;
	if (sh->nrecs) {
		sh->maplen = IDX_HDR + sh->nrecs * sizeof(struct idx_rec);
		sh->map = mmap(NULL, sh->maplen, PROT_READ, MAP_SHARED, fd, 0);
		if (sh->map == MAP_FAILED) {
			sh->map = NULL;
			goto out;
		}
		sh->recs = (const struct idx_rec *)((const char *)sh->map + IDX_HDR);
	}
	rc = ST_OK;
out:
	close(fd);
	if (rc != ST_OK)
		shard_close(sh);
	return rc;
}

void shard_close(struct shard *sh)
{
	if (sh->map)
		munmap(sh->map, sh->maplen);
	sdata_close(&sh->d);
	sh->map = NULL;
	sh->recs = NULL;
	sh->nrecs = sh->nsealed = 0;
}

enum status shard_line(struct shard *sh, size_t i, struct buf *out)
{
	const struct idx_rec *r = &sh->recs[i];
	buf_reserve(out, r->len);
	if (sdata_read(&sh->d, r->off, out->p + out->len, r->len) < 0)
		return ST_UNAVAILABLE;
	out->len += r->len;
	out->p[out->len] = 0;
	return ST_OK;
}

bool shard_view(struct shard *sh, size_t i, const char **p, size_t *n)
{
	const struct idx_rec *r = &sh->recs[i];
	*n = r->len;
	return sdata_view(&sh->d, r->off, r->len, p);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

enum status list_days(struct store *st, const char *ws, const char *ext, int32_t **days, size_t *n)
{
	char p[PATH_MAX];
	*days = NULL;
	*n = 0;
	if (!store_path(p, st, ws, "."))
		return ST_NOT_FOUND;
	DIR *d = opendir(p);
	if (!d)
		return errno == ENOENT ? ST_OK : status_from_errno(errno);
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char day[11];
		int32_t dn;
		if (strlen(e->d_name) != 10 + strlen(ext) || strcmp(e->d_name + 10, ext))
			continue;
		memcpy(day, e->d_name, 10);
		day[10] = 0;
		if (!time_day_parse(day, &dn))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*days = xrealloc(*days, cap * sizeof(**days));
		}
		(*days)[(*n)++] = dn;
	}
	closedir(d);
	if (*n)
		qsort(*days, *n, sizeof(**days), cmp_i32);
	return ST_OK;
}

enum status shard_days(struct store *st, const char *ws, int32_t **days, size_t *n)
{
	static const char *const exts[] = {".idx", ".jsonl", ".jsonl.zst", ".late.jsonl"};
	*days = NULL;
	*n = 0;
	for (size_t e = 0; e < sizeof(exts) / sizeof(*exts); e++) {
		int32_t *d;
		size_t nd;
		enum status rc = list_days(st, ws, exts[e], &d, &nd);
		if (rc != ST_OK) {
			free(*days);
			*days = NULL;
			*n = 0;
			return rc;
		}
		*days = xrealloc(*days, (*n + nd + 1) * sizeof(**days));
		if (nd)
			memcpy(*days + *n, d, nd * sizeof(*d));
		*n += nd;
		free(d);
	}
	if (*n)
		qsort(*days, *n, sizeof(**days), cmp_i32);
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (!k || (*days)[k - 1] != (*days)[i])
			(*days)[k++] = (*days)[i];
	*n = k;
	return ST_OK;
}

enum status store_days(struct store *st, const char *ws, int32_t **days, size_t *n)
{
	return list_days(st, ws, ".idx", days, n);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum status store_workspaces(struct store *st, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(st->root);
	if (!d)
		return errno == ENOENT ? ST_OK : status_from_errno(errno);
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!workspace_valid(e->d_name))
			continue;
		char p[PATH_MAX];
		struct stat sb;
		if (!store_path(p, st, e->d_name, "ids.tab") || stat(p, &sb) < 0) {
			/* A workspace is a directory with shards; the id table marks it. */
			if (!store_path(p, st, e->d_name, ".") || stat(p, &sb) < 0 ||
			    !S_ISDIR(sb.st_mode))
				continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*names = xrealloc(*names, cap * sizeof(**names));
		}
		(*names)[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_str);
	return ST_OK;
}

/* Compares the span_id at the start of a canonical line with the rendered id literal. */
bool line_has_id(const char *line, size_t len, const struct buf *lit)
{
	static const char pre[] = "{\"span_id\":";
	size_t pl = sizeof(pre) - 1;
	return len > pl + lit->len && !memcmp(line, pre, pl) &&
	       !memcmp(line + pl, lit->p, lit->len) &&
	       (line[pl + lit->len] == ',' || line[pl + lit->len] == '}');
}

/* Linear probing over a table file read with pread: the next slot of hash h from *i on (*n
 * slots seen so far). 1 with *out filled, 0 at an empty slot (h is not there), -1 on I/O. */
static int tab_next(int fd, const struct ids_hdr *hdr, uint64_t h, uint64_t *i, uint64_t *n,
		    struct ids_slot *out)
{
	for (; *n < hdr->nslots; *i = (*i + 1) & (hdr->nslots - 1), (*n)++) {
		if (pread_all(fd, out, sizeof(*out), IDS_HDR + (off_t)(*i * sizeof(*out))) < 0)
			return -1;
		if (out->h == 0)
			return 0;
		if (out->h == h) {
			*i = (*i + 1) & (hdr->nslots - 1);
			(*n)++;
			return 1;
		}
	}
	return 0;
}

/* Reads record rec of ws/day and its line if it holds span lit (hash h). */
static enum status read_version(struct store *st, const char *ws, int32_t day, uint32_t rec,
				uint64_t h, const struct buf *lit, struct buf *out)
{
	char p[PATH_MAX];
	int ifd = -1;
	struct sdata d = {.fd = -1};
	enum status rc = ST_NOT_FOUND;
	struct idx_rec r;
	struct idx_hdr hdr;
	/* No need for the header's commit count: the id table names a record only after its
	 * batch committed it, and the checksum, the hash and the id in the line prove the rest.
	 * The header says where the lines are (open or sealed). */
	if (!shard_path(p, st, ws, day, "idx") || (ifd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	if (pread_all(ifd, &r, sizeof(r), IDX_HDR + (off_t)rec * (off_t)sizeof(r)) < 0 ||
	    r.span_h != h || idx_rec_crc(&r) != r.crc)
		goto out;
	if (shard_data_open(st, ws, day, ifd, &hdr, &d) != ST_OK)
		goto out;
	size_t start = out->len;
	buf_reserve(out, r.len);
	if (sdata_read(&d, r.off, out->p + start, r.len) < 0) {
		rc = ST_UNAVAILABLE;
		goto out;
	}
	if (!line_has_id(out->p + start, r.len, lit))
		goto out;
	out->len += r.len;
	out->p[out->len] = 0;
	rc = ST_OK;
out:
	if (ifd >= 0)
		close(ifd);
	sdata_close(&d);
	return rc;
}

/* The slow path, used only while the id table may be stale (first read after a reboot that
 * followed a crash, before any writer rebuilt it): newest day first, newest record first. */
static enum status get_by_scan(struct store *st, const char *ws, uint64_t h, const struct buf *lit,
			       struct buf *out)
{
	int32_t *days;
	size_t nd;
	enum status rc = store_days(st, ws, &days, &nd);
	if (rc != ST_OK)
		return rc;
	rc = ST_NOT_FOUND;
	for (size_t i = nd; i-- > 0 && rc == ST_NOT_FOUND;) {
		struct shard sh;
		if (shard_open(st, ws, days[i], &sh) != ST_OK)
			continue;
		/* Newest record first: the late ones, then (sealed) those the id table names for
		 * h, else every record. */
		const struct seal_id *ids = NULL;
		size_t nids = 0, from = 0;
		if (sh.d.z && sh.d.z->h->nrecs == sh.nsealed) {
			nids = sealed_find(sh.d.z, h, &ids);
			from = sh.nsealed;
		}
		for (size_t j = sh.nrecs - from + nids; j-- > 0;) {
			size_t k = j >= nids ? from + (j - nids) : (size_t)ids[j].rec;
			const struct idx_rec *r = &sh.recs[k];
			if (r->span_h != h || (r->flags & REC_SUPERSEDED))
				continue;
			size_t start = out->len;
			if (shard_line(&sh, k, out) == ST_OK &&
			    line_has_id(out->p + start, r->len, lit)) {
				rc = ST_OK;
				break;
			}
			out->len = start;
		}
		shard_close(&sh);
	}
	free(days);
	return rc;
}

enum status store_get(struct store *st, const char *ws, const char *span_id, struct buf *out)
{
	char p[PATH_MAX];
	if (!workspace_valid(ws) || !store_path(p, st, ws, "ids.tab"))
		return ST_NOT_FOUND;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? ST_NOT_FOUND : status_from_errno(errno);
	struct buf lit;
	buf_init(&lit);
	jsonw_string(&lit, span_id, strlen(span_id));
	uint64_t h = id_hash(span_id);
	enum status rc = ST_NOT_FOUND;
	struct ids_hdr hdr;
	if (pread_all(fd, &hdr, sizeof(hdr), 0) < 0 || !ids_hdr_ok(&hdr)) {
		rc = ST_UNAVAILABLE;
		goto out;
	}
	if (hdr.boot != boot_id()) {
		rc = get_by_scan(st, ws, h, &lit, out);
		goto out;
	}
	struct ids_slot slot;
	for (uint64_t i = h & (hdr.nslots - 1), n = 0; rc == ST_NOT_FOUND;) {
		int f = tab_next(fd, &hdr, h, &i, &n, &slot);
		if (f <= 0) {
			rc = f < 0 ? ST_UNAVAILABLE : ST_NOT_FOUND;
			break;
		}
		rc = read_version(st, ws, LOC_DAY(slot.loc), LOC_REC(slot.loc), h, &lit, out);
	}
out:
	buf_free(&lit);
	close(fd);
	return rc;
}

enum status store_key_days(struct store *st, const char *ws, enum store_key which, uint64_t h,
			   int32_t *first, int32_t *last)
{
	char p[PATH_MAX];
	if (!workspace_valid(ws) ||
	    !store_path(p, st, ws, which == STORE_KEY_TRACE ? "traces.tab" : "sessions.tab"))
		return ST_UNAVAILABLE;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ST_UNAVAILABLE;
	enum status rc = ST_UNAVAILABLE;
	struct ids_hdr hdr;
	if (pread_all(fd, &hdr, sizeof(hdr), 0) < 0 || !ids_hdr_ok(&hdr) || hdr.boot != boot_id())
		goto out;
	struct ids_slot slot;
	uint64_t i = h & (hdr.nslots - 1), n = 0;
	int f = tab_next(fd, &hdr, h, &i, &n, &slot);
	rc = f < 0 ? ST_UNAVAILABLE : f == 0 ? ST_NOT_FOUND : ST_OK;
	if (f > 0) {
		/* A 64-bit hash shared by two ids only widens the range: still a superset. */
		*first = RANGE_LO(slot.loc);
		*last = RANGE_HI(slot.loc);
	}
out:
	close(fd);
	return rc;
}
