/* Prim schemas: the Wasm schema types as tables of attribute specs, a
 * registry that accepts new types at run time, Define/read helpers and the
 * codeless schema plugin (generatedSchema.usda + plugInfo.json). */
#include <math.h>
#include <stdlib.h>
#include <strings.h>

#include "internal.h"

static const pusd_schema_attr module_attrs[] = {
    {"wasm:path", "asset", true, NULL, NULL,
     "WebAssembly module file; resolved relative to the layer that authors it."},
    {"wasm:moduleId", "token", true, "\"\"", NULL,
     "Stable identifier of the module instance (used in logs and results)."},
    {"wasm:entryFunction", "token", true, "\"update\"", NULL, "Exported function called for each update."},
    {"wasm:enabled", "bool", true, "true", NULL, "When false the module is loaded but never run."},
    {"wasm:executionMode", "token", true, "\"continuous\"", "continuous,on_demand,event_driven",
     "continuous: every update at updateRate; on_demand: only when asked; event_driven: on simulation events."},
    {"wasm:updateRate", "float", true, "60", NULL, "Updates per second (Hz) in continuous mode."},
    {"wasm:params", "token[]", true, NULL, NULL,
     "Pure function binding: what feeds each parameter of wasm:entryFunction (time, dt, frame, an attribute "
     "name, count:ATTR). Unauthored: the module is a tick module (see docs/abi.md)."},
    {"wasm:results", "token[]", true, NULL, NULL,
     "Pure function binding: the outputs:* attributes of the prim that receive the function's results."},
    {"wasm:events", "token[]", true, NULL, NULL, "Names of the events that run the module in event_driven mode."},
    {"wasm:tier", "token", true, NULL, "interp,native,auto",
     "Who runs the module's code: interp (the interpreter), native (compiled through the system C compiler when it "
     "loads), auto (the interpreter until a background compile is done). Unauthored: the run's tier (portalis run "
     "--tier), else interp."},
    {"wasm:callBudgetMs", "double", true, NULL, NULL,
     "Deadline of one call in milliseconds (0: none; at most 1e7); a call past it is abandoned, three in a row "
     "disable the module. Unauthored: the run's budget (portalis run --budget-ms, default 100)."},
};
static const pusd_schema_attr physics_attrs[] = {
    {"wasm:physicsFunction", "token", true, "\"physics_step\"", NULL,
     "Exported function computing forces for one step."},
    {"wasm:forceMultiplier", "float", false, "1", NULL, "Scale applied to the forces the module returns."},
    {"wasm:gravityOverride", "float3", false, "(0, 0, -9.81)", NULL,
     "Gravity vector (m/s^2) used instead of the scene's."},
    {"wasm:collisionHandler", "token", true, "\"\"", NULL, "Exported function called on contacts (empty: none)."},
};
static const pusd_schema_attr robotics_attrs[] = {
    {"wasm:kinematicsFunction", "token", true, "\"solve_ik\"", NULL, "Exported kinematics (IK/FK) function."},
    {"wasm:jointTargets", "float[]", false, "[]", NULL, "Joint targets, one per joint (radians or meters)."},
    {"wasm:endEffectorTarget", "float3", false, "(0, 0, 0)", NULL, "End effector target position (stage units)."},
    {"wasm:controlMode", "token", true, "\"position\"", "position,velocity,torque", "What jointTargets mean."},
};
static const pusd_schema_attr sensor_attrs[] = {
    {"wasm:sensorType", "token", true, "\"lidar\"", "lidar,camera,imu,contact",
     "Kind of sensor data given to the module."},
    {"wasm:filterFunction", "token", true, "\"filter_points\"", NULL,
     "Exported function filtering one scan (point cloud in, point cloud out)."},
    {"wasm:minRange", "float", false, "0.1", NULL, "Returns closer than this (m) are dropped."},
    {"wasm:maxRange", "float", false, "100", NULL, "Returns farther than this (m) are dropped."},
    {"wasm:horizontalFov", "float", true, "360", NULL, "Horizontal field of view (degrees)."},
    {"wasm:verticalFov", "float", true, "30", NULL, "Vertical field of view (degrees)."},
    {"wasm:horizontalResolution", "float", true, "0.4", NULL, "Angle between columns (degrees)."},
    {"wasm:channels", "int", true, "16", NULL, "Number of laser rows (vertical beams)."},
    {"wasm:noiseStdDev", "float", false, "0.01", NULL, "Standard deviation of range noise (m) added before filtering."},
    {"wasm:filterMode", "token", true, "\"voxel\"", "none,range,voxel,statistical", "Filter the module applies."},
    {"wasm:voxelSize", "float", false, "0.05", NULL, "Voxel edge (m) for voxel down-sampling."},
    {"wasm:outlierNeighbors", "int", false, "8", NULL, "Neighbours considered by statistical outlier removal."},
};
static const pusd_schema_attr fluid_attrs[] = {
    {"wasm:stepFunction", "token", true, "\"fluid_step\"", NULL, "Exported function advancing the grid one time step."},
    {"wasm:gridResolution", "int3", true, "(64, 64, 64)", NULL, "Cells per axis (the demo uses 64^3)."},
    {"wasm:cellSize", "float", true, "0.015625", NULL, "Cell edge length (stage units)."},
    {"wasm:timeStep", "float", false, "0.016666668", NULL, "Simulation step (s)."},
    {"wasm:viscosity", "float", false, "0.0001", NULL, "Kinematic viscosity."},
    {"wasm:diffusion", "float", false, "0.0001", NULL, "Density diffusion rate."},
    {"wasm:solverIterations", "int", false, "20", NULL, "Most conjugate gradient iterations per pressure solve."},
    {"wasm:boundaryMode", "token", true, "\"closed\"", "closed,open,periodic", "Behaviour at the grid boundary."},
    {"wasm:inflowVelocity", "float3", false, "(0, 0, 0)", NULL, "Velocity injected at the inflow cells."},
};

