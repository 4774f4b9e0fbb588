/* Authoring API: define/over prims, attributes of every kind, time samples
 * and interpolation, relationships, edit targets, output sublayers and
 * atomic saves. */
#include <sys/stat.h>
#include <unistd.h>

#include "tu.h"

static char *dir;

static void author_and_interpolate(void) {
    char p[1024];
    snprintf(p, sizeof p, "%s/scene.usda", dir);
    pusd_stage *s = pusd_stage_new(p);
    pusd_error e;
    CHECK(!pusd_stage_define_prim(s, "/World/Body", "Xform", &e));
    CHECK(pusd_stage_prim_at_path(s, "/World") &&
          !strcmp(pusd_prim_type_name(pusd_stage_prim_at_path(s, "/World")), ""));
    CHECK_STR(pusd_prim_type_name(pusd_stage_prim_at_path(s, "/World/Body")), "Xform");
    double t0[3] = {0, 0, 0}, t1[3] = {10, 20, -30};
    pusd_value v0 = pusd_val_scalar(PUSD_T_DOUBLE3, t0), v1 = pusd_val_scalar(PUSD_T_DOUBLE3, t1);
    CHECK(!pusd_stage_set_attr(s, "/World/Body", "xformOp:translate", "double3", false, 0, &v0, &e));
    CHECK(!pusd_stage_set_attr(s, "/World/Body", "xformOp:translate", "double3", false, 10, &v1, &e));
    CHECK(!pusd_stage_set_attr(s, "/World/Body", "xformOp:translate", "double3", false, PUSD_TIME_DEFAULT, &v1,
                               &e));
    pusd_prim *b = pusd_stage_prim_at_path(s, "/World/Body");
    pusd_value r;
    CHECK(!pusd_prim_get_attr(b, "xformOp:translate", 2.5, &r) && pusd_value_get_double(&r, 0, 0) == 2.5 &&
          pusd_value_get_double(&r, 0, 2) == -7.5);
    CHECK(!pusd_prim_get_attr(b, "xformOp:translate", PUSD_TIME_DEFAULT, &r) &&
          pusd_value_get_double(&r, 0, 1) == 20);
    /* quaternion slerp halfway between identity and 90 degrees about z */
    float q0[4] = {1, 0, 0, 0}, q1[4] = {0.70710678f, 0, 0, 0.70710678f};
    pusd_value qa = pusd_val_scalar(PUSD_T_QUATF, q0), qb = pusd_val_scalar(PUSD_T_QUATF, q1);
    CHECK(!pusd_stage_set_attr(s, "/World/Body", "xformOp:orient", "quatf", false, 0, &qa, &e));
    CHECK(!pusd_stage_set_attr(s, "/World/Body", "xformOp:orient", "quatf", false, 1, &qb, &e));
    CHECK(!pusd_prim_get_attr(b, "xformOp:orient", 0.5, &r) &&
          fabs(pusd_value_get_double(&r, 0, 3) - 0.3826834) < 1e-5);
    /* ints are held, not interpolated */
    int32_t i0 = 1, i1 = 5;
    pusd_value ia = pusd_val_scalar(PUSD_T_INT, &i0), ib = pusd_val_scalar(PUSD_T_INT, &i1);
    pusd_stage_set_attr(s, "/World/Body", "count", "int", false, 0, &ia, &e);
    pusd_stage_set_attr(s, "/World/Body", "count", "int", false, 10, &ib, &e);
    CHECK(!pusd_prim_get_attr(b, "count", 9.9, &r) && ((const int32_t *)r.data)[0] == 1);
    /* arrays of equal length interpolate */
    float fa[2] = {0, 10}, fb[2] = {10, 20};
    pusd_value aa = pusd_val_array(PUSD_T_FLOAT, fa, 2), ab = pusd_val_array(PUSD_T_FLOAT, fb, 2);
    pusd_stage_set_attr(s, "/World/Body", "widths", "float[]", false, 0, &aa, &e);
    pusd_stage_set_attr(s, "/World/Body", "widths", "float[]", false, 10, &ab, &e);
    CHECK(!pusd_prim_get_attr(b, "widths", 5, &r) && r.count == 2 && ((const float *)r.data)[1] == 15);
    /* type mismatches are errors, not silent conversions */
    CHECK(pusd_stage_set_attr(s, "/World/Body", "count", "float", false, 0, &ia, &e) == PUSD_ERR_TYPE);
    CHECK(pusd_stage_set_attr(s, "/World/Body", "other", "float", false, 0, &ia, &e) == PUSD_ERR_TYPE);
    CHECK(strstr(e.message, "does not match") != NULL);
    CHECK(pusd_stage_set_attr(s, "/World/Body", "bad name", "float", false, 0, &ia, &e) == PUSD_ERR_INVALID);
    CHECK(pusd_stage_define_prim(s, "World/x", NULL, &e) == PUSD_ERR_INVALID);
    /* strings, tokens, assets, blocked values, uniform */
    const char *tok[2] = {"xformOp:translate", "xformOp:orient"};
    pusd_value tv = pusd_val_array(PUSD_T_TOKEN, tok, 2);
    CHECK(!pusd_stage_set_attr(s, "/World/Body", "xformOpOrder", "token[]", true, PUSD_TIME_DEFAULT, &tv, &e));
    pusd_value blocked = {PUSD_T_FLOAT, PUSD_VF_BLOCKED, 0, NULL};
    CHECK(!pusd_stage_set_attr(s, "/World/Body", "gone", "float", false, PUSD_TIME_DEFAULT, &blocked, &e));
    const char *targets[] = {"/World"};
    CHECK(!pusd_stage_set_targets(s, "/World/Body", "parentRel", false, targets, 1, &e));
    CHECK(!pusd_stage_apply_api(s, "/World/Body", "PhysicsRigidBodyAPI", &e));
    b = pusd_stage_prim_at_path(s, "/World/Body");
    CHECK(pusd_prim_has_api(b, "PhysicsRigidBodyAPI"));
    const char **tp;
    CHECK(pusd_prim_targets(b, "parentRel", false, &tp) == 1 && !strcmp(tp[0], "/World"));
    CHECK(!pusd_stage_save(s, &e));
    pusd_stage_free(s);
    /* re-open: same data */
    CHECK(!pusd_stage_open(p, &s, &e));
    b = pusd_stage_prim_at_path(s, "/World/Body");
    CHECK(b && !pusd_prim_get_attr(b, "xformOp:translate", 5, &r) && pusd_value_get_double(&r, 0, 0) == 5);
    CHECK(b && !pusd_prim_get_attr(b, "gone", PUSD_TIME_DEFAULT, &r) && (r.flags & PUSD_VF_BLOCKED));
    CHECK(b && pusd_prim_has_api(b, "PhysicsRigidBodyAPI"));
    CHECK(b && !strcmp(pusd_prim_attr_type_name(b, "xformOpOrder"), "token[]"));
    size_t len;
    char *text = tu_read(p, &len);
    CHECK(text && strstr(text, "uniform token[] xformOpOrder = [\"xformOp:translate\", \"xformOp:orient\"]"));
    CHECK(text && strstr(text, "prepend apiSchemas = [\"PhysicsRigidBodyAPI\"]"));
    free(text);
    pusd_stage_free(s);
}

