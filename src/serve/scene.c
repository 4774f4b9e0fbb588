/* The scene the server runs: a thread steps the host at the scene's frame
 * rate while playing ("step" runs one frame on the caller's thread), and after each frame
 * publishes a snapshot (frame, time, the driven attributes' values, module
 * statistics) that the viewer's event stream sends. Controls and readers
 * take the same lock; a frame is computed under it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scene_internal.h"

#define MAX_LIVE_DOUBLES (3 * 65536)
#define BIG_ARRAY 3000 /* doubles; past it values are sent in single precision */

void psv_scene_modules_json(psv_scene *sc, pbase_json *j) {
    pbase_json_begin_array(j);
    for (size_t i = 0; i < ph_host_module_count(sc->h); i++) {
        ph_module_info mi;
        if (ph_host_module_info(sc->h, i, &mi))
            continue;
        pbase_json_begin_object(j);
        pbase_json_kv_str(j, "path", mi.prim_path);
        pbase_json_kv_str(j, "schema", mi.schema);
        pbase_json_kv_str(j, "entry", mi.entry);
        pbase_json_kv_str(j, "mode", mi.mode);
        pbase_json_kv_int(j, "stage", mi.stage);
        pbase_json_kv_str(j, "state", ph_mod_state_name(mi.state));
        pbase_json_kv_bool(j, "enabled", !mi.paused && mi.state == PH_MOD_ACTIVE);
        pbase_json_kv_bool(j, "paused", mi.paused);
        pbase_json_kv_uint(j, "runs", mi.runs);
        pbase_json_kv_uint(j, "steps", mi.steps);
        pbase_json_kv_uint(j, "traps", mi.traps);
        pbase_json_kv_uint(j, "overruns", mi.overruns);
        pbase_json_kv_double(j, "mean_us", pb_histogram_mean(mi.latency) / 1e3);
        pbase_json_kv_double(j, "p99_us", pb_histogram_quantile(mi.latency, 0.99) / 1e3);
        pbase_json_kv_uint(j, "memory_bytes", mi.memory_bytes);
        pbase_json_kv_str(j, "tier", mi.tier);
        pbase_json_kv_str(j, "error", mi.last_error);
        pbase_json_end_object(j);
    }
    pbase_json_end_array(j);
}

static void values_json(psv_scene *sc, pbase_json *j) {
    pbase_json_begin_object(j);
    for (size_t i = 0; i < sc->nlive; i++) {
        double none;
        long w = ph_host_get_value(sc->h, sc->live[i].prim, sc->live[i].attr, &none, 0);
        if (w < 0)
            continue;
        size_t n = (size_t)w < MAX_LIVE_DOUBLES ? (size_t)w : MAX_LIVE_DOUBLES;
        if (!PBASE_RESERVE(sc->vals, sc->vals_cap, n + 1))
            continue;
        ph_host_get_value(sc->h, sc->live[i].prim, sc->live[i].attr, sc->vals, n);
        char key[1024];
        snprintf(key, sizeof key, "%s.%s", sc->live[i].prim, sc->live[i].attr);
        pbase_json_key(j, key);
        pbase_json_begin_array(j);
        if (n <= BIG_ARRAY) {
            for (size_t k = 0; k < n; k++)
                pbase_json_double(j, sc->vals[k]);
        } else { /* a point cloud: drawn in single precision, sent so (the writer sees an empty array) */
            for (size_t k = 0; k < n; k++)
                fprintf(j->out, k ? ",%.7g" : "%.7g", isfinite(sc->vals[k]) ? sc->vals[k] : 0.0);
        }
        pbase_json_end_array(j);
    }
    pbase_json_end_object(j);
}

/* The snapshot of the current state (locked). */
static void publish(psv_scene *sc) {
    psv_out o;
    if (!psv_out_open(&o))
        return;
    pbase_json *j = &o.j;
    pbase_json_begin_object(j);
    pbase_json_kv_uint(j, "frame", ph_host_frame(sc->h));
    pbase_json_kv_double(j, "time", ph_host_frame(sc->h) ? ph_host_time(sc->h) - 1.0 / sc->time.fps : 0);
    pbase_json_kv_bool(j, "playing", sc->playing);
    pbase_json_kv_bool(j, "ended", sc->ended);
    pbase_json_kv_uint(j, "scene_version", sc->geom_version);
    pbase_json_kv_double(j, "frame_ms", sc->frame_ms);
    pbase_json_kv_double(j, "fps", sc->fps_measured);
    pbase_json_key(j, "values");
    values_json(sc, j);
    pbase_json_key(j, "modules");
    psv_scene_modules_json(sc, j);
    pbase_json_end_object(j);
    fclose(o.f);
    free(sc->snap);
    sc->snap = o.data;
    sc->seq++;
    pthread_cond_broadcast(&sc->changed);
}

