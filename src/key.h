/* key: the `spandex key` command (lib/auth's keys from the command line). */
#ifndef SPANDEX_SRC_KEY_H
#define SPANDEX_SRC_KEY_H

extern const char key_usage[];
/* Runs `spandex key ...` (argv[1] is "key"); returns the exit status. */
int key_main(int argc, char **argv);

#endif
