/* check_timeout: the one bound of every Check test (t/main.c makes it Check's default). */
#ifndef T_CHECK_TIMEOUT_H
#define T_CHECK_TIMEOUT_H

/* A bound for a hang, not a speed check. The heaviest suite, check_power, takes 18 s of CPU
 * for its four tests and ran its longest test in 16 s on two cores at a load of 7; at a load
 * of 25, or under the sanitizers, that is several times longer and still far inside. */
#define CHECK_TIMEOUT_S 600

#endif
