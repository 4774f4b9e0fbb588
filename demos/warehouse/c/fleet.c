/* The warehouse fleet as a wasm module (README.md): fleet_step, bound as a
 * pure function with bulk arrays on the WasmRobotics prim /World/Fleet, and
 * robot_view, bound on each robot prim to select its pose, load and task
 * state from the fleet's arrays (docs/abi.md (b), (c)).
 *
 * The fleet's configuration comes from the prim's attributes through the
 * config imports: string fleet:map (the .map text), int fleet:seed,
 * int fleet:stallLimit, double fleet:cellSize. Errors are logged with the
 * prim's path and trap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/guest/portalis.h>

#include "fleet_core.h"

PORTALIS_DEFINE_ALLOC()

static fleet *F;
static int32_t *starts;
static double cell = 1;
/* Set during a call: still set at the next one means the host interrupted
 * that call (over its budget) in the middle of a step, so the fleet is
 * rebuilt and re-simulated rather than continued from a half step. */
static int busy;

static double config_num(const char *name, int32_t len, double fallback) {
    return portalis_config_count(name, len) > 0 ? portalis_config_f64(name, len, 0) : fallback;
}

/* A new fleet for n robots with these starts (cells, -1 random). */
static void start(int32_t n, const double *robots) {
    fleet_free(F);
    F = NULL;
    free(starts);
    starts = malloc(sizeof *starts * (size_t)(n > 0 ? n : 1));
    if (!starts)
        portalis_fail("fleet: ", "out of memory");
    for (int32_t i = 0; i < n; i++)
        starts[i] = robots[i] >= 0 && robots[i] < FLEET_MAX_CELLS ? (int32_t)robots[i] : -1;
    int32_t len = PORTALIS_CONFIG_STR("fleet:map", NULL, 0);
    if (len < 0)
        portalis_fail("fleet: ", "the prim has no string fleet:map (the .map text, README.md)");
    char *text = malloc((size_t)len + 1), err[200];
    if (!text)
        portalis_fail("fleet: ", "out of memory");
    PORTALIS_CONFIG_STR("fleet:map", text, len);
    double seed = config_num("fleet:seed", 10, 1), stall = config_num("fleet:stallLimit", 16, 24);
    cell = config_num("fleet:cellSize", 14, 1);
    F = fleet_new(text, (size_t)len, n, starts, (uint64_t)(int64_t)seed, (int32_t)stall, err, sizeof err);
    free(text);
    if (!F)
        portalis_fail("fleet:map: ", err);
}

static int same_starts(int32_t n, const double *robots) {
    if (!F || fleet_robots(F) != n)
        return 0;
    for (int32_t i = 0; i < n; i++)
        if (starts[i] != (robots[i] >= 0 && robots[i] < FLEET_MAX_CELLS ? (int32_t)robots[i] : -1))
            return 0;
    return 1;
}

/* Advances the simulation to `frame` steps (from the start again when the
 * frame goes back, the robots change or the last call was interrupted) and
 * writes every robot's state.
 * Returns the number of tasks completed. */
PORTALIS_EXPORT("fleet_step")
double fleet_step_export(int32_t frame, int32_t n, const double *robots, double *pos, double *heading,
                         double *load, double *state, double *done, double *replans, double *deadlocks,
                         double *reported) {
    if (busy || !same_starts(n, robots) || frame < fleet_time(F)) {
        busy = 1;
        start(n, robots);
    }
    busy = 1;
    while (fleet_time(F) < frame)
        if (fleet_step(F))
            portalis_fail("fleet: ", "out of memory");
    busy = 0;
    int32_t w = fleet_width(F), h = fleet_height(F);
    for (int32_t i = 0; i < n; i++) {
        const fleet_robot *r = fleet_robot_at(F, i);
        pos[3 * i] = (double)(r->pos % w) * cell;
        pos[3 * i + 1] = (double)(h - 1 - r->pos / w) * cell;
        pos[3 * i + 2] = 0;
        heading[i] = r->heading;
        load[i] = r->load;
        state[i] = r->state;
        done[i] = r->done;
        replans[i] = r->replans;
        deadlocks[i] = r->deadlocks;
        reported[i] = r->reported;
    }
    return (double)fleet_completed(F);
}

/* One robot's view: position, heading, load and task state of robot
 * index[0] as one-element arrays, and its transform (rotation by the
 * heading about +z, then the position), row-vector convention as USD's;
 * n is the fleet's size. */
PORTALIS_EXPORT("robot_view")
double *robot_view(const double *index, int32_t n, const double *positions, const double *headings,
                   const double *loads, const double *states, double *pos, double *heading, double *load,
                   double *state) {
    static double m[16];
    int32_t i = (int32_t)index[0];
    if (i < 0 || i >= n)
        portalis_fail("robot_view: ", "inputs:index is not the index of a robot of the fleet");
    memcpy(pos, positions + 3 * i, 3 * sizeof *pos);
    heading[0] = headings[i];
    load[0] = loads[i];
    state[0] = states[i];
    /* headings are multiples of 90 degrees: exact cosines and sines */
    int32_t q = (int32_t)(headings[i] / 90.0) & 3;
    static const double C[4] = {1, 0, -1, 0}, S[4] = {0, 1, 0, -1};
    double mm[16] = {C[q], S[q], 0, 0, -S[q], C[q], 0, 0, 0, 0, 1, 0, pos[0], pos[1], pos[2], 1};
    memcpy(m, mm, sizeof m);
    return m;
}
