/* The viewer's API over the running scene:
 *   GET  /api/scene    geometry, driven attributes, connections (geom.c)
 *   GET  /api/state    the latest frame's snapshot (scene.c)
 *   GET  /api/events   the snapshots as server-sent events ("data:" per frame,
 *                      "event: scene" when the geometry changed)
 *   GET  /api/modules  module list and statistics
 *   POST /api/modules  {"path": PRIM, "enabled": BOOL}
 *   POST /api/control  {"action": "play"|"pause"|"step"|"reset"}
 *   POST /api/scan     rescan the scene file (rebuilt if it changed on disk) */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "scene_internal.h"

static void get_modules(psv_scene *sc, psv_resp *rs) {
    psv_out o;
    if (!psv_out_start(&o, rs))
        return;
    pthread_mutex_lock(&sc->mu);
    psv_scene_modules_json(sc, &o.j);
    pthread_mutex_unlock(&sc->mu);
    psv_resp_take(rs, 200, "application/json", &o);
}

/* The body as a JSON object (token 0), or false with the 400 made. */
static bool body_object(const psv_req *rq, psv_jdoc *d, psv_resp *rs) {
    char err[200];
    if (psv_parse_body(d, rq->body, rq->len, err, sizeof err)) {
        psv_resp_error(rs, 400, "%s", err);
        return false;
    }
    if (!psv_j_is(d, 0, PSV_JOBJ)) {
        psv_resp_error(rs, 400, "the body must be a JSON object");
        psv_json_free(d);
        return false;
    }
    return true;
}

static void post_modules(psv_server *s, const psv_req *rq, psv_resp *rs) {
    psv_jdoc d;
    if (!body_object(rq, &d, rs))
        return;
    int path = psv_j_get(&d, 0, "path"), en = psv_j_get(&d, 0, "enabled");
    char *prim = psv_j_is(&d, path, PSV_JSTR) ? psv_j_strdup(&d, path) : NULL;
    if (!prim || !(psv_j_is(&d, en, PSV_JTRUE) || psv_j_is(&d, en, PSV_JFALSE)))
        psv_resp_error(rs, 400, "expected {\"path\": \"/World/Module\", \"enabled\": true|false}");
    else if (psv_scene_set_paused(s->scene, prim, psv_j_is(&d, en, PSV_JFALSE)))
        psv_resp_error(rs, 404, "no module at '%s'", prim);
    else
        get_modules(s->scene, rs);
    free(prim);
    psv_json_free(&d);
}

static void post_control(psv_server *s, const psv_req *rq, psv_resp *rs) {
    psv_jdoc d;
    if (!body_object(rq, &d, rs))
        return;
    int a = psv_j_get(&d, 0, "action");
    char action[64], err[600]; /* a longer action is cut, and unknown */
    int rc = -2;
    if (psv_j_is(&d, a, PSV_JSTR)) {
        psv_j_str(&d, a, action, sizeof action);
        rc = psv_scene_control(s->scene, action, err, sizeof err);
    }
    if (!psv_j_is(&d, a, PSV_JSTR))
        psv_resp_error(rs, 400, "expected {\"action\": \"play\"|\"pause\"|\"step\"|\"reset\"}");
    else if (rc)
        psv_resp_error(rs, rc == -2 ? 400 : 500, "%s", err);
    else {
        pthread_mutex_lock(&s->scene->mu);
        psv_resp_text(rs, 200, "application/json", s->scene->snap ? s->scene->snap : "{}");
        pthread_mutex_unlock(&s->scene->mu);
    }
    psv_json_free(&d);
}

static void post_scan(psv_server *s, const psv_req *rq, psv_resp *rs) {
    char err[600];
    bool rebuilt = false;
    (void)rq;
    if (psv_scene_rescan(s->scene, &rebuilt, err, sizeof err)) {
        psv_resp_error(rs, 422, "%s (the previous scene keeps running)", err);
        return;
    }
    psv_resp_text(rs, 200, "application/json", rebuilt ? "{\"rebuilt\": true}" : "{\"rebuilt\": false}");
}

/* ---- server-sent events --------------------------------------------------
 * A stream's reader never blocks (its thread serves other connections): with
 * nothing to send it suspends its connection, listed in s->streams, and the
 * pump thread resumes every listed one when the scene publishes a frame or
 * changes its geometry, and once a second, when a stream with still nothing
 * new sends a comment (keep-alive, and a write that notices a closed client).
 * Listing and suspending happen under streams_mu, as does resuming, so a
 * connection is never resumed before it is suspended. */

typedef struct psv_stream {
    psv_server *s;
    struct MHD_Connection *conn;
    uint64_t seen_seq, seen_geom, last_write_ns;
    char *buf;
    size_t len, off;
} psv_stream;

/* What the stream has to say (scene locked): true with e->buf filled. */
static bool stream_fill(psv_stream *e, bool keepalive) {
    psv_scene *sc = e->s->scene;
    bool news = e->seen_seq != sc->seq || e->seen_geom != sc->geom_version;
    if (!news && !keepalive)
        return false;
    free(e->buf);
    e->buf = NULL;
    e->off = e->len = 0;
    FILE *f = open_memstream(&e->buf, &e->len);
    if (!f)
        return false;
    if (e->seen_geom != sc->geom_version)
        fprintf(f, "event: scene\ndata: {\"version\": %llu}\n\n", (unsigned long long)sc->geom_version);
    if (e->seen_seq != sc->seq && sc->snap)
        fprintf(f, "data: %s\n\n", sc->snap);
    if (!news)
        fputs(": waiting\n\n", f);
    fclose(f);
    e->seen_geom = sc->geom_version;
    e->seen_seq = sc->seq;
    e->last_write_ns = pbase_now_ns();
    return e->buf != NULL;
}

