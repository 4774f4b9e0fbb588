/* Checks, number by number, the time samples `portalis run` wrote for an
 * example scene against the example's physics computed here independently:
 *   check_samples cube|ball|orbits|drops|abi|mover OUT.usda
 * OUT.usda is the output layer; it has the input scene as a sublayer, so the
 * module prims' authored inputs are read from the same stage. Sample time
 * codes are converted to seconds with the output layer's
 * timeCodesPerSecond. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/usd.h>

#include "../check.h"

typedef struct {
    pusd_stage *stage;
    double tcps;
} scene;

static pusd_prim *prim(scene *s, const char *path) {
    pusd_prim *p = pusd_stage_prim_at_path(s->stage, path);
    CHECK(p != NULL, "no prim %s", path);
    return p;
}

/* The authored (default) value of a scalar input. */
static double input(pusd_prim *p, const char *name) {
    pusd_value v;
    int rc = pusd_prim_get_attr(p, name, PUSD_TIME_DEFAULT, &v);
    if (rc || !v.data)
        CHECK(0, "%s.%s has no value", pusd_prim_path(p), name);
    return rc == 0 && v.data ? pusd_value_get_double(&v, 0, 0) : NAN;
}

/* The value of an array input at index i. */
static double input_at(pusd_prim *p, const char *name, size_t i) {
    pusd_value v;
    int rc = pusd_prim_get_attr(p, name, PUSD_TIME_DEFAULT, &v);
    if (rc || v.count <= i)
        CHECK(0, "%s.%s has no element %zu", pusd_prim_path(p), name, i);
    return rc == 0 && v.count > i ? pusd_value_get_double(&v, i, 0) : NAN;
}

/* Expected value of element e, component c, at time t (seconds). */
typedef double (*expect_fn)(void *ctx, double t, size_t e, int c);

/* Compares every sample of p.name (nelem elements of ncomp components) with
 * fn to within tol; needs at least min_samples samples. Reports the first
 * mismatch only. */
static void check_attr(scene *s, pusd_prim *p, const char *name, size_t nelem, int ncomp, expect_fn fn, void *ctx,
                       double tol, size_t min_samples) {
    if (!p)
        return;
    const double *times;
    size_t n = pusd_prim_attr_sample_times(p, name, &times);
    CHECK(n >= min_samples, "%s.%s: %zu time samples, expected at least %zu", pusd_prim_path(p), name, n,
          min_samples);
    double worst = 0;
    for (size_t k = 0; k < n; k++) {
        pusd_value v;
        if (pusd_prim_get_attr(p, name, times[k], &v) || v.count != nelem) {
            CHECK(0, "%s.%s at %g: no value or %u elements (expected %zu)", pusd_prim_path(p), name, times[k],
                  v.count, nelem);
            return;
        }
        double t = times[k] / s->tcps;
        for (size_t e = 0; e < nelem; e++)
            for (int c = 0; c < ncomp; c++) {
                double got = pusd_value_get_double(&v, e, c), want = fn(ctx, t, e, c);
                if (!(fabs(got - want) <= tol)) {
                    CHECK(0, "%s.%s at time code %g (t = %g s), element %zu component %d: %.17g, expected %.17g",
                          pusd_prim_path(p), name, times[k], t, e, c, got, want);
                    return;
                }
                worst = fmax(worst, fabs(got - want));
            }
    }
    CHECK(1, "%s", "samples match");
    printf("%s.%s: %zu samples match, largest difference %.3g\n", pusd_prim_path(p), name, n, worst);
}

/* ---- examples/spinning_cube: rotateXYZ = (tilt sin(2 pi t / period), 0, rate t mod 360) ---- */

typedef struct {
    double rate, tilt, period;
} cube;

static double cube_rotate(void *ctx, double t, size_t e, int c) {
    (void)e;
    cube *q = ctx;
    return c == 0 ? q->tilt * sin(2.0 * M_PI * t / q->period) : c == 1 ? 0.0 : fmod(q->rate * t, 360.0);
}

