/* The scene's geometry as the viewer draws it (GET /api/scene): every
 * Xform-like and geometric prim with its xform ops in xformOpOrder, its shape
 * attributes and display colour, the attributes the running simulation
 * drives (ph_host_get_value knows them: they are sent every frame), and the
 * attribute connections (the execution graph's data flow). */
#include <stdlib.h>
#include <string.h>

#include "scene_internal.h"

#define MAX_VIEW_ELEMS 65536 /* elements of an array shown (points) */

static const char *const geom_types[] = {"Xform",   "Scope", "Cube",   "Sphere",      "Cylinder", "Cone",
                                         "Capsule", "Mesh",  "Points", "BasisCurves", NULL};

static bool is_geom(const char *type) {
    for (size_t i = 0; geom_types[i]; i++)
        if (!strcmp(type, geom_types[i]))
            return true;
    return false;
}

/* A numeric attribute as a flat array (at most MAX_VIEW_ELEMS elements);
 * nothing when it has no numeric value. */
static void numbers(pbase_json *j, pusd_prim *p, const char *key, const char *attr) {
    pusd_value v;
    if (pusd_prim_get_attr(p, attr, PUSD_TIME_DEFAULT, &v) || !v.data)
        return;
    pusd_elem e = pusd_type_elem((pusd_type)v.type);
    if (e == PUSD_E_NONE || e == PUSD_E_STR)
        return;
    size_t n = v.count < MAX_VIEW_ELEMS ? v.count : MAX_VIEW_ELEMS;
    int c = pusd_type_components((pusd_type)v.type);
    pbase_json_key(j, key);
    pbase_json_begin_array(j);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < c; k++)
            pbase_json_double(j, pusd_value_get_double(&v, i, k));
    pbase_json_end_array(j);
}

static void add_live(psv_scene *sc, const char *prim, const char *attr) {
    double none;
    long w = sc ? ph_host_get_value(sc->h, prim, attr, &none, 0) : -1;
    if (w < 0 || !PBASE_RESERVE(sc->live, sc->live_cap, sc->nlive + 1))
        return;
    psv_live *l = &sc->live[sc->nlive++];
    l->prim = strdup(prim);
    l->attr = strdup(attr);
    if (!l->prim || !l->attr) {
        free(l->prim), free(l->attr);
        sc->nlive--;
    }
}

static void xform_ops(psv_scene *sc, pbase_json *j, pusd_prim *p) {
    pusd_value order;
    pbase_json_key(j, "ops");
    pbase_json_begin_array(j);
    if (!pusd_prim_get_attr(p, "xformOpOrder", PUSD_TIME_DEFAULT, &order)) {
        for (size_t i = 0; i < order.count; i++) {
            const char *op = pusd_value_get_string(&order, i);
            if (!op)
                continue;
            bool invert = !strncmp(op, "!invert!", 8);
            const char *attr = invert ? op + 8 : op;
            pbase_json_begin_object(j);
            pbase_json_kv_str(j, "op", attr);
            if (invert) {
                pbase_json_kv_bool(j, "invert", true);
            }
            numbers(j, p, "v", attr);
            pbase_json_end_object(j);
            add_live(sc, pusd_prim_path(p), attr);
        }
    }
    pbase_json_end_array(j);
}

static void token(pbase_json *j, pusd_prim *p, const char *attr) {
    pusd_value v;
    if (!pusd_prim_get_attr(p, attr, PUSD_TIME_DEFAULT, &v) && pusd_value_get_string(&v, 0)) {
        pbase_json_key(j, attr);
        pbase_json_str(j, pusd_value_get_string(&v, 0));
    }
}

typedef struct walk {
    psv_scene *sc;
    pbase_json *j;
} walk;

/* A module's array outputs of 3-vectors (positions of a sweep, a point
 * cloud) are drawn as points of their own: "pointsAttr" names the output. */
static void module_outputs(walk *w, pusd_prim *p) {
    pbase_json *j = w->j;
    for (size_t i = 0; i < pusd_prim_property_count(p); i++) {
        const char *name = pusd_prim_property_name(p, i), *tn = pusd_prim_attr_type_name(p, name);
        bool array = false;
        pusd_type t = tn ? pusd_type_parse(tn, &array) : PUSD_T_INVALID;
        if (strncmp(name, "outputs:", 8) || !array || t == PUSD_T_INVALID || pusd_type_components(t) != 3)
            continue;
        pbase_json_begin_object(j);
        char path[1024];
        snprintf(path, sizeof path, "%s.%s", pusd_prim_path(p), name);
        pbase_json_kv_str(j, "path", path);
        pbase_json_kv_str(j, "type", "Points");
        pbase_json_kv_str(j, "pointsAttr", name);
        pbase_json_key(j, "ops");
        pbase_json_begin_array(j);
        pbase_json_end_array(j);
        numbers(j, p, "points", name);
        pbase_json_end_object(j);
        add_live(w->sc, pusd_prim_path(p), name);
    }
}

