/* Playback of finished runs (docs/serve.md, "Playback"): the output layers
 * of `portalis run` named with --playback (a layer that sublayers the scene
 * and holds a time sample per frame of every driven attribute). Only those
 * files are read, never a path from a request.
 *   GET /api/playback      [{"index", "name"}] of the runs given
 *   GET /api/playback/N    run N: its composed geometry (as /api/scene),
 *                          "times" (every sample time, ascending) and
 *                          "tracks" {"PRIM.ATTR": {"times", "values"}}
 * Each request reads the file again: a run written since is seen. */
#include <stdlib.h>
#include <string.h>

#include "scene_internal.h"

/* Numbers sent at most; tracks past it are listed in "omitted". */
#define MAX_PLAYBACK_NUMBERS (8u << 20)

typedef struct rec {
    pbase_json *j;
    size_t numbers;
    double *times; /* the union of sample times */
    size_t ntimes, times_cap;
    char **omitted;
    size_t nomitted, omitted_cap;
} rec;

/* Numeric values with time samples: one track each. */
static bool sampled(pusd_prim *p, const char *name, const double **times, size_t *n, pusd_value *first) {
    if (pusd_prim_is_relationship(p, name))
        return false;
    *n = pusd_prim_attr_sample_times(p, name, times);
    if (!*n || pusd_prim_get_attr(p, name, (*times)[0], first) || !first->data)
        return false;
    pusd_elem e = pusd_type_elem((pusd_type)first->type);
    return e != PUSD_E_NONE && e != PUSD_E_STR && e != PUSD_E_OTHER;
}

static void omit(rec *r, const char *key) {
    if (PBASE_RESERVE(r->omitted, r->omitted_cap, r->nomitted + 1) && (r->omitted[r->nomitted] = strdup(key)))
        r->nomitted++;
}

static void track(rec *r, pusd_prim *p, const char *name, const double *times, size_t n,
                  const pusd_value *first) {
    char key[1024];
    snprintf(key, sizeof key, "%s.%s", pusd_prim_path(p), name);
    size_t per = (size_t)first->count * (size_t)pusd_type_components((pusd_type)first->type);
    if (per * n > MAX_PLAYBACK_NUMBERS - r->numbers) {
        omit(r, key);
        return;
    }
    r->numbers += per * n;
    pbase_json *j = r->j;
    pbase_json_key(j, key);
    pbase_json_begin_object(j);
    pbase_json_key(j, "times");
    pbase_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        pbase_json_double(j, times[i]);
        if (PBASE_RESERVE(r->times, r->times_cap, r->ntimes + 1))
            r->times[r->ntimes++] = times[i];
    }
    pbase_json_end_array(j);
    pbase_json_key(j, "values");
    pbase_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        pusd_value v;
        pbase_json_begin_array(j);
        if (!pusd_prim_get_attr(p, name, times[i], &v) && v.data) {
            int c = pusd_type_components((pusd_type)v.type);
            for (size_t e = 0; e < v.count && e * (size_t)c < per; e++)
                for (int k = 0; k < c; k++)
                    pbase_json_double(j, pusd_value_get_double(&v, e, k));
        }
        pbase_json_end_array(j);
    }
    pbase_json_end_array(j);
    pbase_json_end_object(j);
}

static bool prim_tracks(pusd_prim *p, void *ctx) {
    rec *r = ctx;
    for (size_t i = 0; i < pusd_prim_property_count(p); i++) {
        const char *name = pusd_prim_property_name(p, i);
        const double *times;
        size_t n;
        pusd_value first;
        if (sampled(p, name, &times, &n, &first))
            track(r, p, name, times, n, &first);
    }
    return true;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double layer_number(pusd_stage *st, const char *key, double dflt) {
    pusd_value v;
    if (pusd_layer_get_metadata(pusd_stage_root_layer(st), key, &v) || !v.data)
        return dflt;
    return pusd_value_get_double(&v, 0, 0);
}

static void write_run(pbase_json *j, pusd_stage *st, const char *name) {
    rec r = {.j = j};
    pbase_json_begin_object(j);
    pbase_json_kv_str(j, "scene", name);
    pbase_json_kv_uint(j, "version", 0);
    double fps = layer_number(st, "timeCodesPerSecond", 24);
    double start = layer_number(st, "startTimeCode", 0), end = layer_number(st, "endTimeCode", start);
    psv_geom_stage(j, st, fps, end >= start ? (uint64_t)(end - start) + 1 : 0);
    pbase_json_key(j, "tracks");
    pbase_json_begin_object(j);
    pusd_filter px = {NULL, NULL, PUSD_TRAVERSE_INSTANCE_PROXIES}; /* as the geometry */
    pusd_stage_traverse(st, &px, prim_tracks, &r);
    pbase_json_end_object(j);
    if (r.ntimes)
        qsort(r.times, r.ntimes, sizeof *r.times, cmp_double);
    pbase_json_key(j, "times");
    pbase_json_begin_array(j);
    for (size_t i = 0; i < r.ntimes; i++)
        if (!i || r.times[i] != r.times[i - 1])
            pbase_json_double(j, r.times[i]);
    pbase_json_end_array(j);
    pbase_json_key(j, "omitted");
    pbase_json_begin_array(j);
    for (size_t i = 0; i < r.nomitted; i++) {
        pbase_json_str(j, r.omitted[i]);
        free(r.omitted[i]);
    }
    pbase_json_end_array(j);
    pbase_json_end_object(j);
    free(r.times);
    free(r.omitted);
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void list_runs(psv_server *s, psv_resp *rs) {
    psv_out o;
    if (!psv_out_start(&o, rs))
        return;
    pbase_json_begin_array(&o.j);
    for (size_t i = 0; i < s->o.nplayback; i++) {
        pbase_json_begin_object(&o.j);
        pbase_json_kv_uint(&o.j, "index", i);
        pbase_json_kv_str(&o.j, "name", base_name(s->o.playback[i]));
        pbase_json_end_object(&o.j);
    }
    pbase_json_end_array(&o.j);
    psv_resp_take(rs, 200, "application/json", &o);
}

static void get_run(psv_server *s, const char *index, psv_resp *rs) {
    char *end;
    unsigned long i = strtoul(index, &end, 10);
    if (!*index || *end || index[0] == '-' || i >= s->o.nplayback) {
        psv_resp_error(rs, 404, "no run '%s' to play back (%zu given with --playback)", index, s->o.nplayback);
        return;
    }
    const char *path = s->o.playback[i];
    pusd_stage *st = NULL;
    pusd_error ue = {0};
    if (pusd_stage_open(path, &st, &ue)) {
        char msg[600];
        pusd_error_format(&ue, msg, sizeof msg);
        psv_resp_error(rs, 422, "cannot read the run '%s': %s", base_name(path), msg);
        return;
    }
    psv_out o;
    if (psv_out_start(&o, rs)) {
        write_run(&o.j, st, base_name(path));
        psv_resp_take(rs, 200, "application/json", &o);
    }
    pusd_stage_free(st);
}

bool psv_playback_route(psv_server *s, const psv_req *rq, psv_resp *rs) {
    const char *u = rq->url;
    if (strncmp(u, "/api/playback", 13) || (u[13] && u[13] != '/'))
        return false;
    if (strcmp(rq->method, "GET"))
        psv_resp_error(rs, 405, "%s %s: only GET", rq->method, u);
    else if (!u[13] || !u[14])
        list_runs(s, rs);
    else
        get_run(s, u + 14, rs);
    return true;
}
