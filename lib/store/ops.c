/* ops: the admin lock, the serve lock and retention over a data directory (backup.c
 * and restore.c hold the rest of ops.h). The locking follows the write protocol of
 * docs/ARCHITECTURE.md: the workspace lock, then the shard lock; docs/operations.md says how
 * cron runs these. */
#include "lib/store/ops.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/model/workspace.h"
#include "lib/store/io.h"
#include "lib/store/keytable.h"
#include "lib/store/mapcache.h"
#include "lib/store/rebuild.h"
#include "lib/store/settle.h"
#include "lib/store/mediagc.h"
#include "lib/store/opsfs.h"

/* ---- the admin lock ---- */

/* Whether the note "spandex CMD, pid N" names a holder of who (ops_lock_holders), or names one
 * when who is "" (the kernel cannot tell). */
static bool note_holds(const char *note, const char *who)
{
	char mine[48];
	const char *pid = strstr(note, ", pid ");
	if (!*note || !*who)
		return *note != 0;
	snprintf(mine, sizeof mine, "pid %ld (", pid ? strtol(pid + 6, NULL, 10) : -1L);
	return pid && strstr(who, mine);
}

int ops_lock(const char *root, const char *cmd, bool wait, struct err *e)
{
	char p[PATH_MAX];
	if (!ops_pathf(p, "%s/%s", root, OPS_LOCK_NAME)) {
		err_set(e, ST_BAD_REQUEST, "%s: path too long", root);
		return -1;
	}
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	struct stat sb;
	/* Run as root, the lock is given to DATA's owner, so the same command run later as that
	 * user (cron, sudo -u) can open it (issue 30). */
	if (fd < 0 || (geteuid() == 0 && stat(root, &sb) == 0 && sb.st_uid != 0 &&
		       fchown(fd, sb.st_uid, sb.st_gid) < 0)) {
		err_set(e, ST_UNAVAILABLE, "%s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno == EINTR)
			continue;
		int en = errno;
		char note[128] = "", who[256];
		ssize_t n = pread(fd, note, sizeof(note) - 1, 0);
		note[n > 0 ? n : 0] = 0;
		note[strcspn(note, "\n")] = 0;
		/* The note names the last spandex run that held the lock; the kernel names who
		 * holds it now (a holder that is not spandex leaves no note, and a note outlives
		 * its run). The note is used when its pid is a holder's, or when the kernel cannot
		 * tell. */
		ops_lock_holders(fd, who, sizeof who);
		const char *holder = note_holds(note, who) ? note
				     : *who		   ? who
							   : "its holder cannot be told";
		if (en == EWOULDBLOCK)
			err_set(e, ST_UNAVAILABLE, "another run holds %s (%s); try --wait", p,
				holder);
		else
			err_set(e, ST_UNAVAILABLE, "%s: %s", p, strerror(en));
		close(fd);
		errno = en;
		return -1;
	}
	/* Only a note for whoever is refused next; the flock is what excludes. Written before the
	 * cut, so a reader never finds the file empty between the two. */
	char note[128];
	int n = snprintf(note, sizeof(note), "spandex %s, pid %ld\n", cmd, (long)getpid());
	if (io_pwrite_all(fd, note, (size_t)n, 0) == 0 && ftruncate(fd, n) < 0) {
		/* A longer note left behind still starts with this run's line. */
	}
	return fd;
}

/* ---- the serve lock ---- */

/* Why the last ops_serve refused (path and errno, for the log), and what ops_serve_unlogged
 * last handed out: each reason reaches the log once per process, not once per request. */
static char serve_problem[PATH_MAX + 128], serve_told[sizeof serve_problem];

/* Refuses the request (issue 30: a program that cannot hold the lock is one a restore would
 * not see, and what it writes meanwhile would be lost): the path and errno for the log, a
 * plain 503 for the client. */
static enum status serve_refuse(const char *p, const char *what, int en, struct err *e)
{
	snprintf(serve_problem, sizeof serve_problem,
		 "%s: %s: %s; every request is refused until it can be held (a restore could "
		 "not tell this program serves DATA)",
		 p, what, strerror(en));
	return err_set(e, ST_UNAVAILABLE,
		       "The data directory cannot be locked for serving; retry later");
}

enum status ops_serve(const char *root, struct err *e)
{
	/* One root per process in practice; another one moves the lock there. */
	static int fd = -1;
	static char held[PATH_MAX];
	static struct stat id; /* fd's file, as it was when locked */
	char p[PATH_MAX];
	if (!ops_pathf(p, "%s/%s", root, OPS_SERVE_LOCK))
		return serve_refuse(root, "open", ENAMETOOLONG, e);
	/* Held, and still the file at its path: a lock file removed (a "stale lock" cleaned up)
	 * or replaced would hide this program from a restore, which locks the new one. */
	if (fd >= 0 && !strcmp(held, root) && io_same_file(&id, p))
		return ST_OK;
	int nfd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC, 0640);
	/* A DATA not made yet is made as the first write would (layout_mkdir). */
	if (nfd < 0 && errno == ENOENT && io_mkdir(root) == 0)
		nfd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC, 0640);
	if (nfd < 0) {
		/* A read-only file system: nothing is written there, and no restore runs. */
		if (errno == EROFS)
			return ST_OK;
		return serve_refuse(p, "open", errno, e);
	}
	while (flock(nfd, LOCK_SH | LOCK_NB) < 0) {
		int en = errno;
		if (en == EINTR)
			continue;
		close(nfd);
		if (en == EWOULDBLOCK)
			return err_set(e, ST_UNAVAILABLE,
				       "The data directory is being restored; retry later");
		return serve_refuse(p, "flock", en, e);
	}
	if (fstat(nfd, &id) < 0) {
		int en = errno;
		close(nfd);
		return serve_refuse(p, "fstat", en, e);
	}
	serve_problem[0] = serve_told[0] = 0;
	if (fd >= 0)
		close(fd);
	fd = nfd;
	snprintf(held, sizeof held, "%s", root);
	return ST_OK;
}

