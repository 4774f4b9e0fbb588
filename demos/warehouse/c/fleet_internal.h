/* The fleet's state, shared by fleet_map.c (map, stations, A*) and
 * fleet_core.c (tasks, allocation, PIBT, deadlocks). */
#ifndef FLEET_INTERNAL_H
#define FLEET_INTERNAL_H

#include "fleet_core.h"

struct fleet {
    int32_t w, h, nodes, first_row_line;
    uint8_t *free;
    int32_t *picks, npick, *drops, ndrop;
    uint64_t rng;
    int32_t stall_limit, t, next_id;
    int64_t completed, assigned;
    fleet_task *open;
    int32_t nopen, open_cap;
    fleet_robot *r;
    int32_t n;
    /* A*: per-cell g, parent and stamps of the current search (no clearing
     * between searches), the open list */
    int32_t *g, *parent;
    uint32_t *seen, *closed, run;
    uint64_t *heap;
    size_t nheap;
    /* detours: cells stamped with brun are blocked */
    uint32_t *blocked, brun;
    /* PIBT: robot on each cell now / next step (-1 none), next cell per robot */
    int32_t *occ_now, *occ_next, *nxt, *order;
    fleet_plan_fn on_plan;
    void *on_plan_user;
    char err[200];
};

int fleet__parse_map(fleet *f, const char *text, size_t len);
int fleet__stations(fleet *f);
int32_t fleet__neighbours(const fleet *f, int32_t c, int32_t out[4]);
int32_t fleet__manhattan(const fleet *f, int32_t a, int32_t b);
/* A* from start to goal into r's path; cells stamped blocked are avoided
 * when use_blocked. 1 found, 0 no path, -1 out of memory. */
int fleet__astar(fleet *f, fleet_robot *r, int32_t start, int32_t goal, int use_blocked);
/* Minimum-cost assignment of n rows to m >= n columns; col_of_row[n]. */
int fleet__hungarian(const int64_t *cost, int32_t n, int32_t m, int32_t *col_of_row);
uint64_t fleet__next_u64(fleet *f);
/* Tops the open tasks up to one per robot (seeded pick-up and drop-off). */
int fleet__refill(fleet *f);
/* Sets r's path to its own cell (no motion). */
int fleet__here(fleet_robot *r);

#endif