#define N(a) (sizeof a / sizeof a[0])
static const pusd_schema_def builtin[] = {
    {"WasmModule", "Typed", "Scope",
     "A prim that runs a sandboxed WebAssembly module. For an output outputs:X it may also author uniform bool "
     "wasm:outputs:X:record (false: the output is not recorded as time samples; default true) and, for an array "
     "output, uniform int wasm:outputs:X:capacity (the elements its buffer holds; default: the element count of the "
     "binding's first input array); for an input inputs:X, uniform bool wasm:inputs:X:record (true: the value the "
     "module reads is recorded; default false); see docs/abi.md.",
     N(module_attrs), module_attrs},
    {"WasmPhysics", "WasmModule", "Scope", "A module that computes forces for physics bodies.", N(physics_attrs),
     physics_attrs},
    {"WasmRobotics", "WasmModule", "Scope", "A module that controls a robot's joints.", N(robotics_attrs),
     robotics_attrs},
    {"WasmSensor", "WasmModule", "Scope", "A module that filters sensor data (e.g. LiDAR point clouds).",
     N(sensor_attrs), sensor_attrs},
    {"WasmFluid", "WasmModule", "Scope", "A module that runs a grid fluid solver (e.g. 64^3).", N(fluid_attrs),
     fluid_attrs},
};

const pusd_schema_def *pusd__builtin_schema_def(const char *type_name) {
    for (size_t i = 0; type_name && i < N(builtin); i++)
        if (!strcmp(builtin[i].type_name, type_name)) return &builtin[i];
    return NULL;
}

const pusd_schema_attr *pusd__builtin_schema_attr(const char *type_name, const char *attr) {
    for (int guard = 0; type_name && guard < 8; guard++) {
        const pusd_schema_def *d = pusd__builtin_schema_def(type_name);
        if (!d) return NULL;
        for (size_t i = 0; i < d->attr_count; i++)
            if (!strcmp(d->attrs[i].name, attr)) return &d->attrs[i];
        type_name = d->base;
    }
    return NULL;
}

struct pusd_schema_registry {
    const pusd_schema_def **defs;
    size_t n, cap;
};

