/* The 64^3 smoke solver in plain C (../README.md): used by the wasm module
 * (fluid.c), the native benchmark (bench/fluid) and the native test
 * (tests/fluid). Incompressible Navier-Stokes on a MAC (staggered) grid with
 * closed free-slip walls, open (outflow) ones or a periodic box, static sphere obstacles, semi-Lagrangian
 * velocity advection, explicit viscosity, buoyancy, conservative (flux-form, upwind) density transport, and a
 * pressure projection solved by conjugate gradients preconditioned with a multigrid V-cycle.
 *
 * Only +, -, *, /, floor, ceil, fabs and sqrt are used, in the order
 * ../rust/fluid.rs repeats, so the C and Rust modules agree bit for bit;
 * ../python/fluid.py is the NumPy reference (agreement to 1e-9). */
#ifndef FLUID_CORE_H
#define FLUID_CORE_H

#include <stddef.h>
#include <stdint.h>

#define FLUID_MAX_LEVELS 8

/* fluid.src: what the source sets in a cell (its density) and on the
 * open faces on its low side whose centres are inside the source sphere. */
enum { FLUID_SRC_CELL = 1, FLUID_SRC_X = 2, FLUID_SRC_Y = 4, FLUID_SRC_Z = 8 };

/* fluid_params.boundary (wasm:boundaryMode) */
enum {
    FLUID_CLOSED = 0,  /* free-slip walls: no flow through the box's faces */
    FLUID_OPEN = 1,    /* outflow: pressure 0 outside, velocity extrapolated, density leaves (and none enters) */
    FLUID_PERIODIC = 2 /* the box wraps on every axis: face n of an axis is face 0 (kept equal, "the copy") */
};

typedef struct {
    int32_t n[3];           /* cells along x, y, z (z is up) */
    int32_t boundary;       /* FLUID_CLOSED, FLUID_OPEN or FLUID_PERIODIC (needs an even n on every axis) */
    double h;               /* cell edge */
    double step;            /* largest solver step; a frame is split into equal steps no longer than this */
    double viscosity;       /* kinematic viscosity (explicit, sub-stepped for stability) */
    double diffusion;       /* density / temperature diffusion (explicit, conservative) */
    int32_t max_iterations; /* pressure solver: most PCG iterations per projection */
    double tolerance;       /* pressure solver: stop when max |h div u| <= tolerance * max |u| */
    double buoyancy;        /* upward acceleration per unit density (hot smoke) */
    double inflow[3];       /* velocity set inside the source sphere every step */
    double source[4];       /* (x, y, z, r): density set to 1 inside; r <= 0: none */
    double obstacle[4];     /* (x, y, z, r): a solid sphere; r <= 0: none */
    double taylor_green;    /* > 0: initial velocity U sin(kx) cos(ky), -U cos(kx) sin(ky), 0 (k = pi / width) */
} fluid_params;

typedef struct {
    int32_t n[3];
    double *wx, *wy, *wz; /* face weights: open fluid faces 1 on the finest level, sums below */
    double wfull;         /* the weight of an open face away from walls and obstacles: 2^level */
    uint8_t *full;        /* 1 for cells whose six faces all weigh wfull (the fast path); FLUID_PERIODIC:
                           * 2 for the cells on the box (neighbours wrap) */
    uint8_t *inner;       /* [row]: its cells 1 .. nx - 2 all take the fast path (full 1): the loops of the
                           * natural layout run over them two at a time with no test */
    int periodic;         /* FLUID_PERIODIC */
    double *wall;         /* weight of the cell's open walls (FLUID_OPEN: pressure 0 beyond them) */
    double *diag;         /* the face weights plus wall */
    /* The V-cycle's vectors (fluid_vcycle.c), single precision, in colour order with a zero halo:
     * cell (i, j, k) is slot (i + j + k) % 2 * HC + P + k * P + j * R + i / 2 (R = hr + 1 slots a
     * row, P = (ny + 1) * R a plane), so a red-black sweep reads and writes consecutive values
     * (f32x4 SIMD) and the neighbours beyond the box are zeros; par[row] = (j + k) % 2. */
    size_t hr, R, P, HC;
    uint8_t *par;
    uint8_t *fast;    /* cells whose faces weigh wfull but on the box (weight 0): the fast stencil */
    uint8_t *rowfast; /* [2 row + colour]: every cell of that colour in the row is fast */
    float *inv;       /* 1 / diag, 0 where diag is 0 */
    float *dg;        /* diag */
    float *r, *z;
} fluid_level;

