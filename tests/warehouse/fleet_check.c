/* The fleet's simulation (demos/warehouse/c, compiled natively) checked
 * independently of its own code, over many steps:
 *
 *   fleet_check check MAP ROBOTS STEPS SEED
 *       no two robots on one cell after any step (vertex conflicts), no two
 *       robots exchanging cells (swap conflicts), every move along a graph
 *       edge, every A* plan as long as a breadth-first search's shortest
 *       path (written here, not the module's code) and a valid path, every
 *       allocated task completed, reported or in progress; prints the
 *       throughput. Exit 0 when all hold.
 *   fleet_check trace MAP ROBOTS STEPS SEED
 *       one line a step, the format of `fleet.py trace` (the Python
 *       reference): the test diffs the two.
 *   fleet_check run MAP ROBOTS STEPS SEED
 *       the steps alone (no checks, no output): for timing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/base.h>

#include "fleet_core.h"

typedef struct {
    const fleet *f;
    int32_t *dist, *queue, dist_goal; /* BFS distances to dist_goal */
    long plans, bad, unreachable;
} checker;

/* Breadth-first search from the goal: unit edges, so BFS distances are
 * Dijkstra's. */
static void bfs(checker *c, int32_t goal) {
    int32_t w = fleet_width(c->f), h = fleet_height(c->f), head = 0, tail = 0;
    for (int32_t i = 0; i < w * h; i++)
        c->dist[i] = -1;
    c->dist[goal] = 0;
    c->queue[tail++] = goal;
    while (head < tail) {
        int32_t u = c->queue[head++], x = u % w, y = u / w;
        int32_t nb[4] = {x > 0 ? u - 1 : -1, x < w - 1 ? u + 1 : -1, y > 0 ? u - w : -1, y < h - 1 ? u + w : -1};
        for (int k = 0; k < 4; k++)
            if (nb[k] >= 0 && fleet_is_free(c->f, nb[k]) && c->dist[nb[k]] < 0) {
                c->dist[nb[k]] = c->dist[u] + 1;
                c->queue[tail++] = nb[k];
            }
    }
    c->dist_goal = goal;
}

static int adjacent(const fleet *f, int32_t a, int32_t b) {
    int32_t w = fleet_width(f), dx = a % w - b % w, dy = a / w - b / w;
    return (dx == 0 && (dy == 1 || dy == -1)) || (dy == 0 && (dx == 1 || dx == -1));
}

static void on_plan(void *user, int32_t start, int32_t goal, const int32_t *path, int32_t len) {
    checker *c = user;
    c->plans++;
    if (c->dist_goal != goal)
        bfs(c, goal);
    int32_t want = c->dist[start];
    int32_t got = path ? len - 1 : -1;
    if (!path)
        c->unreachable++;
    int ok = want == got;
    for (int32_t i = 0; ok && path && i + 1 < len; i++)
        ok = fleet_is_free(c->f, path[i + 1]) && adjacent(c->f, path[i], path[i + 1]);
    if (ok && path)
        ok = path[0] == start && path[len - 1] == goal;
    if (!ok && c->bad++ < 5)
        printf("  A* %d -> %d: %d steps, breadth-first %d\n", (int)start, (int)goal, (int)got, (int)want);
}

static void trace(const fleet *f) {
    printf("%d %lld", (int)fleet_time(f), (long long)fleet_completed(f));
    for (int32_t i = 0; i < fleet_robots(f); i++) {
        const fleet_robot *r = fleet_robot_at(f, i);
        printf(" %d:%d:%d:%g", (int)r->pos, (int)r->state, (int)r->load, r->heading);
    }
    printf("\n");
}

/* Vertex and swap conflicts and non-edge moves between two steps. */
static void conflicts(const fleet *f, const int32_t *prev, int32_t *cell_robot, long *vertex, long *swaps,
                      long *jumps) {
    int32_t n = fleet_robots(f);
    for (int32_t i = 0; i < n; i++) {
        int32_t p = fleet_robot_at(f, i)->pos;
        if (cell_robot[p] >= 0)
            (*vertex)++;
        cell_robot[p] = i;
        if (p != prev[i] && (!adjacent(f, prev[i], p) || !fleet_is_free(f, p)))
            (*jumps)++;
    }
    for (int32_t i = 0; i < n; i++) {
        int32_t p = fleet_robot_at(f, i)->pos;
        for (int32_t j = i + 1; j < n; j++)
            if (p == prev[j] && fleet_robot_at(f, j)->pos == prev[i] && p != prev[i])
                (*swaps)++;
    }
    for (int32_t i = 0; i < n; i++)
        cell_robot[fleet_robot_at(f, i)->pos] = -1;
}