static bool write_prim(pusd_prim *p, void *ctx) {
    walk *w = ctx;
    pbase_json *j = w->j;
    const char *type = pusd_prim_type_name(p);
    if (!strncmp(type, "Wasm", 4))
        module_outputs(w, p);
    if (!is_geom(type))
        return true;
    pbase_json_begin_object(j);
    pbase_json_kv_str(j, "path", pusd_prim_path(p));
    pbase_json_kv_str(j, "type", type);
    xform_ops(w->sc, j, p);
    static const char *const shape[] = {
        "size", "radius", "height", "faceVertexCounts", "faceVertexIndices", "widths", "curveVertexCounts", NULL};
    for (size_t i = 0; shape[i]; i++)
        numbers(j, p, shape[i], shape[i]);
    numbers(j, p, "points", "points");
    numbers(j, p, "color", "primvars:displayColor");
    token(j, p, "axis");
    token(j, p, "visibility");
    add_live(w->sc, pusd_prim_path(p), "points");
    pbase_json_end_object(j);
    return true;
}

/* Connections of every prim: "from" (a source attribute path) -> "to". */
static bool write_connections(pusd_prim *p, void *ctx) {
    pbase_json *j = ((walk *)ctx)->j;
    for (size_t i = 0; i < pusd_prim_property_count(p); i++) {
        const char *name = pusd_prim_property_name(p, i);
        const char **paths = NULL;
        size_t n = pusd_prim_is_relationship(p, name) ? 0 : pusd_prim_targets(p, name, true, &paths);
        for (size_t k = 0; k < n; k++) {
            pbase_json_begin_object(j);
            pbase_json_kv_str(j, "from", paths[k]);
            pbase_json_key(j, "to");
            char to[1024];
            snprintf(to, sizeof to, "%s.%s", pusd_prim_path(p), name);
            pbase_json_str(j, to);
            pbase_json_end_object(j);
        }
    }
    return true;
}

static void write_meta(pusd_stage *st, pbase_json *j, double fps, uint64_t frames) {
    pusd_layer *root = pusd_stage_root_layer(st);
    pusd_value v;
    pbase_json_kv_str(j, "upAxis",
                      !pusd_layer_get_metadata(root, "upAxis", &v) && pusd_value_get_string(&v, 0)
                          ? pusd_value_get_string(&v, 0)
                          : "Y");
    pbase_json_kv_double(j, "fps", fps);
    pbase_json_kv_uint(j, "frames", frames);
}

/* The members of the geometry object after "scene" and "version". */
static void write_geometry(pbase_json *j, pusd_stage *st, psv_scene *sc, double fps, uint64_t frames) {
    walk w = {sc, j};
    write_meta(st, j, fps, frames);
    pbase_json_key(j, "prims");
    pbase_json_begin_array(j);
    pusd_filter px = {NULL, NULL, PUSD_TRAVERSE_INSTANCE_PROXIES}; /* draw instanced geometry too */
    pusd_stage_traverse(st, &px, write_prim, &w);
    pbase_json_end_array(j);
    pbase_json_key(j, "connections");
    pbase_json_begin_array(j);
    pusd_stage_traverse(st, &px, write_connections, &w);
    pbase_json_end_array(j);
}

void psv_geom_stage(pbase_json *j, pusd_stage *st, double fps, uint64_t frames) {
    write_geometry(j, st, NULL, fps, frames);
}

int psv_geom_build(psv_scene *sc) {
    for (size_t i = 0; i < sc->nlive; i++)
        free(sc->live[i].prim), free(sc->live[i].attr);
    sc->nlive = 0;
    psv_out o;
    if (!psv_out_open(&o))
        return -1;
    pbase_json_begin_object(&o.j);
    pbase_json_kv_str(&o.j, "scene", sc->path);
    pbase_json_kv_uint(&o.j, "version", sc->geom_version + 1);
    write_geometry(&o.j, ph_host_stage(sc->h), sc, sc->time.fps, sc->time.frames);
    pbase_json_end_object(&o.j);
    fclose(o.f);
    free(sc->geom);
    sc->geom = o.data;
    sc->geom_len = o.len;
    sc->geom_version++;
    return 0;
}
