/* Wasm schemas: registry, Define helpers, reading with fallbacks,
 * fallbackPrimTypes, run-time registration and the codeless plugin. */
#include <sys/stat.h>

#include "tu.h"

static char *dir;

static void builtins(void) {
    pusd_schema_registry *r = pusd_schema_registry_new();
    CHECK(r != NULL);
    static const char *const types[] = {"WasmModule", "WasmPhysics", "WasmRobotics", "WasmSensor", "WasmFluid"};
    for (size_t i = 0; i < 5; i++) {
        CHECK(pusd_schema_find(r, types[i]) != NULL);
        CHECK(pusd_schema_isa(r, types[i], "WasmModule"));
    }
    CHECK(!pusd_schema_isa(r, "WasmModule", "WasmPhysics"));
    const pusd_schema_attr *a = pusd_schema_attr_find(r, "WasmPhysics", "wasm:gravityOverride");
    CHECK(a && !strcmp(a->type_name, "float3"));
    CHECK(pusd_schema_attr_find(r, "WasmPhysics", "wasm:updateRate") != NULL); /* inherited */
    CHECK(pusd_schema_attr_find(r, "WasmRobotics", "wasm:jointTargets") != NULL);
    CHECK(pusd_schema_attr_find(r, "WasmRobotics", "wasm:controlMode")->allowed_tokens != NULL);
    CHECK(pusd_schema_attr_find(r, "WasmSensor", "wasm:maxRange") != NULL);
    CHECK(pusd_schema_attr_find(r, "WasmFluid", "wasm:gridResolution") != NULL);
    CHECK(pusd_schema_attr_find(r, "WasmFluid", "wasm:tier")->allowed_tokens != NULL); /* read by the host */
    CHECK(pusd_schema_attr_find(r, "WasmSensor", "wasm:callBudgetMs") != NULL);
    /* the files shipped in schemas/portalis are exactly what the registry generates */
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/shipped", dir);
    mkdir(sub, 0755);
    CHECK(!pusd_schema_write_plugin(r, sub, NULL));
    static const char *const files[] = {"generatedSchema.usda", "plugInfo.json"};
    for (int i = 0; i < 2; i++) {
        char a[1200], b[1200];
        snprintf(a, sizeof a, "%s/%s", sub, files[i]);
        snprintf(b, sizeof b, "%s/%s", SCHEMA_DIR, files[i]);
        char *ta = tu_read(a, NULL), *tb = tu_read(b, NULL);
        CHECK(ta && tb && !strcmp(ta, tb));
        free(ta);
        free(tb);
    }
    pusd_schema_registry_free(r);
}

static void define_and_read(void) {
    pusd_schema_registry *r = pusd_schema_registry_new();
    char p[1024];
    snprintf(p, sizeof p, "%s/wasm.usda", dir);
    pusd_stage *s = pusd_stage_new(p);
    pusd_error e;
    CHECK(!pusd_stage_define_prim(s, "/World", "Xform", &e));
    CHECK(!pusd_create_wasm_module_prim(s, r, "/World/Spinner", "./modules/spinner.wasm", "spinner", "tick", NULL,
                                        &e));
    CHECK(!pusd_create_wasm_module_prim(s, r, "/World/Phys", "phys.wasm", "phys", "step", "WasmPhysics", &e));
    CHECK(!pusd_schema_define(s, r, "WasmFluid", "/World/Fluid", &e));
    CHECK(!pusd_schema_define(s, r, "WasmSensor", "/World/Lidar", &e));
    CHECK(pusd_create_wasm_module_prim(s, r, "/World/X", "x.wasm", "x", "f", "Xform", &e) == PUSD_ERR_INVALID);
    CHECK(pusd_schema_define(s, r, "NoSuchType", "/World/Y", &e) == PUSD_ERR_NOT_FOUND);
    pusd_prim *m = pusd_stage_prim_at_path(s, "/World/Spinner");
    pusd_wasm_module wm;
    CHECK(m && !pusd_wasm_module_read(m, r, &wm, &e));
    CHECK_STR(wm.type_name, "WasmModule");
    CHECK_STR(wm.wasm_path, "./modules/spinner.wasm");
    char want[1100];
    snprintf(want, sizeof want, "%s/modules/spinner.wasm", dir);
    CHECK_STR(wm.wasm_path_resolved, want);
    CHECK_STR(wm.module_id, "spinner");
    CHECK_STR(wm.entry_function, "tick");
    CHECK_STR(wm.execution_mode, "continuous");
    CHECK(wm.enabled && wm.update_rate == 60);
    pusd_prim *ph = pusd_stage_prim_at_path(s, "/World/Phys");
    CHECK(ph && pusd_schema_get_number(ph, r, "wasm:forceMultiplier", PUSD_TIME_DEFAULT) == 1);
    pusd_value v;
    CHECK(ph && !pusd_prim_get_attr(ph, "wasm:gravityOverride", PUSD_TIME_DEFAULT, &v) &&
          fabs(pusd_value_get_double(&v, 0, 2) + 9.81) < 1e-6);
    pusd_prim *fl = pusd_stage_prim_at_path(s, "/World/Fluid");
    CHECK(fl && !pusd_prim_get_attr(fl, "wasm:gridResolution", PUSD_TIME_DEFAULT, &v) && v.type == PUSD_T_INT3 &&
          ((const int32_t *)v.data)[2] == 64);
    pusd_filter f = {"WasmSensor", NULL, 0};
    CHECK(pusd_stage_traverse(s, &f, NULL, NULL) == 1);
    /* fallbackPrimTypes recorded for tools without the plugin */
    CHECK(!pusd_layer_get_metadata(pusd_stage_root_layer(s), "fallbackPrimTypes", &v) &&
          v.type == PUSD_T_DICTIONARY && ((const pusd_dict *)v.data)->count == 4);
    CHECK(!pusd_stage_save(s, &e));
    pusd_stage_free(s);
    char *text = tu_read(p, NULL);
    CHECK(text && strstr(text, "fallbackPrimTypes = {\n        token[] WasmModule = [\"Scope\"]"));
    CHECK(text && strstr(text, "def WasmModule \"Spinner\""));
    CHECK(text && strstr(text, "uniform asset wasm:path = @./modules/spinner.wasm@"));
    CHECK(text && strstr(text, "uniform token wasm:executionMode = \"continuous\""));
    free(text);
    /* reading back a hand-written file; wasm:path as a string is accepted; bad mode reported */
    tu_write(dir, "hand.usda",
             "#usda 1.0\ndef WasmRobotics \"R\" {\n    uniform string wasm:path = \"r.wasm\"\n"
             "    uniform token wasm:executionMode = \"sometimes\"\n}\ndef Xform \"NotWasm\" {\n}\n");
    snprintf(p, sizeof p, "%s/hand.usda", dir);
    CHECK(!pusd_stage_open(p, &s, &e));
    CHECK(pusd_wasm_module_read(pusd_stage_prim_at_path(s, "/R"), r, &wm, &e) == PUSD_ERR_INVALID);
    CHECK(strstr(e.message, "sometimes") != NULL);
    CHECK(pusd_wasm_module_read(pusd_stage_prim_at_path(s, "/NotWasm"), r, &wm, &e) == PUSD_ERR_TYPE);
    pusd_stage_free(s);
    pusd_schema_registry_free(r);
}

