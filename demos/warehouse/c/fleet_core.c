/* The fleet's step (README.md, "Algorithm"): tasks, allocation, A* plans,
 * PIBT collision avoidance, arrivals, deadlock detection and recovery.
 * python/fleet.py's Fleet, in the same order with the same tie-breaks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_internal.h"

static const double HEADING[4] = {0.0, 90.0, 180.0, 270.0};

uint64_t fleet__next_u64(fleet *f) {
    uint64_t z = (f->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int32_t below(fleet *f, int32_t n) { return (int32_t)((fleet__next_u64(f) >> 11) % (uint64_t)n); }

static int push_open(fleet *f, fleet_task t) {
    if (f->nopen == f->open_cap) {
        int32_t cap = f->open_cap ? 2 * f->open_cap : 64;
        fleet_task *o = realloc(f->open, sizeof *o * (size_t)cap);
        if (!o)
            return -1;
        f->open = o;
        f->open_cap = cap;
    }
    f->open[f->nopen++] = t;
    return 0;
}

int fleet__refill(fleet *f) {
    while (f->nopen < f->n) {
        fleet_task t = {.id = f->next_id++, .created = f->t};
        t.pick = f->picks[below(f, f->npick)];
        t.drop = f->drops[below(f, f->ndrop)];
        if (push_open(f, t))
            return -1;
    }
    return 0;
}

int fleet__here(fleet_robot *r) {
    if (!r->path_cap) {
        r->path = malloc(sizeof *r->path * 16);
        if (!r->path)
            return -1;
        r->path_cap = 16;
    }
    r->path[0] = r->pos;
    r->path_len = 1;
    r->k = 0;
    return 0;
}

/* A* for r to its goal; 1 planned, 0 no path (path unchanged), -1 no memory. */
static int plan(fleet *f, fleet_robot *r, int use_blocked) {
    int rc = fleet__astar(f, r, r->pos, r->goal, use_blocked);
    if (rc > 0)
        r->k = 0;
    if (rc >= 0 && !use_blocked && f->on_plan)
        f->on_plan(f->on_plan_user, r->pos, r->goal, rc ? r->path : NULL, rc ? r->path_len : -1);
    return rc;
}

/* Gives the task up: reported, and back to the open tasks. */
static int release(fleet *f, fleet_robot *r) {
    r->reported++;
    if (push_open(f, r->task))
        return -1;
    r->state = FLEET_IDLE;
    r->load = 0;
    r->goal = r->pos;
    return fleet__here(r);
}

static int set_goal(fleet *f, fleet_robot *r, int32_t goal) {
    r->goal = goal;
    r->age = 0;
    r->stall = 0;
    int rc = plan(f, r, 0);
    if (rc < 0)
        return -1;
    if (!rc)
        return release(f, r);
    r->best = r->path_len - 1;
    return 0;
}

/* Pick-up and drop-off take no time (README.md). */
static int arrive(fleet *f, fleet_robot *r) {
    if (r->state == FLEET_TO_PICK && r->pos == r->goal) {
        r->load = 1;
        r->state = FLEET_TO_DROP;
        if (set_goal(f, r, r->task.drop))
            return -1;
    }
    if (r->state == FLEET_TO_DROP && r->pos == r->goal) {
        r->load = 0;
        r->state = FLEET_IDLE;
        r->done++;
        f->completed++;
        r->goal = r->pos;
        return fleet__here(r);
    }
    return 0;
}

static int allocate(fleet *f) {
    int32_t *idle = malloc(sizeof *idle * (size_t)f->n * 2), k = 0, m = f->nopen;
    int64_t *cost = NULL;
    fleet_task *tasks = NULL;
    int rc = -1;
    if (!idle)
        return -1;
    for (int32_t i = 0; i < f->n; i++)
        if (f->r[i].state == FLEET_IDLE)
            idle[k++] = i;
    if (!k) {
        free(idle);
        return 0;
    }
    int32_t *col = idle + f->n;
    cost = malloc(sizeof *cost * (size_t)k * (size_t)m);
    tasks = malloc(sizeof *tasks * (size_t)k);
    if (!cost || !tasks)
        goto out;
    for (int32_t a = 0; a < k; a++)
        for (int32_t j = 0; j < m; j++)
            cost[(size_t)a * (size_t)m + (size_t)j] =
                fleet__manhattan(f, f->r[idle[a]].pos, f->open[j].pick) - (int64_t)(f->t - f->open[j].created);
    if (fleet__hungarian(cost, k, m, col))
        goto out;
    for (int32_t a = 0; a < k; a++) {
        tasks[a] = f->open[col[a]];
        f->open[col[a]].id = -1; /* taken */
    }
    int32_t kept = 0;
    for (int32_t j = 0; j < m; j++)
        if (f->open[j].id >= 0)
            f->open[kept++] = f->open[j];
    f->nopen = kept;
    if (fleet__refill(f))
        goto out;
    for (int32_t a = 0; a < k; a++) {
        fleet_robot *r = &f->r[idle[a]];
        r->task = tasks[a];
        r->state = FLEET_TO_PICK;
        f->assigned++;
        if (set_goal(f, r, r->task.pick) || arrive(f, r))
            goto out;
    }
    rc = 0;
out:
    free(idle);
    free(cost);
    free(tasks);
    return rc;
}

