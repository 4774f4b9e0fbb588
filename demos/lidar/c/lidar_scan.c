/* The synthetic rotating LiDAR: ray casting against the ground (z = 0),
 * axis-aligned boxes, vertical poles and the moving vehicle, then range
 * noise, dropouts and spurious returns from a splitmix64 generator. Mirrors
 * scan() in ../python/lidar_filter.py operation for operation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lidar_core.h"

#define PI 3.141592653589793
#define HALF_PI (PI / 2.0)
#define TWO_OVER_PI (2.0 / PI)
#define TWO_PI (2.0 * PI)
#define DEG (PI / 180.0)
#define GAUSS_SCALE (1.7320508075688772 / 65536.0)
#define MAX_OBJ 256

/* 0.0 that the compiler cannot fold into a comparison (ray_gen.zero). */
static const volatile double ZERO = 0.0;

static double sin_poly(double x) {
    double x2 = x * x;
    return x * (1.0 +
                x2 * (-1.0 / 6.0 +
                      x2 * (1.0 / 120.0 +
                            x2 * (-1.0 / 5040.0 +
                                  x2 * (1.0 / 362880.0 + x2 * (-1.0 / 39916800.0 +
                                                               x2 * (1.0 / 6227020800.0 +
                                                                     x2 * (-1.0 / 1307674368000.0 +
                                                                           x2 * (1.0 / 355687428096000.0)))))))));
}

static double cos_poly(double x) {
    double x2 = x * x;
    return 1.0 +
           x2 * (-1.0 / 2.0 +
                 x2 * (1.0 / 24.0 +
                       x2 * (-1.0 / 720.0 +
                             x2 * (1.0 / 40320.0 +
                                   x2 * (-1.0 / 3628800.0 +
                                         x2 * (1.0 / 479001600.0 +
                                               x2 * (-1.0 / 87178291200.0 + x2 * (1.0 / 20922789888000.0))))))));
}

/* (cos a, sin a), reduced to |r| <= pi/4 by quarter turns. */
static void sincos_q(double a, double *c, double *s) {
    double k = floor(a * TWO_OVER_PI + 0.5);
    double r = a - k * HALF_PI;
    double sr = sin_poly(r), cr = cos_poly(r);
    int64_t q = ((int64_t)k % 4 + 4) % 4;
    switch (q) {
    case 0:
        *c = cr;
        *s = sr;
        break;
    case 1:
        *c = -sr;
        *s = cr;
        break;
    case 2:
        *c = -cr;
        *s = -sr;
        break;
    default:
        *c = sr;
        *s = -cr;
        break;
    }
}

