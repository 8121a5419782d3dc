/* settle: what every holder of the workspace lock does first. Private to lib/store. */
#ifndef SPANDEX_STORE_SETTLE_H
#define SPANDEX_STORE_SETTLE_H

#include "lib/store/store.h"
#include "lib/store/keytable.h"

/* Under the workspace lock: opens the three tables, finishes an interrupted batch (the
 * journal, left open in *jfd for the caller to close) and rebuilds the tables after a reboot.
 * Writers, verify, retention and backup all start here. On failure e says which and why (a
 * damaged journal: what to run). */
enum status settle_prepare(struct store *st, const char *ws, struct keytable_set *t, int *jfd,
			   struct err *e);
/* settle_prepare with nothing kept open: settles ws as its next writer would, for the admin
 * commands that then work on its files (seal, retain). Under the workspace lock. */
enum status settle_ws(struct store *st, const char *ws, struct err *e);

#endif