static void step(psv_scene *sc) {
    uint64_t t0 = pbase_now_ns();
    ph_host_step(sc->h);
    uint64_t t1 = pbase_now_ns();
    double s = (double)(t1 - t0) * 1e-9;
    sc->frame_ms = s * 1e3;
    sc->frames_total++;
    sc->frame_sum_s += s;
    size_t b = 0;
    while (b < psv_latency_nbounds && s > psv_latency_bounds[b])
        b++;
    sc->frame_counts[b]++;
    if (sc->last_frame_end_ns) {
        double inst = 1e9 / (double)(t1 - sc->last_frame_end_ns);
        sc->fps_measured = sc->fps_measured ? 0.9 * sc->fps_measured + 0.1 * inst : inst;
    }
    sc->last_frame_end_ns = t1;
    if (sc->time.frames && ph_host_frame(sc->h) >= sc->time.frames) {
        sc->playing = false;
        sc->ended = true;
    }
    publish(sc);
}

void psv_scene_wait(psv_scene *sc, uint64_t ns) {
    struct timespec now, ts;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ts.tv_sec = now.tv_sec + (time_t)(ns / 1000000000u);
    ts.tv_nsec = now.tv_nsec + (long)(ns % 1000000000u);
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_cond_timedwait(&sc->changed, &sc->mu, &ts);
}

static void *sim_main(void *arg) {
    psv_scene *sc = arg;
    uint64_t next = 0;
    pthread_mutex_lock(&sc->mu);
    while (!sc->stop) {
        if (sc->playing) {
            uint64_t period = (uint64_t)(1e9 / sc->time.fps), now = pbase_now_ns();
            if (now < next) {
                psv_scene_wait(sc, next - now);
                continue;
            }
            next = next + period < now ? now + period : next + period; /* no burst after a stall */
            step(sc);
        } else {
            pthread_cond_wait(&sc->changed, &sc->mu);
            next = 0;
        }
    }
    pthread_mutex_unlock(&sc->mu);
    return NULL;
}

/* Opens (or reopens) the host and rebuilds the geometry (locked). */
static int open_host(psv_scene *sc, char *err, size_t errcap) {
    ph_host *h = NULL;
    if (ph_host_open(sc->path, &sc->cfg, &h, err, errcap))
        return -1;
    ph_host_free(sc->h);
    sc->h = h;
    ph_host_time_settings(h, &sc->time);
    for (size_t i = 0; i < sc->npaused; i++)
        ph_host_set_module_paused(h, sc->paused[i], true);
    sc->ended = false;
    sc->last_frame_end_ns = 0;
    sc->fps_measured = 0;
    if (psv_geom_build(sc)) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    publish(sc);
    return 0;
}

int psv_scene_open(const char *path, const psv_options *o, psv_scene **out, char *err, size_t errcap) {
    psv_scene *sc = calloc(1, sizeof *sc);
    if (!sc || !(sc->path = strdup(path))) {
        free(sc);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    pthread_mutex_init(&sc->mu, NULL);
    pthread_condattr_t ca; /* timed waits count on the monotonic clock (psv_scene_wait) */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sc->changed, &ca);
    pthread_condattr_destroy(&ca);
    sc->cfg = o->host;
    sc->cfg.record = false; /* a server runs for long: nothing is kept per frame */
    sc->playing = !o->start_paused;
    pthread_mutex_lock(&sc->mu);
    int rc = open_host(sc, err, errcap);
    pthread_mutex_unlock(&sc->mu);
    if (!rc && pthread_create(&sc->thread, NULL, sim_main, sc) == 0)
        sc->thread_started = true;
    else if (!rc) {
        snprintf(err, errcap, "cannot start the simulation thread");
        rc = -1;
    }
    if (rc) {
        psv_scene_free(sc);
        return -1;
    }
    *out = sc;
    return 0;
}

void psv_scene_wake(psv_scene *sc) {
    pthread_mutex_lock(&sc->mu);
    pthread_cond_broadcast(&sc->changed);
    pthread_mutex_unlock(&sc->mu);
}

void psv_scene_free(psv_scene *sc) {
    if (!sc)
        return;
    if (sc->thread_started) {
        pthread_mutex_lock(&sc->mu);
        sc->stop = true;
        pthread_cond_broadcast(&sc->changed);
        pthread_mutex_unlock(&sc->mu);
        pthread_join(sc->thread, NULL);
    }
    ph_host_free(sc->h);
    for (size_t i = 0; i < sc->nlive; i++)
        free(sc->live[i].prim), free(sc->live[i].attr);
    for (size_t i = 0; i < sc->npaused; i++)
        free(sc->paused[i]);
    free(sc->paused);
    free(sc->live);
    free(sc->vals);
    free(sc->snap);
    free(sc->geom);
    free(sc->path);
    pthread_mutex_destroy(&sc->mu);
    pthread_cond_destroy(&sc->changed);
    free(sc);
}

