/* shipcmd: `spandex ship` and `spandex pull` (src/shipcmd.c): the bucket, lib/ship. */
#ifndef SPANDEX_SRC_SHIPCMD_H
#define SPANDEX_SRC_SHIPCMD_H

extern const char shipcmd_usage[];
/* Runs `spandex ship ...` or `spandex pull ...` (argv[1]); returns the exit status. */
int shipcmd_main(int argc, char **argv);

#endif
