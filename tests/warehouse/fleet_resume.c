/* The fleet module's recovery from an interrupted call, with fuel only (no
 * clock):   fleet_resume SCENE FRAMES FRAME [interp|native]
 *
 * A reference run records the fleet (/World/Fleet's outputs) every frame and
 * the fuel of each call. A second run gives the call of FRAME half the fuel
 * that call used in the reference (ph_host_set_module_fuel), so it runs out
 * in the middle of its work: that frame is an overrun (step skipped, outputs
 * keep frame FRAME - 1's values). The next call has the run's fuel again; the
 * module sees that the last call did not finish and re-simulates from frame
 * 0 in that one call (demos/warehouse/c/fleet.c), which costs more than the
 * whole reference up to there would in one piece minus per-call overhead.
 * Checked: the overrun is reported and the module stays active, the catch-up
 * call re-simulated (fuel), and every other frame's outputs equal the
 * reference's bit for bit. Both runs meter fuel (ph_config.call_fuel set far
 * above any call), so they execute the same code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/host.h>

#include "../check.h"

#define FLEET "/World/Fleet"
#define RUN_FUEL 1000000000000ull /* far above any call: metering on, never reached */

static const char *const outputs[] = {"outputs:positions",  "outputs:headings",  "outputs:loads",
                                      "outputs:taskStates", "outputs:tasksDone", "outputs:tasksCompleted"};
enum { NOUT = sizeof outputs / sizeof *outputs, MAXV = 1024 };

typedef struct {
    double v[NOUT][MAXV];
    long n[NOUT];
} snapshot;

static ph_host *open_scene(const char *scene, pb_tier tier) {
    ph_config cfg = ph_config_default();
    cfg.call_fuel = RUN_FUEL;
    cfg.call_budget_ns = 0; /* the catch-up call can take seconds under a sanitizer on a loaded machine */
    cfg.tier = tier;
    cfg.record = false;
    ph_host *h = NULL;
    char err[600];
    if (ph_host_open(scene, &cfg, &h, err, sizeof err)) {
        printf("FAIL: cannot open %s: %s\n", scene, err);
        exit(1);
    }
    return h;
}

static size_t fleet_index(const ph_host *h) {
    ph_module_info mi;
    for (size_t i = 0; i < ph_host_module_count(h); i++)
        if (!ph_host_module_info(h, i, &mi) && !strcmp(mi.prim_path, FLEET))
            return i;
    printf("FAIL: no module prim %s\n", FLEET);
    exit(1);
}

static void take(ph_host *h, snapshot *s) {
    for (int o = 0; o < NOUT; o++) {
        s->n[o] = ph_host_get_value(h, FLEET, outputs[o], s->v[o], MAXV);
        if (s->n[o] < 1 || s->n[o] > MAXV) {
            printf("FAIL: %s.%s: %ld values\n", FLEET, outputs[o], s->n[o]);
            exit(1);
        }
    }
}

