/* check_damage.h: what the files of t/check_damage share (t/check_damage_fixture.c): the
 * template store in a temp dir (setup, teardown) and the spans it holds, a case's fresh copy
 * damaged, and the checks a case's child makes (a request through a surface as plain CGI, an
 * export). The byte-flip sweep is t/check_damage.c, the cases of one kind each
 * t/check_damage_kinds.c. */
#ifndef SPANDEX_T_CHECK_DAMAGE_H
#define SPANDEX_T_CHECK_DAMAGE_H

#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/api/intake/intake.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/time.h"
#include "lib/http/http.h"
#include "lib/model/export.h"
#include "lib/model/judgement.h"
#include "lib/query/query.h"
#include "lib/store/store.h"
#include "t/storefix.h"

#define DAMAGE_CASE_SECONDS 60 /* a case's child is killed past this: a hang */
#define NSPANS 40

static const int64_t DAY = 86400000000ll;
static const int64_t T0 = 1700000000000000ll; /* 2023-11-14T22:13:20Z */

/* The template, made once for every case (in the parent: the cases fork from it), in a temp
 * dir root. */
extern char root[256], tmpl[PATH_MAX];
extern struct arena *A;
void setup(void);
void teardown(void);

/* The spans of the fixture: id, day (0 sealed, with two late spans; 1 plain, indexed, with a
 * tail), and the file and bytes their lines hold in the template (found after it is made). */
struct fspan {
	char id[16];
	int day;
	bool late;
	char file[32];	   /* the file name (in ws1) that holds the line */
	uint64_t from, to; /* its bytes there: the line, or (sealed) its frame */
};
extern struct fspan spans[NSPANS];
extern size_t nspans;

/* A span of the fixture: id on day (0 or 1), the i-th of it, named name. */
struct span fixture_span(const char *id, int day, int i, const char *name);

/* The fault shim linked in (t/fault/fault.c). */
void fault_arm(const char *spec);

/* The store a case's child opens, and what a check of it found wrong (case_fail: the child
 * exits 1). */
extern struct store st;
extern const char *case_failed;
void case_fail(const char *what);

/* One request through a surface as plain CGI (lib/http, as cgi-bin/<program> runs it): its
 * status, or -1 when it gave no reply; the reply's body appended to body (when not NULL). */
int request_body(const struct http_surface *s, const char *uri, const char *header,
		 const char *value, struct buf *body);
#define WSP "/apis/intake/v2/workspaces/ws1"
#define SGE "filter%5Bstarted_at%5D%5B%24gte%5D="

/* A store's notes, dropped. */
void said(void *ctx, const char *msg);
/* An export of the workspace in format f, as `spandex export` makes it (src/export.c: its
 * visit through lib/query, each line written out): the spans written; *unread: the days it
 * left out, unable to read them. SIZE_MAX when the query failed. */
size_t export_all(enum export_format f, size_t *unread);
/* Copies the template to dir and damages file there: the byte at pos XORed with x, or (cut)
 * the file cut to pos bytes. */
void case_dir(const char *dir, const char *file, uint64_t pos, int x, bool cut);

/* The cases of one kind of damage each (check_damage_kinds.c), added to the suite's case. */
void check_damage_kinds(TCase *tc);

#endif
