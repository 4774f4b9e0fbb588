/* GET /metrics in the Prometheus text exposition format: HTTP requests,
 * inference requests, rows and latency per model, and the scene's frames,
 * frame-time histogram and per-module calls, errors and latency (scene.c). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

const double psv_latency_bounds[] = {25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3,
                                     10e-3, 25e-3, 50e-3,  0.1,    0.25,   1,    2.5};
const size_t psv_latency_nbounds = sizeof psv_latency_bounds / sizeof psv_latency_bounds[0];

void psv_stats_record(psv_model_stats *st, uint64_t ns, size_t rows, bool ok) {
    double s = (double)ns * 1e-9;
    pthread_mutex_lock(&st->mu);
    st->requests++;
    st->failures += !ok;
    st->rows += ok ? rows : 0;
    st->sum_s += s;
    size_t b = 0;
    while (b < psv_latency_nbounds && s > psv_latency_bounds[b])
        b++;
    st->le_counts[b]++;
    pthread_mutex_unlock(&st->mu);
}

void psv_write_histogram(FILE *f, const char *name, const char *labels, const uint64_t *counts, double sum) {
    uint64_t cum = 0;
    for (size_t b = 0; b <= psv_latency_nbounds; b++) {
        cum += counts[b];
        if (b < psv_latency_nbounds)
            fprintf(f, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, *labels ? "," : "", psv_latency_bounds[b],
                    (unsigned long long)cum);
        else
            fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, *labels ? "," : "",
                    (unsigned long long)cum);
    }
    fprintf(f, "%s_sum{%s} %.9g\n%s_count{%s} %llu\n", name, labels, sum, name, labels, (unsigned long long)cum);
}

static void counter(FILE *f, const char *name, const char *help, psv_repo *r, const psv_model_stats *snap,
                    size_t field) {
    fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (size_t i = 0; i < r->n; i++)
        fprintf(f, "%s{model=\"%s\"} %llu\n", name, r->m[i].name,
                (unsigned long long)*(const uint64_t *)((const char *)&snap[i] + field));
}

static void model_metrics(psv_repo *r, FILE *f) {
    psv_model_stats *snap = calloc(r->n ? r->n : 1, sizeof *snap);
    if (!snap)
        return;
    for (size_t i = 0; i < r->n; i++) {
        pthread_mutex_lock(&r->m[i].stats.mu);
        snap[i] = r->m[i].stats; /* the copy's mutex is never used */
        pthread_mutex_unlock(&r->m[i].stats.mu);
    }
    counter(f, "portalis_inference_requests_total", "Inference requests per model.", r, snap,
            offsetof(psv_model_stats, requests));
    counter(f, "portalis_inference_failures_total", "Inference requests answered with an error.", r, snap,
            offsetof(psv_model_stats, failures));
    counter(f, "portalis_inference_rows_total", "Rows (batch elements) inferred.", r, snap,
            offsetof(psv_model_stats, rows));
    fprintf(f, "# HELP portalis_inference_latency_seconds Time to answer an inference request.\n"
               "# TYPE portalis_inference_latency_seconds histogram\n");
    for (size_t i = 0; i < r->n; i++) {
        char labels[300];
        snprintf(labels, sizeof labels, "model=\"%s\"", r->m[i].name);
        psv_write_histogram(f, "portalis_inference_latency_seconds", labels, snap[i].le_counts, snap[i].sum_s);
    }
    free(snap);
}

void psv_metrics(psv_server *s, psv_resp *rs) {
    psv_out o;
    if (!psv_out_open(&o)) {
        psv_resp_error(rs, 500, "out of memory");
        return;
    }
    fprintf(o.f,
            "# HELP portalis_http_requests_total HTTP requests answered.\n# TYPE portalis_http_requests_total "
            "counter\nportalis_http_requests_total %llu\n"
            "# HELP portalis_http_errors_total HTTP requests answered with a status of 400 or more.\n"
            "# TYPE portalis_http_errors_total counter\nportalis_http_errors_total %llu\n",
            (unsigned long long)atomic_load(&s->http_requests), (unsigned long long)atomic_load(&s->http_errors));
    if (s->repo)
        model_metrics(s->repo, o.f);
    if (s->scene)
        psv_scene_metrics(s->scene, o.f);
    psv_resp_take(rs, 200, "text/plain; version=0.0.4", &o);
}