static void check_cube(scene *s) {
    pusd_prim *m = prim(s, "/World/Spinner");
    if (!m)
        return;
    cube q = {input(m, "inputs:degreesPerSecond"), input(m, "inputs:tiltDegrees"), input(m, "inputs:tiltPeriod")};
    check_attr(s, m, "outputs:rotateXYZ", 1, 3, cube_rotate, &q, 1e-9, 60);
    /* The cube's float3 rotateXYZ is connected to the output. */
    check_attr(s, prim(s, "/World/Cube"), "xformOp:rotateXYZ", 1, 3, cube_rotate, &q, 1e-4, 60);
}

/* ---- examples/bouncing_ball: closed form, bounce by bounce ---- */

typedef struct {
    double h, r, g, e;
} ball;

/* Height and number of bounces at time t: free fall from h, first contact
 * at t1 = sqrt(2 (h - r) / g); after bounce k the ball leaves the ground at
 * speed u_k = e^k g t1 and returns 2 u_k / g later. */
static double ball_state(const ball *b, double t, int *bounces) {
    double t1 = sqrt(2.0 * (b->h - b->r) / b->g);
    *bounces = 0;
    if (t < t1)
        return b->h - 0.5 * b->g * t * t;
    double tk = t1, u = b->e * b->g * t1;
    *bounces = 1;
    while (t >= tk + 2.0 * u / b->g && *bounces < 1000) {
        tk += 2.0 * u / b->g;
        u *= b->e;
        ++*bounces;
    }
    double s = t - tk;
    return b->r + u * s - 0.5 * b->g * s * s;
}

static double ball_position(void *ctx, double t, size_t e, int c) {
    (void)e;
    int n;
    return c == 2 ? ball_state(ctx, t, &n) : 0.0;
}

static double ball_bounces(void *ctx, double t, size_t e, int c) {
    (void)e;
    (void)c;
    int n;
    ball_state(ctx, t, &n);
    return n;
}

static void check_ball(scene *s) {
    pusd_prim *m = prim(s, "/World/Bouncer");
    if (!m)
        return;
    ball b = {input(m, "inputs:height"), input(m, "inputs:radius"), input(m, "inputs:gravity"),
              input(m, "inputs:restitution")};
    check_attr(s, m, "outputs:position", 1, 3, ball_position, &b, 1e-9, 60);
    check_attr(s, m, "outputs:bounces", 1, 1, ball_bounces, &b, 0, 60);
    check_attr(s, prim(s, "/World/Ball"), "xformOp:translate", 1, 3, ball_position, &b, 1e-9, 60);
    /* The scene must actually show bounces, and the ball never sinks into
     * the ground (its centre stays at least a radius above it). */
    int n;
    const double *times;
    size_t ns = pusd_prim_attr_sample_times(m, "outputs:position", &times);
    ball_state(&b, ns ? times[ns - 1] / s->tcps : 0, &n);
    CHECK(n >= 3, "only %d bounces in the scene's time range", n);
    double lowest = INFINITY;
    for (size_t k = 0; k < ns; k++) {
        pusd_value v;
        if (!pusd_prim_get_attr(m, "outputs:position", times[k], &v))
            lowest = fmin(lowest, pusd_value_get_double(&v, 0, 2));
    }
    CHECK(lowest >= b.r - 1e-12, "the ball went below the ground: z = %g", lowest);
}

/* ---- examples/orbits: circles of radius r and period T ---- */

typedef struct {
    pusd_prim *p;
} orbits;

static double orbit(double r, double period, double t, int c) {
    double a = 2.0 * M_PI * t / period;
    return c == 0 ? r * cos(a) : c == 1 ? r * sin(a) : 0.0;
}

static double planets(void *ctx, double t, size_t e, int c) {
    orbits *o = ctx;
    return orbit(input_at(o->p, "inputs:radius", e), input_at(o->p, "inputs:period", e), t, c);
}

static double moon(void *ctx, double t, size_t e, int c) {
    (void)e;
    orbits *o = ctx;
    return orbit(input(o->p, "inputs:radius"), input(o->p, "inputs:period"), t, c);
}