int psv_scene_control(psv_scene *sc, const char *action, char *err, size_t errcap) {
    int rc = 0;
    pthread_mutex_lock(&sc->mu);
    if (!strcmp(action, "play")) {
        if (sc->ended)
            rc = open_host(sc, err, errcap); /* play after the end starts again */
        sc->playing = rc == 0;
        publish(sc);
    } else if (!strcmp(action, "pause")) {
        sc->playing = false;
        publish(sc);
    } else if (!strcmp(action, "step")) {
        sc->playing = false;
        if (!sc->ended)
            step(sc); /* here, so that the answer shows the frame */
        else
            publish(sc);
    } else if (!strcmp(action, "reset")) {
        rc = open_host(sc, err, errcap); /* publishes */
    } else {
        snprintf(err, errcap, "unknown action '%s' (play, pause, step, reset)", action);
        rc = -2;
    }
    pthread_mutex_unlock(&sc->mu);
    return rc;
}

static void remember_paused(psv_scene *sc, const char *prim, bool paused) {
    for (size_t i = 0; i < sc->npaused; i++)
        if (!strcmp(sc->paused[i], prim)) {
            if (!paused) {
                free(sc->paused[i]);
                sc->paused[i] = sc->paused[--sc->npaused];
            }
            return;
        }
    char **p = paused ? realloc(sc->paused, (sc->npaused + 1) * sizeof *p) : NULL;
    if (p && (p[sc->npaused] = strdup(prim))) {
        sc->paused = p;
        sc->npaused++;
    } else if (p) {
        sc->paused = p;
    }
}

int psv_scene_set_paused(psv_scene *sc, const char *prim, bool paused) {
    pthread_mutex_lock(&sc->mu);
    int rc = ph_host_set_module_paused(sc->h, prim, paused);
    if (rc == 0) {
        remember_paused(sc, prim, paused);
        publish(sc);
    }
    pthread_mutex_unlock(&sc->mu);
    return rc;
}

int psv_scene_rescan(psv_scene *sc, bool *rebuilt, char *err, size_t errcap) {
    pthread_mutex_lock(&sc->mu);
    int rc = ph_host_rescan(sc->h, false, err, errcap);
    *rebuilt = rc == 1;
    if (rc == 1) {
        ph_host_time_settings(sc->h, &sc->time);
        for (size_t i = 0; i < sc->npaused; i++)
            ph_host_set_module_paused(sc->h, sc->paused[i], true);
        psv_geom_build(sc);
        publish(sc);
    }
    pthread_mutex_unlock(&sc->mu);
    return rc < 0 ? -1 : 0;
}

void psv_scene_metrics(psv_scene *sc, FILE *f) {
    pthread_mutex_lock(&sc->mu);
    fprintf(
        f,
        "# HELP portalis_scene_frames_total Frames the scene ran.\n# TYPE portalis_scene_frames_total counter\n"
        "portalis_scene_frames_total %llu\n"
        "# HELP portalis_scene_frame_seconds Time to compute a frame.\n"
        "# TYPE portalis_scene_frame_seconds histogram\n",
        (unsigned long long)sc->frames_total);
    psv_write_histogram(f, "portalis_scene_frame_seconds", "", sc->frame_counts, sc->frame_sum_s);
    fprintf(f, "# HELP portalis_module_calls_total Calls of each module's entry function.\n"
               "# TYPE portalis_module_calls_total counter\n");
    size_t n = ph_host_module_count(sc->h);
    ph_module_info mi;
    for (size_t i = 0; i < n; i++)
        if (!ph_host_module_info(sc->h, i, &mi))
            fprintf(f, "portalis_module_calls_total{module=\"%s\"} %llu\n", mi.prim_path,
                    (unsigned long long)mi.steps);
    fprintf(f, "# HELP portalis_module_errors_total Traps and budget overruns of each module.\n"
               "# TYPE portalis_module_errors_total counter\n");
    for (size_t i = 0; i < n; i++)
        if (!ph_host_module_info(sc->h, i, &mi))
            fprintf(f, "portalis_module_errors_total{module=\"%s\"} %llu\n", mi.prim_path,
                    (unsigned long long)(mi.traps + mi.overruns));
    fprintf(f, "# HELP portalis_module_latency_seconds Time of each module per frame in which it ran.\n"
               "# TYPE portalis_module_latency_seconds summary\n");
    for (size_t i = 0; i < n; i++) {
        if (ph_host_module_info(sc->h, i, &mi))
            continue;
        double mean = pb_histogram_mean(mi.latency) * 1e-9;
        fprintf(f,
                "portalis_module_latency_seconds{module=\"%s\",quantile=\"0.5\"} %.9g\n"
                "portalis_module_latency_seconds{module=\"%s\",quantile=\"0.99\"} %.9g\n"
                "portalis_module_latency_seconds_sum{module=\"%s\"} %.9g\n"
                "portalis_module_latency_seconds_count{module=\"%s\"} %llu\n",
                mi.prim_path, pb_histogram_quantile(mi.latency, 0.5) * 1e-9, mi.prim_path,
                pb_histogram_quantile(mi.latency, 0.99) * 1e-9, mi.prim_path, mean * (double)mi.runs,
                mi.prim_path, (unsigned long long)mi.runs);
    }
    pthread_mutex_unlock(&sc->mu);
}