pusd_schema_registry *pusd_schema_registry_new(void) {
    pusd_schema_registry *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    for (size_t i = 0; i < N(builtin); i++)
        if (pusd_schema_register(r, &builtin[i], NULL)) {
            pusd_schema_registry_free(r);
            return NULL;
        }
    return r;
}

void pusd_schema_registry_free(pusd_schema_registry *r) {
    if (!r) return;
    free(r->defs);
    free(r);
}

const pusd_schema_def *pusd_schema_find(const pusd_schema_registry *r, const char *name) {
    if (!r || !name) return NULL;
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->defs[i]->type_name, name)) return r->defs[i];
    return NULL;
}

int pusd_schema_register(pusd_schema_registry *r, const pusd_schema_def *d, pusd_error *err) {
    if (!d || !d->type_name || !d->type_name[0]) {
        pusd_set_error(err, PUSD_ERR_INVALID, "", 0, 0, "schema definition needs a type name");
        return PUSD_ERR_INVALID;
    }
    if (pusd_schema_find(r, d->type_name)) {
        pusd_set_error(err, PUSD_ERR_INVALID, "", 0, 0, "schema type '%s' is already registered", d->type_name);
        return PUSD_ERR_INVALID;
    }
    if (d->base && strcmp(d->base, "Typed") && strcmp(d->base, "APISchemaBase") && !pusd_schema_find(r, d->base)) {
        pusd_set_error(err, PUSD_ERR_INVALID, "", 0, 0,
                       "base schema '%s' of '%s' is not registered (register it first)", d->base, d->type_name);
        return PUSD_ERR_INVALID;
    }
    for (size_t i = 0; i < d->attr_count; i++) {
        const char *tn = d->attrs[i].type_name;
        if (!d->attrs[i].name || pusd_type_parse(tn, NULL) == PUSD_T_INVALID) {
            pusd_set_error(err, PUSD_ERR_INVALID, "", 0, 0,
                           "schema '%s': attribute %zu has a missing name or unknown type '%s'", d->type_name, i,
                           tn ? tn : "");
            return PUSD_ERR_INVALID;
        }
    }
    if (!PBASE_RESERVE(r->defs, r->cap, r->n + 1)) {
        pusd_set_error(err, PUSD_ERR_NOMEM, "", 0, 0, "out of memory");
        return PUSD_ERR_NOMEM;
    }
    r->defs[r->n++] = d;
    return 0;
}

/* Levenshtein distance of a and b, or limit + 1 once it is known to exceed limit. */
size_t pusd__edit_distance(const char *a, const char *b, size_t limit) {
    size_t na = strlen(a), nb = strlen(b);
    if (na > 64 || nb > 64 || (na > nb ? na - nb : nb - na) > limit) return limit + 1;
    size_t row[65];
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0], best = row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t sub = diag + (a[i - 1] != b[j - 1]);
            size_t v = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = v < sub ? v : sub;
            diag = up;
            if (row[j] < best) best = row[j];
        }
        if (best > limit) return limit + 1;
    }
    return row[nb];
}

const char *pusd_schema_suggest(const pusd_schema_registry *r, const char *type_name) {
    if (!r || !type_name || !type_name[0] || pusd_schema_find(r, type_name)) return NULL;
    /* at most 2 edits, and fewer than a third of the name: "Mesh" is not a typo of anything */
    size_t limit = strlen(type_name) / 3;
    if (limit > 2) limit = 2;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < r->n; i++) {
        const char *cand = r->defs[i]->type_name;
        size_t d = strcasecmp(cand, type_name) ? pusd__edit_distance(type_name, cand, limit) : 0;
        if (d < best_d) {
            best = cand;
            best_d = d;
        }
    }
    return best;
}

typedef struct suggest_ctx {
    const pusd_schema_registry *reg;
    void (*fn)(const char *, const char *, const char *, void *);
    void *ctx;
    size_t n;
} suggest_ctx;

