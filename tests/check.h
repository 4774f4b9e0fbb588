/* Check macros shared by the C test programs: each CHECK counts a pass or
 * prints "FAIL file:line: message"; CHECK_REPORT prints the closing line
 * "N passed, M failed" and evaluates to the process exit status. */
#ifndef PORTALIS_TESTS_CHECK_H
#define PORTALIS_TESTS_CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                                                         \
    do {                                                                                                         \
        if (cond)                                                                                                \
            check_passed++;                                                                                      \
        else {                                                                                                   \
            check_failed++;                                                                                      \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                          \
            printf(__VA_ARGS__);                                                                                 \
            printf("\n");                                                                                        \
        }                                                                                                        \
    } while (0)

#define CHECK_REPORT() (printf("%d passed, %d failed\n", check_passed, check_failed), check_failed != 0)

#endif
