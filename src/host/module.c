/* Running a module: binding its entry function (pure or tick), one step
 * at the time and dt the execution framework gives, the execution modes and
 * the failure policy (docs/host.md). */
#include "host_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURE_MAX_SLOTS 64 /* parameters or results of a pure binding */

static uint64_t to_slot_kind(pw_valkind k, double d) {
    uint64_t s = 0;
    switch (k) {
    case PW_F64: memcpy(&s, &d, 8); break;
    case PW_F32: {
        float f = (float)d;
        memcpy(&s, &f, 4);
        break;
    }
    case PW_I64: s = (uint64_t)ph__sat_i64(d); break;
    default: s = (uint32_t)ph__sat_i32(d); break;
    }
    return s;
}

static double from_slot_kind(pw_valkind k, uint64_t s) {
    switch (k) {
    case PW_F64: {
        double d;
        memcpy(&d, &s, 8);
        return d;
    }
    case PW_F32: {
        float f;
        memcpy(&f, &s, 4);
        return f;
    }
    case PW_I64: return (double)(int64_t)s;
    default: return (double)(int32_t)(uint32_t)s;
    }
}

/* Makes sure the array buffer of param p holds bytes; allocates through the
 * module's portalis_alloc export. */
static int ensure_buf(hmod *m, param *p, size_t bytes, pb_error *err) {
    if (bytes <= p->mem_cap && p->mem)
        return 0;
    if (!m->has_alloc) {
        snprintf(
            err->message, sizeof err->message,
            "module needs array data but exports no 'portalis_alloc(i32) -> i32' (docs/abi.md, bulk arrays)");
        return -1;
    }
    uint64_t slot = (uint32_t)(bytes ? bytes : 8);
    if (pb_func_call_slots(&m->alloc, &slot, err))
        return -1;
    p->mem = (uint32_t)slot;
    p->mem_cap = bytes;
    if (!p->mem) {
        snprintf(err->message, sizeof err->message, "portalis_alloc(%zu) returned 0", bytes);
        return -1;
    }
    return 0;
}

/* Elements an array output may receive in this call: its declared capacity,
 * else the element count of the binding's first input array. */
static size_t out_capacity(const chan *c, size_t array_count) { return c->capacity ? c->capacity : array_count; }

/* The arguments of one call into slots; 0 or -1 (err set). */
static int pure_args(hmod *m, double t, double dt, uint64_t *slots, size_t array_count, pb_error *err) {
    ph_host *h = m->h;
    for (size_t i = 0; i < m->nparams; i++) {
        param *p = &m->params[i];
        chan *c = p->chan >= 0 ? ph__resolve_chan(h, p->chan) : NULL;
        switch (p->kind) {
        case P_TIME: slots[i] = to_slot_kind(p->vk, t); break;
        case P_DT: slots[i] = to_slot_kind(p->vk, dt); break;
        case P_FRAME: slots[i] = to_slot_kind(p->vk, (double)h->frame); break;
        case P_SCALAR: slots[i] = to_slot_kind(p->vk, ph__chan_data(c)[0]); break;
        case P_COUNT: /* of an own array output: what it may receive */
            slots[i] = to_slot_kind(
                p->vk,
                (double)(h->ch[p->chan].is_output && c->is_array ? out_capacity(c, array_count) : c->count));
            break;
        case P_ARRAY: {
            size_t bytes = ph__chan_width(c) * sizeof(double);
            if (ensure_buf(m, p, bytes, err))
                return -1;
            if (p->copied_version != c->version || !c->version) {
                m->mem = m->mem ? m->mem : pb_module_memory(h->bridge, m->id);
                if (!m->mem || !pw_memory_write(m->mem, p->mem, c->arr, bytes)) {
                    snprintf(err->message, sizeof err->message, "array buffer out of bounds");
                    return -1;
                }
                p->copied_version = c->version;
            }
            slots[i] = p->mem;
            break;
        }
        case P_OUT_ARRAY:
            if (ensure_buf(m, p, out_capacity(c, array_count) * (size_t)c->ncomp * sizeof(double), err))
                return -1;
            slots[i] = p->mem;
            break;
        }
    }
    return 0;
}

/* Elements the module wrote to array output c: what its "count:" result
 * says (checked against the capacity), else the capacity. -1 (err set)
 * when the count is out of range. */
