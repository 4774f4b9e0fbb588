/* Calls every import of portalis/guest/portalis.h once per step, so that a
 * declaration whose name or type differs from what the host provides fails
 * to link when the scene loads (tests/examples/guest/abi.usda). Built with
 * -std=c11 -Wall -Wextra -Wpedantic -Werror to keep the header clean. */
#include <portalis/guest/portalis.h>

PORTALIS_DEFINE_ALLOC()

static portalis_attr_t x = -1, v = -1, y = -1, y32 = -1, w = -1, missing = 0;

PORTALIS_INIT static void setup(void) {
    x = PORTALIS_ATTR("inputs:x");
    v = PORTALIS_ATTR("inputs:v");
    y = PORTALIS_ATTR("outputs:y");
    y32 = PORTALIS_ATTR("outputs:y32");
    w = PORTALIS_ATTR("outputs:w");
    missing = portalis_attr("inputs:nope", 11);
    if (missing == -1)
        PORTALIS_LOG("abi_c ready");
}

PORTALIS_EXPORT("update") void update(double time, double dt) {
    (void)dt;
    double in[3];
    portalis_set_f64(y, 2.0 * portalis_get_f64(x));
    portalis_set_f32(y32, portalis_get_f32(x) + 1.0f);
    portalis_get_vec3(v, in);
    portalis_set_vec3(w, in[0] * time, in[1] * time, in[2] * time);
    PORTALIS_POST_EVENT("abi_tick");
}
