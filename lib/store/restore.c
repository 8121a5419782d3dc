/* restore: ops_restore (ops.h), a backup generation checked and copied back into DATA. */
#include "lib/store/ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/time.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/media.h"
#include "lib/store/record.h"
#include "lib/store/sealed.h"
#include "lib/store/opsfs.h"

/* Where make install puts the docs a message names (Makefile.am passes $(docdir)). */
#ifndef SPANDEX_DOCDIR
#define SPANDEX_DOCDIR "/usr/share/doc/spandex"
#endif

/* ---- restore ---- */

/* True when dir holds nothing but the admin and serve locks. */
static bool dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	bool empty = true;
	if (!d)
		return errno == ENOENT;
	struct dirent *e;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
			!strcmp(e->d_name, OPS_LOCK_NAME) || !strcmp(e->d_name, OPS_SERVE_LOCK);
	closedir(d);
	return empty;
}

/* Checks every day the MANIFEST lists against the files of the generation: a generation
 * whose files were cut short or lost is refused before anything is copied. */
/* Whether the generation g holds the lines the index of ws/day names, bytes of stream in
 * all: the plain lines, or (sealed) the sealed file and the late lines. */
static bool gen_lines_ok(const struct store *g, const char *ws, int32_t day,
			 unsigned long long bytes)
{
	char ip[PATH_MAX], dp[PATH_MAX], zp[PATH_MAX], lp[PATH_MAX];
	struct idx_hdr h;
	struct stat sb;
	struct sealed *z;
	if (!layout_shard_path(ip, g, ws, day, LAYOUT_IDX) ||
	    !layout_shard_path(dp, g, ws, day, LAYOUT_JSONL) ||
	    !layout_shard_path(zp, g, ws, day, LAYOUT_ZST) ||
	    !layout_shard_path(lp, g, ws, day, LAYOUT_LATE))
		return false;
	int fd = open(ip, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && io_pread_all(fd, &h, sizeof(h), 0) == 0 && rec_hdr_ok(&h);
	if (fd >= 0)
		close(fd);
	if (!ok)
		return false;
	if (!h.sealed_bytes)
		return stat(dp, &sb) == 0 && (unsigned long long)sb.st_size == bytes;
	if (sealed_open(zp, &z) != ST_OK)
		return false;
	ok = z->h->bytes >= h.sealed_bytes && bytes >= h.sealed_bytes;
	sealed_close(z);
	uint64_t late = stat(lp, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	return ok && late == bytes - h.sealed_bytes;
}

/* The media files of ws in the generation g: how many, and their bytes. */
struct media_count {
	size_t files;
	uint64_t bytes;
};

static bool media_count_one(void *ctx, const struct media_file *f)
{
	struct media_count *c = ctx;
	c->files += f->media;
	c->bytes += f->media ? f->size : 0;
	return true;
}

static bool gen_media_ok(const struct store *g, const char *ws, size_t files,
			 unsigned long long bytes)
{
	struct media_count c = {0, 0};
	return workspace_valid(ws) && media_each(g, ws, media_count_one, &c) == 0 &&
	       c.files == files && c.bytes == bytes;
}

static enum status gen_check(const char *gen, struct err *e)
{
	char p[PATH_MAX], line[512];
	struct store g;
	store_init(&g, gen, false);
	if (!ops_pathf(p, "%s/MANIFEST", gen))
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", gen);
	FILE *f = fopen(p, "re");
	if (!f)
		return err_set(e, ST_NOT_FOUND, "%s: %s", p, strerror(errno));
	enum status rc = ST_OK;
	for (unsigned lineno = 1; rc == ST_OK && fgets(line, sizeof(line), f); lineno++) {
		char ws[64], day[16], ip[PATH_MAX];
		unsigned long long recs, bytes;
		int32_t dn;
		struct stat is;
		char name[64], fp[PATH_MAX];
		struct stat fs;
		if (sscanf(line, "# file %63s %llu", name, &bytes) == 2 &&
		    (name[0] != '.' || strchr(name, '/') || !ops_pathf(fp, "%s/%s", gen, name) ||
		     stat(fp, &fs) < 0 || (unsigned long long)fs.st_size != bytes)) {
			rc = err_set(e, ST_INVALID,
				     "%s/%s: missing, or not the size the MANIFEST records", gen,
				     name);
			break;
		}
		if (sscanf(line, "# rules %63s %llu", name, &bytes) == 2 &&
		    (!workspace_valid(name) || !layout_path(fp, &g, name, LAYOUT_RULES) ||
		     stat(fp, &fs) < 0 || (unsigned long long)fs.st_size != bytes)) {
			rc = err_set(e, ST_INVALID,
				     "%s/%s/retention.json: missing, or not the size the MANIFEST "
				     "records",
				     gen, name);
			break;
		}
		size_t files;
		if (sscanf(line, "# media %63s %zu %llu", name, &files, &bytes) == 3 &&
		    !gen_media_ok(&g, name, files, bytes)) {
			rc = err_set(e, ST_INVALID,
				     "%s/%s/%s: not the files or bytes the MANIFEST records", gen,
				     name, STORE_MEDIA_DIR);
			break;
		}
		if (line[0] == '#')
			continue;
		bool parsed = sscanf(line, "%63s %15s %llu %llu", ws, day, &recs, &bytes) == 4;
		/* A judgements' day: <ws>/judgements. */
		char *slash = parsed ? strchr(ws, '/') : NULL;
		g.kind = slash ? STORE_JUDGEMENTS : STORE_SPANS;
		if (slash)
			*slash++ = 0;
		if (!parsed || !workspace_valid(ws) ||
		    (slash && strcmp(slash, STORE_JUDGEMENTS_DIR))) {
			rc = err_set(e, ST_INVALID, "%s line %u: not a manifest line", p, lineno);
			break;
		}
		if (!time_day_parse(day, &dn) || !layout_shard_path(ip, &g, ws, dn, LAYOUT_IDX) ||
		    stat(ip, &is) < 0 ||
		    (unsigned long long)is.st_size !=
			STORE_IDX_HDR + recs * sizeof(struct idx_rec) ||
		    !gen_lines_ok(&g, ws, dn, bytes))
			rc = err_set(e, ST_INVALID,
				     "%s/%s/%s: missing, or not the size the MANIFEST records", gen,
				     ws, day);
	}
	fclose(f);
	return rc;
}

/* The owner of the data directory a restore run as root writes into (issue 30): the programs
 * run as that user and must read the key file (0600), take the serve lock and write into the
 * restored workspaces, as `spandex key` does (auth.c). Unset when not root, or when root owns
 * DATA: then there is nothing to give. */
static uid_t owner_uid;
static gid_t owner_gid;
static bool owner_give;

static void owner_find(const char *root)
{
	struct stat sb;
	owner_give = geteuid() == 0 && stat(root, &sb) == 0 && sb.st_uid != 0;
	owner_uid = owner_give ? sb.st_uid : 0;
	owner_gid = owner_give ? sb.st_gid : 0;
}

static int give_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return lchown(p, owner_uid, owner_gid);
}

/* Gives path (with what is under it) to DATA's owner (owner_find); 0, or -1 with errno. */
static int give_to_owner(const char *p)
{
	return owner_give ? nftw(p, give_one, 16, FTW_PHYS) : 0;
}

int ops_give_to_owner(const char *root, const char *ws)
{
	char p[PATH_MAX];
	owner_find(root);
	if (!ops_pathf(p, "%s/%s", root, ws)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return give_to_owner(p);
}

/* What copy_dir copies of a directory: a workspace's (its files, its judgements/ directory's,
 * its media/<aa>/ directories'), one of files only, or media/ (its <aa>/ directories). */
enum copy_what { COPY_WS, COPY_FILES, COPY_MEDIA };

/* Copies directory src into directory dst (made), as what says: a copy, never a link (the
 * store writes into its files: flags, appends; media files are only read, but a backup is
 * often on another file system). Names starting with '.' are passed over. */
static enum status copy_dir(const char *src, const char *dst, enum copy_what what, struct err *e)
{
	if (io_mkdir(dst) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", dst, strerror(errno));
	DIR *d = opendir(src);
	if (!d)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", src, strerror(errno));
	enum status rc = ST_OK;
	struct dirent *de;
	while (rc == ST_OK && (de = readdir(d))) {
		char from[PATH_MAX], to[PATH_MAX];
		const char *name = de->d_name;
		if (name[0] == '.' || (what == COPY_MEDIA && strlen(name) != 2))
			continue;
		if (!ops_pathf(from, "%s/%s", src, name) || !ops_pathf(to, "%s/%s", dst, name))
			rc = err_set(e, ST_BAD_REQUEST, "%s: path too long", src);
		else if (what == COPY_MEDIA ||
			 (what == COPY_WS && !strcmp(name, STORE_JUDGEMENTS_DIR)))
			rc = copy_dir(from, to, COPY_FILES, e);
		else if (what == COPY_WS && !strcmp(name, STORE_MEDIA_DIR))
			rc = copy_dir(from, to, COPY_MEDIA, e);
		else if (ops_copy_path(from, to, NULL) < 0)
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", from, strerror(errno));
	}
	closedir(d);
	if (rc == ST_OK)
		io_sync_dir(dst);
	return rc;
}

/* Test hook (t/integration/backup.test.mjs): SPANDEX_TEST_KILL_IN_RESTORE set kills restore
 * with SIGKILL between its two renames, the workspace moved aside and the new one not yet in
 * place. Unset in every real deployment. */
#define TEST_KILL_IN_RESTORE "SPANDEX_TEST_KILL_IN_RESTORE"

/* Settles what a killed restore left in root (run under the serve and admin locks, before
 * anything is copied): a .old-<ws> without its <ws> was moved aside and the new copy never
 * took its place, so it goes back; a .old-<ws> beside its <ws> stays (a writer may have made
 * <ws> anew since; restoring <ws> replaces it, as before); a .restore-<ws> is a copy never
 * swapped in, and goes. *repaired counts the workspaces put back. */
static enum status restore_settle(const char *root, size_t *repaired, struct err *e)
{
	DIR *d = opendir(root);
	if (!d)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", root, strerror(errno));
	enum status rc = ST_OK;
	struct dirent *de;
	while (rc == ST_OK && (de = readdir(d))) {
		char p[PATH_MAX], ws[PATH_MAX];
		bool old = !strncmp(de->d_name, ".old-", 5);
		if (!old && strncmp(de->d_name, ".restore-", 9))
			continue;
		const char *name = de->d_name + (old ? 5 : 9);
		if (!workspace_valid(name) || !ops_pathf(p, "%s/%s", root, de->d_name) ||
		    !ops_pathf(ws, "%s/%s", root, name))
			continue;
		if (old && access(ws, F_OK) == 0)
			continue; /* replaced, or made anew by a writer since: not this run's to
				     drop */
		if (old) {
			if (rename(p, ws) < 0)
				rc = err_set(e, ST_UNAVAILABLE, "%s: %s", p, strerror(errno));
			else
				++*repaired;
		} else if (ops_rm_rf(p) < 0) {
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", p, strerror(errno));
		}
	}
	closedir(d);
	if (rc == ST_OK && *repaired)
		io_sync_dir(root);
	return rc;
}

/* Copies gen/<ws> (with its judgements) into root/.restore-<ws>, then swaps it in for
 * root/<ws>. */
static enum status restore_ws(const char *gen, struct store *st, const char *ws, struct err *e)
{
	char src[PATH_MAX], tmp[PATH_MAX], dst[PATH_MAX], old[PATH_MAX];
	struct store g;
	store_init(&g, gen, false);
	if (!layout_dir(src, &g, ws) || !ops_pathf(tmp, "%s/.restore-%s", st->root, ws) ||
	    !layout_dir(dst, st, ws) || !ops_pathf(old, "%s/.old-%s", st->root, ws))
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", ws);
	if (ops_rm_rf(tmp) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", tmp, strerror(errno));
	enum status rc = copy_dir(src, tmp, COPY_WS, e);
	if (rc == ST_OK && give_to_owner(tmp) < 0)
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", tmp, strerror(errno));
	if (rc != ST_OK) {
		ops_rm_rf(tmp);
		return rc;
	}
	if (ops_rm_rf(old) < 0 || (rename(dst, old) < 0 && errno != ENOENT))
		return err_set(e, ST_UNAVAILABLE, "%s: %s", dst, strerror(errno));
	if (getenv(TEST_KILL_IN_RESTORE))
		raise(SIGKILL);
	if (rename(tmp, dst) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", dst, strerror(errno));
	io_sync_dir(st->root);
	ops_rm_rf(old);
	return ST_OK;
}

/* Puts the files extra names back from gen into root, mode 0600, where root has none of its
 * own (that one is newer: a key revoked since the backup stays revoked). */
static enum status restore_extra(const char *gen, const char *root, const char *const *extra,
				 struct ops_restored *out, struct err *e)
{
	for (unsigned i = 0; extra && extra[i] && i < OPS_MAX_EXTRA; i++) {
		char from[PATH_MAX], to[PATH_MAX], tmp[PATH_MAX];
		if (!ops_pathf(from, "%s/%s", gen, extra[i]) ||
		    !ops_pathf(to, "%s/%s", root, extra[i]) ||
		    !ops_pathf(tmp, "%s/%s.restore", root, extra[i]))
			return err_set(e, ST_BAD_REQUEST, "%s: path too long", extra[i]);
		if (access(from, F_OK) < 0)
			continue;
		if (access(to, F_OK) == 0) {
			out->extra_kept |= 1u << i;
			continue;
		}
		if (ops_copy_path_mode(from, tmp, 0600, NULL) < 0 || give_to_owner(tmp) < 0 ||
		    rename(tmp, to) < 0) {
			int en = errno;
			unlink(tmp);
			return err_set(e, ST_UNAVAILABLE, "%s: %s", to, strerror(en));
		}
		out->extra_restored |= 1u << i;
	}
	io_sync_dir(root);
	return ST_OK;
}

/* The newest complete generation in the directory of generation gen (a path to it), into
 * out[0..size) when it was taken after gen; "" otherwise. */
static void newer_gen(const char *gen, char *out, size_t size)
{
	char dir[PATH_MAX], name[64], latest[64];
	size_t n = strlen(gen);
	*out = 0;
	while (n > 1 && gen[n - 1] == '/')
		n--;
	const char *slash = memrchr(gen, '/', n);
	const char *base = slash ? slash + 1 : gen;
	size_t dn = slash ? (slash > gen ? (size_t)(slash - gen) : 1) : 0;
	if (snprintf(name, sizeof name, "%.*s", (int)(n - (size_t)(base - gen)), base) >=
		(int)sizeof name ||
	    snprintf(dir, sizeof dir, "%.*s", (int)(dn ? dn : 1), dn ? gen : ".") >=
		(int)sizeof dir)
		return;
	if (ops_gen_latest(dir, latest) && ops_gen_newer(latest, name) &&
	    snprintf(out, size, "%s/%s", dir, latest) >= (int)size)
		*out = 0;
}

/* Counts the generations under dir that a killed or failed backup left unfinished. */
static size_t gen_unfinished(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += !strncmp(de->d_name, ".tmp-", 5);
	if (d)
		closedir(d);
	return n;
}

/* Takes DATA's serve lock for the restore: refused while a program holds it (ops_serve). The
 * fd holds it; -1 after setting e. */
static int restore_lock(const char *root, struct err *e)
{
	char p[PATH_MAX], who[512];
	int fd = ops_pathf(p, "%s/%s", root, OPS_SERVE_LOCK)
		     ? open(p, O_RDONLY | O_CREAT | O_CLOEXEC, 0640)
		     : -1;
	/* A lock made by root that the programs cannot open would refuse them all (ops_serve). */
	if (fd < 0 || (owner_give && fchown(fd, owner_uid, owner_gid) < 0)) {
		err_set(e, ST_UNAVAILABLE, "%s: %s", p, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	int en = errno;
	ops_lock_holders(fd, who, sizeof who);
	close(fd);
	if (en == EWOULDBLOCK)
		err_set(
		    e, ST_CONFLICT,
		    "%s is served by running programs%s%s%s: a restore under them would lose what "
		    "they write; stop them first (" SPANDEX_DOCDIR
		    "/docs/operations.md, \"Backup and restore\"), or "
		    "restore into a new directory",
		    root, *who ? " (" : "", who, *who ? ")" : "");
	else
		err_set(e, ST_UNAVAILABLE, "%s: %s", p, strerror(en));
	return -1;
}

enum status ops_restore(const char *backup, struct store *st, bool force, const char *const *extra,
			struct ops_restored *out, struct err *e)
{
	char p[PATH_MAX], latest[64];
	const char *base = strrchr(backup, '/');
	memset(out, 0, sizeof(*out));
	/* A trailing slash aside, the last component names an unfinished generation. */
	base = base && !base[1] ? NULL : base ? base + 1 : backup;
	if ((base && !strncmp(base, ".tmp-", 5)) || (!base && strstr(backup, "/.tmp-")))
		return err_set(
		    e, ST_INVALID,
		    "%s is an unfinished generation: a backup was killed or failed while "
		    "writing it, so it may lack days; restore refuses it, and the next "
		    "backup into its directory removes it",
		    backup);
	if (ops_pathf(p, "%s/MANIFEST", backup) && access(p, F_OK) < 0 && errno != ENOENT)
		return err_set(e, ST_UNAVAILABLE, "%s: %s (a backup made by another user?)", p,
			       strerror(errno));
	if (ops_pathf(p, "%s/MANIFEST", backup) && access(p, F_OK) == 0) {
		snprintf(out->gen, sizeof(out->gen), "%s", backup);
		newer_gen(backup, out->newer, sizeof out->newer);
	} else {
		out->unfinished = gen_unfinished(backup);
		if (!ops_gen_latest(backup, latest) ||
		    !ops_pathf(out->gen, "%s/%s", backup, latest))
			return err_set(
			    e, ST_NOT_FOUND,
			    "%s: no complete backup generation (none with a MANIFEST)%s", backup,
			    out->unfinished ? "; its .tmp-* are unfinished ones a killed or "
					      "failed backup left, which restore refuses "
					      "and the next backup removes"
					    : "");
	}
	enum status rc = gen_check(out->gen, e);
	if (rc != ST_OK)
		return rc;
	if (io_mkdir(st->root) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", st->root, strerror(errno));
	owner_find(st->root);
	int lfd = restore_lock(st->root, e);
	if (lfd < 0)
		return e ? e->st : ST_UNAVAILABLE;
	struct store gst;
	store_init(&gst, out->gen, false);
	if ((rc = restore_settle(st->root, &out->repaired, e)) != ST_OK)
		; /* e says why */
	else if (!force && !dir_empty(st->root))
		rc = err_set(e, ST_BAD_REQUEST,
			     "%s is not empty; --force replaces the workspaces the backup holds",
			     st->root);
	else if ((rc = store_workspaces(&gst, &out->names, &out->n)) != ST_OK)
		rc = err_set(e, rc, "%s: %s", out->gen, strerror(errno));
	for (size_t i = 0; rc == ST_OK && i < out->n; i++)
		rc = restore_ws(out->gen, st, out->names[i], e);
	if (rc == ST_OK)
		rc = restore_extra(out->gen, st->root, extra, out, e);
	close(lfd);
	return rc;
}

void ops_restored_free(struct ops_restored *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->names[i]);
	free(r->names);
	r->names = NULL;
	r->n = 0;
}
