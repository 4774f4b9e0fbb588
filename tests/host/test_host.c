/* Host layer tests: execution modes, connection ordering, failure policy
 * (trap, budget, missing module), output layer vs the analytic trajectory.
 * Prints "N passed, M failed". */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <portalis/host.h>

#include "../check.h"

static const char *M = HOST_TEST_MODULES;

static void write_file(const char *path, const char *fmt, ...) {
    FILE *f = fopen(path, "w");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}

/* The file's text (at most cap - 1 bytes), NUL terminated; "" if absent. */
static size_t read_text(const char *path, char *text, size_t cap) {
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(text, 1, cap - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = 0;
    return n;
}

/* Without a config of its own a test runs with a per-call budget far above
 * the work (the default 100 ms is wall clock: a loaded machine running the
 * ASan build once overran it in test_rates and skipped a step). */
static ph_host *open_scene(const char *path, const ph_config *cfg) {
    char err[1024];
    ph_host *h = NULL;
    ph_config generous = ph_config_default();
    generous.call_budget_ns = 60ull * 1000000000ull;
    if (!cfg)
        cfg = &generous;
    if (ph_host_open(path, cfg, &h, err, sizeof err)) {
        printf("cannot open %s: %s\n", path, err);
        return NULL;
    }
    return h;
}

static ph_module_info info_of(ph_host *h, const char *prim) {
    ph_module_info mi = {0};
    for (size_t i = 0; i < ph_host_module_count(h); i++) {
        ph_host_module_info(h, i, &mi);
        if (!strcmp(mi.prim_path, prim))
            return mi;
    }
    memset(&mi, 0, sizeof mi);
    return mi;
}

static bool diag_has(ph_host *h, const char *a, const char *b) {
    for (size_t i = 0; i < ph_host_diagnostic_count(h); i++) {
        const char *d = ph_host_diagnostic(h, i);
        if (strstr(d, a) && (!b || strstr(d, b)))
            return true;
    }
    return false;
}

#define TICK(name, wasm, extra)                                                                                  \
    "    def WasmModule \"" name "\"\n    {\n        uniform asset wasm:path = @%s/" wasm ".wasm@\n" extra       \
    "    }\n"

static void test_rates(void) {
    write_file(
        "rates.usda",
        "#usda 1.0\ndef Xform \"W\"\n{\n" TICK("R30", "clock",
                                               "        uniform float wasm:updateRate = 30\n        double "
                                               "outputs:y = 0\n") TICK("R60", "clock",
                                                                       "        double outputs:y = 0\n")
            TICK("R120", "clock", "        uniform float wasm:updateRate = 120\n        double outputs:y = 0\n")
                TICK("R1000", "clock",
                     "        uniform float wasm:updateRate = 1000\n        double outputs:y = 0\n") "}\n",
        M, M, M, M);
    ph_host *h = open_scene("rates.usda", NULL);
    CHECK(h, "open rates");
    if (!h)
        return;
    ph_host_run(h, 60, NULL, NULL);
    ph_module_info a = info_of(h, "/W/R30"), b = info_of(h, "/W/R60"), c = info_of(h, "/W/R120"),
                   d = info_of(h, "/W/R1000");
    CHECK(a.steps == 30 && a.runs == 30, "30 Hz at 60 fps: every other frame (steps %llu runs %llu)",
          (unsigned long long)a.steps, (unsigned long long)a.runs);
    CHECK(b.steps == 60, "60 Hz: one step per frame (%llu)", (unsigned long long)b.steps);
    CHECK(c.steps == 119 && c.runs == 60, "120 Hz: two sub-steps per frame after the first (%llu)",
          (unsigned long long)c.steps);
    CHECK(d.steps <= 60 * 8 && d.skipped_steps > 0, "1000 Hz: at most 8 sub-steps, rest skipped (%llu, %llu)",
          (unsigned long long)d.steps, (unsigned long long)d.skipped_steps);
    double y;
    ph_host_get_value(h, "/W/R60", "outputs:y", &y, 1);
    CHECK(fabs(y - 59.0 / 60) < 1e-12, "clock at the last frame = 59/60 (%g)", y);
    ph_host_get_value(h, "/W/R120", "outputs:y", &y, 1);
    CHECK(fabs(y - 118.0 / 120) < 1e-12, "120 Hz last sub-step time (%g)", y);
    ph_host_free(h);
}

static void test_ordering_and_modes(void) {
    /* consumers declared before the producer: the graph must still order them */
    write_file(
        "order.usda",
        "#usda 1.0\ndef Xform \"W\"\n{\n" TICK(
            "Consumer", "double",
            "        double inputs:x = 0\n        double inputs:x.connect = </W/Producer.outputs:y>\n        "
            "double outputs:y = 0\n") TICK("Chain", "double",
                                           "        double inputs:x.connect = </W/Consumer.outputs:y>\n      "
                                           "  double outputs:y = 0\n")
            TICK("Producer", "clock", "        double outputs:y = 0\n")
                TICK("OnDemand", "clock",
                     "        uniform token wasm:executionMode = \"on_demand\"\n        double outputs:y = "
                     "0\n") TICK("Evented", "double",
                                 "        uniform token wasm:executionMode = \"event_driven\"\n        "
                                 "double inputs:x.connect = </W/Producer.outputs:y>\n        double "
                                 "outputs:y = 0\n")
                    TICK("OnEvent", "double",
                         "        uniform token wasm:executionMode = \"event_driven\"\n        uniform "
                         "token[] wasm:events = [\"go\"]\n        double inputs:x = 1\n        double "
                         "outputs:y = 0\n") TICK("Off", "clock",
                                                 "        uniform bool wasm:enabled = false\n        double "
                                                 "outputs:y = 0\n") "}\n",
        M, M, M, M, M, M, M);
    ph_host *h = open_scene("order.usda", NULL);
    CHECK(h, "open order");
    if (!h)
        return;
    ph_module_info p = info_of(h, "/W/Producer"), c = info_of(h, "/W/Consumer"), ch = info_of(h, "/W/Chain");
    CHECK(c.order_key > p.order_key && ch.order_key > c.order_key, "order keys %d < %d < %d", p.order_key,
          c.order_key, ch.order_key);
    bool same_frame = true;
    for (int f = 0; f < 30; f++) {
        if (f == 10)
            ph_host_trigger(h, "/W/OnDemand");
        if (f == 20)
            ph_host_post_event(h, "go");
        ph_host_step(h);
        double y, z;
        ph_host_get_value(h, "/W/Consumer", "outputs:y", &y, 1);
        ph_host_get_value(h, "/W/Chain", "outputs:y", &z, 1);
        if (fabs(y - 2.0 * f / 60) > 1e-12 || fabs(z - 4.0 * f / 60) > 1e-12)
            same_frame = false;
    }
    CHECK(same_frame, "producers run before consumers in the same frame (2t and 4t every frame)");
    ph_module_info od = info_of(h, "/W/OnDemand"), ev = info_of(h, "/W/Evented"), oe = info_of(h, "/W/OnEvent"),
                   off = info_of(h, "/W/Off");
    CHECK(od.runs == 1, "on_demand runs only when triggered (%llu)", (unsigned long long)od.runs);
    double y;
    ph_host_get_value(h, "/W/OnDemand", "outputs:y", &y, 1);
    CHECK(fabs(y - 10.0 / 60) < 1e-12, "on_demand ran at frame 10 (%g)", y);
    CHECK(ev.runs == 30, "event_driven with a changing connected input runs every frame (%llu)",
          (unsigned long long)ev.runs);
    CHECK(oe.runs == 2, "event_driven: first frame + the posted event (%llu)", (unsigned long long)oe.runs);
    CHECK(off.state == PH_MOD_DISABLED_BY_SCENE && off.runs == 0, "wasm:enabled = false never runs");
    CHECK(ph_host_trigger(h, "/W/Nope") == -1, "trigger of an unknown prim fails");
    ph_host_free(h);
}

static void test_failures(void) {
    write_file(
        "fail.usda",
        "#usda 1.0\ndef Xform \"W\"\n{\n" TICK("Trap", "trap", "") TICK("Loop", "loop", "")
            TICK("Missing", "does_not_exist", "")
                TICK("Good", "clock",
                     "        double outputs:y = 0\n") "    def WasmModule \"Bad\"\n    {\n        uniform asset "
                                                       "wasm:path = @%s/clock.wasm@\n        "
                                                       "uniform token wasm:entryFunction = \"nope\"\n    }\n}\n",
        M, M, M, M, M);
    /* the budget is fuel, not time: deterministic however loaded the machine
     * (a 5 ms deadline once made _initialize overrun under load) */
    ph_config cfg = ph_config_default();
    cfg.call_budget_ns = 0;
    cfg.call_fuel = 1000000;
    ph_host *h = open_scene("fail.usda", &cfg);
    CHECK(h, "open fail");
    if (!h)
        return;
    char resolved[1024];
    snprintf(resolved, sizeof resolved, "%s/does_not_exist.wasm", M);
    CHECK(diag_has(h, "prim /W/Missing", resolved),
          "missing module: message names the prim and the resolved path");
    CHECK(diag_has(h, "prim /W/Bad", "no export 'nope'"), "bad entry function reported");
    CHECK(diag_has(h, "prim /W/Bad", "exported functions: _initialize, update"),
          "the message lists the exports that exist");
    int rc = ph_host_run(h, 10, NULL, NULL);
    CHECK(rc != 0, "run reports failures");
    ph_module_info t = info_of(h, "/W/Trap"), l = info_of(h, "/W/Loop"), m = info_of(h, "/W/Missing"),
                   g = info_of(h, "/W/Good");
    CHECK(t.state == PH_MOD_TRAPPED && t.steps == 3, "trap on the 3rd call disables the module (%s, %llu)",
          ph_mod_state_name(t.state), (unsigned long long)t.steps);
    CHECK(diag_has(h, "prim /W/Trap", "unreachable"), "trap message names prim and trap");
    CHECK(l.state == PH_MOD_OVER_BUDGET && l.overruns == 3, "budget: 3 overruns then disabled (%s, %llu)",
          ph_mod_state_name(l.state), (unsigned long long)l.overruns);
    CHECK(diag_has(h, "prim /W/Loop", "over budget"), "budget overrun reported");
    CHECK(m.state == PH_MOD_LOAD_FAILED, "missing module never runs");
    CHECK(g.state == PH_MOD_ACTIVE && g.steps == 10, "the good module kept running (%llu)",
          (unsigned long long)g.steps);
    ph_report r;
    ph_host_report(h, &r);
    CHECK(r.failed_modules == 4, "4 failed modules in the report (%zu)", r.failed_modules);
    ph_host_free(h);
    /* scene syntax errors: file:line:column */
    write_file("broken.usda", "#usda 1.0\ndef Xform \"W\"\n{\n    double x = \n}\n");
    char err[1024];
    ph_host *b = NULL;
    CHECK(ph_host_open("broken.usda", NULL, &b, err, sizeof err) != 0 && strstr(err, "broken.usda:"),
          "broken scene: %s", err);
}

static void test_projectile_output(void) {
    char scene[4096], wasm[1024];
    for (int lang = 0; lang < 2; lang++) {
        snprintf(wasm, sizeof wasm, "%s/%s", PROJECTILE_MODULES,
                 lang ? "projectile_rust.wasm" : "projectile_c.wasm");
        if (access(wasm, R_OK)) {
            printf("skip: %s not built\n", wasm);
            continue;
        }
        snprintf(scene, sizeof scene, "%s/demos/projectile/projectile.usda", PORTALIS_SOURCE_DIR);
        FILE *f = fopen(scene, "r");
        char text[8192];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = 0;
        char *p = strstr(text, "@./modules/projectile_c.wasm@");
        char fixed[9000];
        snprintf(fixed, sizeof fixed, "%.*s@%s@%s", (int)(p - text), text, wasm,
                 p + strlen("@./modules/projectile_c.wasm@"));
        write_file("proj.usda", "%s", fixed);
        ph_host *h = open_scene("proj.usda", NULL);
        CHECK(h, "open projectile");
        if (!h)
            continue;
        ph_host_run(h, 120, NULL, NULL);
        char err[1024];
        CHECK(ph_host_save(h, "proj.out.usda", err, sizeof err) == 0, "save: %s", err);
        ph_host_free(h);
        pusd_stage *s = NULL;
        pusd_error ue;
        CHECK(pusd_stage_open("proj.out.usda", &s, &ue) == 0, "reopen output");
        if (!s)
            continue;
        pusd_prim *pr = pusd_stage_prim_at_path(s, "/World/Projectile");
        const double *times;
        size_t nt = pr ? pusd_prim_attr_sample_times(pr, "xformOp:translate", &times) : 0;
        CHECK(nt == 120, "one time sample per frame (%zu)", nt);
        double worst = 0;
        for (int k = 0; k < 120; k++) {
            pusd_value v;
            if (pusd_prim_get_attr(pr, "xformOp:translate", k, &v))
                break;
            double t = k / 60.0, a = 45.0 * (3.141592653589793 / 180.0);
            double x = 20.0 * cos(a) * t, z = 20.0 * sin(a) * t - 0.5 * 9.81 * t * t;
            double ex = fabs(pusd_value_get_double(&v, 0, 0) - x) / fmax(fabs(x), 1.0);
            double ez = fabs(pusd_value_get_double(&v, 0, 2) - z) / fmax(fabs(z), 1.0);
            worst = fmax(worst, fmax(ex, ez));
        }
        CHECK(worst <= 1e-12, "%s: output samples match the analytic trajectory (worst rel %.3g)",
              lang ? "rust" : "c", worst);
        pusd_layer *root = pusd_stage_root_layer(s);
        pusd_value mv;
        CHECK(!pusd_layer_get_metadata(root, "endTimeCode", &mv) && pusd_value_get_double(&mv, 0, 0) == 119,
              "endTimeCode = 119");
        CHECK(!pusd_layer_get_metadata(root, "timeCodesPerSecond", &mv) && pusd_value_get_double(&mv, 0, 0) == 60,
              "timeCodesPerSecond = 60");
        CHECK(pusd_layer_sublayer_count(root) == 1, "output sublayers the scene");
        /* the projectile lands at 2.88 s and stays on the ground (frame 179 = 2.98 s) */
        pusd_value lv;
        if (pr && !pusd_prim_get_attr(pr, "xformOp:translate", 119, &lv))
            CHECK(pusd_value_get_double(&lv, 0, 2) > 0, "still in flight at frame 119");
        pusd_stage_free(s);
        s = NULL;
        ph_host *h2 = open_scene("proj.usda", NULL);
        if (h2) {
            ph_host_run(h2, 180, NULL, NULL);
            double pos[3];
            ph_host_get_value(h2, "/World/Projectile", "xformOp:translate", pos, 3);
            double a = 45.0 * (3.141592653589793 / 180.0), range = 20.0 * 20.0 * sin(2 * a) / 9.81;
            ph_motion mo;
            bool found = false;
            for (size_t i = 0; i < ph_host_motion_count(h2); i++)
                if (!ph_host_motion(h2, i, &mo) && !strcmp(mo.attr, "xformOp:translate"))
                    found = true;
            CHECK(pos[2] == 0 && fabs(pos[0] - range) < 1e-9, "%s: landed at the range and stopped (%g, %g)",
                  lang ? "rust" : "c", pos[0], pos[2]);
            CHECK(found && mo.lo[2] == 0 && fabs(mo.hi[2] - 20.0 * 20.0 * 0.5 / (2 * 9.81)) < 0.01,
                  "motion: never below the ground, apex %g", found ? mo.hi[2] : 0);
            ph_host_free(h2);
        }
        pusd_stage_free(s);
    }
}

/* The output layer is streamed by the host (not built as a usd layer): check
 * that it is exactly the canonical text the usd writer produces for it
 * (parse + rewrite gives the same bytes), for nested prims and several
 * element types, and that the values are the recorded ones. */
static void test_output_streaming(void) {
    write_file(
        "types.usda",
        "#usda 1.0\n(\n    upAxis = \"Z\"\n)\ndef Xform \"W\"\n{\n" TICK(
            "Clock", "clock",
            "        double outputs:y = 0\n") "    def Xform \"A\"\n    {\n        def Xform \"B\"\n        {\n"
                                              "            float f.connect = </W/Clock.outputs:y>\n"
                                              "            half h.connect = </W/Clock.outputs:y>\n"
                                              "            int i.connect = </W/Clock.outputs:y>\n"
                                              "            bool b.connect = </W/Clock.outputs:y>\n"
                                              "            double d.connect = </W/Clock.outputs:y>\n"
                                              "            int64 l.connect = </W/Clock.outputs:y>\n"
                                              "        }\n    }\n"
                                              "    def Xform \"C\"\n    {\n        double c.connect = "
                                              "</W/Clock.outputs:y>\n    }\n"
                                              "}\n",
        M);
    ph_config cfg = ph_config_default();
    cfg.fps = 4; /* times 0, 0.25, 0.5, ... */
    ph_host *h = open_scene("types.usda", &cfg);
    CHECK(h, "open types.usda");
    if (!h)
        return;
    ph_host_run(h, 7, NULL, NULL);
    char err[1024];
    CHECK(ph_host_save(h, "types.out.usda", err, sizeof err) == 0, "save: %s", err);
    ph_host_free(h);
    char text[16384];
    size_t n = read_text("types.out.usda", text, sizeof text);
    pusd_layer *l = NULL;
    pusd_error ue;
    CHECK(pusd_layer_parse("types.out.usda", text, n, &l, &ue) == 0, "output parses");
    if (!l)
        return;
    size_t m = 0;
    char *again = pusd_layer_to_string(l, &m);
    CHECK(again && m == n && !memcmp(again, text, n), "output is the canonical usda text:\n%s\n---\n%s", text,
          again ? again : "");
    free(again);
    pusd_layer_free(l);
    CHECK(strstr(text, "            float f.timeSamples = {\n                0: 0,\n                1: 0.25,\n"),
          "float samples");
    CHECK(
        strstr(text, "            bool b.timeSamples = {\n                0: false,\n                1: true,\n"),
        "bool samples");
    CHECK(strstr(text, "            int i.timeSamples = {\n                0: 0,\n                1: 0,\n"
                       "                2: 0,\n                3: 0,\n                4: 1,\n"),
          "int samples");
    CHECK(strstr(text, "    over \"A\"\n    {\n        over \"B\"\n"), "nested overs");
    CHECK(strstr(text, "    }\n\n    over \"C\"\n"), "sibling prims separated by a blank line");
}

/* 1000 projectiles: 36 KB of samples per frame; with a 100 KB memory budget
 * recording spills 64 KB chunks to the temporary file after 3 frames; the
 * saved layer must still hold every frame, in canonical text, with the
 * analytic values. */
static void test_sweep_spill(void) {
    char scene[4096], wasm[1024];
    snprintf(wasm, sizeof wasm, "%s/projectile_c.wasm", PROJECTILE_MODULES);
    snprintf(scene, sizeof scene, "%s/demos/projectile/projectile_sweep.usda", PORTALIS_SOURCE_DIR);
    FILE *f = fopen(scene, "r");
    if (access(wasm, R_OK) || !f) {
        printf("skip: sweep scene or %s missing\n", wasm);
        if (f)
            fclose(f);
        return;
    }
    static char text[1 << 17], fixed[(1 << 17) + 1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *p = strstr(text, "@./modules/projectile_c.wasm@");
    CHECK(p, "sweep scene names the C module");
    if (!p)
        return;
    snprintf(fixed, sizeof fixed, "%.*s@%s@%s", (int)(p - text), text, wasm,
             p + strlen("@./modules/projectile_c.wasm@"));
    write_file("sweep.usda", "%s", fixed);
    ph_config cfg = ph_config_default();
    cfg.record_memory_bytes = 100000; /* spill after 3 frames */
    ph_host *h = open_scene("sweep.usda", &cfg);
    CHECK(h, "open sweep");
    if (!h)
        return;
    enum { FRAMES = 24 };
    ph_host_run(h, FRAMES, NULL, NULL);
    char err[1024];
    CHECK(ph_host_save(h, "sweep.out.usda", err, sizeof err) == 0, "save: %s", err);
    CHECK(ph_host_save(h, "sweep.out2.usda", err, sizeof err) == 0, "save twice: %s", err);
    ph_host_free(h);
    pusd_layer *l = NULL;
    pusd_error ue;
    CHECK(pusd_layer_open("sweep.out.usda", &l, &ue) == 0, "sweep output parses");
    if (!l)
        return;
    size_t m = 0;
    char *again = pusd_layer_to_string(l, &m);
    f = fopen("sweep.out.usda", "rb");
    static char saved[1 << 22], saved2[1 << 22];
    size_t k = f ? fread(saved, 1, sizeof saved, f) : 0;
    if (f)
        fclose(f);
    f = fopen("sweep.out2.usda", "rb");
    size_t k2 = f ? fread(saved2, 1, sizeof saved2, f) : 0;
    if (f)
        fclose(f);
    CHECK(again && k == m && !memcmp(again, saved, k), "spilled output is canonical (%zu vs %zu bytes)", k, m);
    CHECK(k2 == k && !memcmp(saved, saved2, k), "saving twice gives the same file");
    free(again);
    pusd_layer_free(l);
    pusd_stage *s = NULL;
    CHECK(pusd_stage_open("sweep.out.usda", &s, &ue) == 0, "reopen sweep output");
    if (!s)
        return;
    pusd_prim *pr = pusd_stage_prim_at_path(s, "/World/Sweep");
    const double *times;
    size_t nt = pr ? pusd_prim_attr_sample_times(pr, "outputs:positions", &times) : 0;
    CHECK(nt == FRAMES, "every frame recorded (%zu)", nt);
    pusd_value v, sv, av;
    double worst = 0;
    if (pr && !pusd_prim_get_attr(pr, "outputs:positions", FRAMES - 1, &v) &&
        !pusd_prim_get_attr(pr, "inputs:v", PUSD_TIME_DEFAULT, &sv) &&
        !pusd_prim_get_attr(pr, "inputs:angle", PUSD_TIME_DEFAULT, &av) && v.count == sv.count) {
        double t = (FRAMES - 1) / 60.0;
        for (size_t e = 0; e < v.count; e++) {
            double sp = pusd_value_get_double(&sv, e, 0),
                   a = pusd_value_get_double(&av, e, 0) * (3.141592653589793 / 180.0);
            double x = sp * cos(a) * t, z = sp * sin(a) * t - 0.5 * 9.81 * t * t;
            worst = fmax(worst, fabs(pusd_value_get_double(&v, e, 0) - x) / fmax(fabs(x), 1.0));
            worst = fmax(worst, fabs(pusd_value_get_double(&v, e, 2) - z) / fmax(fabs(z), 1.0));
        }
        CHECK(v.count == 1000 && worst <= 1e-12, "last frame of 1000 projectiles matches (worst rel %.3g)",
              worst);
    } else {
        CHECK(false, "read the sweep samples back");
    }
    pusd_stage_free(s);
}

/* The deadline watchdog (wall clock) with a budget far above the work: a
 * module that never returns overruns it; the good module (microseconds per
 * call) never comes near 2 s. */
static void test_deadline(void) {
    write_file("deadline.usda",
               "#usda 1.0\ndef Xform \"W\"\n{\n" TICK("Loop", "loop", "")
                   TICK("Good", "clock", "        double outputs:y = 0\n") "}\n",
               M, M);
    ph_config cfg = ph_config_default();
    cfg.call_budget_ns = 200000000; /* 200 ms: the loop needs 3 overruns */
    ph_host *h = open_scene("deadline.usda", &cfg);
    CHECK(h, "open deadline");
    if (!h)
        return;
    ph_host_run(h, 4, NULL, NULL);
    ph_module_info l = info_of(h, "/W/Loop"), g = info_of(h, "/W/Good");
    CHECK(l.state == PH_MOD_OVER_BUDGET && l.overruns == 3, "deadline: 3 overruns then disabled (%s, %llu)",
          ph_mod_state_name(l.state), (unsigned long long)l.overruns);
    CHECK(diag_has(h, "prim /W/Loop", "exceeded its time budget"), "deadline overrun reported");
    CHECK(g.state == PH_MOD_ACTIVE && g.steps == 4, "the good module is untouched (%llu)",
          (unsigned long long)g.steps);
    ph_host_free(h);
}

/* Scene time settings are the defaults; options override; time codes are
 * written in the scene's units. */
static void test_time_settings(void) {
    write_file(
        "time24.usda",
        "#usda 1.0\n(\n    startTimeCode = 0\n    endTimeCode = 47\n    timeCodesPerSecond = 24\n)\n"
        "def Xform \"W\"\n{\n" TICK(
            "Clock", "clock", "        uniform float wasm:updateRate = 0\n        double outputs:y = 0\n") "}\n",
        M);
    ph_host *h = open_scene("time24.usda", NULL);
    CHECK(h, "open time24");
    if (!h)
        return;
    ph_time tm;
    ph_host_time_settings(h, &tm);
    CHECK(tm.fps == 24 && tm.time_codes_per_second == 24 && tm.frames == 48,
          "scene time: 48 frames at 24 Hz (%g Hz, %g tc/s, %llu frames)", tm.fps, tm.time_codes_per_second,
          (unsigned long long)tm.frames);
    ph_host_run(h, tm.frames, NULL, NULL);
    double y;
    ph_host_get_value(h, "/W/Clock", "outputs:y", &y, 1);
    CHECK(fabs(y - 47.0 / 24) < 1e-12, "last frame at 47/24 s (%g)", y);
    char err[1024];
    CHECK(ph_host_save(h, "time24.out.usda", err, sizeof err) == 0, "save: %s", err);
    ph_host_free(h);
    pusd_layer *l = NULL;
    pusd_error ue;
    pusd_value v;
    CHECK(pusd_layer_open("time24.out.usda", &l, &ue) == 0, "reopen");
    CHECK(l && !pusd_layer_get_metadata(l, "timeCodesPerSecond", &v) && pusd_value_get_double(&v, 0, 0) == 24,
          "output keeps the scene's timeCodesPerSecond 24");
    CHECK(l && !pusd_layer_get_metadata(l, "endTimeCode", &v) && pusd_value_get_double(&v, 0, 0) == 47,
          "output endTimeCode 47");
    pusd_layer_free(l);
    /* --fps 48 overrides the frame rate: 95 frames, samples every half time code */
    ph_config cfg = ph_config_default();
    cfg.fps = 48;
    h = open_scene("time24.usda", &cfg);
    CHECK(h, "open time24 at 48 fps");
    if (!h)
        return;
    ph_host_time_settings(h, &tm);
    CHECK(tm.fps == 48 && tm.time_codes_per_second == 24 && tm.frames == 95, "48 fps: %llu frames",
          (unsigned long long)tm.frames);
    CHECK(ph_host_time_code(h, 3) == 1.5, "frame 3 is time code 1.5 (%g)", ph_host_time_code(h, 3));
    ph_host_run(h, 3, NULL, NULL);
    CHECK(ph_host_save(h, "time48.out.usda", err, sizeof err) == 0, "save: %s", err);
    ph_host_free(h);
    char text[4096];
    read_text("time48.out.usda", text, sizeof text);
    CHECK(strstr(text, "            0.5: 0.020833333333333332,\n") && strstr(text, "framesPerSecond = 48"),
          "time codes in the scene's units:\n%s", text);
}

/* Values out of range are clear errors, not runs of 1e300 frames. */
static void test_scene_ranges(void) {
    static const char *const bad[][2] = {
        {"    endTimeCode = 1e300\n", "endTimeCode = 1e+300 is out of range"},
        {"    timeCodesPerSecond = 0\n", "timeCodesPerSecond = 0 is out of range"},
        {"    startTimeCode = 10\n    endTimeCode = 5\n", "endTimeCode 5 is before startTimeCode 10"},
        {"    endTimeCode = nan\n", "endTimeCode = nan is out of range"},
        {"    framesPerSecond = -24\n", "framesPerSecond = -24 is out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file("range.usda", "#usda 1.0\n(\n%s)\ndef Xform \"W\"\n{\n" TICK("C", "clock", "") "}\n",
                   bad[i][0], M);
        char err[1024] = "";
        ph_host *h = NULL;
        CHECK(ph_host_open("range.usda", NULL, &h, err, sizeof err) != 0 && strstr(err, "range.usda: error: ") &&
                  strstr(err, bad[i][1]),
              "%s-> %s", bad[i][0], err);
        ph_host_free(h);
    }
    write_file("rate.usda",
               "#usda 1.0\ndef Xform \"W\"\n{\n" TICK("Neg", "clock",
                                                      "        uniform float wasm:updateRate = -5\n") "}\n",
               M);
    ph_host *h = open_scene("rate.usda", NULL);
    CHECK(h && info_of(h, "/W/Neg").state == PH_MOD_LOAD_FAILED &&
              diag_has(h, "prim /W/Neg", "wasm:updateRate = -5 is out of range"),
          "negative updateRate refused");
    ph_host_free(h);
    write_file("rate.usda",
               "#usda 1.0\ndef Xform \"W\"\n{\n" TICK("NaN", "clock",
                                                      "        uniform float wasm:updateRate = nan\n") "}\n",
               M);
    h = open_scene("rate.usda", NULL);
    CHECK(h && info_of(h, "/W/NaN").state == PH_MOD_LOAD_FAILED &&
              diag_has(h, "prim /W/NaN", "wasm:updateRate = nan"),
          "NaN updateRate refused");
    ph_host_free(h);
}

/* The schema default wasm:updateRate = 60 at 24 fps: three equal sub-steps
 * per frame that end at the frame time, so a clock advances evenly. */
static void test_update_rate_even(void) {
    write_file("even.usda",
               "#usda 1.0\ndef Xform \"W\"\n{\n" TICK("Clock", "clock", "        double outputs:y = 0\n") "}\n",
               M);
    ph_config cfg = ph_config_default();
    cfg.fps = 24;
    ph_host *h = open_scene("even.usda", &cfg);
    CHECK(h, "open even");
    if (!h)
        return;
    bool even = true;
    for (int f = 0; f < 24; f++) {
        ph_host_step(h);
        double y;
        ph_host_get_value(h, "/W/Clock", "outputs:y", &y, 1);
        if (fabs(y - f / 24.0) > 1e-12)
            even = false;
    }
    ph_module_info mi = info_of(h, "/W/Clock");
    CHECK(even, "the clock reads exactly the frame time every frame");
    CHECK(mi.steps == 1 + 23 * 3 && mi.runs == 24, "three sub-steps per frame after the first (%llu steps)",
          (unsigned long long)mi.steps);
    ph_host_free(h);
}

/* Schema and configuration attributes are readable through the ABI. */
static void test_config_abi(void) {
    write_file(
        "config.usda",
        "#usda 1.0\ndef Xform \"W\"\n{\n    def WasmPhysics \"P\"\n    {\n"
        "        uniform asset wasm:path = @%s/config.wasm@\n"
        "        float wasm:forceMultiplier = 2.5\n"
        "        uniform token wasm:collisionHandler = \"on_hit\"\n"
        "        double outputs:g = 0\n        double outputs:f = 0\n        double outputs:n = 0\n"
        "        double outputs:len = 0\n        double outputs:missing = 0\n        double outputs:first = 0\n"
        "    }\n}\n",
        M);
    ph_host *h = open_scene("config.usda", NULL);
    CHECK(h, "open config");
    if (!h)
        return;
    CHECK(info_of(h, "/W/P").state == PH_MOD_ACTIVE, "config module loaded (%s)",
          info_of(h, "/W/P").last_error ? info_of(h, "/W/P").last_error : "");
    double g = 0, f = 0, n = 0, len = 0, missing = 0, first = 0;
    ph_host_get_value(h, "/W/P", "outputs:g", &g, 1);
    ph_host_get_value(h, "/W/P", "outputs:f", &f, 1);
    ph_host_get_value(h, "/W/P", "outputs:n", &n, 1);
    ph_host_get_value(h, "/W/P", "outputs:len", &len, 1);
    ph_host_get_value(h, "/W/P", "outputs:missing", &missing, 1);
    ph_host_get_value(h, "/W/P", "outputs:first", &first, 1);
    CHECK(g == (double)-9.81f, "wasm:gravityOverride[2] = schema fallback -9.81 (%.9g)", g);
    CHECK(f == 2.5, "authored wasm:forceMultiplier = 2.5 (%g)", f);
    CHECK(n == 3, "config_count(gravityOverride) = 3 (%g)", n);
    CHECK(len == 6 && first == 'o', "config_str(collisionHandler) = \"on_hit\" (%g, %c)", len, (char)first);
    CHECK(missing == -1, "config_count of an unknown attribute = -1 (%g)", missing);
    ph_host_free(h);
}

/* A connection between mismatched types is reported and not recorded. */
static void test_connection_mismatch(void) {
    write_file(
        "mismatch.usda",
        "#usda 1.0\ndef Xform \"W\"\n{\n" TICK(
            "Clock", "clock",
            "        double outputs:y = 0\n") "    def Xform \"T\"\n    {\n        double3 "
                                              "xformOp:translate.connect = </W/Clock.outputs:y>\n"
                                              "        double ok.connect = </W/Clock.outputs:y>\n    }\n}\n",
        M);
    ph_host *h = open_scene("mismatch.usda", NULL);
    CHECK(h, "open mismatch");
    if (!h)
        return;
    CHECK(diag_has(h, "prim /W/T", "types do not match"), "mismatch reported");
    ph_host_run(h, 3, NULL, NULL);
    char err[1024];
    CHECK(ph_host_save(h, "mismatch.out.usda", err, sizeof err) == 0, "save: %s", err);
    ph_report r;
    ph_host_report(h, &r);
    CHECK(r.recorded_attributes == 2, "clock output and the matching target recorded, not the mismatch (%zu)",
          r.recorded_attributes);
    ph_host_free(h);
    char text[4096];
    read_text("mismatch.out.usda", text, sizeof text);
    CHECK(!strstr(text, "xformOp:translate") && strstr(text, "double ok.timeSamples"), "no zero samples:\n%s",
          text);
}

/* wasm:path naming a FIFO or a device: refused at once, never read. */
static void test_non_regular_module(void) {
    unlink("mod.fifo");
    CHECK(mkfifo("mod.fifo", 0600) == 0, "mkfifo");
    write_file("fifo.usda",
               "#usda 1.0\ndef Xform \"W\"\n{\n    def WasmModule \"F\"\n    {\n        uniform asset wasm:path "
               "= @./mod.fifo@\n    }\n"
               "    def WasmModule \"Z\"\n    {\n        uniform asset wasm:path = @/dev/zero@\n    }\n}\n");
    ph_host *h = open_scene("fifo.usda", NULL);
    CHECK(h && info_of(h, "/W/F").state == PH_MOD_LOAD_FAILED && diag_has(h, "prim /W/F", "not a regular file"),
          "FIFO module refused");
    CHECK(h && info_of(h, "/W/Z").state == PH_MOD_LOAD_FAILED && diag_has(h, "prim /W/Z", "not a regular file"),
          "/dev/zero module refused");
    ph_host_free(h);
    unlink("mod.fifo");
}

/* Outputs that resolve to an input of the run are refused before it. */
static void test_output_paths(void) {
    write_file("guard.usda",
               "#usda 1.0\ndef Xform \"W\"\n{\n" TICK("C", "clock", "        double outputs:y = 0\n") "}\n", M);
    ph_host *h = open_scene("guard.usda", NULL);
    CHECK(h, "open guard");
    if (!h)
        return;
    char err[1024], wasm[1024], rel[1200];
    unlink("guard.link");
    unlink("guard.hard");
    CHECK(symlink("guard.usda", "guard.link") == 0 && link("guard.usda", "guard.hard") == 0, "links");
    snprintf(wasm, sizeof wasm, "%s/clock.wasm", M);
    char cwd[1024];
    CHECK(getcwd(cwd, sizeof cwd) != NULL, "cwd");
    const char *base = strrchr(cwd, '/');
    snprintf(rel, sizeof rel, "../%s/guard.usda", base + 1);
    const char *refused[] = {"guard.usda", "./guard.usda", "guard.link", "guard.hard", rel, wasm, "."};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        CHECK(ph_host_check_output_path(h, refused[i], err, sizeof err) == -1, "%s refused: %s", refused[i], err);
    CHECK(strstr((ph_host_check_output_path(h, wasm, err, sizeof err), err), "the module"),
          "names the module: %s", err);
    CHECK(ph_host_check_output_path(h, "guard.new.usda", err, sizeof err) == 0, "a new file is fine");
    CHECK(ph_host_check_output_path(h, "/dev/null", err, sizeof err) == 0, "a device is fine");
    ph_host_free(h);
    unlink("guard.link");
    unlink("guard.hard");
}

/* The scene host applies the engine's default memory cap; a module whose
 * minimum memory exceeds the cap does not load, with a clear message. */
static void test_memory_cap(void) {
    CHECK(ph_config_default().max_memory_mb == (uint32_t)(PW_DEFAULT_MEMORY_CAP >> 20),
          "default cap is the engine's PW_DEFAULT_MEMORY_CAP (%u MB)", ph_config_default().max_memory_mb);
    write_file("bigmem.usda", "#usda 1.0\ndef Xform \"W\"\n{\n" TICK("Big", "bigmem", "") "}\n", M);
    ph_host *h = open_scene("bigmem.usda", NULL);
    CHECK(h && info_of(h, "/W/Big").state == PH_MOD_ACTIVE, "2 MiB module loads under the default cap");
    ph_host_free(h);
    ph_config cfg = ph_config_default();
    cfg.max_memory_mb = 1;
    h = open_scene("bigmem.usda", &cfg);
    CHECK(h && info_of(h, "/W/Big").state == PH_MOD_LOAD_FAILED && diag_has(h, "prim /W/Big", "cannot load"),
          "2 MiB module refused under a 1 MB cap");
    ph_host_free(h);
}

#define KEEP(name, entry, extra)                                                                                 \
    "    def WasmModule \"" name "\"\n    {\n        uniform asset wasm:path = @%s/keep.wasm@\n"                 \
    "        uniform token wasm:entryFunction = \"" entry "\"\n"                                                 \
    "        uniform token[] wasm:params = [\"inputs:v\", \"count:inputs:v\", \"count:outputs:kept\", "          \
    "\"outputs:kept\", \"outputs:all\"]\n"                                                                       \
    "        uniform token[] wasm:results = [\"count:outputs:kept\"]\n"                                          \
    "        double[] inputs:v.timeSamples = { 0: [1, -1, 2, -2, 3, 4], 1: [-1, 5], 2: [-1, -2, -3] }\n"         \
    "        double[] outputs:kept = []\n        double[] outputs:all = []\n" extra "    }\n"

/* Array outputs of their own size: a declared capacity (wasm:OUTPUT:capacity)
 * and the element count the module returns ("count:OUTPUT" result), so each
 * recorded sample has the size written; wasm:OUTPUT:record = false keeps an
 * output out of the output layer, wasm:INPUT:record = true puts an input in
 * (inputs are not recorded by default); bad counts and capacities are
 * errors. */
static void test_array_outputs(void) {
    write_file("keep.usda",
               "#usda 1.0\n(\n    timeCodesPerSecond = 1\n)\ndef Xform \"W\"\n{\n" KEEP(
                   "K", "keep",
                   "        uniform int wasm:outputs:kept:capacity = 3\n"
                   "        uniform bool wasm:outputs:all:record = false\n"
                   "        uniform bool wasm:inputs:v:record = true\n")
                   KEEP("K2", "keep",
                        "        uniform bool wasm:outputs:all:record = false\n"
                        "        uniform bool wasm:outputs:kept:record = false\n") "}\n",
               M, M);
    ph_config cfg = ph_config_default();
    cfg.fps = 1;
    ph_host *h = open_scene("keep.usda", &cfg);
    CHECK(h && info_of(h, "/W/K").state == PH_MOD_ACTIVE, "keep module loaded (%s)",
          h && info_of(h, "/W/K").last_error ? info_of(h, "/W/K").last_error : "");
    if (!h)
        return;
    double v[8] = {0};
    ph_host_step(h);
    CHECK(ph_host_get_value(h, "/W/K", "outputs:kept", v, 8) == 3 && v[0] == 1 && v[1] == 2 && v[2] == 3,
          "frame 0: the first 3 positive values (capacity 3)");
    CHECK(ph_host_get_value(h, "/W/K", "outputs:all", v, 8) == 6 && v[5] == 4,
          "outputs:all sized by the first input array (6)");
    ph_host_step(h);
    CHECK(ph_host_get_value(h, "/W/K", "outputs:kept", v, 8) == 1 && v[0] == 5, "frame 1: one value");
    ph_host_step(h);
    CHECK(ph_host_get_value(h, "/W/K", "outputs:kept", v, 8) == 0, "frame 2: none");
    char err[1024];
    CHECK(ph_host_save(h, "keep.out.usda", err, sizeof err) == 0, "save: %s", err);
    ph_host_free(h);
    char text[8192];
    read_text("keep.out.usda", text, sizeof text);
    CHECK(strstr(text, "double[] outputs:kept.timeSamples = {\n            0: [1, 2, 3],\n            1: [5],\n"
                       "            2: [],\n"),
          "each sample has its own size:\n%s", text);
    CHECK(!strstr(text, "outputs:all"), "wasm:outputs:all:record = false: not recorded");
    const char *in = strstr(text, "double[] inputs:v.timeSamples = {\n            0: [1, -1, 2, -2, 3, 4],\n"
                                  "            1: [-1, 5],\n            2: [-1, -2, -3],\n");
    CHECK(in && !strstr(in + sizeof "double[] inputs:v", "inputs:v"),
          "wasm:inputs:v:record = true records the input, of /W/K only:\n%s", text);

    write_file("keepbad.usda",
               "#usda 1.0\ndef Xform \"W\"\n{\n" KEEP("Bad", "keep_bad", "")
                   KEEP("Typo", "keep", "        uniform int wasm:outputs:kep:capacity = 3\n")
                       KEEP("Neg", "keep", "        uniform int wasm:outputs:kept:capacity = -1\n")
                           KEEP("Huge", "keep", "        uniform double wasm:outputs:all:capacity = 1e12\n")
                               KEEP("NoIn", "keep", "        uniform bool wasm:inputs:w:record = true\n") "}\n",
               M, M, M, M, M);
    h = open_scene("keepbad.usda", NULL);
    if (!h)
        return;
    CHECK(info_of(h, "/W/Typo").state == PH_MOD_LOAD_FAILED &&
              diag_has(h, "prim /W/Typo", "wasm:outputs:kep:capacity names no array outputs:* attribute"),
          "a capacity for no output is a load failure");
    CHECK(info_of(h, "/W/Neg").state == PH_MOD_LOAD_FAILED &&
              diag_has(h, "prim /W/Neg", "wasm:outputs:kept:capacity = -1 is not an element count"),
          "a negative capacity is a load failure");
    CHECK(info_of(h, "/W/Huge").state == PH_MOD_LOAD_FAILED &&
              diag_has(h, "prim /W/Huge", "= 1000000000000 is not"),
          "a capacity past 4 GiB is a load failure");
    CHECK(info_of(h, "/W/NoIn").state == PH_MOD_LOAD_FAILED &&
              diag_has(h, "prim /W/NoIn", "wasm:inputs:w:record names no inputs:* attribute"),
          "recording an input the prim does not have is a load failure");
    ph_host_step(h);
    CHECK(info_of(h, "/W/Bad").state == PH_MOD_TRAPPED &&
              diag_has(h, "prim /W/Bad",
                       "'keep_bad' returned 7 as the element count of outputs:kept, which "
                       "holds 0 to 6"),
          "a count past the capacity stops the module");
    ph_host_free(h);
}

/* wasm:callBudgetMs: the scene's per-call budget for one module (its
 * _initialize included), whatever the run's (here none). */
static void test_scene_budget(void) {
    write_file(
        "budget.usda",
        "#usda 1.0\ndef Xform \"W\"\n{\n" TICK("Loop", "loop", "        uniform double wasm:callBudgetMs = 200\n")
            TICK("Bad", "clock", "        uniform double wasm:callBudgetMs = -1\n")
                TICK("Init", "initloop", "        uniform double wasm:callBudgetMs = 200\n") "}\n",
        M, M, M);
    ph_config cfg = ph_config_default();
    cfg.call_budget_ns = 0; /* none for the run */
    ph_host *h = open_scene("budget.usda", &cfg);
    if (!h)
        return;
    CHECK(info_of(h, "/W/Bad").state == PH_MOD_LOAD_FAILED &&
              diag_has(h, "prim /W/Bad", "wasm:callBudgetMs = -1 is out of range"),
          "a negative budget is a load failure");
    CHECK(info_of(h, "/W/Init").state == PH_MOD_LOAD_FAILED &&
              diag_has(h, "prim /W/Init", "'_initialize' exceeded its time budget"),
          "the scene's budget stops a hanging _initialize");
    ph_host_run(h, 3, NULL, NULL);
    ph_module_info l = info_of(h, "/W/Loop");
    CHECK(l.state == PH_MOD_OVER_BUDGET && l.overruns == 3, "the scene's 200 ms budget stops the loop (%s)",
          ph_mod_state_name(l.state));
    ph_host_free(h);
}

/* Module inputs connected to attributes of other prims (docs/abi.md (d)):
 * their values, one after the other, read again every frame when one of
 * them is animated; mismatches are reported and leave the input as authored. */
static void test_stage_feeds(void) {
    write_file("feeds.usda",
               "#usda 1.0\n(\n    timeCodesPerSecond = 1\n)\ndef Xform \"W\"\n{\n"
               "    def Xform \"A\"\n    {\n        double x = 5\n        double3 p = (1, 2, 3)\n    }\n"
               "    def Xform \"B\"\n    {\n        double y.timeSamples = { 0: 1, 2: -3 }\n"
               "        double[] vals = [7, -8, 9]\n    }\n"
               "    def WasmModule \"G\"\n    {\n        uniform asset wasm:path = @%s/keep.wasm@\n"
               "        uniform token wasm:entryFunction = \"keep\"\n"
               "        uniform token[] wasm:params = [\"inputs:v\", \"count:inputs:v\", \"count:outputs:kept\", "
               "\"outputs:kept\", \"outputs:all\"]\n"
               "        uniform token[] wasm:results = [\"count:outputs:kept\"]\n"
               "        double[] inputs:v.connect = [</W/A.x>, </W/B.y>, </W/B.vals>]\n"
               "        double[] outputs:kept = []\n        double[] outputs:all = []\n    }\n"
               "    def WasmModule \"Bad\"\n    {\n        uniform asset wasm:path = @%s/keep.wasm@\n"
               "        uniform token wasm:entryFunction = \"keep\"\n"
               "        uniform token[] wasm:params = [\"inputs:v\", \"count:inputs:v\", \"count:outputs:kept\", "
               "\"outputs:kept\", \"outputs:all\"]\n"
               "        uniform token[] wasm:results = [\"count:outputs:kept\"]\n"
               "        double[] inputs:v = [4]\n"
               "        double[] inputs:v.connect = [</W/A.x>, </W/A.p>]\n"
               "        double[] outputs:kept = []\n        double[] outputs:all = []\n    }\n}\n",
               M, M);
    ph_config cfg = ph_config_default();
    cfg.fps = 1;
    ph_host *h = open_scene("feeds.usda", &cfg);
    if (!h)
        return;
    CHECK(diag_has(h, "prim /W/Bad", "is connected to </W/A.p> (double3): types do not match"),
          "a double3 cannot feed a double[] input");
    double v[8] = {0};
    ph_host_step(h);
    CHECK(ph_host_get_value(h, "/W/G", "outputs:all", v, 8) == 5 && v[0] == 5 && v[1] == 1 && v[2] == 7 &&
              v[3] == -8 && v[4] == 9,
          "frame 0: A.x, B.y, B.vals gathered (%g %g %g %g %g)", v[0], v[1], v[2], v[3], v[4]);
    ph_host_step(h);
    CHECK(ph_host_get_value(h, "/W/G", "outputs:all", v, 8) == 5 && v[1] == -1, "frame 1: B.y interpolated (%g)",
          v[1]);
    CHECK(ph_host_get_value(h, "/W/Bad", "outputs:all", v, 8) == 1 && v[0] == 4, "Bad keeps its own value");
    ph_host_free(h);
}

/* wasm:tier per module prim; the run's tier (ph_config.tier, portalis run
 * --tier) for the others; a bad token is a load failure. The modules give
 * the same results on both tiers. */
static void test_tiers(void) {
    write_file(
        "tiers.usda",
        "#usda 1.0\ndef Xform \"W\"\n{\n" TICK("N", "clock",
                                               "        uniform token wasm:tier = \"native\"\n"
                                               "        double outputs:y = 0\n")
            TICK("I", "clock", "        uniform token wasm:tier = \"interp\"\n        double outputs:y = 0\n")
                TICK("D", "clock", "        double outputs:y = 0\n")
                    TICK("Bad", "clock", "        uniform token wasm:tier = \"fast\"\n") "}\n",
        M, M, M, M);
    ph_host *h = open_scene("tiers.usda", NULL);
    if (!h)
        return;
    ph_module_info n = info_of(h, "/W/N"), i = info_of(h, "/W/I"), d = info_of(h, "/W/D");
    CHECK(n.state == PH_MOD_ACTIVE && !strcmp(n.tier, "native"), "wasm:tier native (%s, %s)", n.tier,
          n.last_error ? n.last_error : "");
    CHECK(!strcmp(i.tier, "interp") && !strcmp(d.tier, "interp"), "interp, and the default (%s, %s)", i.tier,
          d.tier);
    CHECK(info_of(h, "/W/Bad").state == PH_MOD_LOAD_FAILED &&
              diag_has(h, "prim /W/Bad", "wasm:tier = 'fast' is not one of interp, native, auto"),
          "a bad wasm:tier is a load failure");
    ph_host_run(h, 5, NULL, NULL);
    double yn = 0, yi = 1;
    ph_host_get_value(h, "/W/N", "outputs:y", &yn, 1);
    ph_host_get_value(h, "/W/I", "outputs:y", &yi, 1);
    CHECK(yn == yi && yn != 0, "same result on both tiers (%g, %g)", yn, yi);
    ph_host_free(h);
    ph_config cfg = ph_config_default();
    cfg.tier = PB_TIER_NATIVE;
    h = open_scene("tiers.usda", &cfg);
    if (!h)
        return;
    CHECK(!strcmp(info_of(h, "/W/D").tier, "native") && !strcmp(info_of(h, "/W/I").tier, "interp"),
          "the run's tier for prims without wasm:tier");
    ph_host_free(h);
}

int main(void) {
    test_memory_cap();
    test_deadline();
    test_time_settings();
    test_scene_ranges();
    test_update_rate_even();
    test_config_abi();
    test_connection_mismatch();
    test_non_regular_module();
    test_output_paths();
    test_rates();
    test_ordering_and_modes();
    test_failures();
    test_projectile_output();
    test_output_streaming();
    test_sweep_spill();
    test_array_outputs();
    test_scene_budget();
    test_stage_feeds();
    test_tiers();
    return CHECK_REPORT();
}
