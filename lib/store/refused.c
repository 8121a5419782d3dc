/* refused: what a refused write leaves behind goes (refused.h; docs/ARCHITECTURE.md, "Writing
 * a batch"). */
#include "lib/store/refused.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/store/layout.h"

void refused_days(struct store *st, const char *ws, struct writeset_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		writeset_forget(st, ws, &set->sh[i]);
}

void refused_workspace(struct store *st, const char *ws, struct writeset_set *set,
		       struct keytable_set *t)
{
	struct store_stats ss;
	struct stat sb;
	int32_t *days = NULL;
	size_t nd = 0;
	char p[PATH_MAX];
	if (store_stats(st, ws, &ss) != ST_OK || ss.versions ||
	    layout_shard_days(st, ws, &days, &nd) != ST_OK)
		return;
	/* No committed record is not enough (an index may be missing): no byte of any line. */
	for (size_t i = 0; i < nd; i++)
		for (int f = 0; f < LAYOUT__COUNT; f++)
			if (layout_per_day(f) && f != LAYOUT_IDX &&
			    (!layout_shard_path(p, st, ws, days[i], f) ||
			     (stat(p, &sb) == 0 && sb.st_size > 0))) {
				free(days);
				return;
			}
	writeset_set_close(set);
	keytable_close_all(t);
	for (size_t i = 0; i < nd; i++)
		for (int f = 0; f < LAYOUT__COUNT; f++)
			if (layout_per_day(f) && layout_shard_path(p, st, ws, days[i], f))
				unlink(p);
	free(days);
	for (int f = 0; f < LAYOUT__COUNT; f++)
		if (!layout_per_day(f) && f != LAYOUT_LOCK && layout_path(p, st, ws, f))
			unlink(p);
	if (layout_path(p, st, ws, LAYOUT_LOCK))
		unlink(p);
	if (layout_dir(p, st, ws))
		rmdir(p);
}
