/* The KServe v2 REST endpoints (the "Open Inference Protocol", as Triton
 * serves it): health, server and model metadata, model readiness, inference,
 * and Triton's repository index. Errors are {"error": "..."}. */
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

#ifndef PORTALIS_VERSION
#define PORTALIS_VERSION "unknown"
#endif

static void ok_bool(psv_resp *rs, int status, const char *key, bool v, const char *name) {
    psv_out o;
    if (!psv_out_start(&o, rs))
        return;
    pbase_json_begin_object(&o.j);
    if (name) {
        pbase_json_kv_str(&o.j, "name", name);
    }
    pbase_json_key(&o.j, key);
    pbase_json_bool(&o.j, v);
    pbase_json_end_object(&o.j);
    psv_resp_take(rs, status, "application/json", &o);
}

static bool server_ready(psv_server *s) {
    for (size_t i = 0; s->repo && i < s->repo->n; i++)
        if (!psv_model_ready(&s->repo->m[i]))
            return false;
    return true;
}

static void server_metadata(psv_resp *rs) {
    psv_out o;
    if (!psv_out_start(&o, rs))
        return;
    pbase_json_begin_object(&o.j);
    pbase_json_kv_str(&o.j, "name", "portalis");
    pbase_json_kv_str(&o.j, "version", PORTALIS_VERSION);
    pbase_json_key(&o.j, "extensions");
    pbase_json_begin_array(&o.j);
    pbase_json_str(&o.j, "binary_tensor_data");
    pbase_json_str(&o.j, "model_repository");
    pbase_json_end_array(&o.j);
    pbase_json_end_object(&o.j);
    psv_resp_take(rs, 200, "application/json", &o);
}

static void tensors_json(pbase_json *j, const psv_model *m, const psv_tensor_spec *t, size_t n) {
    pbase_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        pbase_json_begin_object(j);
        pbase_json_kv_str(j, "name", t[i].name);
        pbase_json_kv_str(j, "datatype", psv_dtype_name(t[i].dtype));
        pbase_json_key(j, "shape");
        pbase_json_begin_array(j);
        if (m->max_batch > 0)
            pbase_json_int(j, -1);
        for (int d = 0; d < t[i].ndims; d++)
            pbase_json_int(j, t[i].dims[d]);
        pbase_json_end_array(j);
        pbase_json_end_object(j);
    }
    pbase_json_end_array(j);
}

static void model_metadata(const psv_model *m, psv_resp *rs) {
    psv_out o;
    if (!psv_out_start(&o, rs))
        return;
    pbase_json *j = &o.j;
    pbase_json_begin_object(j);
    pbase_json_kv_str(j, "name", m->name);
    pbase_json_key(j, "versions");
    pbase_json_begin_array(j);
    for (size_t i = 0; i < m->nv; i++) {
        char v[24];
        snprintf(v, sizeof v, "%lld", (long long)m->v[i].number);
        pbase_json_str(j, v);
    }
    pbase_json_end_array(j);
    pbase_json_kv_str(j, "platform", "wasm");
    pbase_json_key(j, "inputs");
    tensors_json(j, m, m->in, m->nin);
    pbase_json_key(j, "outputs");
    tensors_json(j, m, m->out, m->nout);
    pbase_json_end_object(j);
    psv_resp_take(rs, 200, "application/json", &o);
}

/* POST /v2/repository/index (Triton's model repository extension). */
static void repository_index(psv_server *s, psv_resp *rs) {
    psv_out o;
    if (!psv_out_start(&o, rs))
        return;
    pbase_json *j = &o.j;
    pbase_json_begin_array(j);
    for (size_t i = 0; s->repo && i < s->repo->n; i++) {
        const psv_model *m = &s->repo->m[i];
        for (size_t k = 0; k < m->nv || (k == 0 && m->nv == 0); k++) {
            pbase_json_begin_object(j);
            pbase_json_kv_str(j, "name", m->name);
            if (m->nv) {
                char v[24];
                snprintf(v, sizeof v, "%lld", (long long)m->v[k].number);
                pbase_json_kv_str(j, "version", v);
            }
            bool ready = m->nv && m->v[k].ready;
            pbase_json_kv_str(j, "state", ready ? "READY" : "UNAVAILABLE");
            if (!ready) {
                pbase_json_kv_str(j, "reason", m->nv ? m->v[k].error : m->error ? m->error : "no version folder");
            }
            pbase_json_end_object(j);
        }
    }
    pbase_json_end_array(j);
    psv_resp_take(rs, 200, "application/json", &o);
}