static int same(const snapshot *a, const snapshot *b) {
    for (int o = 0; o < NOUT; o++)
        if (a->n[o] != b->n[o] || memcmp(a->v[o], b->v[o], (size_t)a->n[o] * sizeof(double)))
            return 0;
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: fleet_resume SCENE FRAMES FRAME [interp|native]\n");
        return 2;
    }
    const char *scene = argv[1];
    int frames = atoi(argv[2]), cut = atoi(argv[3]);
    pb_tier tier = PB_TIER_INTERP;
    if ((argc > 4 && !pb_tier_parse(argv[4], &tier)) || frames < 3 || cut < 1 || cut >= frames - 1) {
        fprintf(stderr, "fleet_resume: bad arguments (1 <= FRAME < FRAMES - 1)\n");
        return 2;
    }
    snapshot *ref = calloc((size_t)frames, sizeof *ref), *got = malloc(sizeof *got);
    unsigned long long *fuel = calloc((size_t)frames, sizeof *fuel);
    if (!ref || !got || !fuel)
        return 1;
    ph_module_info mi;

    ph_host *h = open_scene(scene, tier);
    size_t fi = fleet_index(h);
    for (int f = 0; f < frames; f++) {
        CHECK(ph_host_step(h) == 0, "reference run: frame %d failed", f);
        take(h, &ref[f]);
        ph_host_module_info(h, fi, &mi);
        fuel[f] = mi.last_fuel;
    }
    ph_host_free(h);
    CHECK(fuel[cut] > 0, "reference: the call of frame %d used no fuel (not metered?)", cut);
    CHECK(!same(&ref[cut - 1], &ref[cut]), "the fleet does not change at frame %d: pick another frame", cut);

    h = open_scene(scene, tier);
    CHECK(ph_host_set_module_fuel(h, "/World/NoSuchPrim", 1) == -1, "fuel set on a prim that has no module");
    unsigned long long catch_up = 0, before = 0;
    for (int f = 0; f < frames; f++) {
        if (f == cut)
            CHECK(ph_host_set_module_fuel(h, FLEET, fuel[cut] / 2) == 0, "ph_host_set_module_fuel failed");
        int rc = ph_host_step(h);
        take(h, got);
        ph_host_module_info(h, fi, &mi);
        if (f == cut) {
            CHECK(rc == 1 && mi.overruns == 1 && mi.state == PH_MOD_ACTIVE,
                  "frame %d: rc %d, %llu overruns, state %s (an overrun, module still active expected)", f, rc,
                  (unsigned long long)mi.overruns, ph_mod_state_name(mi.state));
            CHECK(mi.last_fuel == fuel[cut] / 2, "frame %d: used %llu fuel of %llu", f,
                  (unsigned long long)mi.last_fuel, fuel[cut] / 2);
            CHECK(same(got, &ref[cut - 1]), "frame %d: the interrupted call changed the outputs", f);
            CHECK(ph_host_set_module_fuel(h, FLEET, 0) == 0, "ph_host_set_module_fuel(0) failed");
            continue;
        }
        CHECK(rc == 0 && mi.state == PH_MOD_ACTIVE, "frame %d: rc %d, state %s", f, rc,
              ph_mod_state_name(mi.state));
        CHECK(same(got, &ref[f]), "frame %d: the fleet differs from the uninterrupted run", f);
        if (f == cut + 1)
            catch_up = mi.last_fuel;
    }
    for (int f = 1; f <= cut + 1; f++)
        before += fuel[f];
    /* re-simulating from frame 0 costs about all the reference's steps up to
     * here; continuing would cost one frame's */
    CHECK(catch_up > before / 2 && catch_up > 10 * fuel[cut + 1],
          "the call after the interruption used %llu fuel: no re-simulation (the reference's calls of frames 1 "
          "to %d used %llu, frame %d's %llu)",
          catch_up, cut + 1, before, cut + 1, fuel[cut + 1]);
    ph_host_module_info(h, fi, &mi);
    CHECK(mi.overruns == 1 && mi.traps == 0 && mi.state == PH_MOD_ACTIVE,
          "after the run: %llu overruns, %llu traps", (unsigned long long)mi.overruns,
          (unsigned long long)mi.traps);
    size_t nd = ph_host_diagnostic_count(h);
    int reported = 0;
    for (size_t i = 0; i < nd; i++)
        reported += strstr(ph_host_diagnostic(h, i), "over budget") != NULL;
    CHECK(reported == 1, "%d 'over budget' diagnostics (1 expected)", reported);
    ph_host_free(h);
    printf("frame %d of %d cut short after %llu of the %llu fuel its call takes; the next call used %llu fuel "
           "(frames 1-%d: %llu in the reference) (%s)\n",
           cut, frames, fuel[cut] / 2, fuel[cut], catch_up, cut + 1, before, argc > 4 ? argv[4] : "interp");
    free(ref), free(got), free(fuel);
    return CHECK_REPORT();
}