static bool suggest_visit(pusd_prim *p, void *vc) {
    suggest_ctx *c = vc;
    const char *s = pusd_schema_suggest(c->reg, pusd_prim_type_name(p));
    if (s) {
        c->n++;
        if (c->fn) c->fn(pusd_prim_path(p), pusd_prim_type_name(p), s, c->ctx);
    }
    return true;
}

size_t pusd_schema_check_types(pusd_stage *s, const pusd_schema_registry *r,
                               void (*fn)(const char *path, const char *type_name, const char *suggestion, void *ctx),
                               void *ctx) {
    suggest_ctx c = {r, fn, ctx, 0};
    pusd_filter f = {NULL, NULL, PUSD_TRAVERSE_ALL};
    pusd_stage_traverse(s, &f, suggest_visit, &c);
    return c.n;
}

bool pusd_schema_isa(const pusd_schema_registry *r, const char *type_name, const char *schema) {
    const pusd_schema_def *d = pusd_schema_find(r, type_name);
    for (int guard = 0; d && guard < 64; guard++) {
        if (!strcmp(d->type_name, schema)) return true;
        d = pusd_schema_find(r, d->base);
    }
    return false;
}

const pusd_schema_attr *pusd_schema_attr_find(const pusd_schema_registry *r, const char *type_name, const char *attr) {
    const pusd_schema_def *d = pusd_schema_find(r, type_name);
    for (int guard = 0; d && guard < 64; guard++) {
        for (size_t i = 0; i < d->attr_count; i++)
            if (!strcmp(d->attrs[i].name, attr)) return &d->attrs[i];
        d = pusd_schema_find(r, d->base);
    }
    return NULL;
}

/* Collects a type's attributes, base first. */
static size_t all_attrs(const pusd_schema_registry *r, const char *type, const pusd_schema_attr **out, size_t max) {
    const pusd_schema_def *chain[64];
    int n = 0;
    for (const pusd_schema_def *d = pusd_schema_find(r, type); d && n < 64; d = pusd_schema_find(r, d->base))
        chain[n++] = d;
    size_t k = 0;
    for (int i = n - 1; i >= 0; i--)
        for (size_t j = 0; j < chain[i]->attr_count && k < max; j++) out[k++] = &chain[i]->attrs[j];
    return k;
}

/* Parses a fallback text into a value by reading a one-attribute layer. */
static pusd_layer *fallback_layer(const pusd_schema_attr *a, pusd_value *v) {
    char text[1024];
    snprintf(text, sizeof text, "#usda 1.0\ndef \"x\" {\n%s a = %s\n}\n", a->type_name, a->fallback);
    pusd_layer *l;
    if (pusd_layer_parse("<schema fallback>", text, strlen(text), &l, NULL)) return NULL;
    pusd_primspec *p = pusd_layer_prim(l, "/x");
    if (!p || !p->first_prop) {
        pusd_layer_free(l);
        return NULL;
    }
    *v = p->first_prop->dflt;
    return l;
}

static int set_fallback_prim_type(pusd_stage *s, const char *type, const char *fallback) {
    pusd_layer *root = pusd_stage_root_layer(s);
    pusd_value cur;
    const pusd_dict *old = NULL;
    if (!pusd_layer_get_metadata(root, "fallbackPrimTypes", &cur) && cur.type == PUSD_T_DICTIONARY && cur.data)
        old = cur.data;
    if (old)
        for (uint32_t i = 0; i < old->count; i++)
            if (!strcmp(old->entries[i].key, type)) return 0;
    uint32_t n = old ? old->count : 0;
    pusd_dict_entry *e = calloc(n + 1, sizeof *e);
    if (!e) return PUSD_ERR_NOMEM;
    if (n) memcpy(e, old->entries, n * sizeof *e);
    const char *fb[1] = {fallback};
    e[n].key = type;
    e[n].value = pusd_val_array(PUSD_T_TOKEN, fb, 1);
    pusd_dict d = {n + 1, e};
    pusd_value v = {PUSD_T_DICTIONARY, 0, 1, &d};
    int rc = pusd_layer_set_metadata(root, "fallbackPrimTypes", &v);
    free(e);
    return rc;
}