static long written(const hmod *m, const chan *c, const uint64_t *slots, size_t cap, pb_error *err) {
    for (size_t i = 0; i < m->nresults && i < m->fn.nresults; i++) {
        if (m->results[i] >= 0 || &m->h->ch[-1 - m->results[i]] != c)
            continue;
        double n = from_slot_kind(m->fn.results[i], slots[i]);
        if (!(n >= 0 && n <= (double)cap)) {
            snprintf(err->message, sizeof err->message,
                     "'%s' returned %.17g as the element count of %s, which holds 0 to %zu (its capacity: "
                     "wasm:%s:capacity, docs/abi.md)",
                     m->entry, n, c->attr, cap, c->attr);
            return -1;
        }
        return (long)n;
    }
    return (long)cap;
}

/* Array outputs: one copy back of what the module wrote. */
static int copy_out_arrays(hmod *m, const uint64_t *slots, size_t array_count, pb_error *err) {
    ph_host *h = m->h;
    for (size_t i = 0; i < m->nparams; i++) {
        param *p = &m->params[i];
        if (p->kind != P_OUT_ARRAY)
            continue;
        chan *c = &h->ch[p->chan];
        long k = written(m, c, slots, out_capacity(c, array_count), err);
        if (k < 0)
            return -1;
        size_t n = (size_t)k * (size_t)c->ncomp;
        if (n > c->cap) {
            double *a = realloc(c->arr, n * sizeof *a + 8);
            if (!a) {
                snprintf(err->message, sizeof err->message, "out of memory for %s", c->attr);
                return -1;
            }
            c->arr = a;
            c->cap = n;
        }
        if (!m->mem || !pw_memory_read(m->mem, p->mem, c->arr, n * sizeof(double))) {
            snprintf(err->message, sizeof err->message, "array result out of bounds");
            return -1;
        }
        c->count = (size_t)k;
        c->version++;
    }
    return 0;
}

/* One call of a pure binding at time t. */
static int run_pure(hmod *m, double t, double dt, pb_error *err) {
    ph_host *h = m->h;
    uint64_t slots[PURE_MAX_SLOTS];
    size_t array_count = 0;
    for (size_t i = 0; i < m->nparams; i++) {
        param *p = &m->params[i];
        chan *c = p->chan >= 0 ? ph__resolve_chan(h, p->chan) : NULL;
        if (c && c->is_array && !array_count && p->kind == P_ARRAY)
            array_count = c->count;
    }
    if (pure_args(m, t, dt, slots, array_count, err) || pb_func_call_slots(&m->fn, slots, err))
        return -1;
    if (!m->mem) /* the handle stays valid when the memory grows; look it up once */
        m->mem = pb_module_memory(h->bridge, m->id);
    if (copy_out_arrays(m, slots, array_count, err))
        return -1;
    for (size_t i = 0; i < m->nresults && i < m->fn.nresults; i++) {
        if (m->results[i] < 0)
            continue; /* an element count, used above */
        chan *c = &h->ch[m->results[i]];
        pw_valkind k = m->fn.results[i];
        if (c->ncomp > 1 && k == PW_I32) {
            double v[16];
            uint32_t ptr = (uint32_t)slots[i];
            if (!m->mem || !pw_memory_read(m->mem, ptr, v, (size_t)c->ncomp * sizeof(double))) {
                snprintf(err->message, sizeof err->message, "result pointer %u for %s is out of bounds", ptr,
                         c->attr);
                return -1;
            }
            ph__chan_set(c, v, (size_t)c->ncomp);
        } else {
            double v = from_slot_kind(k, slots[i]);
            ph__chan_set(c, &v, 1);
        }
    }
    return 0;
}

static int run_tick(hmod *m, double t, double dt, pb_error *err) {
    uint64_t slots[2];
    if (m->fn.nparams == 2) {
        slots[0] = to_slot_kind(m->fn.params[0], t);
        slots[1] = to_slot_kind(m->fn.params[1], dt);
    }
    return pb_func_call_slots(&m->fn, slots, err) ? -1 : 0;
}