static void check_orbits(scene *s) {
    orbits pl = {prim(s, "/World/Orbits")}, mo = {prim(s, "/World/MoonOrbit")};
    if (!pl.p || !mo.p)
        return;
    pusd_value v;
    size_t n = pusd_prim_get_attr(pl.p, "inputs:radius", PUSD_TIME_DEFAULT, &v) ? 0 : v.count;
    CHECK(n == 3, "%zu planets", n);
    check_attr(s, pl.p, "outputs:positions", n, 3, planets, &pl, 1e-9, 60);
    check_attr(s, prim(s, "/World/Planets"), "positions", n, 3, planets, &pl, 1e-5, 60);
    check_attr(s, mo.p, "outputs:position", 1, 3, moon, &mo, 1e-9, 60);
    check_attr(s, prim(s, "/World/Moon"), "xformOp:translate", 1, 3, moon, &mo, 1e-9, 60);
}

/* ---- examples/falling_balls: z = max(r, h - g t^2 / 2), landing at sqrt(2 (h - r) / g) ---- */

static double drops(void *ctx, double t, size_t e, int c) {
    pusd_prim *p = ctx;
    if (c == 0)
        return input_at(p, "inputs:x", e);
    if (c == 1)
        return 0.0;
    double r = input(p, "inputs:radius"),
           z = input_at(p, "inputs:height", e) - 0.5 * input(p, "inputs:gravity") * t * t;
    return z > r ? z : r;
}

static double landing(void *ctx, double t, size_t e, int c) {
    (void)t;
    (void)e;
    (void)c;
    pusd_prim *p = ctx;
    return sqrt(2.0 * (input(p, "inputs:height") - input(p, "inputs:radius")) / input(p, "inputs:gravity"));
}

static void check_drops(scene *s) {
    pusd_prim *d = prim(s, "/World/Dropper"), *tm = prim(s, "/World/Timer");
    if (!d || !tm)
        return;
    pusd_value v;
    size_t n = pusd_prim_get_attr(d, "inputs:x", PUSD_TIME_DEFAULT, &v) ? 0 : v.count;
    CHECK(n == 4, "%zu balls", n);
    check_attr(s, d, "outputs:positions", n, 3, drops, d, 1e-12, 60);
    check_attr(s, prim(s, "/World/Balls"), "positions", n, 3, drops, d, 1e-6, 60);
    /* portalis::math::sqrt against libm's. */
    check_attr(s, tm, "outputs:landingTime", 1, 1, landing, tm, 1e-15, 60);
    /* Every ball reaches the ground within the scene's time range. */
    const double *times;
    size_t ns = pusd_prim_attr_sample_times(d, "outputs:positions", &times);
    CHECK(ns && times[ns - 1] / s->tcps > landing(tm, 0, 0, 0), "the highest ball never lands");
}

/* ---- tests/examples/guest: every import, from C and from Rust ---- */

static double abi_const(void *ctx, double t, size_t e, int c) {
    (void)t;
    (void)e;
    (void)c;
    return *(double *)ctx;
}

static double abi_w(void *ctx, double t, size_t e, int c) {
    (void)e;
    pusd_value v;
    return pusd_prim_get_attr(ctx, "inputs:v", PUSD_TIME_DEFAULT, &v) ? NAN : pusd_value_get_double(&v, 0, c) * t;
}

/* outputs:cfg = (count of the double3 gains, gains[2], length of label). */
static double abi_cfg(void *ctx, double t, size_t e, int c) {
    (void)t;
    (void)e;
    pusd_prim *p = ctx;
    pusd_value v;
    bool has = pusd_prim_get_attr(p, "gains", PUSD_TIME_DEFAULT, &v) == 0 && v.data;
    if (c == 0)
        return has ? 3 : -1;
    if (c == 1)
        return has ? pusd_value_get_double(&v, 0, 2) : 0;
    has = pusd_prim_get_attr(p, "label", PUSD_TIME_DEFAULT, &v) == 0 && v.data;
    return has ? (double)strlen(pusd_value_get_string(&v, 0)) : -1;
}