int pusd_schema_define(pusd_stage *s, const pusd_schema_registry *r, const char *type, const char *path,
                       pusd_error *err) {
    const pusd_schema_def *d = pusd_schema_find(r, type);
    if (!d) {
        pusd_set_error(err, PUSD_ERR_NOT_FOUND, "", 0, 0, "schema type '%s' is not registered", type ? type : "(null)");
        return PUSD_ERR_NOT_FOUND;
    }
    int rc = pusd_stage_define_prim(s, path, type, err);
    if (rc) return rc;
    const pusd_schema_attr *attrs[256];
    size_t n = all_attrs(r, type, attrs, 256);
    for (size_t i = 0; i < n; i++) {
        if (!attrs[i]->fallback) continue;
        pusd_value v;
        pusd_layer *tmp = fallback_layer(attrs[i], &v);
        if (!tmp) {
            pusd_set_error(err, PUSD_ERR_INVALID, "", 0, 0, "schema '%s': fallback '%s' of %s does not parse as %s",
                           type, attrs[i]->fallback, attrs[i]->name, attrs[i]->type_name);
            return PUSD_ERR_INVALID;
        }
        rc = pusd_stage_set_attr(s, path, attrs[i]->name, attrs[i]->type_name, attrs[i]->uniform, PUSD_TIME_DEFAULT, &v,
                                 err);
        pusd_layer_free(tmp);
        if (rc) return rc;
    }
    for (const pusd_schema_def *b = d; b; b = pusd_schema_find(r, b->base))
        if (b->fallback_type && b->fallback_type[0]) {
            rc = set_fallback_prim_type(s, type, b->fallback_type);
            break;
        }
    if (rc) pusd_set_error(err, rc, "", 0, 0, "out of memory");
    return rc;
}

int pusd_create_wasm_module_prim(pusd_stage *s, const pusd_schema_registry *r, const char *path, const char *wasm_path,
                                 const char *module_id, const char *entry_function, const char *schema_type,
                                 pusd_error *err) {
    const char *type = schema_type && schema_type[0] ? schema_type : "WasmModule";
    if (!pusd_schema_isa(r, type, "WasmModule")) {
        pusd_set_error(err, PUSD_ERR_INVALID, "", 0, 0, "'%s' is not a WasmModule schema type", type);
        return PUSD_ERR_INVALID;
    }
    int rc = pusd_schema_define(s, r, type, path, err);
    if (rc) return rc;
    if (wasm_path) {
        pusd_value v = pusd_val_scalar(PUSD_T_ASSET, &wasm_path);
        if ((rc = pusd_stage_set_attr(s, path, "wasm:path", "asset", true, PUSD_TIME_DEFAULT, &v, err))) return rc;
    }
    if (module_id) {
        pusd_value v = pusd_val_scalar(PUSD_T_TOKEN, &module_id);
        if ((rc = pusd_stage_set_attr(s, path, "wasm:moduleId", "token", true, PUSD_TIME_DEFAULT, &v, err))) return rc;
    }
    if (entry_function) {
        pusd_value v = pusd_val_scalar(PUSD_T_TOKEN, &entry_function);
        if ((rc = pusd_stage_set_attr(s, path, "wasm:entryFunction", "token", true, PUSD_TIME_DEFAULT, &v, err)))
            return rc;
    }
    return 0;
}

static const char *fallback_str(const pusd_schema_attr *a) {
    /* fallbacks of string-like attributes are "quoted" without escapes */
    static const char empty[] = "";
    if (!a || !a->fallback || a->fallback[0] != '"') return empty;
    return a->fallback + 1; /* caller strips trailing quote */
}

