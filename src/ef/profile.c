/* Per-node timing (count, mean, max per instance) and Chrome trace-event
 * export (complete events, viewable in chrome://tracing or Perfetto). */
#include "ef_internal.h"

#include <stdio.h>

void ef_context_set_profiling(ef_context *c, int on) { atomic_store(&c->profiling, on ? 1 : 0); }
void ef_context_set_tracing(ef_context *c, int on) { atomic_store(&c->tracing, on ? 1 : 0); }

void ef_profile_record(ef_context *c, const ef_path *up, ef_node *n, uint64_t t0, uint64_t t1) {
    ef_path p;
    ef_path_copy(&p, up);
    if (ef_path_push(&p, n)) return;
    uint64_t d = t1 - t0;
    if (atomic_load(&c->profiling)) {
        ef_state *s = ef_statemap_get(&c->states, &p, 1);
        if (s) {
            atomic_fetch_add(&s->t_count, 1);
            atomic_fetch_add(&s->t_total, d);
            uint64_t m = atomic_load(&s->t_max);
            while (d > m && !atomic_compare_exchange_weak(&s->t_max, &m, d)) {}
        }
    }
    if (atomic_load(&c->tracing)) {
        char buf[1024];
        ef_path_format(&p, buf, sizeof buf);
        ef_trace_event ev = {ef_strdup(n->name), ef_strdup(buf), t0 - c->t0_ns, d, ef_thread_id()};
        pthread_mutex_lock(&c->trace_mu);
        if (PBASE_RESERVE(c->trace, c->trace_cap, c->trace_n + 1)) {
            c->trace[c->trace_n++] = ev;
        } else {
            free((char *)ev.name);
            free(ev.path);
        }
        pthread_mutex_unlock(&c->trace_mu);
    }
}

int ef_context_timing(ef_context *c, const ef_path *path, ef_timing *out) {
    ef_state *s = ef_statemap_get(&c->states, path, 0);
    if (!s || !atomic_load(&s->t_count)) return -1;
    out->count = atomic_load(&s->t_count);
    out->total_ns = atomic_load(&s->t_total);
    out->max_ns = atomic_load(&s->t_max);
    out->mean_ns = (double)out->total_ns / (double)out->count;
    return 0;
}

typedef struct {
    ef_context *c;
    FILE *out;
    int err;
} dump_ctx;

int ef_context_dump_timing(ef_context *c, FILE *out) {
    pthread_mutex_lock(&c->inst_mu);
    ef_context_refresh_instances(c);
    int err = fprintf(out, "%-48s %10s %12s %12s\n", "path", "count", "mean_us", "max_us") < 0;
    for (size_t i = 0; i < c->inst_n && !err; i++) {
        ef_timing t;
        if (ef_context_timing(c, &c->inst[i].path, &t)) continue;
        char buf[1024];
        ef_path_format(&c->inst[i].path, buf, sizeof buf);
        err = fprintf(out, "%-48s %10llu %12.3f %12.3f\n", buf, (unsigned long long)t.count, t.mean_ns / 1000.0,
                      (double)t.max_ns / 1000.0) < 0;
    }
    pthread_mutex_unlock(&c->inst_mu);
    return err ? -1 : 0;
}

int ef_context_write_trace(ef_context *c, FILE *out) {
    pthread_mutex_lock(&c->trace_mu);
    fprintf(out, "{\"traceEvents\":[\n");
    for (size_t i = 0; i < c->trace_n; i++) {
        const ef_trace_event *e = &c->trace[i];
        fprintf(out, "%s{\"name\":", i ? ",\n" : "");
        pbase_json_string(out, e->name);
        fprintf(out, ",\"cat\":\"ef\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":1,\"tid\":%u,\"args\":{\"path\":",
                (double)e->ts_ns / 1000.0, (double)e->dur_ns / 1000.0, e->tid);
        pbase_json_string(out, e->path);
        fprintf(out, "}}");
    }
    fprintf(out, "\n],\"displayTimeUnit\":\"ns\"}\n");
    pthread_mutex_unlock(&c->trace_mu);
    return ferror(out) ? -1 : 0;
}

size_t ef_context_trace_count(ef_context *c) {
    pthread_mutex_lock(&c->trace_mu);
    size_t n = c->trace_n;
    pthread_mutex_unlock(&c->trace_mu);
    return n;
}
