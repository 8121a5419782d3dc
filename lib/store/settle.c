/* settle: what every holder of a workspace's lock does first, finishing or undoing the batch
 * a writer left and rebuilding the tables after a reboot (settle.h), and a batch whose writer
 * died past its commit point finished by a reader (store_finish). */
#include "lib/store/settle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/store/io.h"
#include "lib/store/journal.h"
#include "lib/store/layout.h"
#include "lib/store/lines.h"
#include "lib/store/mapcache.h"
#include "lib/store/rebuild.h"
#include "lib/store/record.h"

enum status settle_prepare(struct store *st, const char *ws, struct keytable_set *t, int *jfd,
			   struct err *e)
{
	enum status rc = keytable_open_all(st, ws, t);
	if (rc != ST_OK)
		return err_set(e, rc, "id table: %s", strerror(errno));
	*jfd = journal_open(st, ws);
	if (*jfd < 0)
		return err_set(e, ST_UNAVAILABLE, "journal: %s", strerror(errno));
	if ((rc = journal_settle(st, ws, *jfd, t)) != ST_OK) {
		if (errno != JOURNAL_DAMAGED)
			return err_set(e, rc, "journal: %s", strerror(errno));
		/* docs/operations.md, "The admin commands": reindex settles no batch from it and
		 * starts it again. */
		return err_set(
		    e, rc,
		    "the journal of workspace %s is damaged (it names days that hold no "
		    "shard): no write can finish until `spandex reindex DATA --workspace "
		    "%s` rebuilds the indexes from the lines and starts a new journal",
		    ws, ws);
	}
	uint64_t boot = io_boot_id();
	if (rc == ST_OK &&
	    (t->id.hdr->boot != boot || t->tr.hdr->boot != boot || t->se.hdr->boot != boot)) {
		keytable_close_all(t);
		/* A day that cannot be read is left out until reindex (verify names it). */
		size_t passed = 0;
		rc = rebuild_ids(st, ws, &passed);
		if (rc == ST_OK)
			rc = keytable_open_all(st, ws, t);
		if (rc != ST_OK)
			err_set(e, rc, "id table: %s", strerror(errno));
	}
	return rc;
}

enum status settle_ws(struct store *st, const char *ws, struct err *e)
{
	struct keytable_set t = TAB_SET_CLOSED;
	int jfd = -1;
	enum status rc = settle_prepare(st, ws, &t, &jfd, e);
	keytable_close_all(&t);
	if (jfd >= 0)
		close(jfd);
	return rc;
}

/* settle_ws on ws when no process holds its lock (taken at once, never waited for, so a live
 * writer or admin command is never raced): what its next writer would do, done by a reader. */
static bool settle_unheld(struct store *st, const char *ws)
{
	char p[PATH_MAX];
	int fd;
	if (!layout_path(p, st, ws, LAYOUT_LOCK) || (fd = open(p, O_RDWR | O_CLOEXEC)) < 0)
		return false;
	bool done = false;
	struct stat sb; /* a lock file unlinked meanwhile: its workspace was taken away */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &sb) == 0 && sb.st_nlink > 0)
		done = settle_ws(st, ws, &(struct err){ST_OK, ""}) == ST_OK;
	close(fd);
	return done;
}

bool store_finish(struct store *st, const char *ws)
{
	/* The journal as readers see it (no lock, no open): only a batch of this boot stuck
	 * between its commit point and its publish is this function's. */
	struct mapcache_ent *mc;
	const struct jrn_hdr *j = lines_journal(st, ws, 0, &mc);
	if (!j)
		return false;
	bool stuck = __atomic_load_n(&j->n, __ATOMIC_ACQUIRE) &&
		     !__atomic_load_n(&j->open, __ATOMIC_ACQUIRE) && j->boot == io_boot_id();
	mapcache_put(mc);
	return stuck && settle_unheld(st, ws);
}

bool store_settle_boot(struct store *st, const char *ws, uint64_t look)
{
	struct mapcache_ent *mc;
	const struct keytable_hdr *t = keytable_view(st, ws, LAYOUT_IDS, look, &mc);
	if (!t)
		return false; /* none (nothing written yet) or damaged: the days answer */
	bool other = t->boot != io_boot_id();
	mapcache_put(mc);
	/* Only as the tables' owner: files made again by another user (root's `spandex export`)
	 * could not be written by the programs, and every write would answer 503. */
	char p[PATH_MAX];
	struct stat sb;
	return other && layout_path(p, st, ws, LAYOUT_IDS) && stat(p, &sb) == 0 &&
	       sb.st_uid == geteuid() && settle_unheld(st, ws);
}
