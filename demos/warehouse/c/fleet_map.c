/* The map of the fleet: the MAPF benchmark grid format (.map), the pick-up
 * and drop-off stations, and A* on the waypoint graph (README.md, "Map
 * format" and "Algorithm"). python/fleet.py's parse_map, stations, astar. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_internal.h"

static const int DX[4] = {1, 0, -1, 0}, DY[4] = {0, -1, 0, 1};

static int passable(char c) { return c == '.' || c == 'G' || c == 'S'; }

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

/* Splits line [p, e) into at most 3 words; returns the number found (3 means
 * "more than 2"). */
static int words(const char *p, const char *e, const char *w[3], size_t wl[3]) {
    int n = 0;
    while (p < e && n < 3) {
        while (p < e && is_space(*p))
            p++;
        if (p == e)
            break;
        const char *s = p;
        while (p < e && !is_space(*p))
            p++;
        w[n] = s;
        wl[n++] = (size_t)(p - s);
    }
    return n;
}

static int word_is(const char *w, size_t l, const char *lit) { return l == strlen(lit) && !memcmp(w, lit, l); }

static long digits(const char *w, size_t l) {
    long v = 0;
    if (!l)
        return -1;
    for (size_t i = 0; i < l; i++) {
        if (w[i] < '0' || w[i] > '9')
            return -1;
        v = v * 10 + (w[i] - '0');
        if (v > 100000000L)
            return 100000001L;
    }
    return v;
}

/* Reads the header up to the "map" line; on success *body is the first row. */
static int parse_header(fleet *f, const char *t, const char *end, const char **body) {
    long h = -1, w = -1;
    int line = 0;
    const char *p = t;
    for (;;) {
        if (p >= end) {
            snprintf(f->err, sizeof f->err, "no 'map' line");
            return -1;
        }
        const char *e = memchr(p, '\n', (size_t)(end - p));
        e = e ? e : end;
        line++;
        const char *wd[3];
        size_t wl[3];
        int n = words(p, e, wd, wl);
        p = e < end ? e + 1 : end;
        if (!n)
            continue;
        if (word_is(wd[0], wl[0], "map"))
            break;
        if (n == 2 && word_is(wd[0], wl[0], "height"))
            h = digits(wd[1], wl[1]);
        else if (n == 2 && word_is(wd[0], wl[0], "width"))
            w = digits(wd[1], wl[1]);
        else if (!(n == 2 && word_is(wd[0], wl[0], "type"))) {
            snprintf(f->err, sizeof f->err, "line %d: expected 'type T', 'height H', 'width W' or 'map'", line);
            return -1;
        }
    }
    if (h < 0 || w < 0) {
        snprintf(f->err, sizeof f->err, "missing or bad '%s'", h < 0 ? "height" : "width");
        return -1;
    }
    if (w < 1 || h < 1 || w * h > FLEET_MAX_CELLS) {
        snprintf(f->err, sizeof f->err, "map size %ldx%ld out of range (1 to %d cells)", w, h, FLEET_MAX_CELLS);
        return -1;
    }
    f->w = (int32_t)w;
    f->h = (int32_t)h;
    f->first_row_line = line + 1;
    *body = p;
    return 0;
}

static int parse_rows(fleet *f, const char *p, const char *end) {
    f->free = calloc((size_t)f->w * (size_t)f->h, 1);
    if (!f->free) {
        snprintf(f->err, sizeof f->err, "out of memory");
        return -1;
    }
    for (int32_t y = 0; y < f->h; y++) {
        const char *e = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        e = e ? e : end;
        if (p >= end || e - p < f->w) {
            snprintf(f->err, sizeof f->err, "line %d: map row %d shorter than width %d", f->first_row_line + y,
                     (int)y, (int)f->w);
            return -1;
        }
        for (int32_t x = 0; x < f->w; x++)
            f->free[y * f->w + x] = (uint8_t)passable(p[x]);
        p = e < end ? e + 1 : end;
    }
    f->nodes = 0;
    for (int32_t c = 0; c < f->w * f->h; c++)
        f->nodes += f->free[c];
    return 0;
}

int fleet__parse_map(fleet *f, const char *text, size_t len) {
    /* The format's lines may end in CR LF: drop every CR, as the reference does. */
    char *t = malloc(len + 1);
    if (!t) {
        snprintf(f->err, sizeof f->err, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] != '\r')
            t[n++] = text[i];
    const char *body;
    int rc = parse_header(f, t, t + n, &body);
    if (!rc)
        rc = parse_rows(f, body, t + n);
    free(t);
    return rc;
}

