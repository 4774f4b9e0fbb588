/* Calls every import of portalis/guest/portalis.h once per step, so that a
 * declaration whose name or type differs from what the host provides fails
 * to link when the scene loads (tests/examples/guest/abi.usda). Built with
 * -std=c11 -Wall -Wextra -Wpedantic -Werror to keep the header clean. */
#include <portalis/guest/portalis.h>

PORTALIS_DEFINE_ALLOC()

static portalis_attr_t x = -1, v = -1, y = -1, y32 = -1, w = -1, cfg = -1, missing = 0;
static double config[3];

PORTALIS_INIT static void setup(void) {
    x = PORTALIS_ATTR("inputs:x");
    v = PORTALIS_ATTR("inputs:v");
    y = PORTALIS_ATTR("outputs:y");
    y32 = PORTALIS_ATTR("outputs:y32");
    w = PORTALIS_ATTR("outputs:w");
    cfg = PORTALIS_ATTR("outputs:cfg");
    missing = portalis_attr("inputs:nope", 11);
    /* Configuration: (count of gains, gains[2], length of label); absent
     * ones give -1, 0 and -1. */
    char label[8];
    config[0] = PORTALIS_CONFIG_COUNT("gains");
    config[1] = PORTALIS_CONFIG_F64("gains", 2);
    config[2] = PORTALIS_CONFIG_STR("label", label, (int32_t)sizeof label);
    if (config[2] == 5 && (label[0] != 'h' || label[4] != 'o'))
        config[2] = 99;
    if (PORTALIS_CONFIG_COUNT("nope") != -1 || portalis_config_str("nope", 4, label, 8) != -1)
        config[0] = 99;
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
    portalis_set_vec3(cfg, config[0], config[1], config[2]);
    PORTALIS_POST_EVENT("abi_tick");
}