static void check_abi(scene *s) {
    const char *mods[] = {"/World/C", "/World/Rust"};
    for (int i = 0; i < 2; i++) {
        pusd_prim *m = prim(s, mods[i]);
        if (!m)
            continue;
        double x = input(m, "inputs:x"), y = 2 * x, y32 = (float)x + 1.0f;
        check_attr(s, m, "outputs:y", 1, 1, abi_const, &y, 0, 60);
        check_attr(s, m, "outputs:y32", 1, 1, abi_const, &y32, 0, 60);
        check_attr(s, m, "outputs:w", 1, 3, abi_w, m, 1e-12, 60);
        check_attr(s, m, "outputs:cfg", 1, 3, abi_cfg, m, 0, 60);
    }
    /* An event_driven module listening to the event the others post runs
     * every frame, so its outputs:w follows time. */
    pusd_prim *l = prim(s, "/World/Listener");
    if (l) {
        check_attr(s, l, "outputs:w", 1, 3, abi_w, l, 1e-12, 60);
        check_attr(s, l, "outputs:cfg", 1, 3, abi_cfg, l, 0, 60);
    }
}

/* ---- `portalis new module` template: position = velocity * time, steps counted ---- */

static double mover_position(void *ctx, double t, size_t e, int c) {
    (void)e;
    pusd_value v;
    pusd_prim *p = ctx;
    return pusd_prim_get_attr(p, "inputs:velocity", PUSD_TIME_DEFAULT, &v) ? NAN
                                                                           : pusd_value_get_double(&v, 0, c) * t;
}

static void check_mover(scene *s) {
    pusd_prim *m = prim(s, "/World/Mover");
    if (!m)
        return;
    check_attr(s, m, "outputs:position", 1, 3, mover_position, m, 1e-9, 60);
    check_attr(s, prim(s, "/World/Body"), "xformOp:translate", 1, 3, mover_position, m, 1e-9, 60);
    /* outputs:steps counts the module's own calls: state kept between
     * calls. One step per frame at the scene's rate, so after the frame at
     * time t it is t * rate + 1. */
    const double *times;
    size_t n = pusd_prim_attr_sample_times(m, "outputs:steps", &times);
    CHECK(n >= 60, "outputs:steps: %zu samples", n);
    for (size_t k = 0; k < n; k++) {
        pusd_value v;
        double got = pusd_prim_get_attr(m, "outputs:steps", times[k], &v) ? NAN : pusd_value_get_double(&v, 0, 0);
        if (got != (double)(k + 1)) {
            CHECK(0, "outputs:steps at sample %zu: %g, expected %zu", k, got, k + 1);
            break;
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: check_samples cube|ball|orbits|drops|abi|mover OUT.usda\n");
        return 2;
    }
    scene s = {0};
    pusd_error err;
    if (pusd_stage_open(argv[2], &s.stage, &err)) {
        char buf[1200];
        pusd_error_format(&err, buf, sizeof buf);
        printf("FAIL %s\n", buf);
        return 1;
    }
    pusd_value v;
    pusd_layer *root = pusd_stage_root_layer(s.stage);
    s.tcps = pusd_layer_get_metadata(root, "timeCodesPerSecond", &v) == 0 ? pusd_value_get_double(&v, 0, 0) : 24;
    CHECK(s.tcps > 0, "timeCodesPerSecond %g", s.tcps);
    if (!strcmp(argv[1], "cube"))
        check_cube(&s);
    else if (!strcmp(argv[1], "ball"))
        check_ball(&s);
    else if (!strcmp(argv[1], "orbits"))
        check_orbits(&s);
    else if (!strcmp(argv[1], "drops"))
        check_drops(&s);
    else if (!strcmp(argv[1], "abi"))
        check_abi(&s);
    else if (!strcmp(argv[1], "mover"))
        check_mover(&s);
    else
        CHECK(0, "unknown example '%s'", argv[1]);
    pusd_stage_free(s.stage);
    return CHECK_REPORT();
}
