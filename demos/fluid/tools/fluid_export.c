/* fluid_export OUT.usda DIR: turns a fluid output layer (demos/fluid/README.md,
 * "Output") into files a person or a USD tool can look at:
 *   DIR/slice_NNNN.png, DIR/mip_NNNN.png   from /World/Fluid.outputs:slice and
 *       outputs:mip (8-bit grey, density 0..1, z upwards), through libpng
 *   DIR/density_NNNN.vdb                   from outputs:density (the whole
 *       field, fluid_volume.usda), through libopenvdb (fluid_vdb.cpp)
 *   DIR/fluid_volume.usda                  a UsdVolVolume whose OpenVDBAsset
 *       "density" has one filePath time sample per .vdb
 * Every file is written to a temporary name and renamed, and read back and
 * compared with what was meant (PNG pixels, VDB voxels). */
#include <errno.h>
#include <png.h>
#include <portalis/usd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fluid_vdb.h"

typedef struct {
    pusd_prim *prim;
    int n[3];
    double h;
    const char *dir;
} exporter;

static int commit(const char *tmp, const char *path) {
    if (rename(tmp, path) == 0)
        return 0;
    fprintf(stderr, "fluid_export: cannot rename %s to %s\n", tmp, path);
    return -1;
}

/* One w x h grey PNG of values (x fastest, row 0 at the bottom), read back. */
static int write_png(const char *path, const pusd_value *v, int w, int h) {
    size_t n = (size_t)w * (size_t)h;
    unsigned char *px = malloc(2 * n);
    if (!px)
        return -1;
    for (int r = 0; r < h; r++)
        for (int x = 0; x < w; x++) {
            double d = pusd_value_get_double(v, (size_t)x + (size_t)w * (size_t)(h - 1 - r), 0);
            d = d < 0 ? 0 : (d > 1 ? 1 : d);
            px[(size_t)r * (size_t)w + (size_t)x] = (unsigned char)(d * 255 + 0.5);
        }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_GRAY;
    int ok = png_image_write_to_file(&img, tmp, 0, px, w, NULL) && commit(tmp, path) == 0;
    png_image back;
    memset(&back, 0, sizeof back);
    back.version = PNG_IMAGE_VERSION;
    ok = ok && png_image_begin_read_from_file(&back, path) && back.width == (png_uint_32)w &&
         back.height == (png_uint_32)h;
    if (ok) {
        back.format = PNG_FORMAT_GRAY;
        ok = png_image_finish_read(&back, NULL, px + n, w, NULL) && memcmp(px, px + n, n) == 0;
    }
    if (!ok)
        fprintf(stderr, "fluid_export: %s: %s\n", path, img.message[0] ? img.message : back.message);
    free(px);
    return ok ? 0 : -1;
}

/* Writes one PNG per time sample of attr; returns the count or -1. */
static int export_images(exporter *e, const char *attr, const char *stem) {
    const double *times;
    size_t nt = pusd_prim_attr_sample_times(e->prim, attr, &times);
    size_t want = (size_t)e->n[0] * (size_t)e->n[2];
    for (size_t i = 0; i < nt; i++) {
        pusd_value v;
        if (pusd_prim_get_attr(e->prim, attr, times[i], &v) || v.count != want) {
            fprintf(stderr, "fluid_export: %s at time %g: expected %zu values (nx * nz)\n", attr, times[i], want);
            return -1;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s_%04zu.png", e->dir, stem, i);
        if (write_png(path, &v, e->n[0], e->n[2]))
            return -1;
    }
    return (int)nt;
}

static int write_volume_layer(exporter *e, const double *times, size_t nt) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/fluid_volume.usda", e->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "fluid_export: cannot write %s\n", tmp);
        return -1;
    }
    fprintf(f,
            "#usda 1.0\n(\n    defaultPrim = \"World\"\n    upAxis = \"Z\"\n    metersPerUnit = 1\n"
            "    startTimeCode = %.17g\n    endTimeCode = %.17g\n    timeCodesPerSecond = 60\n"
            "    doc = \"\"\"The fluid demonstration's density (demos/fluid/README.md), one OpenVDB file a frame "
            "(voxel size %.17g, written by fluid_export).\"\"\"\n)\n\n"
            "def Xform \"World\"\n{\n    def Volume \"Smoke\"\n    {\n"
            "        rel field:density = </World/Smoke/density>\n\n"
            "        def OpenVDBAsset \"density\"\n        {\n            token fieldName = \"density\"\n"
            "            asset filePath.timeSamples = {\n",
            times[0], times[nt - 1], e->h);
    for (size_t i = 0; i < nt; i++)
        fprintf(f, "                %.17g: @./density_%04zu.vdb@,\n", times[i], i);
    fprintf(f, "            }\n        }\n    }\n}\n");
    int bad = ferror(f);
    bad |= fclose(f);
    return bad ? -1 : commit(tmp, path);
}

