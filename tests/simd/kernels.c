/* Guest kernels for the SIMD test (tests/simd): loops clang's
 * auto-vectoriser turns into wasm SIMD with -O3 -msimd128, plus a few
 * written with <wasm_simd128.h> when that is on. The same source built
 * without -msimd128 is the scalar reference: `run` must return the same
 * checksum from both builds, bit for bit (only element-wise float
 * arithmetic and exact integer reductions, so vectorising changes no
 * result). */
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N 1024

static float fx[N], fy[N], fz[N];
static double dx[N], dy[N];
static int32_t ia[N], ib[N], ic[N];
static int16_t sa[N], sb[N];
static uint8_t pa[N], pb[N], pc[N];

static uint32_t rng = 12345u;
static uint32_t next(void) {
    rng = rng * 1664525u + 1013904223u;
    return rng;
}

static void fill(void) {
    for (int i = 0; i < N; i++) {
        uint32_t r = next();
        fx[i] = (float)(int32_t)(r >> 8) / 65536.0f;
        fy[i] = (float)(int32_t)(next() >> 9) / 4096.0f - 100.0f;
        dx[i] = (double)(int32_t)next() / 1e6;
        dy[i] = (double)(next() >> 12);
        ia[i] = (int32_t)next();
        ib[i] = (int32_t)(next() >> 3) - (1 << 27);
        sa[i] = (int16_t)next();
        sb[i] = (int16_t)(next() >> 16);
        pa[i] = (uint8_t)next();
        pb[i] = (uint8_t)(next() >> 24);
    }
}

static uint64_t mix(uint64_t h, const void *p, uint32_t n) {
    const uint8_t *b = p;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static void step(float a) {
    for (int i = 0; i < N; i++) /* f32x4 mul/add */
        fz[i] = a * fx[i] + fy[i];
    for (int i = 0; i < N; i++) /* compare + select */
        fy[i] = fz[i] > fy[i] ? fz[i] - fy[i] : fy[i] * 0.5f;
    for (int i = 0; i < N; i++) /* f64x2 */
        dy[i] = __builtin_sqrt(dx[i] * dx[i] + dy[i]) / (1.0 + dy[i]);
    for (int i = 0; i < N; i++) /* i32x4 mul, shifts, min/max */
        ic[i] = ((ia[i] * ib[i]) >> 3 ^ ia[i]) < ib[i] ? (int32_t)((uint32_t)ia[i] >> 5) : ib[i];
    for (int i = 0; i < N; i++) /* u8 averages and saturation */
        pc[i] = (uint8_t)(((unsigned)pa[i] + pb[i] + 1) >> 1);
    for (int i = 0; i < N; i++)
        pa[i] = (uint8_t)(pa[i] + pb[i] > 255 ? 255 : pa[i] + pb[i]);
    for (int i = 0; i < N; i++) /* conversions */
        fx[i] = (float)ic[i] * 1e-6f + (float)(pc[i] & 15);
    for (int i = 0; i < N; i++) /* reversal: a shuffle */
        ib[i] ^= ia[N - 1 - i];
}

static int64_t dot16(void) { /* widening multiply-accumulate */
    int32_t s = 0;
    for (int i = 0; i < N; i++)
        s += (int32_t)sa[i] * sb[i];
    return s;
}

static uint32_t sad8(void) { /* sum of absolute differences */
    uint32_t s = 0;
    for (int i = 0; i < N; i++)
        s += (uint32_t)(pa[i] > pc[i] ? pa[i] - pc[i] : pc[i] - pa[i]);
    return s;
}

/* Lane operations auto-vectorisation rarely makes: written by hand with the
 * intrinsics, and as plain C for the scalar build. */
static uint64_t lanes(void) {
    uint64_t h = 0;
    for (int i = 0; i + 16 <= N; i += 16) {
#ifdef __wasm_simd128__
        v128_t a = wasm_v128_load(pa + i), b = wasm_v128_load(pb + i);
        v128_t q = wasm_i16x8_q15mulr_sat(wasm_v128_load(sa + i), wasm_v128_load(sb + i));
        v128_t n = wasm_u8x16_narrow_i16x8(q, wasm_i16x8_splat(300));
        v128_t sw = wasm_i8x16_swizzle(a, wasm_u8x16_min(b, wasm_u8x16_splat(20)));
        uint32_t mask = (uint32_t)wasm_i8x16_bitmask(wasm_i8x16_gt(a, b));
        uint32_t pop = (uint32_t)wasm_u8x16_extract_lane(wasm_i8x16_popcnt(n), 3);
        h = h * 31 + mask + pop + (uint64_t)wasm_i64x2_extract_lane(sw, 1) + (uint32_t)wasm_v128_any_true(n);
#else
        uint8_t n[16], sw[16];
        uint32_t mask = 0;
        for (int k = 0; k < 16; k++) {
            int16_t x = k < 8 ? sa[i + k] : 300, y = k < 8 ? sb[i + k] : 0;
            int32_t p = k < 8 ? ((int32_t)x * y + 0x4000) >> 15 : 300;
            p = p > 32767 ? 32767 : p;
            n[k] = (uint8_t)(p < 0 ? 0 : p > 255 ? 255 : p);
            uint8_t idx = pb[i + k] < 20 ? pb[i + k] : 20;
            sw[k] = idx < 16 ? pa[i + idx] : 0;
            mask |= (uint32_t)((int8_t)pa[i + k] > (int8_t)pb[i + k]) << k;
        }
        uint32_t pop = (uint32_t)__builtin_popcount(n[3]);
        uint64_t hi = 0, any = 0;
        for (int k = 0; k < 8; k++)
            hi |= (uint64_t)sw[8 + k] << (8 * k);
        for (int k = 0; k < 16; k++)
            any |= n[k];
        h = h * 31 + mask + pop + hi + (any != 0);
#endif
    }
    return h;
}

__attribute__((export_name("run"))) uint64_t run(int32_t iters) {
    fill();
    uint64_t h = 0xcbf29ce484222325ull;
    for (int32_t k = 0; k < iters; k++) {
        step(0.75f + (float)k / 8.0f);
        h = h * 0x9e3779b97f4a7c15ull + (uint64_t)dot16() + sad8() + lanes();
    }
    h = mix(h, fx, sizeof fx);
    h = mix(h, fy, sizeof fy);
    h = mix(h, dy, sizeof dy);
    h = mix(h, ic, sizeof ic);
    h = mix(h, ib, sizeof ib);
    h = mix(h, pa, sizeof pa);
    return mix(h, pc, sizeof pc);
}