/* PIBT preference: the A* path's next cell, then by Manhattan distance to
 * the goal, ties in E, N, W, S, stay order. Returns the count. */
static int32_t candidates(const fleet *f, const fleet_robot *r, int32_t out[5]) {
    int32_t pref = r->k + 1 < r->path_len ? r->path[r->k + 1] : r->pos;
    int32_t n = fleet__neighbours(f, r->pos, out);
    out[n++] = r->pos;
    int64_t key[5];
    for (int32_t j = 0; j < n; j++)
        key[j] = (int64_t)(out[j] == pref ? 0 : 1) << 40 | (int64_t)fleet__manhattan(f, out[j], r->goal) << 8 | j;
    for (int32_t a = 1; a < n; a++) /* insertion sort of at most 5 */
        for (int32_t b = a; b > 0 && key[b] < key[b - 1]; b--) {
            int64_t tk = key[b];
            key[b] = key[b - 1];
            key[b - 1] = tk;
            int32_t tc = out[b];
            out[b] = out[b - 1];
            out[b - 1] = tc;
        }
    return n;
}

static int pibt(fleet *f, int32_t i, int32_t parent) {
    fleet_robot *r = &f->r[i];
    int32_t cs[5], nc = candidates(f, r, cs);
    for (int32_t j = 0; j < nc; j++) {
        int32_t c = cs[j];
        if (f->occ_next[c] >= 0)
            continue;
        if (parent >= 0 && c == f->r[parent].pos)
            continue;
        f->occ_next[c] = i;
        f->nxt[i] = c;
        int32_t k = f->occ_now[c];
        if (k >= 0 && k != i && f->nxt[k] < 0 && !pibt(f, k, i))
            continue;
        return 1;
    }
    f->occ_next[r->pos] = i;
    f->nxt[i] = r->pos;
    return 0;
}

/* Robots with a task first, the longest since their goal was set first,
 * then by index: a total order. */
static int64_t order_key(const fleet_robot *r, int32_t i) {
    return (int64_t)(r->state == FLEET_IDLE) << 62 | (int64_t)(0x3fffffff - r->age) << 20 | i;
}

static void sort_order(fleet *f) {
    int32_t *o = f->order, n = f->n;
    for (int32_t i = 0; i < n; i++) {
        int64_t key = order_key(&f->r[i], i);
        int32_t b = i;
        for (; b > 0 && order_key(&f->r[o[b - 1]], o[b - 1]) > key; b--)
            o[b] = o[b - 1];
        o[b] = i;
    }
}

static int follow(fleet *f, fleet_robot *r) {
    if (r->k + 1 < r->path_len && r->pos == r->path[r->k + 1]) {
        r->k++;
    } else if (r->pos != r->path[r->k]) {
        r->replans++;
        if (plan(f, r, 0) < 0)
            return -1;
    }
    return 0;
}

/* Deadlock detection and recovery (README.md). */
static int watch(fleet *f, fleet_robot *r) {
    r->age++;
    int32_t left = r->path_len - 1 - r->k;
    if (left < r->best) {
        r->best = left;
        r->stall = 0;
        return 0;
    }
    r->stall++;
    if (r->stall % f->stall_limit == 0) {
        r->deadlocks++;
        if (++f->brun == 0) {
            memset(f->blocked, 0, sizeof *f->blocked * (size_t)f->w * (size_t)f->h);
            f->brun = 1;
        }
        for (int32_t i = 0; i < f->n; i++)
            if (&f->r[i] != r)
                f->blocked[f->r[i].pos] = f->brun;
        if (plan(f, r, 1) < 0)
            return -1;
    }
    if (r->stall >= 4 * f->stall_limit)
        return release(f, r);
    return 0;
}

static void move(fleet *f) {
    for (int32_t i = 0; i < f->n; i++) {
        fleet_robot *r = &f->r[i];
        int32_t c = f->nxt[i], d = c - r->pos;
        if (c != r->pos)
            r->heading = HEADING[d == 1 ? 0 : d == -1 ? 2 : d < 0 ? 1 : 3];
        f->occ_now[r->pos] = -1;
        f->occ_next[c] = -1;
        r->pos = c;
    }
    for (int32_t i = 0; i < f->n; i++)
        f->occ_now[f->r[i].pos] = i;
}

int fleet_step(fleet *f) {
    if (allocate(f))
        return -1;
    for (int32_t i = 0; i < f->n; i++)
        f->nxt[i] = -1;
    sort_order(f);
    for (int32_t j = 0; j < f->n; j++)
        if (f->nxt[f->order[j]] < 0)
            pibt(f, f->order[j], -1);
    move(f);
    for (int32_t i = 0; i < f->n; i++)
        if (follow(f, &f->r[i]))
            return -1;
    for (int32_t i = 0; i < f->n; i++)
        if (f->r[i].state != FLEET_IDLE && arrive(f, &f->r[i]))
            return -1;
    for (int32_t i = 0; i < f->n; i++)
        if (f->r[i].state != FLEET_IDLE && watch(f, &f->r[i]))
            return -1;
    f->t++;
    return 0;
}