static int export_volumes(exporter *e) {
    const char *attr = "outputs:density";
    const double *times;
    size_t nt = pusd_prim_attr_sample_times(e->prim, attr, &times);
    size_t want = (size_t)e->n[0] * (size_t)e->n[1] * (size_t)e->n[2];
    double *d = malloc(want * sizeof *d);
    if (!d)
        return -1;
    for (size_t i = 0; i < nt; i++) {
        pusd_value v;
        if (pusd_prim_get_attr(e->prim, attr, times[i], &v) || v.count != want) {
            fprintf(stderr, "fluid_export: %s at time %g: expected %zu values\n", attr, times[i], want);
            free(d);
            return -1;
        }
        for (size_t c = 0; c < want; c++)
            d[c] = pusd_value_get_double(&v, c, 0);
        char path[4096], err[512];
        snprintf(path, sizeof path, "%s/density_%04zu.vdb", e->dir, i);
        size_t voxels;
        double integral;
        if (fluid_vdb_write(path, d, e->n[0], e->n[1], e->n[2], e->h, &voxels, &integral, err, sizeof err)) {
            fprintf(stderr, "fluid_export: %s\n", err);
            free(d);
            return -1;
        }
        /* the tests compare the integral with the module's own mass (outputs:stats) */
        printf("%s: time %.17g, %zu active voxels, integral %.17g\n", path, times[i], voxels, integral);
    }
    free(d);
    return nt && write_volume_layer(e, times, nt) ? -1 : (int)nt;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: fluid_export OUT.usda DIR   (demos/fluid/README.md, Output)\n");
        return 2;
    }
    if (mkdir(argv[2], 0777) && errno != EEXIST) {
        fprintf(stderr, "fluid_export: cannot create %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    pusd_stage *stage;
    pusd_error err;
    if (pusd_stage_open(argv[1], &stage, &err)) {
        char msg[1200];
        pusd_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "%s\n", msg);
        return 1;
    }
    exporter e = {.prim = pusd_stage_prim_at_path(stage, "/World/Fluid"), .dir = argv[2]};
    pusd_value g, h;
    if (!e.prim || pusd_prim_get_attr(e.prim, "wasm:gridResolution", PUSD_TIME_DEFAULT, &g) || g.count != 1 ||
        pusd_prim_get_attr(e.prim, "wasm:cellSize", PUSD_TIME_DEFAULT, &h)) {
        fprintf(stderr, "fluid_export: %s: no /World/Fluid with wasm:gridResolution and wasm:cellSize\n",
                argv[1]);
        pusd_stage_free(stage);
        return 1;
    }
    for (int a = 0; a < 3; a++)
        e.n[a] = (int)pusd_value_get_double(&g, 0, a);
    e.h = pusd_value_get_double(&h, 0, 0);
    int s = export_images(&e, "outputs:slice", "slice");
    int m = s < 0 ? -1 : export_images(&e, "outputs:mip", "mip");
    int v = m < 0 ? -1 : export_volumes(&e);
    pusd_stage_free(stage);
    if (v < 0)
        return 1;
    printf("fluid_export: %d slice and %d projection PNGs (%d x %d), %d OpenVDB volumes%s in %s\n", s, m, e.n[0],
           e.n[2], v, v ? " + fluid_volume.usda" : "", argv[2]);
    return 0;
}
