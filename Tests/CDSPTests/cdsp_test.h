// A minimal test harness for the C core: each test_*.c file defines tests with CDSP_TEST and lists them in a
// main() via CDSP_RUN; scripts/test-c.sh builds every file with AddressSanitizer and UndefinedBehaviorSanitizer
// and prints one "N passed, N failed" line.
#ifndef CDSP_TEST_H
#define CDSP_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int cdsp_test_failures = 0;
static int cdsp_test_passed = 0;
static int cdsp_test_failed = 0;

#define CDSP_CHECK(cond)                                                                                    \
    do {                                                                                                    \
        if (!(cond)) {                                                                                      \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                      \
            cdsp_test_failures++;                                                                           \
        }                                                                                                   \
    } while (0)

#define CDSP_CHECK_NEAR(a, b, tol)                                                                          \
    do {                                                                                                    \
        double _a = (double)(a), _b = (double)(b);                                                          \
        if (!(fabs(_a - _b) <= (tol))) {                                                                    \
            fprintf(stderr, "  %s:%d: %s = %g, expected %g +- %g\n", __FILE__, __LINE__, #a, _a, _b,         \
                    (double)(tol));                                                                         \
            cdsp_test_failures++;                                                                           \
        }                                                                                                   \
    } while (0)

#define CDSP_TEST(name) static void name(void)

#define CDSP_RUN(name)                                                                                      \
    do {                                                                                                    \
        int _before = cdsp_test_failures;                                                                   \
        name();                                                                                             \
        if (cdsp_test_failures == _before) {                                                                \
            cdsp_test_passed++;                                                                             \
            printf("ok   %s\n", #name);                                                                     \
        } else {                                                                                            \
            cdsp_test_failed++;                                                                             \
            printf("FAIL %s\n", #name);                                                                     \
        }                                                                                                   \
    } while (0)

/// Ends main(): prints this file's tally in a form scripts/test-c.sh sums up.
#define CDSP_TEST_END()                                                                                     \
    do {                                                                                                    \
        printf("tally %d %d\n", cdsp_test_passed, cdsp_test_failed);                                        \
        return cdsp_test_failed == 0 ? 0 : 1;                                                               \
    } while (0)

#endif