static const char *attr_string(pusd_prim *p, const pusd_schema_registry *r, const char *type, const char *name,
                               char *buf, size_t n) {
    pusd_value v;
    if (!pusd_prim_get_attr(p, name, PUSD_TIME_DEFAULT, &v) && v.data && !(v.flags & PUSD_VF_ARRAY)) {
        const char *s = pusd_value_get_string(&v, 0);
        if (s) return s;
    }
    const char *f = fallback_str(pusd_schema_attr_find(r, type, name));
    snprintf(buf, n, "%s", f);
    size_t l = strlen(buf);
    if (l && buf[l - 1] == '"') buf[l - 1] = 0;
    return NULL;
}

double pusd_schema_get_number(pusd_prim *p, const pusd_schema_registry *r, const char *name, double time) {
    pusd_value v;
    if (!pusd_prim_get_attr(p, name, time, &v) && v.data && !(v.flags & PUSD_VF_ARRAY) &&
        pusd_tinfo(v.type)->elem != PUSD_E_STR)
        return pusd_value_get_double(&v, 0, 0);
    const pusd_schema_attr *a = pusd_schema_attr_find(r, pusd_prim_type_name(p), name);
    if (!a || !a->fallback) return NAN;
    if (!strcmp(a->fallback, "true")) return 1;
    if (!strcmp(a->fallback, "false")) return 0;
    return strtod(a->fallback[0] == '(' ? a->fallback + 1 : a->fallback, NULL);
}

int pusd_wasm_module_read(pusd_prim *p, const pusd_schema_registry *r, pusd_wasm_module *out, pusd_error *err) {
    memset(out, 0, sizeof *out);
    const char *type = pusd_prim_type_name(p);
    if (!pusd_schema_isa(r, type, "WasmModule")) {
        pusd_set_error(err, PUSD_ERR_TYPE, "", 0, 0, "prim <%s> has type '%s', which is not a WasmModule schema",
                       pusd_prim_path(p), type);
        return PUSD_ERR_TYPE;
    }
    pusd_stage *s = pusd__prim_stage(p);
    char buf[256];
    out->type_name = type;
    const char *wp = attr_string(p, r, type, "wasm:path", buf, sizeof buf);
    if (!wp) {
        pusd_set_error(err, PUSD_ERR_NOT_FOUND, "", 0, 0,
                       "prim <%s> has no wasm:path (author `uniform asset wasm:path = @module.wasm@`)",
                       pusd_prim_path(p));
        return PUSD_ERR_NOT_FOUND;
    }
    out->wasm_path = wp;
    out->wasm_path_resolved = pusd_prim_resolve_asset(p, "wasm:path");
    const char *sv;
#define STR_FIELD(field, nm)                                                                                           \
    sv = attr_string(p, r, type, nm, buf, sizeof buf);                                                                 \
    out->field = sv ? sv : pusd__stage_intern(s, buf);
    STR_FIELD(module_id, "wasm:moduleId")
    STR_FIELD(entry_function, "wasm:entryFunction")
    STR_FIELD(execution_mode, "wasm:executionMode")
#undef STR_FIELD
    out->enabled = pusd_schema_get_number(p, r, "wasm:enabled", PUSD_TIME_DEFAULT) != 0;
    out->update_rate = (float)pusd_schema_get_number(p, r, "wasm:updateRate", PUSD_TIME_DEFAULT);
    const pusd_schema_attr *em = pusd_schema_attr_find(r, type, "wasm:executionMode");
    if (em && em->allowed_tokens) {
        const char *at = em->allowed_tokens, *m = out->execution_mode;
        size_t ml = strlen(m);
        bool ok = false;
        for (const char *q = at; *q;) {
            const char *c = strchr(q, ',');
            size_t l = c ? (size_t)(c - q) : strlen(q);
            if (l == ml && !strncmp(q, m, l)) ok = true;
            q += l + (c ? 1 : 0);
        }
        if (!ok) {
            pusd_set_error(err, PUSD_ERR_INVALID, "", 0, 0, "prim <%s>: wasm:executionMode '%s' is not one of %s",
                           pusd_prim_path(p), m, at);
            return PUSD_ERR_INVALID;
        }
    }
    return 0;
}

/* ---- codeless schema plugin ------------------------------------------------------------------------ */