int fleet__stations(fleet *f) {
    int32_t w = f->w, h = f->h, left = -1, right = -1;
    for (int32_t x = 0; x < w; x++)
        for (int32_t y = 0; y < h; y++)
            if (f->free[y * w + x]) {
                left = left < 0 ? x : left;
                right = x;
                break;
            }
    if (left < 0) {
        snprintf(f->err, sizeof f->err, "the map has no free cell");
        return -1;
    }
    f->picks = malloc(sizeof *f->picks * (size_t)f->nodes);
    f->drops = malloc(sizeof *f->drops * (size_t)f->nodes);
    if (!f->picks || !f->drops) {
        snprintf(f->err, sizeof f->err, "out of memory");
        return -1;
    }
    for (int32_t c = 0; c < w * h; c++) {
        if (!f->free[c])
            continue;
        int32_t x = c % w, y = c / w;
        if (x == left || x == right) {
            f->drops[f->ndrop++] = c;
            continue;
        }
        if ((y > 0 && !f->free[c - w]) || (y < h - 1 && !f->free[c + w]))
            f->picks[f->npick++] = c;
    }
    if (!f->npick || !f->ndrop) {
        snprintf(f->err, sizeof f->err, "the map has no pick-up (shelf face) or no drop-off (edge column) cell");
        return -1;
    }
    return 0;
}

int32_t fleet__neighbours(const fleet *f, int32_t c, int32_t out[4]) {
    int32_t n = 0, x = c % f->w, y = c / f->w;
    for (int d = 0; d < 4; d++) {
        int32_t nx = x + DX[d], ny = y + DY[d];
        if (nx >= 0 && nx < f->w && ny >= 0 && ny < f->h && f->free[ny * f->w + nx])
            out[n++] = ny * f->w + nx;
    }
    return n;
}

int32_t fleet__manhattan(const fleet *f, int32_t a, int32_t b) {
    int32_t dx = a % f->w - b % f->w, dy = a / f->w - b / f->w;
    return (dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy);
}

/* The open list: a binary min-heap of (f << 42 | h << 21 | cell), the
 * reference's (f, h, cell) order in one integer (f, h < 2^21, cell < 2^20). */
static void heap_push(fleet *f, uint64_t key) {
    uint64_t *a = f->heap;
    size_t i = f->nheap++;
    while (i) {
        size_t p = (i - 1) / 2;
        if (a[p] <= key)
            break;
        a[i] = a[p];
        i = p;
    }
    a[i] = key;
}

static uint64_t heap_pop(fleet *f) {
    uint64_t *a = f->heap, top = a[0], last = a[--f->nheap];
    size_t n = f->nheap, i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && a[c + 1] < a[c])
            c++;
        if (a[c] >= last)
            break;
        a[i] = a[c];
        i = c;
    }
    if (n)
        a[i] = last;
    return top;
}

static void new_search(fleet *f) {
    if (++f->run == 0) { /* the stamps wrapped: clear them once every 2^32 searches */
        memset(f->seen, 0, sizeof *f->seen * (size_t)f->w * (size_t)f->h);
        memset(f->closed, 0, sizeof *f->closed * (size_t)f->w * (size_t)f->h);
        f->run = 1;
    }
    f->nheap = 0;
}

/* Writes the path goal <- ... <- start into r's path buffer. */
static int take_path(fleet *f, fleet_robot *r, int32_t start, int32_t goal) {
    int32_t len = 1;
    for (int32_t c = goal; c != start; c = f->parent[c])
        len++;
    if (len > r->path_cap) {
        int32_t *p = realloc(r->path, sizeof *p * (size_t)len);
        if (!p)
            return -1;
        r->path = p;
        r->path_cap = len;
    }
    r->path_len = len;
    for (int32_t c = goal, i = len - 1; i >= 0; c = f->parent[c], i--)
        r->path[i] = c;
    return 0;
}

int fleet__astar(fleet *f, fleet_robot *r, int32_t start, int32_t goal, int use_blocked) {
    new_search(f);
    f->seen[start] = f->run;
    f->g[start] = 0;
    uint64_t h0 = (uint64_t)fleet__manhattan(f, start, goal);
    heap_push(f, h0 << 42 | h0 << 21 | (uint64_t)start);
    while (f->nheap) {
        int32_t c = (int32_t)(heap_pop(f) & 0x1fffff);
        if (f->closed[c] == f->run)
            continue;
        f->closed[c] = f->run;
        if (c == goal)
            return take_path(f, r, start, goal) ? -1 : 1;
        int32_t nb[4], nn = fleet__neighbours(f, c, nb), ng = f->g[c] + 1;
        for (int32_t j = 0; j < nn; j++) {
            int32_t v = nb[j];
            if (use_blocked && f->blocked[v] == f->brun && v != goal)
                continue;
            if (f->seen[v] != f->run || ng < f->g[v]) {
                f->seen[v] = f->run;
                f->g[v] = ng;
                f->parent[v] = c;
                uint64_t hv = (uint64_t)fleet__manhattan(f, v, goal);
                heap_push(f, ((uint64_t)ng + hv) << 42 | hv << 21 | (uint64_t)v);
            }
        }
    }
    return 0;
}
