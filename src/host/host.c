/* The update loop's public API: open, frames, triggers and events,
 * queries and the report. See include/portalis/host.h and docs/host.md. */
#include "host_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

ph_config ph_config_default(void) {
    ph_config c = {0};
    c.fps = 0; /* the scene's (docs/host.md, Time) */
    c.threads = 1;
    c.call_budget_ns = 100000000u;
    c.max_memory_mb = (uint32_t)(PW_DEFAULT_MEMORY_CAP >> 20); /* the engine's default cap: 1 GiB */
    c.max_substeps = 8;
    c.max_overruns = 3;
    c.record = true;
    c.record_memory_bytes = REC_MEMORY_BUDGET;
    return c;
}

int ph_host_open(const char *scene_path, const ph_config *cfg, ph_host **out, char *err, size_t errcap) {
    *out = NULL;
    ph_host *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    h->cfg = cfg ? *cfg : ph_config_default();
    if (!h->cfg.threads)
        h->cfg.threads = 1;
    if (!h->cfg.record_memory_bytes)
        h->cfg.record_memory_bytes = REC_MEMORY_BUDGET;
    pthread_mutex_init(&h->lock, NULL);
    h->spill_fd = -1;
    h->scene_path = ph__xstrdup(scene_path);
    h->reg = pusd_schema_registry_new();
    if (!h->reg || ph__scan(h, err, errcap)) {
        ph_host_free(h);
        return -1;
    }
    *out = h;
    return 0;
}

void ph_host_free(ph_host *h) {
    if (!h)
        return;
    ph__teardown(h);
    ph__free_chans(h);
    if (h->reg)
        pusd_schema_registry_free(h->reg);
    for (size_t i = 0; i < h->ndiag; i++)
        free(h->diag[i]);
    free(h->diag);
    ph__free_strs(h->events_now, h->nevents_now);
    ph__free_strs(h->events_next, h->nevents_next);
    pthread_mutex_destroy(&h->lock);
    if (h->spill_fd >= 0)
        close(h->spill_fd);
    free(h->scene_path);
    free(h);
}

/* Folds this frame's steps into each module's statistics: runs (frames in
 * which it ran), steps, latency per frame, and for sub-stepped continuous
 * modules the steps beyond max_substeps (the frame was divided into fewer,
 * longer steps). */
static void account_frame(ph_host *h) {
    for (size_t i = 0; i < h->nmods; i++) {
        hmod *m = h->mods[i];
        if (m->ran_frame) {
            m->runs++;
            m->steps += m->frame_steps;
            pb_histogram_record(&m->lat, m->frame_ns);
            if (m->mode == MODE_CONTINUOUS && m->rate > h->time.fps && m->runs > 1) {
                double ideal = ceil(m->rate / h->time.fps - 1e-9);
                if (ideal > m->frame_steps)
                    m->skipped += (uint64_t)ideal - m->frame_steps;
            }
        }
        m->ran_frame = m->failed_frame = false;
        m->frame_steps = 0;
        m->frame_ns = 0;
    }
}

int ph_host_step(ph_host *h) {
    uint64_t t0 = pb_now_ns();
    h->t = (double)h->frame / h->time.fps;
    h->frame_failed = false;
    ph__events_deliver(h);
    /* animated unconnected inputs, at this frame's time code */
    double tc = ph_host_time_code(h, h->frame);
    for (size_t i = 0; i < h->nch; i++)
        if (h->ch[i].animated && h->ch[i].src < 0)
            ph__chan_read_stage(h, &h->ch[i], tc);
    ef_context_set_frame_time(h->ctx, h->t);
    ef_context_execute(h->ctx);
    account_frame(h);
    if (h->cfg.record)
        ph__record_frame(h);
    h->frame++;
    uint64_t dtn = pb_now_ns() - t0;
    pb_histogram_record(&h->frame_lat, dtn);
    h->wall_s += (double)dtn * 1e-9;
    return h->frame_failed ? 1 : 0;
}

int ph_host_run(ph_host *h, uint64_t frames, ph_progress_fn progress, void *user) {
    int rc = 0;
    uint64_t start = pb_now_ns();
    double fps = h->time.fps;
    for (uint64_t i = 0; i < frames; i++) {
        if (h->cfg.realtime) {
            uint64_t due = start + (uint64_t)((double)i * 1e9 / fps);
            uint64_t now = pb_now_ns();
            if (due > now) {
                struct timespec ts = {(time_t)((due - now) / 1000000000u), (long)((due - now) % 1000000000u)};
                nanosleep(&ts, NULL);
            }
            /* live editing: pick up scene changes about once a second */
            if (i && i % (uint64_t)(fps > 1 ? fps : 1) == 0) {
                char e[256];
                ph_host_rescan(h, false, e, sizeof e);
            }
        }
        rc |= ph_host_step(h);
        if (progress)
            progress(i + 1, frames, user);
    }
    return rc;
}

uint64_t ph_host_frame(const ph_host *h) { return h->frame; }

