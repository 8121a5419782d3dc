/* redactcmd: `spandex redact` (src/redactcmd.c): the redaction rules tried on a text. */
#ifndef SPANDEX_SRC_REDACTCMD_H
#define SPANDEX_SRC_REDACTCMD_H

/* spandex redact ... (argv[1] is "redact"): the exit status. */
int redactcmd_main(int argc, char **argv);

#endif
