/* quarantine: <day>.quarantine, the bytes reindex cuts from a day's data, kept for a person to
 * read (docs/FORMAT.md, "Files"), and what an erasure takes out of them again. Private to
 * lib/store. */
#ifndef SPANDEX_STORE_QUARANTINE_H
#define SPANDEX_STORE_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>
#include "lib/store/store.h"

/* Who is told what reindex cut (NULL fn: nobody). */
struct quarantine_notes {
	void (*fn)(void *ctx, const char *msg);
	void *ctx;
};
/* Keeps the bytes p[0..n) that reindex cuts from the data of ws/day (what: which they are,
 * dname the day's name): appended to <day>.quarantine beside the shard (made durable before
 * the cut), and said, with the span ids that can still be read in them. */
enum status quarantine_keep(struct store *st, const char *ws, int32_t day, const char *dname,
			    const char *p, size_t n, const char *what,
			    const struct quarantine_notes *nt, struct err *e);
/* Takes out of ws/day's quarantine every line (a run of bytes up to a newline) that holds one
 * of the strings needles[0..n) (an erased span's id as its line quotes it, the value an
 * erasure named): the rest is written aside, synced and renamed over it; a quarantine left
 * empty is removed. *cut gets the lines taken out. ST_OK when the day has none. */
enum status quarantine_erase(struct store *st, const char *ws, int32_t day,
			     const char *const *needles, size_t n, size_t *cut, struct err *e);

#endif