static bool method_is(const psv_req *rq, psv_resp *rs, const char *method) {
    if (!strcmp(rq->method, method))
        return true;
    psv_resp_error(rs, 405, "%s %s: use %s", rq->method, rq->url, method);
    return false;
}

/* /v2/models/<m>[/versions/<v>][/ready|/infer]. */
static void model_route(psv_server *s, const psv_req *rq, const char *rest, psv_resp *rs) {
    char name[256] = "", version[32] = "", tail[32] = "";
    const char *slash = strchr(rest, '/');
    size_t nlen = slash ? (size_t)(slash - rest) : strlen(rest);
    if (nlen == 0 || nlen >= sizeof name) {
        psv_resp_error(rs, 404, "no model name in '%s'", rq->url);
        return;
    }
    memcpy(name, rest, nlen);
    rest += nlen;
    if (!strncmp(rest, "/versions/", 10)) {
        rest += 10;
        size_t vlen = strcspn(rest, "/");
        if (vlen == 0 || vlen >= sizeof version) {
            psv_resp_error(rs, 404, "bad version in '%s'", rq->url);
            return;
        }
        memcpy(version, rest, vlen);
        rest += vlen;
    }
    if (*rest && (rest[0] != '/' || strlen(rest + 1) >= sizeof tail || strchr(rest + 1, '/'))) {
        psv_resp_error(rs, 404, "no endpoint '%s' (docs/serve.md)", rq->url);
        return;
    }
    if (*rest)
        strcpy(tail, rest + 1);
    psv_model *m = psv_repo_model(s->repo, name);
    psv_version *v = m ? psv_model_version(m, version) : NULL;
    if (!m) {
        psv_resp_error(rs, 404, "unknown model '%s'", name);
    } else if (!v && *version) {
        psv_resp_error(rs, 404, "model '%s' has no version %s", name, version);
    } else if (!v) {
        psv_resp_error(rs, 503, "model '%s' has no version folder holding its module", name);
    } else if (!*tail) {
        if (method_is(rq, rs, "GET"))
            model_metadata(m, rs);
    } else if (!strcmp(tail, "ready")) {
        if (method_is(rq, rs, "GET"))
            ok_bool(rs, v->ready ? 200 : 503, "ready", v->ready, m->name);
    } else if (!strcmp(tail, "infer")) {
        if (method_is(rq, rs, "POST"))
            psv_infer(s, m, v, rq, rs);
    } else {
        psv_resp_error(rs, 404, "no endpoint '%s' (docs/serve.md)", rq->url);
    }
}

bool psv_kserve_route(psv_server *s, const psv_req *rq, psv_resp *rs) {
    const char *u = rq->url;
    if (strcmp(u, "/v2") && strncmp(u, "/v2/", 4))
        return false;
    if (!strcmp(u, "/v2") || !strcmp(u, "/v2/")) {
        if (method_is(rq, rs, "GET"))
            server_metadata(rs);
    } else if (!strcmp(u, "/v2/health/live")) {
        if (method_is(rq, rs, "GET"))
            ok_bool(rs, 200, "live", true, NULL);
    } else if (!strcmp(u, "/v2/health/ready")) {
        bool r = server_ready(s);
        if (method_is(rq, rs, "GET"))
            ok_bool(rs, r ? 200 : 503, "ready", r, NULL);
    } else if (!strcmp(u, "/v2/repository/index")) {
        if (method_is(rq, rs, "POST"))
            repository_index(s, rs);
    } else if (!strncmp(u, "/v2/models/", 11) && s->repo) {
        model_route(s, rq, u + 11, rs);
    } else if (!strncmp(u, "/v2/models/", 11)) {
        psv_resp_error(rs, 404, "no model repository is served (portalis serve --models DIR)");
    } else {
        psv_resp_error(rs, 404, "no endpoint '%s' (docs/serve.md)", u);
    }
    return true;
}