const char *ops_serve_unlogged(void)
{
	if (!serve_problem[0] || !strcmp(serve_problem, serve_told))
		return NULL;
	memcpy(serve_told, serve_problem, sizeof serve_told);
	return serve_told;
}

/* The processes holding a lock on the file behind fd, as "pid N (name)" (from /proc/locks
 * and /proc/N/comm, where Linux gives them), into out; "" when they cannot be told. */
void ops_lock_holders(int fd, char *out, size_t len)
{
	struct stat sb;
	char line[256];
	size_t used = 0, nseen = 0;
	long seen[16]; /* a holder is named once, however many lines the table gives it */
	out[0] = 0;
	FILE *f = fstat(fd, &sb) == 0 ? fopen("/proc/locks", "re") : NULL;
	if (!f)
		return;
	while (fgets(line, sizeof line, f) && used + 64 < len) {
		unsigned maj, min;
		unsigned long ino;
		long pid;
		char *at = strstr(line, "FLOCK");
		/* "->" marks a process waiting for the lock, not one holding it. */
		if (!at || strstr(line, "->") ||
		    sscanf(at, "FLOCK %*s %*s %ld %x:%x:%lu", &pid, &maj, &min, &ino) != 4 ||
		    ino != sb.st_ino || maj != major(sb.st_dev) || min != minor(sb.st_dev) ||
		    pid == (long)getpid())
			continue;
		size_t k = 0;
		while (k < nseen && seen[k] != pid)
			k++;
		if (k < nseen)
			continue;
		if (nseen < sizeof seen / sizeof *seen)
			seen[nseen++] = pid;
		char comm[64] = "?", cp[64];
		snprintf(cp, sizeof cp, "/proc/%ld/comm", pid);
		FILE *c = fopen(cp, "re");
		if (c) {
			if (fgets(comm, sizeof comm, c))
				comm[strcspn(comm, "\n")] = 0;
			fclose(c);
		}
		used += (size_t)snprintf(out + used, len - used, "%spid %ld (%s)", used ? ", " : "",
					 pid, comm);
	}
	fclose(f);
}