static void output_sublayer(void) {
    char p[1024];
    snprintf(p, sizeof p, "%s/scene2.usda", dir);
    tu_write(dir, "scene2.usda", "#usda 1.0\ndef Xform \"W\"\n{\n    double3 xformOp:translate = (1, 1, 1)\n}\n");
    pusd_stage *s;
    pusd_error e;
    CHECK(!pusd_stage_open(p, &s, &e));
    pusd_layer *out = pusd_stage_add_output_sublayer(s, "./results.usda", &e);
    CHECK(out != NULL);
    CHECK(!pusd_stage_set_edit_target(s, out));
    double t[3] = {5, 6, 7};
    pusd_value v = pusd_val_scalar(PUSD_T_DOUBLE3, t);
    CHECK(!pusd_stage_set_attr(s, "/W", "xformOp:translate", "double3", false, 1, &v, &e));
    pusd_prim *w = pusd_stage_prim_at_path(s, "/W");
    pusd_value r;
    /* root layer default is stronger than the sublayer's samples (strongest layer with an opinion wins) */
    CHECK(!pusd_prim_get_attr(w, "xformOp:translate", 1, &r) && pusd_value_get_double(&r, 0, 0) == 1);
    CHECK(!pusd_stage_save(s, &e));
    pusd_stage_free(s);
    char rp[1024];
    snprintf(rp, sizeof rp, "%s/results.usda", dir);
    char *text = tu_read(rp, NULL);
    CHECK(text && strstr(text, "over \"W\"") && strstr(text, "1: (5, 6, 7),"));
    free(text);
    text = tu_read(p, NULL);
    CHECK(text && strstr(text, "subLayers = [\n        @./results.usda@\n    ]"));
    free(text);
    /* a layer outside the root layer stack cannot be the edit target */
    CHECK(!pusd_stage_open(p, &s, &e));
    pusd_layer *l = pusd_layer_new("x.usda");
    CHECK(pusd_stage_set_edit_target(s, l) == PUSD_ERR_INVALID);
    pusd_layer_free(l);
    pusd_stage_free(s);
}

static void atomic_save(void) {
    char p[1024];
    snprintf(p, sizeof p, "%s/atomic.usda", dir);
    tu_write(dir, "atomic.usda", "previous contents\n");
    pusd_layer *l = tu_parse("#usda 1.0\ndef \"A\" {\n}\n", NULL);
    pusd_error e;
    /* failure: directory not writable -> previous file untouched, no temp files left */
    if (geteuid() != 0) {
        chmod(dir, 0555);
        CHECK(pusd_layer_save(l, p, &e) == PUSD_ERR_IO);
        chmod(dir, 0755);
        char *t = tu_read(p, NULL);
        CHECK(t && !strcmp(t, "previous contents\n"));
        free(t);
    }
    /* failure: target is a directory (rename fails) -> temp removed */
    char d2[1024];
    snprintf(d2, sizeof d2, "%s/isdir.usda", dir);
    mkdir(d2, 0755);
    CHECK(pusd_layer_save(l, d2, &e) == PUSD_ERR_IO);
    CHECK(strstr(e.message, "previous file left untouched") != NULL);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp > /dev/null", dir);
    CHECK(system(cmd) != 0); /* no *.tmp.* left behind */
    /* success replaces */
    CHECK(!pusd_layer_save(l, p, &e));
    char *t = tu_read(p, NULL);
    CHECK(t && !strcmp(t, "#usda 1.0\n\ndef \"A\"\n{\n}\n"));
    free(t);
    struct stat st;
    CHECK(!stat(p, &st) && (st.st_mode & 0777) == 0644);
    pusd_layer_free(l);
}

int main(void) {
    dir = tu_tmpdir();
    if (!dir)
        return 1;
    author_and_interpolate();
    output_sublayer();
    atomic_save();
    tu_rmrf(dir);
    free(dir);
    TU_END();
}
