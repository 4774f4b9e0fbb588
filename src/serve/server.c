/* The HTTP server: libmicrohttpd (Debian's libmicrohttpd12) with a pool of
 * threads over epoll, a listening socket bound here (so port 0 reports the port the
 * OS chose), bounded request bodies and headers, idle timeouts, an optional
 * bearer token, and the routes: /v2/... (kserve.c), /api/... (viewer.c),
 * /metrics (metrics.c) and the viewer's static files. docs/serve.md. */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve_internal.h"

psv_options psv_options_default(void) {
    psv_options o = {0};
    o.listen = "127.0.0.1:8080";
    o.max_body_bytes = 8u << 20;
    o.timeout_s = 30;
    o.max_connections = 64;
    o.instances = 2;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o.threads = cpus < 1 ? 2 : cpus > 64 ? 64 : (unsigned)cpus;
    o.call_budget_ns = 1000000000ull;
    o.host = ph_config_default();
    return o;
}

const char *psv_req_header(const psv_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *psv_req_query(const psv_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* "HOST:PORT" or "[V6]:PORT" into host and port. */
static bool split_listen(const char *spec, char *host, size_t hcap, char *port, size_t pcap) {
    const char *colon;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= hcap)
            return false;
        memcpy(host, spec + 1, (size_t)(close - spec - 1));
        host[close - spec - 1] = 0;
        colon = close + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon || (size_t)(colon - spec) >= hcap)
            return false;
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = 0;
    }
    if (!colon[1] || strlen(colon + 1) >= pcap || strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return false;
    strcpy(port, colon + 1);
    return *host != 0 && atoi(port) <= 65535;
}