static int run(fleet *f, checker *c, long steps, int tracing) {
    int32_t n = fleet_robots(f), cells = fleet_width(f) * fleet_height(f);
    int32_t *prev = malloc(sizeof *prev * (size_t)n), *cell_robot = malloc(sizeof *cell_robot * (size_t)cells);
    long vertex = 0, swaps = 0, jumps = 0;
    for (int32_t i = 0; i < cells; i++)
        cell_robot[i] = -1;
    for (long s = 0; s < steps; s++) {
        for (int32_t i = 0; i < n; i++)
            prev[i] = fleet_robot_at(f, i)->pos;
        if (fleet_step(f)) {
            printf("out of memory\n");
            return 1;
        }
        if (tracing == 1)
            trace(f);
        else if (!tracing)
            conflicts(f, prev, cell_robot, &vertex, &swaps, &jumps);
    }
    free(prev);
    free(cell_robot);
    if (tracing)
        return 0;

    long busy = 0, reported = 0, replans = 0, deadlocks = 0;
    for (int32_t i = 0; i < n; i++) {
        const fleet_robot *r = fleet_robot_at(f, i);
        busy += r->state != FLEET_IDLE;
        reported += r->reported;
        replans += r->replans;
        deadlocks += r->deadlocks;
    }
    long long done = fleet_completed(f), assigned = fleet_assigned(f);
    printf("map %dx%d, %d waypoints; %d robots, %ld steps\n", (int)fleet_width(f), (int)fleet_height(f),
           (int)fleet_nodes(f), (int)n, steps);
    printf("conflicts: vertex %ld, swap %ld, invalid moves %ld\n", vertex, swaps, jumps);
    printf("A* plans %ld: %ld differ from breadth-first shortest paths, %ld unreachable\n", c->plans, c->bad,
           c->unreachable);
    printf("tasks: allocated %lld = completed %lld + reported %ld + in progress %ld\n", assigned, done, reported,
           busy);
    printf("replans %ld, deadlocks detected %ld; throughput %.0f tasks per simulated hour (1 step = 1 s)\n",
           replans, deadlocks, (double)done * 3600.0 / (double)steps);
    int ok = !vertex && !swaps && !jumps && !c->bad && assigned == done + reported + busy && done > 0;
    printf("check: %s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc != 6 || (strcmp(argv[1], "check") && strcmp(argv[1], "trace") && strcmp(argv[1], "run"))) {
        fprintf(stderr, "usage: fleet_check check|trace|run MAP ROBOTS STEPS SEED\n");
        return 2;
    }
    size_t len;
    char *text, err[256];
    pbase_error perr = {0};
    if (pbase_read_file(argv[2], 1 << 24, &text, &len, &perr)) {
        fprintf(stderr, "fleet_check: %s\n", perr.message);
        return 1;
    }
    fleet *f = fleet_new(text, len, atoi(argv[3]), NULL, strtoull(argv[5], NULL, 10), 24, err, sizeof err);
    free(text);
    if (!f) {
        fprintf(stderr, "fleet_check: %s: %s\n", argv[2], err);
        return 1;
    }
    checker c = {.f = f, .dist_goal = -1};
    size_t cells = (size_t)fleet_width(f) * (size_t)fleet_height(f);
    c.dist = malloc(sizeof *c.dist * cells);
    c.queue = malloc(sizeof *c.queue * cells);
    int tracing = !strcmp(argv[1], "trace") ? 1 : !strcmp(argv[1], "run") ? 2 : 0;
    if (!tracing)
        fleet_on_plan(f, on_plan, &c);
    int rc = run(f, &c, atol(argv[4]), tracing);
    free(c.dist);
    free(c.queue);
    fleet_free(f);
    return rc;
}
