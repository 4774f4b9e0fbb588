/* Projectile benchmark: bridge call overhead (by name, by handle, raw engine
 * call), and the same trajectory computation natively in C, for comparison
 * with the scene runs done by bench.sh. Prints JSON on stdout.
 *   projectile_bench MODULE.wasm */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <portalis/bridge.h>

static volatile double sink;

static void native_traj(double v, double angle, double t, double *out) {
    double a = angle * (3.141592653589793 / 180.0);
    out[0] = v * cos(a) * t;
    out[1] = 0;
    out[2] = v * sin(a) * t - 0.5 * 9.81 * t * t;
}

/* (module (func (export "nop") (param f64 f64 f64) (result i32) i32.const 0)) */
static const uint8_t NOP[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x60, 0x03,
                              0x7c, 0x7c, 0x7c, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03,
                              'n',  'o',  'p',  0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b};

static double per_call(uint64_t t0, uint64_t t1, int n) { return (double)(t1 - t0) / n; }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: projectile_bench MODULE.wasm\n");
        return 2;
    }
    enum { N = 2000000 };
    pb_config cfg = pb_config_default();
    cfg.collect_stats = false;
    pb_bridge *b = pb_bridge_new(&cfg);
    pb_error e;
    pb_module_id id, nop;
    if (pb_load_module_file(b, argv[1], NULL, &id, &e) ||
        pb_load_module_bytes(b, NOP, sizeof NOP, NULL, &nop, &e)) {
        fprintf(stderr, "%s\n", e.message);
        return 1;
    }
    double res[6];
    for (int pass = 0; pass < 2; pass++) {
        pb_module_id m = pass ? id : nop;
        const char *fn = pass ? "calculate_trajectory" : "nop";
        pb_func h;
        pb_func_lookup(b, m, fn, &h, &e);
        pw_val a[3] = {{.kind = PW_F64, .of.f64 = 20},
                       {.kind = PW_F64, .of.f64 = 45},
                       {.kind = PW_F64, .of.f64 = 1}},
               r[1];
        uint64_t t0 = pbase_now_ns();
        for (int i = 0; i < N; i++)
            pb_call(b, m, fn, a, 3, r, 1, &e);
        uint64_t t1 = pbase_now_ns();
        for (int i = 0; i < N; i++) {
            uint64_t s[3];
            memcpy(&s[0], &a[0].of.f64, 8), memcpy(&s[1], &a[1].of.f64, 8), memcpy(&s[2], &a[2].of.f64, 8);
            pb_func_call_slots(&h, s, &e);
        }
        uint64_t t2 = pbase_now_ns();
        for (int i = 0; i < N; i++) {
            uint64_t s[3];
            memcpy(&s[0], &a[0].of.f64, 8), memcpy(&s[1], &a[1].of.f64, 8), memcpy(&s[2], &a[2].of.f64, 8);
            pw_func_call_unchecked(h.store, h.func, s);
        }
        uint64_t t3 = pbase_now_ns();
        res[pass * 3 + 0] = per_call(t0, t1, N);
        res[pass * 3 + 1] = per_call(t1, t2, N);
        res[pass * 3 + 2] = per_call(t2, t3, N);
    }
    double out[3];
    uint64_t t0 = pbase_now_ns();
    for (int i = 0; i < N; i++) {
        native_traj(20 + (i & 7), 45, 1, out);
        sink = out[2];
    }
    double native = per_call(t0, pbase_now_ns(), N);
    /* 1000-projectile frame natively */
    t0 = pbase_now_ns();
    for (int f = 0; f < 1000; f++)
        for (int i = 0; i < 1000; i++) {
            native_traj(10 + i % 50 * 0.4, 15 + i / 50 * 3.0, f / 60.0, out);
            sink = out[0];
        }
    double native1000 = (double)(pbase_now_ns() - t0) / 1000;
    printf("{\"nop_by_name_ns\": %.1f, \"nop_by_handle_ns\": %.1f, \"nop_engine_unchecked_ns\": %.1f,\n"
           " \"traj_by_name_ns\": %.1f, \"traj_by_handle_ns\": %.1f, \"traj_engine_unchecked_ns\": %.1f,\n"
           " \"bridge_overhead_by_name_ns\": %.1f, \"bridge_overhead_by_handle_ns\": %.1f,\n"
           " \"native_c_traj_ns\": %.2f, \"native_c_frame_1000_ns\": %.0f}\n",
           res[0], res[1], res[2], res[3], res[4], res[5], res[3] - res[5], res[4] - res[5], native, native1000);
    pb_bridge_free(b);
    return 0;
}