int pusd_schema_write_plugin(const pusd_schema_registry *r, const char *dir, pusd_error *err) {
    sbuf g = {0}, j = {0};
    pusd__sb_puts(&g, "#usda 1.0\n(\n    \"WARNING: THIS FILE IS GENERATED BY portalis (pusd_schema_write_plugin).  DO "
                      "NOT EDIT.\"\n)\n");
    pusd__sb_puts(&j, "# Portalis Wasm schemas: codeless schema plugin (generated by pusd_schema_write_plugin).\n{\n   "
                      " \"Plugins\": [\n        {\n            \"Info\": {\n                \"Types\": {\n");
    for (size_t i = 0; i < r->n; i++) {
        const pusd_schema_def *d = r->defs[i];
        pusd__sb_printf(&g, "\nclass %s \"%s\" (\n    doc = ", d->type_name, d->type_name);
        pusd__write_quoted(&g, d->doc ? d->doc : "");
        pusd__sb_puts(&g, "\n)\n{\n");
        const pusd_schema_attr *attrs[256];
        size_t n = all_attrs(r, d->type_name, attrs, 256);
        for (size_t k = 0; k < n; k++) {
            const pusd_schema_attr *a = attrs[k];
            pusd__sb_printf(&g, "    %s%s %s", a->uniform ? "uniform " : "", a->type_name, a->name);
            if (a->fallback) pusd__sb_printf(&g, " = %s", a->fallback);
            pusd__sb_puts(&g, " (\n");
            if (a->allowed_tokens) {
                pusd__sb_puts(&g, "        allowedTokens = [");
                const char *q = a->allowed_tokens;
                bool first = true;
                while (*q) {
                    const char *c = strchr(q, ',');
                    size_t l = c ? (size_t)(c - q) : strlen(q);
                    pusd__sb_printf(&g, "%s\"%.*s\"", first ? "" : ", ", (int)l, q);
                    first = false;
                    q += l + (c ? 1 : 0);
                }
                pusd__sb_puts(&g, "]\n");
            }
            pusd__sb_puts(&g, "        doc = ");
            pusd__write_quoted(&g, a->doc ? a->doc : "");
            pusd__sb_puts(&g, "\n    )\n");
        }
        pusd__sb_puts(&g, "}\n");
        const char *base = d->base && strcmp(d->base, "Typed") ? d->base : NULL;
        pusd__sb_printf(
            &j,
            "                    \"Portalis%s\": {\n"
            "                        \"alias\": {\n                            \"UsdSchemaBase\": \"%s\"\n             "
            "           },\n"
            "                        \"autoGenerated\": true,\n"
            "                        \"bases\": [\n                            \"%s%s\"\n                        ],\n"
            "                        \"schemaIdentifier\": \"%s\",\n"
            "                        \"schemaKind\": \"concreteTyped\"\n"
            "                    }%s\n",
            d->type_name, d->type_name, base ? "Portalis" : "UsdTyped", base ? base : "", d->type_name,
            i + 1 < r->n ? "," : "");
    }
    pusd__sb_puts(&j, "                }\n            },\n            \"LibraryPath\": \"\",\n            \"Name\": "
                      "\"portalisWasmSchemas\",\n"
                      "            \"ResourcePath\": \".\",\n            \"Root\": \".\",\n            \"Type\": "
                      "\"resource\"\n        }\n    ]\n}\n");
    int rc = PUSD_ERR_NOMEM;
    if (!g.oom && !j.oom) {
        size_t n = strlen(dir) + 32;
        char *p = malloc(n);
        if (p) {
            snprintf(p, n, "%s/generatedSchema.usda", dir);
            rc = pusd__write_file_atomic(p, g.p, g.len, err);
            if (!rc) {
                snprintf(p, n, "%s/plugInfo.json", dir);
                rc = pusd__write_file_atomic(p, j.p, j.len, err);
            }
            free(p);
        }
    }
    if (rc == PUSD_ERR_NOMEM) pusd_set_error(err, rc, dir, 0, 0, "out of memory");
    pusd__sb_free(&g);
    pusd__sb_free(&j);
    return rc;
}
