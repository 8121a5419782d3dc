/* tailscan: the idle steps of a worker (store_tail_idle), and the days it builds the tail's pairs
 * of without a search: those whose tail's index passed TAILPHRASE_AUTO_BYTES (tailphrase.h),
 * each with the records its .tix covers. Above dayindex.c, which it asks. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "lib/store/dayindex.h"
#include "lib/store/layout.h"
#include "lib/store/tailphrase.h"

/* Whether TAILPHRASE_SCAN_MS passed since *last_ms (tests: SPANDEX_TEST_TAIL_SCAN_MS, 0 each
 * idle step), *last_ms then now. */
static bool every_scan(int64_t *last_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	const char *e = getenv("SPANDEX_TEST_TAIL_SCAN_MS");
	int64_t every = e ? strtoll(e, NULL, 10) : TAILPHRASE_SCAN_MS;
	if (*last_ms >= 0 && now - *last_ms < every)
		return false;
	*last_ms = now;
	return true;
}

/* The days of root's workspaces whose tail's index passes TAILPHRASE_AUTO_BYTES looked at
 * (day_look), at most every TAILPHRASE_SCAN_MS. */
static void scan(const char *root)
{
	static int64_t last_ms = -1;
	if (!every_scan(&last_ms))
		return;
	size_t auto_bytes =
	    tailphrase_env_bytes("SPANDEX_TEST_TAIL_AUTO_BYTES", TAILPHRASE_AUTO_BYTES);
	struct store st;
	char **ws;
	size_t nws;
	store_init(&st, root, false);
	if (store_workspaces(&st, &ws, &nws) != ST_OK)
		return;
	for (size_t w = 0; w < nws; w++) {
		int32_t *days;
		size_t nd;
		if (layout_days(&st, ws[w], LAYOUT_TAILINDEX, &days, &nd) != ST_OK) {
			free(ws[w]);
			continue;
		}
		for (size_t i = 0; i < nd; i++) {
			char p[PATH_MAX];
			struct stat sb;
			struct shard sh;
			if (!layout_shard_path(p, &st, ws[w], days[i], LAYOUT_TAILINDEX) ||
			    stat(p, &sb) < 0 || (uint64_t)sb.st_size < auto_bytes ||
			    shard_open(&st, ws[w], days[i], &sh) != ST_OK)
				continue;
			struct store_dayindex *x = store_dayindex_open(&st, ws[w], &sh);
			tailphrase_look(&st, ws[w], &sh, x ? store_dayindex_covered(x) : 0);
			store_dayindex_close(x);
			shard_close(&sh);
		}
		free(days);
		free(ws[w]);
	}
	free(ws);
}

bool store_tail_idle(const char *root)
{
	static int64_t last_ms = -1;
	if (every_scan(&last_ms))
		tailphrase_let_gone();
	if (!tailphrase_wanted_any() && root)
		scan(root);
	return tailphrase_step();
}