typedef struct {
    double rel_divergence; /* max over fluid cells of |h div u| / max |u| after the last projection */
    double mass;           /* sum of density * h^3 */
    double iterations;     /* PCG iterations of the last projection */
    double kinetic;        /* 0.5 * sum of u^2 over faces * h^3 */
} fluid_stats;

typedef struct {
    fluid_params p;
    size_t nc, nu, nv, nw; /* cells, x-, y- and z-faces */
    double *u, *v, *w, *u0, *v0, *w0;
    double *d, *d0;
    double *phi, *b, *cg_p, *cg_q, *cg_r, *cg_z;
    uint8_t *solid, *src;
    fluid_level lv[FLUID_MAX_LEVELS];
    int nlev;
    fluid_stats stats;
} fluid;

/* A solver for p with zero fields (plus the Taylor-Green velocity when
 * asked); NULL when out of memory or when p is out of range (then *why, if
 * given, says which value). */
fluid *fluid_new(const fluid_params *p, const char **why);
void fluid_free(fluid *f);

/* Advances by dt in ceil(dt / step) equal steps. */
void fluid_advance(fluid *f, double dt);
/* One step of length dt (sources, buoyancy, advection, viscosity,
 * projection, scalar transport). */
void fluid_step(fluid *f, double dt);

/* Density slice through the middle (y = ny / 2) and maximum along y, both
 * nx * nz values, x fastest. */
void fluid_slice(const fluid *f, double *out);
void fluid_mip(const fluid *f, double *out);
/* Moves n points (x, y, z) with the current velocity for dt (midpoint rule). */
void fluid_move_points(const fluid *f, double *pts, int32_t n, double dt);
/* Velocity at a point (trilinear on the staggered grid, clamped to the box). */
void fluid_velocity_at(const fluid *f, const double x[3], double out[3]);

/* Internal, shared by fluid_core.c and fluid_pressure.c. */
/* Two doubles (f64x2) for the hot loops: GCC vector extensions, wasm SIMD
 * with -msimd128 (the module), SSE2 natively. Lane by lane the operations
 * are the scalar ones, so the results are the same bits. V2(p): the two
 * values at p (any alignment). */
typedef double fluid_v2d __attribute__((vector_size(16), aligned(8), may_alias));
typedef long long fluid_v2i __attribute__((vector_size(16), aligned(8), may_alias));
#define V2(p) (*(const fluid_v2d *)(p))
/* Four floats (f32x4), the V-cycle's vectors. */
typedef float fluid_v4f __attribute__((vector_size(16), aligned(4), may_alias));
#define V4(p) (*(const fluid_v4f *)(p))

/* The projection; returns the largest sum over a cell's faces of the velocity leaving it (the density
 * transport's sub-step bound, measured in its last pass, which reads the same faces; closed faces carry 0). */
double fluid__project(fluid *f);
/* The preconditioner (fluid_vcycle.c): z = one V-cycle applied to r (level 0, natural order). */
void fluid__precondition(fluid *f, const double *r, double *z);
/* Level l's colour-order vectors, inverse diagonal and fast-path marks (after its diag). */
int fluid__colours_new(fluid *f, int l);
void fluid__colours_free(fluid_level *L);
int fluid__levels_new(fluid *f);
void fluid__levels_free(fluid *f);
/* n zeroed values with pad more on each side (for unchecked neighbours). */
double *fluid__padded_new(size_t n, size_t pad);
void fluid__padded_free(double *a, size_t pad);
double fluid__divergence(const fluid *f, size_t i, size_t j, size_t k);

/* FLUID_PERIODIC (fluid_periodic.c): the wrapped versions of the steps
 * whose neighbours cross the box. */
double fluid__nb_sum_wrap(const fluid_level *L, const double *x, size_t c);
void fluid__periodic_copy(fluid *f); /* face n = face 0 on each axis */
/* the same for three face-shaped arrays of a grid of n cells (weights too) */
void fluid__copy_layers(double *u, double *v, double *w, const int32_t n[3]);
void fluid__periodic_buoyancy(fluid *f, double g);
void fluid__periodic_advect(fluid *f, double dt);
void fluid__periodic_diffuse(fluid *f, double coef);
void fluid__periodic_gradient(fluid *f);
void fluid__periodic_velocity_at(const fluid *f, const double p[3], double out[3]);
double fluid__wrap_position(double x, double len);

#endif
