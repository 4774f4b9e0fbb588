/* Stand-ins for the "portalis" imports of the robot arm modules, for
 * embedders that call the modules' pure functions through the bridge outside
 * a scene (tests/demos/test_robot_ik.c, bench/robot_arm): the tick entry
 * point is never called there, so each import traps if it is.
 *   pb_load_options o = {.imports = ROBOT_ARM_STUBS, .nimports = ROBOT_ARM_NSTUBS, .run_initialize = true}; */
#ifndef PORTALIS_DEMOS_ROBOT_ARM_STUBS_H
#define PORTALIS_DEMOS_ROBOT_ARM_STUBS_H

#include <portalis/bridge.h>

static pw_error *robot_arm_not_here(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)c, (void)a, (void)r;
    return pw_trap_new("portalis.%s called outside a scene", (const char *)u);
}

static const pw_valkind ROBOT_ARM_I2[] = {PW_I32, PW_I32}, ROBOT_ARM_I1[] = {PW_I32}, ROBOT_ARM_F64[] = {PW_F64},
                        ROBOT_ARM_F32[] = {PW_F32}, ROBOT_ARM_IF[] = {PW_I32, PW_F64},
                        ROBOT_ARM_IFF[] = {PW_I32, PW_F32}, ROBOT_ARM_IV3[] = {PW_I32, PW_F64, PW_F64, PW_F64},
                        ROBOT_ARM_I3[] = {PW_I32, PW_I32, PW_I32},
                        ROBOT_ARM_I4[] = {PW_I32, PW_I32, PW_I32, PW_I32};
#define ROBOT_ARM_IMPORT(n, p, r, nr)                                                                            \
    { "portalis", n, p, sizeof p / sizeof p[0], r, nr, robot_arm_not_here, (void *)n }
static const pb_import ROBOT_ARM_STUBS[] = {
    ROBOT_ARM_IMPORT("attr", ROBOT_ARM_I2, ROBOT_ARM_I1, 1),
    ROBOT_ARM_IMPORT("get_f64", ROBOT_ARM_I1, ROBOT_ARM_F64, 1),
    ROBOT_ARM_IMPORT("get_f32", ROBOT_ARM_I1, ROBOT_ARM_F32, 1),
    ROBOT_ARM_IMPORT("set_f64", ROBOT_ARM_IF, NULL, 0),
    ROBOT_ARM_IMPORT("set_f32", ROBOT_ARM_IFF, NULL, 0),
    ROBOT_ARM_IMPORT("get_vec3", ROBOT_ARM_I2, NULL, 0),
    ROBOT_ARM_IMPORT("set_vec3", ROBOT_ARM_IV3, NULL, 0),
    ROBOT_ARM_IMPORT("post_event", ROBOT_ARM_I2, NULL, 0),
    ROBOT_ARM_IMPORT("log", ROBOT_ARM_I2, NULL, 0),
    ROBOT_ARM_IMPORT("config_count", ROBOT_ARM_I2, ROBOT_ARM_I1, 1),
    ROBOT_ARM_IMPORT("config_f64", ROBOT_ARM_I3, ROBOT_ARM_F64, 1),
    ROBOT_ARM_IMPORT("config_str", ROBOT_ARM_I4, ROBOT_ARM_I1, 1),
};
#define ROBOT_ARM_NSTUBS (sizeof ROBOT_ARM_STUBS / sizeof ROBOT_ARM_STUBS[0])

#endif