static uint64_t splitmix(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double unit(uint64_t x) { return (double)(x >> 11) * (1.0 / 9007199254740992.0); }

/* The least integer m such that m 2^-53 >= p: unit(x) < p exactly when
 * (x >> 11) < it (x >> 11 is below 2^53, and p 2^53 is exact), so the
 * per-ray tests need no conversion to double. */
static uint64_t unit_below(double p) {
    double d = p * 9007199254740992.0;
    if (!(d > 0.0))
        return 0; /* NaN or <= 0: no unit is below */
    return d >= 9007199254740992.0 ? (uint64_t)1 << 53 : (uint64_t)ceil(d);
}

static double gauss(uint64_t x) {
    /* the four 16-bit lanes summed, two at a time: pairs holds two 32-bit
     * lanes, and pairs * (2^32 + 1) their sum in its high half (the low
     * lane's product ends below bit 32, the high one's beyond bit 63) */
    uint64_t pairs = (x & 0x0000FFFF0000FFFFull) + ((x >> 16) & 0x0000FFFF0000FFFFull);
    int64_t s = (int64_t)((pairs * 0x100000001ull) >> 32);
    return (double)(s - 131070) * GAUSS_SCALE;
}

/* Slab test of the box lo..hi along d, given rlo = lo - o and rhi = hi - o
 * (o the ray's origin): the entry distance when it is in (0, best), else
 * best. rlo > 0 is o < lo exactly (the sign of a difference is exact).
 * zero is 0.0 (ray_gen.zero). */
static inline double box_hit(const double *d, const double *rlo, const double *rhi, double best, double zero) {
    double t0 = zero, t1 = best;
    for (int a = 0; a < 3; a++) {
        if (d[a] == zero) {
            if (rlo[a] > zero || rhi[a] < zero)
                return best;
            continue;
        }
        double u = rlo[a] / d[a];
        double v = rhi[a] / d[a];
        if (u > v) {
            double w = u;
            u = v;
            v = w;
        }
        if (u > t0)
            t0 = u;
        if (v < t1)
            t1 = v;
        if (t0 > t1)
            return best;
    }
    /* t0 <= t1 <= best, unless best is NaN */
    return t0 > zero && t0 < best ? t0 : best;
}

/* The side of the vertical cylinder (x, y, radius r) from z = 0 to h along
 * d from o, given f = (o.x - x, o.y - y, |f|^2 - r^2): the distance when
 * it is in (0, best), else best. zero is 0.0 (ray_gen.zero). */
static inline double pole_hit(double oz, const double *d, const double *f, double h, double best, double zero) {
    double a = d[0] * d[0] + d[1] * d[1];
    if (a == zero)
        return best;
    double b = f[0] * d[0] + f[1] * d[1];
    double disc = b * b - a * f[2];
    if (disc < zero)
        return best;
    double t = (-b - sqrt(disc)) / a;
    if (t <= zero)
        return best;
    double z = oz + t * d[2];
    if (z < zero || z > h)
        return best;
    return t < best ? t : best;
}

typedef struct {
    double lo[MAX_OBJ][3], hi[MAX_OBJ][3];
    double rel[MAX_OBJ][2][3]; /* boxes: lo and hi minus the sensor's origin; poles: pole_hit's f */
    double circle[MAX_OBJ][3]; /* x, y, r^2 of boxes then poles */
    double zlo[MAX_OBJ], zhi[MAX_OBJ];
    int nbox, nobj;
} objects;

static void add_box(objects *ob, const double *c, const double *s) {
    int i = ob->nbox++;
    for (int a = 0; a < 3; a++) {
        ob->lo[i][a] = c[a] - s[a] / 2.0;
        ob->hi[i][a] = c[a] + s[a] / 2.0;
    }
    double hx = (ob->hi[i][0] - ob->lo[i][0]) / 2.0, hy = (ob->hi[i][1] - ob->lo[i][1]) / 2.0;
    ob->circle[i][0] = ob->lo[i][0] + hx;
    ob->circle[i][1] = ob->lo[i][1] + hy;
    ob->circle[i][2] = hx * hx + hy * hy;
    ob->zlo[i] = ob->lo[i][2];
    ob->zhi[i] = ob->hi[i][2];
}

static void objects_at(const lidar_sensor *s, double t, objects *ob) {
    ob->nbox = 0;
    int nb = s->nbox < MAX_OBJ / 2 - 1 ? s->nbox : MAX_OBJ / 2 - 1;
    for (int i = 0; i < nb; i++)
        add_box(ob, s->box_centers + 3 * i, s->box_sizes + 3 * i);
    double c[3];
    for (int a = 0; a < 3; a++)
        c[a] = s->vehicle_start[a] + s->vehicle_velocity[a] * t;
    add_box(ob, c, s->vehicle_size);
    int np = s->npole < MAX_OBJ / 2 ? s->npole : MAX_OBJ / 2;
    for (int i = 0; i < np; i++) {
        const double *p = s->poles + 3 * i;
        ob->circle[ob->nbox + i][0] = p[0];
        ob->circle[ob->nbox + i][1] = p[1];
        ob->circle[ob->nbox + i][2] = p[2] * p[2];
        ob->zlo[ob->nbox + i] = 0.0;
        ob->zhi[ob->nbox + i] = s->pole_height;
    }
    ob->nobj = ob->nbox + np;
    const double *o = s->origin;
    for (int i = 0; i < ob->nbox; i++)
        for (int a = 0; a < 3; a++) {
            ob->rel[i][0][a] = ob->lo[i][a] - o[a];
            ob->rel[i][1][a] = ob->hi[i][a] - o[a];
        }
    for (int i = 0; i < np; i++) {
        const double *p = s->poles + 3 * i;
        double *f = ob->rel[ob->nbox + i][0], fx = o[0] - p[0], fy = o[1] - p[1];
        f[0] = fx;
        f[1] = fy;
        f[2] = fx * fx + fy * fy - p[2] * p[2];
    }
}

/* Of the objects list[0..n), those whose bounding circle the vertical
 * half-plane of azimuth (ca, sa) can meet (conservative culling, as the
 * Python reference's column_candidates). */
static int candidates(const objects *ob, const double *o, double ca, double sa, const int32_t *list, int n_list,
                      int *out) {
    int n = 0;
    for (int k = 0; k < n_list; k++) {
        int i = list[k];
        double px = ob->circle[i][0] - o[0], py = ob->circle[i][1] - o[1], r2 = ob->circle[i][2];
        double along = px * ca + py * sa;
        if (along < 0.0 && along * along > r2)
            continue;
        double perp = px * sa - py * ca;
        if (perp * perp > r2)
            continue;
        out[n++] = i;
    }
    return n;
}

/* Per azimuth step, the objects candidates() may accept there, in index
 * order: a superset, so the candidates are the same as testing every
 * object. An object whose circle's centre is at p > 2 r from the sensor's
 * axis is accepted only at azimuths within asin(r / p) of its direction
 * (beyond, perp^2 > r^2; in the opposite direction along < -r); that range
 * is widened by a millionth of a radian and a step each side. Nearer
 * objects are listed at every step. The objects of step st are
 * obj[first[st] .. first[st + 1]). Returns -1 (the caller then tests every
 * object) when out of memory or for more than 2^26 entries. */
typedef struct {
    int32_t *first, *at, *obj;
    size_t nfirst, nobj;
} step_lists;

static int step_lists_of(step_lists *L, const objects *ob, const double *o, int steps) {
    int32_t s0[MAX_OBJ], len[MAX_OBJ];
    size_t total = 0;
    for (int i = 0; i < ob->nobj; i++) {
        double px = ob->circle[i][0] - o[0], py = ob->circle[i][1] - o[1], r2 = ob->circle[i][2];
        double d2 = px * px + py * py;
        s0[i] = 0;
        len[i] = steps;
        if (d2 > 4.0 * r2) {
            double phi = atan2(py, px), al = asin(sqrt(r2 / d2)) + 1e-6;
            double a = floor((phi - al) * steps / TWO_PI) - 1.0, b = ceil((phi + al) * steps / TWO_PI) + 1.0;
            if (b - a + 1.0 < steps) {
                s0[i] = ((int32_t)a % steps + steps) % steps;
                len[i] = (int32_t)(b - a) + 1;
            }
        }
        total += (size_t)len[i];
        if (total > (1u << 26)) /* a huge scan: no lists (the counts stay far inside int32) */
            return -1;
    }
    if ((size_t)steps + 1 > L->nfirst) {
        free(L->first);
        free(L->at);
        L->first = malloc(((size_t)steps + 1) * sizeof *L->first);
        L->at = malloc(((size_t)steps + 1) * sizeof *L->at);
        L->nfirst = L->first && L->at ? (size_t)steps + 1 : 0;
        if (!L->nfirst)
            return -1;
    }
    if (total > L->nobj) {
        free(L->obj);
        L->obj = malloc(total * sizeof *L->obj);
        L->nobj = L->obj ? total : 0;
        if (!L->obj)
            return -1;
    }
    memset(L->first, 0, ((size_t)steps + 1) * sizeof *L->first);
    for (int i = 0; i < ob->nobj; i++)
        for (int32_t j = 0, st = s0[i]; j < len[i]; j++, st = st + 1 == steps ? 0 : st + 1)
            L->first[st + 1]++;
    for (int st = 0; st < steps; st++)
        L->first[st + 1] += L->first[st];
    memcpy(L->at, L->first, (size_t)steps * sizeof *L->at);
    for (int i = 0; i < ob->nobj; i++)
        for (int32_t j = 0, st = s0[i]; j < len[i]; j++, st = st + 1 == steps ? 0 : st + 1)
            L->obj[L->at[st]++] = i;
    return 0;
}

/* The first beam whose slope (tan of its elevation, ascending) is >= s;
 * beams when none. */
static int first_beam_at(const double *slope, int beams, double s) {
    int lo = 0, hi = beams;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (slope[mid] >= s)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The beams b0..b1 that can meet candidate i at the azimuth (ca, sa): a
 * ray of slope m is at height oz + h m at horizontal distance h, and meets
 * the object only where the azimuth's line crosses the object's bounding
 * circle (h in hmin..hmax) and within its heights zlo..zhi, so only when
 * (zlo - oz) / h <= m <= (zhi - oz) / h for such an h. The bounds are
 * widened by a millionth, far beyond any rounding, so no beam outside can
 * have a hit: culling changes no result. slope: the beams' slopes,
 * ascending, or NULL (every beam). Returns 0 when no beam can. */
static int beam_range(const objects *ob, int i, const double *o, double ca, double sa, const double *slope,
                      int beams, int *b0, int *b1) {
    *b0 = 0;
    *b1 = beams - 1;
    double px = ob->circle[i][0] - o[0], py = ob->circle[i][1] - o[1], r2 = ob->circle[i][2];
    double along = px * ca + py * sa, perp = px * sa - py * ca, w2 = r2 - perp * perp;
    double w = sqrt(w2 > 0.0 ? w2 : 0.0), eps = 1e-6 * (1.0 + fabs(along) + w);
    double hmin = along - w - eps, hmax = along + w + eps;
    if (!slope || !(hmin > 0.0))
        return 1; /* the sensor is (nearly) above or below the object: any slope */
    double dlo = ob->zlo[i] - o[2], dhi = ob->zhi[i] - o[2];
    double smin = dlo / (dlo < 0.0 ? hmin : hmax), smax = dhi / (dhi > 0.0 ? hmin : hmax);
    smin -= 1e-6 * (1.0 + fabs(smin));
    smax += 1e-6 * (1.0 + fabs(smax));
    *b0 = first_beam_at(slope, beams, smin);
    *b1 = first_beam_at(slope, beams, smax) - 1;
    while (*b1 + 1 < beams && slope[*b1 + 1] <= smax) /* equal slopes */
        ++*b1;
    return *b0 <= *b1;
}

/* Distance to the first surface along d for beam b, given the ground's (or
 * max_range) as best: the candidates whose beam range holds b. */
static double cast(const lidar_sensor *s, const objects *ob, const int *cand, const int *cb, int ncand, int b,
                   const double *d, double best, double zero) {
    for (int k = 0; k < ncand; k++) {
        if ((unsigned)(b - cb[2 * k]) > (unsigned)(cb[2 * k + 1] - cb[2 * k]))
            continue;
        int i = cand[k];
        best = i < ob->nbox ? box_hit(d, ob->rel[i][0], ob->rel[i][1], best, zero)
                            : pole_hit(s->origin[2], d, ob->rel[i][0], s->pole_height, best, zero);
    }
    return best;
}

/* Per beam: the cosine and sine of its elevation, the ground's distance
 * along it (the same at every azimuth) and its slope (tan). Returns whether
 * the slopes ascend (beam culling needs them sorted). */
typedef struct {
    double ce, se, ground;
} beam;

static int beams_of(const lidar_sensor *s, int beams, beam *bm, double *slope) {
    int sorted = 1;
    for (int b = 0; b < beams; b++) {
        sincos_q((s->elev_min + (s->elev_max - s->elev_min) * (double)b / (double)(beams > 1 ? beams - 1 : 1)) *
                     DEG,
                 &bm[b].ce, &bm[b].se);
        double tg = bm[b].se < 0.0 ? -s->origin[2] / bm[b].se : s->max_range;
        bm[b].ground = tg < s->max_range ? tg : s->max_range;
        slope[b] = bm[b].se / bm[b].ce;
        sorted &= bm[b].ce > 0.0 && (b == 0 || slope[b] >= slope[b - 1]);
    }
    return sorted;
}

/* The generator's constants and state, and the counts (a local copy:
 * the stores into the cloud could otherwise alias the sensor). */
typedef struct {
    double ox, oy, oz, max_range, noise;
    uint64_t dropout, gate; /* unit(x) < p: (x >> 11) < unit_below(p) */
    uint64_t state;
    double zero; /* 0.0, read at run time: the interpreter compares two
                  * values in one instruction, a value and a constant in two */
    int32_t nmiss, nspur;
} ray_gen;

/* The rays of beams b0..b1-1 at the azimuth (ca, sa) into q (cast against
 * the candidates when ncand, the ground alone otherwise); returns the end.
 * Inlined three times per azimuth: the beams before, within and after the
 * candidates' beams. */
static inline double *rays(ray_gen *g, const beam *bm, int b0, int b1, double ca, double sa,
                           const lidar_sensor *s, const objects *ob, const int *cand, const int *cb, int ncand,
                           double *q) {
    /* locals: the stores into q could otherwise alias *g */
    const double ox = g->ox, oy = g->oy, oz = g->oz, max_range = g->max_range, noise = g->noise;
    const uint64_t dropout = g->dropout, gate = g->gate;
    uint64_t state = g->state;
    const double zero = g->zero;
    int32_t nmiss = g->nmiss, nspur = g->nspur;
    for (int b = b0; b < b1; b++, q += 3) {
        const beam *e = bm + b;
        double d[3] = {e->ce * ca, e->ce * sa, e->se};
        double best = ncand ? cast(s, ob, cand, cb, ncand, b, d, e->ground, zero) : e->ground;
        uint64_t x1 = splitmix(&state), x2 = splitmix(&state), u = x1 >> 11;
        /* the rays without a return counted on their own paths (rare but
         * for a hit whose noise cancels its range exactly) */
        double r;
        if (u < dropout) {
            r = zero;
            nmiss++;
        } else if (u < gate) {
            r = unit(splitmix(&state)) * best;
            nspur++;
            nmiss += r == zero;
        } else if (best < max_range) {
            r = best + noise * gauss(x2);
            if (r == zero)
                nmiss++;
        } else {
            r = zero;
            nmiss++;
        }
        q[0] = ox + r * d[0];
        q[1] = oy + r * d[1];
        q[2] = oz + r * d[2];
    }
    g->state = state;
    g->nmiss = nmiss;
    g->nspur = nspur;
    return q;
}

int lidar_scan_run(const lidar_sensor *s, double t, double *out, int32_t *returns, int32_t *spurious) {
    static objects ob;
    beam bm[1024];
    double slope[1024];
    int cand[MAX_OBJ], cb[2 * MAX_OBJ];
    int beams = s->beams < 1 ? 1 : s->beams > 1024 ? 1024 : s->beams;
    int steps = s->rays / beams;
    static step_lists lists;
    objects_at(s, t, &ob);
    /* every object at every step when the lists cannot be had */
    int32_t every[MAX_OBJ];
    for (int i = 0; i < ob.nobj; i++)
        every[i] = i;
    const int32_t *all = steps > 0 && step_lists_of(&lists, &ob, s->origin, steps) == 0 ? NULL : every;
    const double *sl = beams_of(s, beams, bm, slope) ? slope : NULL;
    uint64_t tb;
    memcpy(&tb, &t, sizeof tb);
    const double *o = s->origin;
    ray_gen g = {o[0],
                 o[1],
                 o[2],
                 s->max_range,
                 s->range_noise,
                 unit_below(s->dropout),
                 unit_below(s->dropout + s->spurious),
                 ((uint64_t)s->seed << 32) ^ tb,
                 ZERO,
                 0,
                 0};
    double *q = out;
    for (int st = 0; st < steps; st++) {
        double ca, sa;
        sincos_q(TWO_PI * (double)st / (double)steps, &ca, &sa);
        int n = all ? candidates(&ob, o, ca, sa, all, ob.nobj, cand)
                    : candidates(&ob, o, ca, sa, lists.obj + lists.first[st],
                                 lists.first[st + 1] - lists.first[st], cand),
            ncand = 0, lo = beams, hi = 0;
        for (int k = 0; k < n; k++) { /* the candidates some beam can meet, and the union of their beams */
            int b0, b1;
            if (!beam_range(&ob, cand[k], o, ca, sa, sl, beams, &b0, &b1))
                continue;
            cand[ncand] = cand[k];
            cb[2 * ncand] = b0;
            cb[2 * ncand++ + 1] = b1;
            lo = b0 < lo ? b0 : lo;
            hi = b1 + 1 > hi ? b1 + 1 : hi;
        }
        if (!ncand)
            lo = hi = beams;
        q = rays(&g, bm, 0, lo, ca, sa, s, &ob, cand, cb, 0, q);
        q = rays(&g, bm, lo, hi, ca, sa, s, &ob, cand, cb, ncand, q);
        q = rays(&g, bm, hi, beams, ca, sa, s, &ob, cand, cb, 0, q);
    }
    for (size_t i = (size_t)steps * (size_t)beams; i < (size_t)s->rays; i++)
        memcpy(out + 3 * i, o, 3 * sizeof *o);
    *returns = steps * beams - g.nmiss;
    *spurious = g.nspur;
    return 0;
}
