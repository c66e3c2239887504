#include "cdsp.h"
#include "cdsp_test.h"

CDSP_TEST(same_seed_same_sequence) {
    cdsp_rng a, b;
    cdsp_rng_seed(&a, 42);
    cdsp_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) CDSP_CHECK(cdsp_rng_next(&a) == cdsp_rng_next(&b));
}

CDSP_TEST(uniform_is_in_range_and_centred) {
    cdsp_rng r;
    cdsp_rng_seed(&r, 7);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        float u = cdsp_rng_uniform(&r);
        CDSP_CHECK(u >= 0.0f && u < 1.0f);
        sum += u;
    }
    CDSP_CHECK_NEAR(sum / 100000.0, 0.5, 0.01);
}

int main(void) {
    CDSP_RUN(same_seed_same_sequence);
    CDSP_RUN(uniform_is_in_range_and_centred);
    CDSP_TEST_END();
}