static int bind_listen(psv_server *s, char *err, size_t cap) {
    char host[256], port[8];
    if (!split_listen(s->o.listen, host, sizeof host, port, sizeof port)) {
        snprintf(err, cap,
                 "--listen '%s': expected HOST:PORT (127.0.0.1:8080, [::1]:8080; port 0 = any free one)",
                 s->o.listen);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc) {
        snprintf(err, cap, "--listen '%s': %s", s->o.listen, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
        snprintf(err, cap, "cannot listen on %s: %s", s->o.listen, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    char h[NI_MAXHOST], p[NI_MAXSERV];
    getnameinfo((struct sockaddr *)&sa, sl, h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(s->url, sizeof s->url, ai->ai_family == AF_INET6 ? "http://[%s]:%s/" : "http://%s:%s/", h, p);
    freeaddrinfo(ai);
    s->listen_fd = fd;
    return 0;
}

/* ---- authorisation ---------------------------------------------------- */

static bool same_secret(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la; i++)
        d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return d == 0;
}

/* The API needs the token (header, or ?access_token= for EventSource);
 * the health probes and the viewer's static files do not. */
static bool authorised(psv_server *s, const psv_req *rq) {
    if (!s->token || !strcmp(rq->url, "/v2/health/live") || !strcmp(rq->url, "/v2/health/ready"))
        return true;
    if (strncmp(rq->url, "/v2", 3) && strncmp(rq->url, "/api/", 5) && strcmp(rq->url, "/metrics"))
        return true;
    const char *h = psv_req_header(rq, "Authorization"), *q = psv_req_query(rq, "access_token");
    if (h && !strncmp(h, "Bearer ", 7))
        return same_secret(h + 7, s->token);
    return q && same_secret(q, s->token);
}

/* ---- static files of the viewer ---------------------------------------- */

static const char *content_type(const char *name) {
    static const char *const t[][2] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript"}, {".css", "text/css"},
        {".map", "application/json"},          {".svg", "image/svg+xml"},  {".png", "image/png"},
        {".json", "application/json"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(dot, t[i][0]))
            return t[i][1];
    return "application/octet-stream";
}

static const char not_built[] =
    "<!doctype html><meta charset=utf-8><title>Portalis</title><h1>Portalis serve</h1>"
    "<p>The live viewer was not built: it needs Node.js and npm at configure time (<code>bash "
    "scripts/deps.sh</code>, "
    "then configure the build again; docs/serve.md). The server runs without it:</p><ul>"
    "<li><a href=\"/api/scene\">/api/scene</a>, <a href=\"/api/state\">/api/state</a>, "
    "<a href=\"/api/events\">/api/events</a> (the running scene)</li><li><a href=\"/v2\">/v2</a> (KServe v2 "
    "inference)</li><li><a href=\"/metrics\">/metrics</a></li></ul>";

static void static_file(psv_server *s, const psv_req *rq, psv_resp *rs) {
    const char *name = !strcmp(rq->url, "/") ? "index.html" : rq->url + 1;
    bool plain =
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == strlen(name);
    if (!plain || name[0] == '.' || strcmp(rq->method, "GET")) {
        psv_resp_error(rs, 404, "no endpoint '%s' (docs/serve.md)", rq->url);
        return;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", s->web_dir ? s->web_dir : "", name);
    int fd = s->web_dir ? open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) : -1;
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        if (!strcmp(name, "index.html"))
            psv_resp_text(rs, 200, "text/html; charset=utf-8", not_built);
        else
            psv_resp_error(rs, 404, "no file '%s' in the viewer", name);
        return;
    }
    rs->status = 200;
    rs->fd = fd;
    rs->len = (size_t)st.st_size;
    rs->ctype = content_type(name);
}

/* ---- requests ------------------------------------------------------------ */

typedef struct conn_state {
    char *body;
    size_t len, cap;
    bool too_big;
} conn_state;

static void dispatch(psv_server *s, const psv_req *rq, psv_resp *rs) {
    if (!authorised(s, rq)) {
        psv_resp_error(rs, 401, "this server needs 'Authorization: Bearer TOKEN' (portalis serve --token-file)");
        snprintf(rs->header_name, sizeof rs->header_name, "WWW-Authenticate");
        snprintf(rs->header_value, sizeof rs->header_value, "Bearer");
        return;
    }
    if (psv_kserve_route(s, rq, rs) || psv_playback_route(s, rq, rs) || psv_viewer_route(s, rq, rs))
        return;
    if (!strcmp(rq->url, "/metrics"))
        psv_metrics(s, rs);
    else
        static_file(s, rq, rs);
}

static ssize_t reader_cb(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    psv_resp *rs = cls;
    ssize_t n = rs->reader(rs->reader_ctx, buf, max);
    return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void reader_free_cb(void *cls) {
    psv_resp *rs = cls;
    if (rs->reader_free)
        rs->reader_free(rs->reader_ctx);
    free(rs);
}

static enum MHD_Result send_resp(struct MHD_Connection *c, psv_resp *rs) {
    struct MHD_Response *r;
    if (rs->reader) {
        psv_resp *keep = malloc(sizeof *keep);
        if (!keep)
            return MHD_NO;
        *keep = *rs;
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 8192, reader_cb, keep, reader_free_cb);
        if (!r)
            reader_free_cb(keep);
    } else if (rs->fd >= 0) {
        r = MHD_create_response_from_fd(rs->len, rs->fd);
    } else {
        r = MHD_create_response_from_buffer(rs->len, rs->body, MHD_RESPMEM_MUST_FREE);
        rs->body = NULL;
    }
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", rs->ctype ? rs->ctype : "application/json");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (rs->header_name[0])
        MHD_add_response_header(r, rs->header_name, rs->header_value);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)rs->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result finish(psv_server *s, struct MHD_Connection *c, const char *url, const char *method,
                              conn_state *st) {
    psv_req rq = {method, url, st->body ? st->body : "", st->len, c};
    psv_resp rs = {.status = 500, .fd = -1};
    atomic_fetch_add(&s->http_requests, 1);
    if (st->too_big)
        psv_resp_error(&rs, 413, "the request body is over %zu bytes (portalis serve --max-body)",
                       s->o.max_body_bytes);
    else
        dispatch(s, &rq, &rs);
    if (rs.status >= 400)
        atomic_fetch_add(&s->http_errors, 1);
    enum MHD_Result r = send_resp(c, &rs);
    free(rs.body);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **con_cls) {
    (void)version;
    psv_server *s = cls;
    conn_state *st = *con_cls;
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        *con_cls = st;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->o.max_body_bytes) {
            st->too_big = true; /* answered now: the body is never read */
            return finish(s, c, url, method, st);
        }
        return MHD_YES;
    }
    if (*size) {
        if (st->too_big || st->len + *size > s->o.max_body_bytes)
            return MHD_NO; /* a chunked body over the limit: the connection is closed */
        if (!PBASE_RESERVE(st->body, st->cap, st->len + *size + 1))
            return MHD_NO;
        memcpy(st->body + st->len, data, *size);
        st->len += *size;
        st->body[st->len] = 0;
        *size = 0;
        return MHD_YES;
    }
    if (st->too_big)
        return MHD_YES;
    return finish(s, c, url, method, st);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t) {
    (void)cls, (void)c, (void)t;
    conn_state *st = *con_cls;
    if (st) {
        free(st->body);
        free(st);
        *con_cls = NULL;
    }
}

