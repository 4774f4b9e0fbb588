/* Benchmark of the .usda reader (not a test).
 *   usd_bench gen-points FILE   20 Points prims x 50 000 point3f + 50 000 widths (~40 MB)
 *   usd_bench gen-xforms FILE   100 000 Xform prims with kind, translate, xformOpOrder, float (~22 MB)
 *   usd_bench read FILE         time pusd_layer_open; print MB/s and peak RSS
 *   usd_bench stage FILE        time pusd_stage_open (read + compose) and a counting
 *                               pusd_stage_traverse (what the targets measure)
 *   usd_bench stage-walk FILE   pusd_stage_open, then a traversal with a callback that reads
 *                               every prim's type name: every prim handle is composed
 *   usd_bench write FILE [OUT]  pusd_layer_open (not timed), then time pusd_layer_save to OUT
 *                               (default FILE.out.usda; the writer alone, atomic save included)
 * Each line gives wall time and the process's CPU time (user + system; the
 * honest figure on a machine shared with other jobs).
 * Run each measurement in its own process so peak RSS belongs to it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <portalis/base.h>
#include "portalis/usd.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static double urand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static int gen_points(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    fprintf(f, "#usda 1.0\n(\n    defaultPrim = \"Clouds\"\n    upAxis = \"Z\"\n    metersPerUnit = 1\n)\n\ndef "
               "Xform \"Clouds\"\n{\n");
    for (int p = 0; p < 20; p++) {
        fprintf(f, "    def Points \"Cloud_%02d\"\n    {\n        point3f[] points = [", p);
        for (int i = 0; i < 50000; i++) {
            float x = (float)(urand() * 200 - 100), y = (float)(urand() * 200 - 100), z = (float)(urand() * 50);
            fprintf(f, "%s(%.6g, %.6g, %.6g)", i ? ", " : "", x, y, z);
        }
        fprintf(f, "]\n        float[] widths = [");
        for (int i = 0; i < 50000; i++)
            fprintf(f, "%s%.6g", i ? ", " : "", (float)(0.01 + urand() * 0.05));
        fprintf(f, "] (\n            interpolation = \"vertex\"\n        )\n    }\n%s", p < 19 ? "\n" : "");
    }
    fprintf(f, "}\n");
    return fclose(f) != 0;
}

static int gen_xforms(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    fprintf(f, "#usda 1.0\n(\n    defaultPrim = \"World\"\n    upAxis = \"Z\"\n)\n\ndef Xform \"World\"\n{\n");
    for (int i = 0; i < 100000; i++)
        fprintf(f,
                "    def Xform \"Xform_%06d\" (\n        kind = \"component\"\n    )\n    {\n"
                "        double3 xformOp:translate = (%.3f, %.3f, %.3f)\n"
                "        uniform token[] xformOpOrder = [\"xformOp:translate\"]\n"
                "        float mass = %.4g\n    }\n%s",
                i, urand() * 1000 - 500, urand() * 1000 - 500, urand() * 100, (float)(urand() * 10),
                i < 99999 ? "\n" : "");
    fprintf(f, "}\n");
    return fclose(f) != 0;
}

static double now(void) { return (double)pbase_now_ns() * 1e-9; }

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec * 1e-6;
}

static bool touch_type(pusd_prim *p, void *ctx) {
    *(size_t *)ctx += strlen(pusd_prim_type_name(p));
    return true;
}

static long maxrss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* The writer alone: the layer is read first (untimed), then saved. */
static int write_mode(const char *path, const char *out, double mb, long rss0) {
    pusd_error e;
    pusd_layer *l;
    if (pusd_layer_open(path, &l, &e)) {
        fprintf(stderr, "%s:%d:%d: %s\n", e.file, e.line, e.column, e.message);
        return 1;
    }
    char def[4096];
    if (!out) {
        snprintf(def, sizeof def, "%s.out.usda", path);
        out = def;
    }
    double c0 = cpu_s(), t0 = now();
    if (pusd_layer_save(l, out, &e)) {
        fprintf(stderr, "%s: %s\n", out, e.message);
        pusd_layer_free(l);
        return 1;
    }
    double t = now() - t0, c = cpu_s() - c0;
    struct stat st;
    double omb = stat(out, &st) ? 0 : (double)st.st_size / 1e6;
    long rss = maxrss_kb();
    printf("write      %-28s %5.1f MB  %6.3f s (cpu %6.3f s)  %6.1f MB/s (cpu %6.1f) of output  %6zu prims  peak "
           "RSS "
           "%.1f MB = %.2fx file (%.1f MB before open)\n",
           path, omb, t, c, omb / t, omb / c, pusd_layer_prim_count(l), rss / 1024.0,
           rss / 1024.0 / (mb / 1.048576), rss0 / 1024.0);
    pusd_layer_free(l);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3 && !(argc == 4 && !strcmp(argv[1], "write"))) {
        fprintf(stderr, "usage: usd_bench gen-points|gen-xforms|read|stage|stage-walk FILE | write FILE [OUT]\n");
        return 2;
    }
    if (!strcmp(argv[1], "gen-points"))
        return gen_points(argv[2]);
    if (!strcmp(argv[1], "gen-xforms"))
        return gen_xforms(argv[2]);
    struct stat st;
    if (stat(argv[2], &st)) {
        perror(argv[2]);
        return 1;
    }
    double mb = (double)st.st_size / 1e6;
    long rss0 = maxrss_kb();
    pusd_error e;
    double c0 = cpu_s();
    double t0 = now();
    size_t prims = 0;
    if (!strcmp(argv[1], "write"))
        return write_mode(argv[2], argc == 4 ? argv[3] : NULL, mb, rss0);
    if (!strcmp(argv[1], "read")) {
        pusd_layer *l;
        if (pusd_layer_open(argv[2], &l, &e)) {
            fprintf(stderr, "%s:%d:%d: %s\n", e.file, e.line, e.column, e.message);
            return 1;
        }
        prims = pusd_layer_prim_count(l);
        double t = now() - t0, c = cpu_s() - c0;
        long rss = maxrss_kb();
        printf("read       %-28s %5.1f MB  %6.3f s (cpu %6.3f s)  %6.1f MB/s (cpu %6.1f)  %6zu prims  peak RSS "
               "%.1f MB = %.2fx file (%.1f MB before open)\n",
               argv[2], mb, t, c, mb / t, mb / c, prims, rss / 1024.0, rss / 1024.0 / (st.st_size / 1048576.0),
               rss0 / 1024.0);
        pusd_layer_free(l);
    } else if (!strcmp(argv[1], "stage") || !strcmp(argv[1], "stage-walk")) {
        pusd_stage *s;
        if (pusd_stage_open(argv[2], &s, &e)) {
            fprintf(stderr, "%s:%d:%d: %s\n", e.file, e.line, e.column, e.message);
            return 1;
        }
        size_t sum = 0;
        bool walk = !strcmp(argv[1], "stage-walk");
        prims = pusd_stage_traverse(s, NULL, walk ? touch_type : NULL, &sum);
        double t = now() - t0, c = cpu_s() - c0;
        long rss = maxrss_kb();
        printf("%-10s %-28s %5.1f MB  %6.3f s (cpu %6.3f s)  %6.1f MB/s (cpu %6.1f)  %6zu prims  peak RSS %.1f "
               "MB = %.2fx file\n",
               argv[1], argv[2], mb, t, c, mb / t, mb / c, prims, rss / 1024.0,
               rss / 1024.0 / (st.st_size / 1048576.0));
        pusd_stage_free(s);
    } else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
    }
    return 0;
}