/* Handles a failed step per the failure policy. Returns EF status. */
static ef_status step_failed(hmod *m, ef_task *task, const pb_error *err) {
    ph_host *h = m->h;
    h->frame_failed = true;
    char msg[800];
    if (err->status == PB_ERR_BUDGET) {
        m->overruns++;
        m->consecutive_overruns++;
        bool disable = h->cfg.max_overruns && m->consecutive_overruns >= h->cfg.max_overruns;
        snprintf(msg, sizeof msg, "prim %s: frame %llu: over budget (%s)%s", m->path,
                 (unsigned long long)h->frame, err->message,
                 disable ? "; disabled after too many consecutive overruns" : "; step skipped");
        if (disable)
            m->state = PH_MOD_OVER_BUDGET;
    } else {
        m->traps++;
        snprintf(msg, sizeof msg, "prim %s: frame %llu: %s; module disabled for the rest of the run", m->path,
                 (unsigned long long)h->frame, err->message);
        m->state = PH_MOD_TRAPPED;
    }
    ph__set_error(m, msg);
    ph__diag(h, "%s", msg);
    return task ? ef_task_fail(task, "%s", msg) : EF_FAILURE;
}

static bool event_pending(hmod *m) {
    ph_host *h = m->h;
    for (size_t i = 0; i < m->nevents; i++)
        for (size_t j = 0; j < h->nevents_now; j++)
            if (!strcmp(m->events[i], h->events_now[j]))
                return true;
    return false;
}

static bool inputs_changed(hmod *m) {
    bool changed = false;
    for (size_t i = 0; i < m->ninputs; i++) {
        chan *c = ph__resolve_chan(m->h, m->inputs[i]);
        if (c->version != m->seen_versions[i])
            changed = true;
    }
    return changed;
}

static void remember_inputs(hmod *m) {
    for (size_t i = 0; i < m->ninputs; i++)
        m->seen_versions[i] = ph__resolve_chan(m->h, m->inputs[i])->version;
}

/* The EF node of a module. */
/* Whether a module that is not continuous runs in this frame. */
static bool due_this_frame(hmod *m) {
    if (m->mode == MODE_ON_DEMAND)
        return m->trigger;
    return !m->ever_ran || inputs_changed(m) || event_pending(m);
}

/* The EF node of a module: one step at the time and dt the execution
 * framework gives (a continuous module with its own wasm:updateRate is
 * wrapped in an EF_STEP_RATE definition, which calls this once per
 * sub-step; see scan.c). on_demand and event_driven modules run at most once
 * per frame, with dt = the time since their previous run. */
ef_status ph__module_exec(ef_task *task, void *user) {
    hmod *m = user;
    if (m->state != PH_MOD_ACTIVE || m->failed_frame || m->paused)
        return EF_SKIP;
    double t = ef_task_time(task), dt = ef_task_dt(task);
    if (m->mode != MODE_CONTINUOUS) {
        if (!due_this_frame(m))
            return EF_SKIP;
        m->trigger = false;
        if (m->ever_ran)
            dt = t - m->last_run_time;
        remember_inputs(m);
    }
    pb_error err = {0};
    uint64_t t0 = pb_now_ns();
    bool ok = (m->pure ? run_pure(m, t, dt, &err) : run_tick(m, t, dt, &err)) == 0;
    uint64_t fuel = m->fn.fuel ? m->fn.fuel : m->h->cfg.call_fuel;
    if (fuel)
        m->last_fuel = fuel - pw_store_fuel(m->fn.store);
    m->frame_ns += pb_now_ns() - t0;
    m->frame_steps++;
    m->ran_frame = true;
    m->ever_ran = true;
    m->last_run_time = t;
    if (!ok) {
        m->failed_frame = true; /* the rest of this frame's steps are abandoned */
        return step_failed(m, task, &err);
    }
    m->consecutive_overruns = 0;
    return EF_SUCCESS;
}

int ph__bind_tick(hmod *m) {
    const pb_func *f = &m->fn;
    bool ok = (f->nparams == 0 || (f->nparams == 2 && f->params[0] == f->params[1] &&
                                   (f->params[0] == PW_F64 || f->params[0] == PW_F32))) &&
              f->nresults == 0;
    if (!ok)
        ph__load_failed(
            m,
            "tick entry function '%s' must have type (f64 time, f64 dt) -> () or () -> () (or declare "
            "wasm:params for a pure binding)",
            m->entry);
    return ok ? 0 : -1;
}

/* Result i of a pure binding: a scalar or vector outputs:* attribute, or
 * "count:outputs:X", the number of elements the call wrote to array output X. */