/* ---- lifetime ----------------------------------------------------------- */

static void add_diag(void *ctx, const char *msg) {
    psv_server *s = ctx;
    char **d = realloc(s->diag, (s->ndiag + 1) * sizeof *d);
    if (!d)
        return;
    s->diag = d;
    s->diag[s->ndiag] = strdup(msg);
    if (s->diag[s->ndiag])
        s->ndiag++;
}

/* A pool of threads, each with its own epoll set over its connections:
 * a request wakes no thread of its own (a thread per connection cost a
 * switch per request), and the event streams, which have nothing to say
 * most of the time, are suspended rather than holding a thread (viewer.c). */
static int start_daemon(psv_server *s, char *err, size_t cap) {
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(s->o.threads ? s->o.threads : 1), MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)s->o.timeout_s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->o.max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)PSV_CONNECTION_MEMORY, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, cap, "libmicrohttpd could not start serving on %s", s->o.listen);
        return -1;
    }
    return 0;
}

int psv_start(const psv_options *o, psv_server **out, char *err, size_t errcap) {
    psv_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    s->o = *o;
    s->listen_fd = -1;
    pthread_mutex_init(&s->streams_mu, NULL);
    s->token = o->token ? strdup(o->token) : NULL;
    s->web_dir = o->web_dir ? strdup(o->web_dir) : NULL;
    s->o.token = s->token;
    s->o.web_dir = s->web_dir;
    int rc = 0;
    if (o->models)
        rc = psv_repo_open(o->models, o, add_diag, s, &s->repo, err, errcap);
    if (!rc && o->scene)
        rc = psv_scene_open(o->scene, o, &s->scene, err, errcap);
    for (size_t i = 0; !rc && i < o->nplayback; i++)
        if (access(o->playback[i], R_OK)) {
            snprintf(err, errcap, "--playback '%s': %s", o->playback[i], strerror(errno));
            rc = -1;
        }
    if (!rc && s->scene)
        rc = psv_events_start(s, err, errcap);
    if (!rc)
        rc = bind_listen(s, err, errcap);
    if (!rc && start_daemon(s, err, errcap)) {
        close(s->listen_fd);
        rc = -1;
    }
    if (rc) {
        psv_stop(s);
        return -1;
    }
    *out = s;
    return 0;
}

const char *psv_url(const psv_server *s) { return s->url; }
size_t psv_diagnostic_count(const psv_server *s) { return s->ndiag; }
const char *psv_diagnostic(const psv_server *s, size_t i) { return i < s->ndiag ? s->diag[i] : NULL; }

void psv_stop(psv_server *s) {
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    if (s->scene)
        psv_scene_wake(s->scene);
    psv_events_stop(s); /* resumes every event stream, which then ends */
    if (s->daemon)
        MHD_stop_daemon(s->daemon); /* waits for the connections' threads, closes the socket */
    psv_scene_free(s->scene);
    psv_repo_free(s->repo);
    for (size_t i = 0; i < s->ndiag; i++)
        free(s->diag[i]);
    free(s->diag);
    free(s->token);
    free(s->web_dir);
    free(s->streams);
    pthread_mutex_destroy(&s->streams_mu);
    free(s);
}
