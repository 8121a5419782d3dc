/* ship: the `spandex ship` and `spandex pull` commands (the bucket, lib/ship). */
#ifndef SPANDEX_SRC_SHIP_H
#define SPANDEX_SRC_SHIP_H

extern const char ship_usage[];
/* Runs `spandex ship ...` or `spandex pull ...` (argv[1]); returns the exit status. */
int ship_main(int argc, char **argv);

#endif
