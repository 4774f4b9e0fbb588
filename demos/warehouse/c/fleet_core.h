/* The warehouse fleet simulation (demos/warehouse/README.md), shared by the
 * wasm module (fleet.c), the native benchmark and the native checker. It
 * matches python/fleet.py step for step: integer arithmetic only, the same
 * orders and tie-breaks, so trajectories are identical. */
#ifndef FLEET_CORE_H
#define FLEET_CORE_H

#include <stddef.h>
#include <stdint.h>

#define FLEET_MAX_CELLS (1 << 20)
#define FLEET_MAX_ROBOTS 1024

enum { FLEET_IDLE = 0, FLEET_TO_PICK = 1, FLEET_TO_DROP = 2 };

typedef struct {
    int32_t id, pick, drop, created;
} fleet_task;

typedef struct {
    int32_t pos, state, load, goal;
    int32_t k, age, best, stall;
    int32_t done, replans, deadlocks, reported;
    double heading;
    fleet_task task;
    int32_t *path, path_len, path_cap;
} fleet_robot;

/* Called for every A* plan made without a detour (start, goal, path or
 * NULL, length): the checker compares them with Dijkstra. */
typedef void (*fleet_plan_fn)(void *user, int32_t start, int32_t goal, const int32_t *path, int32_t len);

typedef struct fleet fleet;

/* Parses the .map text and places n robots (starts[i] < 0 or unusable: a
 * seeded random free cell; starts may be NULL). Returns NULL with a message
 * in err (cap bytes) on bad input or no memory. */
fleet *fleet_new(const char *map_text, size_t len, int32_t n, const int32_t *starts, uint64_t seed,
                 int32_t stall_limit, char *err, size_t cap);
void fleet_free(fleet *f);
/* One step: allocate, plan, PIBT, move, arrivals, deadlocks. 0, or -1 when
 * out of memory. */
int fleet_step(fleet *f);
void fleet_on_plan(fleet *f, fleet_plan_fn fn, void *user);

int32_t fleet_robots(const fleet *f);
const fleet_robot *fleet_robot_at(const fleet *f, int32_t i);
int32_t fleet_width(const fleet *f);
int32_t fleet_height(const fleet *f);
int32_t fleet_nodes(const fleet *f);
int32_t fleet_time(const fleet *f);
int64_t fleet_completed(const fleet *f);
int64_t fleet_assigned(const fleet *f);
int fleet_is_free(const fleet *f, int32_t cell);

#endif