static const pusd_schema_attr cam_attrs[] = {
    {"wasm:exposure", "float", false, "1", NULL, "Exposure"},
    {"wasm:tags", "token[]", true, "[\"a\"]", NULL, "Tags"},
};
static const pusd_schema_def cam = {"WasmCamera", "WasmSensor", "Camera", "A camera module", 2, cam_attrs};
static const pusd_schema_attr bad_attrs[] = {{"x", "flaot", false, NULL, NULL, NULL}};
static const pusd_schema_def bad = {"Bad", "WasmModule", "Scope", "", 1, bad_attrs};
static const pusd_schema_def orphan = {"Orphan", "NoBase", "Scope", "", 0, NULL};

static void runtime_registration(void) {
    pusd_schema_registry *r = pusd_schema_registry_new();
    pusd_error e;
    CHECK(!pusd_schema_register(r, &cam, &e));
    CHECK(pusd_schema_register(r, &cam, &e) == PUSD_ERR_INVALID);
    CHECK(pusd_schema_register(r, &bad, &e) == PUSD_ERR_INVALID);
    CHECK(pusd_schema_register(r, &orphan, &e) == PUSD_ERR_INVALID && strstr(e.message, "NoBase"));
    CHECK(pusd_schema_isa(r, "WasmCamera", "WasmModule"));
    pusd_stage *s = pusd_stage_new("/tmp/pusd_cam.usda");
    CHECK(!pusd_create_wasm_module_prim(s, r, "/Cam", "cam.wasm", "cam", "frame", "WasmCamera", &e));
    pusd_prim *p = pusd_stage_prim_at_path(s, "/Cam");
    pusd_value v;
    CHECK(p && !pusd_prim_get_attr(p, "wasm:tags", PUSD_TIME_DEFAULT, &v) && v.count == 1);
    CHECK(p && !pusd_prim_get_attr(p, "wasm:maxRange", PUSD_TIME_DEFAULT, &v)); /* base attrs */
    pusd_stage_free(s);
    /* codeless plugin files */
    CHECK(!pusd_schema_write_plugin(r, dir, &e));
    char pp[1024];
    snprintf(pp, sizeof pp, "%s/generatedSchema.usda", dir);
    pusd_layer *l;
    CHECK(!pusd_layer_open(pp, &l, &e));
    CHECK(l && pusd_layer_prim(l, "/WasmModule") && pusd_layer_prim(l, "/WasmCamera"));
    pusd_layer_free(l);
    snprintf(pp, sizeof pp, "%s/plugInfo.json", dir);
    char *j = tu_read(pp, NULL);
    CHECK(j && strstr(j, "\"Type\": \"resource\"") && strstr(j, "\"UsdSchemaBase\": \"WasmFluid\""));
    free(j);
    pusd_schema_registry_free(r);
}

int main(void) {
    dir = tu_tmpdir();
    if (!dir)
        return 1;
    builtins();
    define_and_read();
    runtime_registration();
    tu_rmrf(dir);
    free(dir);
    TU_END();
}
