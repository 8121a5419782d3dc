/* golden: fixture loading and golden-file comparison for the Check suites. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "t/golden.h"

static const char *golden_srcdir(void)
{
	const char *d = getenv("srcdir");
	return d && *d ? d : ".";
}

json_t *golden_fixture(const char *dir, const char *name)
{
	char path[512];
	json_error_t err;
	json_t *j;
	snprintf(path, sizeof path, "%s/t/fixtures/%s/%s.json", golden_srcdir(), dir, name);
	j = json_load_file(path, JSON_DECODE_ANY, &err);
	ck_assert_msg(j != NULL, "%s: %s", path, err.text);
	return j;
}

static char *golden_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	if (fread(p, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	p[n] = 0;
	fclose(f);
	return p;
}

void golden_check(const char *dir, const char *name, const char *ext, const char *got)
{
	char path[512];
	char *want;
	size_t line = 1, i;
	snprintf(path, sizeof path, "%s/t/golden/%s/%s.%s", golden_srcdir(), dir, name, ext);
	if (getenv("SPANDEX_GOLDEN_UPDATE")) {
		FILE *f = fopen(path, "wb");
		ck_assert_msg(f != NULL, "cannot write %s", path);
		fputs(got, f);
		fclose(f);
		return;
	}
	want = golden_read(path);
	ck_assert_msg(want != NULL, "missing golden file %s", path);
	for (i = 0; want[i] && want[i] == got[i]; i++)
		if (want[i] == '\n')
			line++;
	ck_assert_msg(want[i] == got[i], "%s differs at line %zu:\nwant: %.300s\ngot:  %.300s",
		      path, line, want + i, got + i);
	free(want);
}