static int bind_result(ph_host *h, hmod *m, const char *name, size_t i) {
    bool count = !strncmp(name, "count:", 6);
    int c = ph__find_chan(h, m->path, count ? name + 6 : name);
    if (count) {
        if (c < 0 || !h->ch[c].is_output || !h->ch[c].is_array) {
            ph__load_failed(m, "wasm:results[%zu] = '%s' must name an array outputs:* attribute of the prim", i,
                            name);
            return -1;
        }
        if (m->fn.results[i] != PW_I32 && m->fn.results[i] != PW_I64) {
            ph__load_failed(m, "wasm:results[%zu] = '%s' is an element count: '%s' must return it as i32 or i64",
                            i, name, m->entry);
            return -1;
        }
        m->results[i] = -1 - c;
        return 0;
    }
    if (c < 0 || !h->ch[c].is_output || h->ch[c].is_array) {
        ph__load_failed(
            m,
            "wasm:results[%zu] = '%s' must name a scalar or vector outputs:* attribute of the prim (or "
            "count:outputs:X for the element count of an array output)",
            i, name);
        return -1;
    }
    if (h->ch[c].ncomp > 1 && m->fn.results[i] != PW_I32) {
        ph__load_failed(m, "wasm:results[%zu] = '%s' is a %s: '%s' must return an i32 pointer to %d f64 values",
                        i, name, h->ch[c].type_name, m->entry, h->ch[c].ncomp);
        return -1;
    }
    m->results[i] = c;
    return 0;
}

static pw_valkind vk_or(const pb_func *f, size_t i) { return i < f->nparams ? f->params[i] : PW_F64; }

int ph__bind_pure(ph_host *h, hmod *m, pusd_prim *p) {
    char **ps = NULL, **rs = NULL;
    size_t nps = 0, nrs = 0;
    ph__read_tokens(p, "wasm:params", &ps, &nps);
    ph__read_tokens(p, "wasm:results", &rs, &nrs);
    int rc = 0;
    if (m->fn.nparams > PURE_MAX_SLOTS || m->fn.nresults > PURE_MAX_SLOTS) {
        ph__load_failed(m,
                        "'%s' takes %u parameters and returns %u results; a pure binding allows at most %d each",
                        m->entry, m->fn.nparams, m->fn.nresults, PURE_MAX_SLOTS);
        rc = -1;
        goto out;
    }
    if (nps != m->fn.nparams) {
        ph__load_failed(m, "wasm:params lists %zu attributes but '%s' takes %u parameters", nps, m->entry,
                        m->fn.nparams);
        rc = -1;
        goto out;
    }
    if (nrs != m->fn.nresults) {
        ph__load_failed(m, "wasm:results lists %zu attributes but '%s' returns %u results", nrs, m->entry,
                        m->fn.nresults);
        rc = -1;
        goto out;
    }
    m->params = calloc(nps ? nps : 1, sizeof *m->params);
    m->results = calloc(nrs ? nrs : 1, sizeof *m->results);
    m->nparams = nps;
    m->nresults = nrs;
    for (size_t i = 0; i < nps && !rc; i++) {
        param *q = &m->params[i];
        const char *s = ps[i];
        q->vk = vk_or(&m->fn, i);
        q->chan = -1;
        if (!strcmp(s, "time"))
            q->kind = P_TIME;
        else if (!strcmp(s, "dt"))
            q->kind = P_DT;
        else if (!strcmp(s, "frame"))
            q->kind = P_FRAME;
        else {
            bool count = !strncmp(s, "count:", 6);
            const char *an = count ? s + 6 : s;
            q->chan = ph__find_chan(h, m->path, an);
            if (q->chan < 0) {
                ph__load_failed(
                    m,
                    "wasm:params[%zu] = '%s': the prim has no attribute '%s' (declare it as inputs:* or "
                    "outputs:*, or use time/dt/frame)",
                    i, s, an);
                rc = -1;
                break;
            }
            chan *c = &h->ch[q->chan];
            if (count)
                q->kind = P_COUNT;
            else if (c->is_array)
                q->kind = c->is_output ? P_OUT_ARRAY : P_ARRAY;
            else
                q->kind = P_SCALAR;
            if ((q->kind == P_ARRAY || q->kind == P_OUT_ARRAY) && q->vk != PW_I32) {
                ph__load_failed(
                    m,
                    "wasm:params[%zu] = '%s' is an array: parameter %zu of '%s' must be i32 (a pointer), "
                    "not %s",
                    i, s, i + 1, m->entry, pw_valkind_name(q->vk));
                rc = -1;
            }
        }
    }
    for (size_t i = 0; i < nrs && !rc; i++)
        rc = bind_result(h, m, rs[i], i);
out:
    ph__free_strs(ps, nps);
    ph__free_strs(rs, nrs);
    return rc;
}
