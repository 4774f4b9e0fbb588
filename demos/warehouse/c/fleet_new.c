/* Creating, freeing and reading a fleet (fleet_core.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_internal.h"

void fleet_free(fleet *f) {
    if (!f)
        return;
    for (int32_t i = 0; i < f->n && f->r; i++)
        free(f->r[i].path);
    free(f->r);
    free(f->free);
    free(f->picks);
    free(f->drops);
    free(f->open);
    free(f->g);
    free(f->parent);
    free(f->seen);
    free(f->closed);
    free(f->heap);
    free(f->blocked);
    free(f->occ_now);
    free(f->occ_next);
    free(f->nxt);
    free(f->order);
    free(f);
}

static int alloc_scratch(fleet *f) {
    size_t cells = (size_t)f->w * (size_t)f->h, n = (size_t)f->n;
    f->g = malloc(sizeof *f->g * cells);
    f->parent = malloc(sizeof *f->parent * cells);
    f->seen = calloc(cells, sizeof *f->seen);
    f->closed = calloc(cells, sizeof *f->closed);
    f->heap = malloc(sizeof *f->heap * (4 * cells + 4));
    f->blocked = calloc(cells, sizeof *f->blocked);
    f->occ_now = malloc(sizeof *f->occ_now * cells);
    f->occ_next = malloc(sizeof *f->occ_next * cells);
    f->nxt = malloc(sizeof *f->nxt * n);
    f->order = malloc(sizeof *f->order * n);
    f->r = calloc(n, sizeof *f->r);
    if (!f->g || !f->parent || !f->seen || !f->closed || !f->heap || !f->blocked || !f->occ_now || !f->occ_next ||
        !f->nxt || !f->order || !f->r)
        return -1;
    for (size_t c = 0; c < cells; c++)
        f->occ_now[c] = f->occ_next[c] = -1;
    return 0;
}

/* Start cells: the given one when free and not taken, else seeded random. */
static int place(fleet *f, const int32_t *starts) {
    int32_t cells = f->w * f->h, *freecells = malloc(sizeof *freecells * (size_t)f->nodes), nf = 0;
    if (!freecells)
        return -1;
    for (int32_t c = 0; c < cells; c++)
        if (f->free[c])
            freecells[nf++] = c;
    for (int32_t i = 0; i < f->n; i++) {
        int32_t s = starts ? starts[i] : -1;
        if (s < 0 || s >= cells || !f->free[s] || f->occ_now[s] >= 0) {
            do
                s = freecells[(int32_t)((fleet__next_u64(f) >> 11) % (uint64_t)nf)];
            while (f->occ_now[s] >= 0);
        }
        f->occ_now[s] = i;
        f->r[i].pos = f->r[i].goal = s;
        if (fleet__here(&f->r[i])) {
            free(freecells);
            return -1;
        }
    }
    free(freecells);
    return 0;
}

fleet *fleet_new(const char *map_text, size_t len, int32_t n, const int32_t *starts, uint64_t seed,
                 int32_t stall_limit, char *err, size_t cap) {
    fleet *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    f->rng = seed;
    f->stall_limit = stall_limit < 1 ? 1 : stall_limit;
    if (n < 1 || n > FLEET_MAX_ROBOTS)
        snprintf(f->err, sizeof f->err, "%d robots: between 1 and %d", (int)n, FLEET_MAX_ROBOTS);
    else if (!fleet__parse_map(f, map_text, len) && !fleet__stations(f)) {
        if (n >= f->nodes)
            snprintf(f->err, sizeof f->err, "%d robots need more than %d free cells", (int)n, (int)f->nodes);
        else {
            f->n = n;
            if (alloc_scratch(f) || place(f, starts) || fleet__refill(f))
                snprintf(f->err, sizeof f->err, "out of memory");
        }
    }
    if (f->err[0]) {
        snprintf(err, cap, "%s", f->err);
        fleet_free(f);
        return NULL;
    }
    return f;
}

void fleet_on_plan(fleet *f, fleet_plan_fn fn, void *user) {
    f->on_plan = fn;
    f->on_plan_user = user;
}

int32_t fleet_robots(const fleet *f) { return f->n; }
const fleet_robot *fleet_robot_at(const fleet *f, int32_t i) { return &f->r[i]; }
int32_t fleet_width(const fleet *f) { return f->w; }
int32_t fleet_height(const fleet *f) { return f->h; }
int32_t fleet_nodes(const fleet *f) { return f->nodes; }
int32_t fleet_time(const fleet *f) { return f->t; }
int64_t fleet_completed(const fleet *f) { return f->completed; }
int64_t fleet_assigned(const fleet *f) { return f->assigned; }
int fleet_is_free(const fleet *f, int32_t cell) { return cell >= 0 && cell < f->w * f->h && f->free[cell]; }