/* ---- retention ---- */

/* The files of a day retain keeps in the archive: the lines (plain, or sealed and late), the
 * index, which makes them a shard, and what reindex cut from the day, for a person to read. */
static const enum layout_file archived[] = {LAYOUT_JSONL, LAYOUT_ZST, LAYOUT_LATE, LAYOUT_IDX,
					    LAYOUT_QUARANTINE};
enum { NARCHIVED = sizeof archived / sizeof *archived };

/* The archive that takes day of ws, as a data directory (into arch, its root in root[size]):
 * ARCHIVE, or when an earlier run archived that day there already (spans came for it again,
 * and retain removed it again), the first of ARCHIVE/.copy-2, .copy-3 ... that holds none of
 * it, so no archived span is replaced; a name no workspace can have, so no tenant's days mix
 * with another's. 0; -1 with errno (ENOSPC past OPS_ARCHIVE_COPIES). */
static int archive_for(const struct store *st, const char *archive, const char *ws, int32_t day,
		       struct store *arch, char *root, size_t size)
{
	for (int copy = 1; copy <= OPS_ARCHIVE_COPIES; copy++) {
		if ((copy == 1 ? snprintf(root, size, "%s", archive)
			       : snprintf(root, size, "%s/.copy-%d", archive, copy)) >= (int)size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		store_init(arch, root, false);
		arch->kind = st->kind;
		bool taken = false;
		char p[PATH_MAX];
		for (size_t k = 0; !taken && k < NARCHIVED; k++)
			taken = !layout_shard_path(p, arch, ws, day, archived[k]) ||
				access(p, F_OK) == 0;
		if (!taken)
			return layout_mkdir(arch, ws);
	}
	errno = ENOSPC;
	return -1;
}

/* Puts file f of ws/<day> into arch/<ws>/ (laid out as a data directory): a hard link when
 * the archive is on the same file system, else a copy; either way under a temporary name
 * renamed into place. */
static int archive_file(struct store *st, const char *ws, int32_t day, enum layout_file f,
			struct store *arch)
{
	char src[PATH_MAX], dst[PATH_MAX], tmp[PATH_MAX];
	if (!layout_shard_path(src, st, ws, day, f) || !layout_shard_path(dst, arch, ws, day, f) ||
	    !ops_pathf(tmp, "%s.tmp", dst))
		return -1;
	if (access(src, F_OK) < 0)
		return errno == ENOENT ? 0 : -1;
	/* Whole or absent under the final name, even if this run dies halfway. */
	unlink(tmp);
	if (link(src, tmp) < 0 &&
	    ((errno != EXDEV && errno != EPERM) || ops_copy_path(src, tmp, NULL) < 0))
		return -1;
	if (rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

/* Removes one day of ws (the caller holds the workspace lock). The index goes first: from
 * then on no reader lists the day (store_days lists .idx files) and no id lookup trusts it
 * (read_version opens the .idx), so a crash between the two unlinks leaves only data
 * without an index, which readers never use and the next run removes. The other order
 * would leave an index naming lines that are gone. */
static enum status retain_day(struct store *st, const char *ws, int32_t day, const char *archive,
			      struct err *e)
{
	char ip[PATH_MAX], dp[PATH_MAX], d[11];
	time_day_format(day, d);
	if (!layout_shard_path(ip, st, ws, day, LAYOUT_IDX) ||
	    !layout_shard_path(dp, st, ws, day, LAYOUT_JSONL))
		return err_set(e, ST_BAD_REQUEST, "%s/%s: path too long", ws, d);
	/* The shard lock: no writer (nor reindex) is inside the shard while it goes. */
	int lfd = open(ip, O_RDWR | O_CLOEXEC);
	if (lfd < 0 && errno != ENOENT)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", ip, strerror(errno));
	if (lfd >= 0)
		io_lock_fd(lfd);
	enum status rc = ST_UNAVAILABLE;
	static const enum layout_file data[] = {LAYOUT_JSONL, LAYOUT_ZST, LAYOUT_LATE};
	enum { NDATA = sizeof(data) / sizeof(*data) };
	struct store arch; /* the archive is laid out as a data directory */
	char root[PATH_MAX];
	if (archive && archive_for(st, archive, ws, day, &arch, root, sizeof root) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "archiving %s/%s into %s: %s%s", ws, d, archive,
			     strerror(errno),
			     errno == ENOSPC
				 ? " (it holds that many copies of the day: the day stays)"
				 : "");
		goto out;
	}
	for (size_t k = 0; archive && k < NARCHIVED; k++)
		if (archive_file(st, ws, day, archived[k], &arch) < 0) {
			rc = err_set(e, ST_UNAVAILABLE, "archiving %s/%s: %s", ws, d,
				     strerror(errno));
			goto out;
		}
	/* The media its lines reference go with it: the sweep after may take them from here. */
	if (archive && st->kind == STORE_SPANS && mediagc_archive_day(st, ws, day, &arch) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "archiving the media of %s/%s: %s", ws, d,
			     strerror(errno));
		goto out;
	}
	if (unlink(ip) < 0 && errno != ENOENT)
		goto fail;
	for (size_t k = 0; k < NDATA; k++)
		if (!layout_shard_path(dp, st, ws, day, data[k]) ||
		    (unlink(dp) < 0 && errno != ENOENT))
			goto fail;
	/* Leftovers and derived files: the text index is never trusted without its shard (its
	 * last record must match), so it can go last. */
	static const enum layout_file extra[] = {
	    LAYOUT_ZST_TMP,   LAYOUT_LINES_TMP,	   LAYOUT_FOOTER_TMP,
	    LAYOUT_DAYINDEX,  LAYOUT_DAYINDEX_TMP, LAYOUT_TAILINDEX,
	    LAYOUT_TAILPAIRS, LAYOUT_SUP,	   LAYOUT_QUARANTINE};
	for (size_t k = 0; k < sizeof extra / sizeof *extra; k++)
		if (layout_shard_path(dp, st, ws, day, extra[k]))
			unlink(dp);
	rc = ST_OK;
	goto out;
fail:
	rc = err_set(e, ST_UNAVAILABLE, "removing %s/%s: %s", ws, d, strerror(errno));
out:
	if (lfd >= 0)
		close(lfd);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

int64_t ops_ingested_last(struct store *st, const char *ws)
{
	struct mapcache_ent *mc;
	const struct keytable_hdr *t =
	    workspace_valid(ws) ? keytable_view(st, ws, LAYOUT_IDS, 0, &mc) : NULL;
	if (!t)
		return 0;
	int64_t last = t->last_ingested;
	mapcache_put(mc);
	return last > 0 ? last : 0;
}

/* The days of ws the spans' store holds now (after its own retention), for the judgements'. */
struct held_days {
	int32_t *v;
	size_t n;
};

static bool held_any(const struct held_days *d, int32_t first, int32_t last)
{
	size_t lo = 0, hi = d->n;
	while (lo < hi) { /* the first day >= first */
		size_t mid = lo + (hi - lo) / 2;
		if (d->v[mid] < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n && d->v[lo] <= last;
}

/* Whether the spans' store still holds what judgement record j is of: its span (parent_h),
 * else its trace or session. A table that cannot answer counts as holding it: a judgement is
 * never removed on a guess. */
static bool target_held(struct store *sp, const char *ws, const struct held_days *d,
			const struct idx_rec *j)
{
	if (j->parent_h) {
		uint64_t *locs;
		size_t n;
		if (store_locate(sp, ws, 0, &j->parent_h, 1, &locs, &n) != ST_OK)
			return true;
		bool held = false;
		for (size_t i = 0; i < n && !held; i++)
			held = held_any(d, LOC_DAY(locs[i]), LOC_DAY(locs[i]));
		free(locs);
		return held;
	}
	if (!j->trace_h && !j->session_h)
		return false;
	int32_t first, last;
	enum status s = store_key_days(sp, ws, 0, j->trace_h ? STORE_KEY_TRACE : STORE_KEY_SESSION,
				       j->trace_h ? j->trace_h : j->session_h, &first, &last);
	return s == ST_NOT_FOUND ? false : s != ST_OK || held_any(d, first, last);
}

/* Why day of ws, before the cutoff, stays (r): 1 it holds a version ingested at or after
 * r->recent_us, 2 a judgement whose target r->spans holds (d its days); 0 it goes, as does a
 * day whose records cannot be read (nothing there says it is recent). */
static int day_stays(struct store *st, const char *ws, int32_t day, const struct ops_retention *r,
		     const struct held_days *d)
{
	struct shard sh;
	int why = 0;
	if ((r->recent_us == INT64_MAX && !r->spans) || shard_open(st, ws, day, &sh) != ST_OK)
		return 0;
	for (size_t k = 0; k < sh.nrecs && !why; k++)
		if (sh.recs[k].ingested_us >= r->recent_us)
			why = 1;
	for (size_t k = 0; r->spans && k < sh.nrecs && !why; k++)
		if (!(sh.recs[k].flags & REC_SUPERSEDED) &&
		    target_held(r->spans, ws, d, &sh.recs[k]))
			why = 2;
	shard_close(&sh);
	return why;
}

/* Keeps in old[0..*n) the days that go (day_stays 0), counting the others in out. */
static void days_that_go(struct store *st, const char *ws, const struct ops_retention *r,
			 int32_t *old, size_t *n, struct ops_retained *out)
{
	struct held_days d = {NULL, 0};
	if (r->spans && store_days(r->spans, ws, &d.v, &d.n) != ST_OK)
		d.v = NULL, d.n = 0;
	if (d.n)
		qsort(d.v, d.n, sizeof *d.v, cmp_i32);
	size_t k = 0;
	for (size_t i = 0; i < *n; i++) {
		int why = day_stays(st, ws, old[i], r, &d);
		if (!why)
			old[k++] = old[i];
		out->kept_recent += why == 1;
		out->kept_judged += why == 2;
	}
	*n = k;
	free(d.v);
}

/* Hashes of the live versions in the days about to go (sorted). */
static void live_hashes(struct store *st, const char *ws, const int32_t *days, size_t nd,
			uint64_t **hs, size_t *nh)
{
	size_t cap = 0;
	*hs = NULL;
	*nh = 0;
	for (size_t i = 0; i < nd; i++) {
		struct shard sh;
		if (shard_open(st, ws, days[i], &sh) != ST_OK)
			continue;
		for (size_t k = 0; k < sh.nrecs; k++) {
			if (sh.recs[k].flags & REC_SUPERSEDED)
				continue;
			if (*nh == cap) {
				cap = cap ? cap * 2 : 1024;
				*hs = xrealloc(*hs, cap * sizeof(**hs));
			}
			(*hs)[(*nh)++] = sh.recs[k].span_h;
		}
		shard_close(&sh);
	}
	if (*nh)
		qsort(*hs, *nh, sizeof(**hs), cmp_u64);
}

/* True when a remaining day holds a superseded version whose newer version was removed:
 * that older version is the newest one now, so flags and id table must be rebuilt (as
 * reindex would decide from the files alone). */
static bool needs_rebuild(struct store *st, const char *ws, const uint64_t *hs, size_t nh)
{
	int32_t *days;
	size_t nd;
	bool need = false;
	if (!nh || store_days(st, ws, &days, &nd) != ST_OK)
		return false;
	for (size_t i = 0; i < nd && !need; i++) {
		struct shard sh;
		if (shard_open(st, ws, days[i], &sh) != ST_OK)
			continue;
		for (size_t k = 0; k < sh.nrecs && !need; k++)
			need = (sh.recs[k].flags & REC_SUPERSEDED) &&
			       bsearch(&sh.recs[k].span_h, hs, nh, sizeof(*hs), cmp_u64);
		shard_close(&sh);
	}
	free(days);
	return need;
}

enum status ops_retain(struct store *st, const char *ws, const struct ops_retention *r,
		       struct ops_retained *out, struct err *e)
{
	const char *archive = r->archive;
	int32_t cutoff_day = r->cutoff_day;
	size_t *removed = &out->removed;
	memset(out, 0, sizeof *out);
	char p[PATH_MAX];
	int32_t *dd = NULL, *old = NULL;
	size_t ndd = 0, nold = 0, nh = 0;
	uint64_t *hs = NULL;
	struct store arch; /* the archive is laid out as a data directory */
	store_init(&arch, archive, false);
	arch.kind = st->kind;
	if (!workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", ws);
	if (archive && (!layout_dir(p, &arch, ws) || layout_mkdir(&arch, ws) < 0))
		return err_set(e, ST_UNAVAILABLE, "%s: %s", archive, strerror(errno));
	int lockfd = layout_ws_lock(st, ws, true);
	if (lockfd < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: workspace lock: %s", ws, strerror(errno));
	/* First what the next writer would do: finish an interrupted batch, whatever its days. */
	struct err se = {ST_OK, ""};
	enum status rc = settle_ws(st, ws, &se);
	if (rc != ST_OK) {
		rc = err_set(e, rc, "%s: finishing the journal: %s", ws, err_text(&se));
		goto out;
	}
	rc = layout_shard_days(st, ws, &dd, &ndd);
	if (rc != ST_OK) {
		rc = err_set(e, rc, "%s: cannot list its days: %s", ws, strerror(errno));
		goto out;
	}
	/* Days with any file: data left alone by an interrupted run goes too, and a quarantine
	 * whose day is already gone (kept by a retention that did not know it). */
	int32_t *qd = NULL;
	size_t nqd = 0;
	if (layout_days(st, ws, LAYOUT_QUARANTINE, &qd, &nqd) != ST_OK)
		nqd = 0;
	old = xmalloc((ndd + nqd + 1) * sizeof(*old));
	for (size_t i = 0, j = 0; i < ndd || j < nqd;) {
		int32_t day = j == nqd || (i < ndd && dd[i] <= qd[j]) ? dd[i++] : qd[j++];
		if (day < cutoff_day && (!nold || old[nold - 1] != day))
			old[nold++] = day;
	}
	free(qd);
	days_that_go(st, ws, r, old, &nold, out);
	if (!nold)
		goto out;
	live_hashes(st, ws, old, nold, &hs, &nh);
	for (size_t i = 0; rc == ST_OK && i < nold; i++) {
		rc = retain_day(st, ws, old[i], archive, e);
		*removed += rc == ST_OK;
	}
	layout_sync_dir(st, ws);
	if (archive && layout_dir(p, &arch, ws))
		io_sync_dir(p);
	/* Left as they are, id table slots that point into a removed day are stale: lookups and
	 * writers already treat a slot whose shard is gone as empty. */
	size_t passed = 0;
	if (*removed && needs_rebuild(st, ws, hs, nh) && rebuild_ids(st, ws, &passed) != ST_OK &&
	    rc == ST_OK)
		rc = err_set(e, ST_UNAVAILABLE, "%s: rebuilding the id table: %s", ws,
			     strerror(errno));
out:
	close(lockfd);
	/* The media no remaining line references, without the lock: a mark and sweep reads every
	 * line, and writers go on meanwhile (ops_media_sweep). */
	if (rc == ST_OK && st->kind == STORE_SPANS && *removed) {
		struct err me = {ST_OK, ""};
		if (ops_media_sweep(st, ws, time_now(), &out->media, &me) != ST_OK)
			rc = err_set(e, me.st, "%s", err_text(&me));
	}
	free(dd);
	free(old);
	free(hs);
	return rc;
}

/* ---- export ---- */

int ops_export_media(struct store *st, const char *ws, const char *line, size_t n, const char *dir)
{
	return mediagc_export_line(st, ws, line, n, dir);
}
