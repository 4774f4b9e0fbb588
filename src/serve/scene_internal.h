/* The running scene behind the viewer (scene.c: the simulation thread and
 * controls; geom.c: the geometry; viewer.c: the HTTP API and event stream). */
#ifndef PORTALIS_SERVE_SCENE_H
#define PORTALIS_SERVE_SCENE_H

#include <portalis/host.h>
#include <portalis/usd.h>

#include "serve_internal.h"

typedef struct psv_live {
    char *prim, *attr; /* an attribute the simulation drives */
} psv_live;

struct psv_scene {
    pthread_mutex_t mu;
    pthread_cond_t changed; /* a frame was published, a control arrived, or stop */
    pthread_t thread;
    bool thread_started;
    ph_host *h;
    char *path;
    ph_config cfg;
    ph_time time;
    bool stop, playing, ended;
    uint64_t seq; /* frames published (snapshots) */
    char *snap;   /* the latest state, JSON */
    char *geom;   /* the geometry, JSON (geom.c) */
    size_t geom_len;
    uint64_t geom_version; /* bumped on reset and rescan */
    psv_live *live;
    size_t nlive, live_cap;
    double *vals;
    size_t vals_cap;
    uint64_t last_frame_end_ns;
    double frame_ms, fps_measured;
    uint64_t frames_total, frame_counts[16];
    double frame_sum_s;
    char **paused; /* module prims turned off from the viewer (kept over a reset) */
    size_t npaused;
    char last_error[600];
};

/* geom.c: rebuilds sc->geom and sc->live from the host's stage (locked). */
int psv_geom_build(psv_scene *sc);
/* geom.c: the geometry members ("upAxis", "fps", "frames", "prims",
 * "connections") of any stage, inside an object the caller opened. */
void psv_geom_stage(pbase_json *j, pusd_stage *st, double fps, uint64_t frames);

/* scene.c: waits (locked) until a change or ns nanoseconds passed. */
void psv_scene_wait(psv_scene *sc, uint64_t ns);
/* scene.c: controls (each takes the lock). */
int psv_scene_control(psv_scene *sc, const char *action, char *err, size_t errcap);
int psv_scene_set_paused(psv_scene *sc, const char *prim, bool paused);
int psv_scene_rescan(psv_scene *sc, bool *rebuilt, char *err, size_t errcap);
/* The module list and statistics, JSON (locked by the caller). */
void psv_scene_modules_json(psv_scene *sc, pbase_json *j);

#endif