/* Nothing to say (scene locked): suspend until the pump resumes us. */
static ssize_t stream_suspend(psv_stream *e) {
    psv_server *s = e->s;
    pthread_mutex_lock(&s->streams_mu);
    ssize_t rc = 0;
    if (s->streams_closed || !PBASE_RESERVE(s->streams, s->streams_cap, s->nstreams + 1)) {
        rc = -1;
    } else {
        s->streams[s->nstreams++] = e;
        MHD_suspend_connection(e->conn);
    }
    pthread_mutex_unlock(&s->streams_mu);
    return rc;
}

static ssize_t stream_read(void *ctx, char *out, size_t max) {
    psv_stream *e = ctx;
    if (atomic_load(&e->s->stopping))
        return -1;
    if (e->off >= e->len) {
        psv_scene *sc = e->s->scene;
        pthread_mutex_lock(&sc->mu);
        bool keepalive = pbase_now_ns() - e->last_write_ns >= 900000000u;
        ssize_t rc = stream_fill(e, keepalive) ? 1 : stream_suspend(e);
        pthread_mutex_unlock(&sc->mu);
        if (rc <= 0)
            return rc; /* 0: suspended, called again once resumed */
    }
    size_t n = e->len - e->off < max ? e->len - e->off : max;
    memcpy(out, e->buf + e->off, n);
    e->off += n;
    return (ssize_t)n;
}

static void stream_free(void *ctx) {
    psv_stream *e = ctx;
    free(e->buf);
    free(e);
}

static void resume_streams(psv_server *s, bool close) {
    pthread_mutex_lock(&s->streams_mu);
    for (size_t i = 0; i < s->nstreams; i++)
        MHD_resume_connection(s->streams[i]->conn);
    s->nstreams = 0;
    s->streams_closed |= close;
    pthread_mutex_unlock(&s->streams_mu);
}

static void *pump(void *arg) {
    psv_server *s = arg;
    psv_scene *sc = s->scene;
    pthread_mutex_lock(&sc->mu);
    uint64_t seq = sc->seq, geom = sc->geom_version;
    while (!atomic_load(&s->stopping)) {
        if (seq == sc->seq && geom == sc->geom_version)
            psv_scene_wait(sc, 1000000000u);
        seq = sc->seq, geom = sc->geom_version;
        pthread_mutex_unlock(&sc->mu);
        resume_streams(s, false);
        pthread_mutex_lock(&sc->mu);
    }
    pthread_mutex_unlock(&sc->mu);
    return NULL;
}

int psv_events_start(psv_server *s, char *err, size_t errcap) {
    if (pthread_create(&s->pump, NULL, pump, s)) {
        snprintf(err, errcap, "cannot start a thread");
        return -1;
    }
    s->pump_started = true;
    return 0;
}

void psv_events_stop(psv_server *s) {
    if (s->pump_started) {
        psv_scene_wake(s->scene);
        pthread_join(s->pump, NULL);
        s->pump_started = false;
    }
    resume_streams(s, true);
}

static void events(psv_server *s, const psv_req *rq, psv_resp *rs) {
    psv_stream *e = calloc(1, sizeof *e);
    if (!e) {
        psv_resp_error(rs, 500, "out of memory");
        return;
    }
    e->s = s;
    e->conn = rq->conn;
    rs->status = 200;
    rs->ctype = "text/event-stream";
    rs->reader = stream_read;
    rs->reader_ctx = e;
    rs->reader_free = stream_free;
}

/* ---- routes --------------------------------------------------------------- */

bool psv_viewer_route(psv_server *s, const psv_req *rq, psv_resp *rs) {
    const char *u = rq->url;
    if (strncmp(u, "/api/", 5))
        return false;
    bool get = !strcmp(rq->method, "GET"), post = !strcmp(rq->method, "POST");
    psv_scene *sc = s->scene;
    if (!sc) {
        psv_resp_error(rs, 404, "no scene is running (portalis serve SCENE.usda)");
    } else if (get && (!strcmp(u, "/api/scene") || !strcmp(u, "/api/state"))) {
        pthread_mutex_lock(&sc->mu);
        const char *text = !strcmp(u, "/api/scene") ? sc->geom : sc->snap;
        psv_resp_text(rs, 200, "application/json", text ? text : "{}");
        pthread_mutex_unlock(&sc->mu);
    } else if (get && !strcmp(u, "/api/events")) {
        events(s, rq, rs);
    } else if (get && !strcmp(u, "/api/modules")) {
        get_modules(sc, rs);
    } else if (post && !strcmp(u, "/api/modules")) {
        post_modules(s, rq, rs);
    } else if (post && !strcmp(u, "/api/control")) {
        post_control(s, rq, rs);
    } else if (post && !strcmp(u, "/api/scan")) {
        post_scan(s, rq, rs);
    } else {
        psv_resp_error(rs, 404, "no endpoint %s %s (docs/serve.md)", rq->method, u);
    }
    return true;
}