double ph_host_time(const ph_host *h) { return (double)h->frame / h->time.fps; }

void ph_host_time_settings(const ph_host *h, ph_time *out) { *out = h->time; }

int ph_host_trigger(ph_host *h, const char *prim_path) {
    hmod *m = ph__mod_of_prim(h, prim_path);
    if (!m)
        return -1;
    m->trigger = true;
    return 0;
}

int ph_host_set_module_paused(ph_host *h, const char *prim_path, bool paused) {
    hmod *m = ph__mod_of_prim(h, prim_path);
    if (!m)
        return -1;
    m->paused = paused;
    return 0;
}

int ph_host_set_module_fuel(ph_host *h, const char *prim_path, uint64_t fuel) {
    hmod *m = ph__mod_of_prim(h, prim_path);
    if (!m || !m->fn.store || !h->cfg.call_fuel)
        return -1;
    m->fn.fuel = fuel;
    return 0;
}

int ph_host_post_event(ph_host *h, const char *name) { return ph__events_post(h, name); }

long ph_host_get_value(ph_host *h, const char *prim_path, const char *attr, double *out, size_t n) {
    int i = ph__find_chan(h, prim_path, attr);
    if (i < 0)
        return -1;
    chan *c = ph__resolve_chan(h, i);
    size_t w = ph__chan_width(c);
    memcpy(out, ph__chan_data(c), (n < w ? n : w) * sizeof(double));
    return (long)w;
}

size_t ph_host_motion_count(const ph_host *h) {
    size_t n = 0;
    for (size_t i = 0; i < h->nch; i++)
        n += h->ch[i].motion.frames > 0;
    return n;
}

int ph_host_motion(const ph_host *h, size_t i, ph_motion *o) {
    for (size_t k = 0; k < h->nch; k++) {
        const chan *c = &h->ch[k];
        if (!c->motion.frames || i--)
            continue;
        *o = (ph_motion){
            .prim = c->prim, .attr = c->attr, .elements = c->motion.elements, .frames = c->motion.frames};
        memcpy(o->first, c->motion.first, sizeof o->first);
        memcpy(o->last, c->motion.last, sizeof o->last);
        memcpy(o->lo, c->motion.lo, sizeof o->lo);
        memcpy(o->hi, c->motion.hi, sizeof o->hi);
        return 0;
    }
    return -1;
}

size_t ph_host_module_count(const ph_host *h) { return h->nmods; }

int ph_host_module_info(const ph_host *h, size_t i, ph_module_info *o) {
    if (i >= h->nmods)
        return -1;
    hmod *m = h->mods[i];
    memset(o, 0, sizeof *o);
    o->prim_path = m->path;
    o->schema = m->schema;
    o->wasm_path = m->wasm_path;
    o->entry = m->entry;
    o->binding = m->pure ? "pure" : "tick";
    o->mode = m->mode_name;
    o->stage = m->stage;
    o->order_key = m->order_key;
    o->update_rate = m->rate;
    o->state = m->state;
    o->runs = m->runs;
    o->steps = m->steps;
    o->skipped_steps = m->skipped;
    o->overruns = m->overruns;
    o->traps = m->traps;
    o->load_ns = m->load_ns;
    pw_memory *mem = m->id ? pb_module_memory(h->bridge, m->id) : NULL;
    o->memory_bytes = mem ? pw_memory_size(mem) : 0;
    o->latency = &m->lat;
    o->last_error = m->last_error;
    o->paused = m->paused;
    o->last_fuel = m->last_fuel;
    o->tier = m->id ? pw_tier_name(pb_module_tier(h->bridge, m->id, &o->tier_note)) : "";
    return 0;
}

size_t ph_host_diagnostic_count(const ph_host *h) { return h->ndiag; }

const char *ph_host_diagnostic(const ph_host *h, size_t i) { return i < h->ndiag ? h->diag[i] : NULL; }

void ph_host_report(const ph_host *h, ph_report *o) {
    memset(o, 0, sizeof *o);
    o->frames = h->frame;
    o->wall_s = h->wall_s;
    o->frame_latency = &h->frame_lat;
    o->load_ns = h->load_ns;
    o->scene_ns = h->scene_ns;
    o->modules = h->nmods;
    for (size_t i = 0; i < h->nmods; i++) {
        ph_mod_state st = h->mods[i]->state;
        if (st != PH_MOD_ACTIVE && st != PH_MOD_DISABLED_BY_SCENE)
            o->failed_modules++;
        if (st != PH_MOD_LOAD_FAILED && st != PH_MOD_DISABLED_BY_SCENE)
            o->loaded_modules++;
    }
    for (size_t i = 0; i < h->nch; i++)
        if (h->ch[i].rec.frames)
            o->recorded_attributes++;
}

ef_graph *ph_host_graph(ph_host *h) { return h->graph; }

pb_bridge *ph_host_bridge(ph_host *h) { return h->bridge; }

pusd_stage *ph_host_stage(ph_host *h) { return h->stage; }
