/* Simulation pipeline: the default execution definition with the stages
 * pre_simulation -> simulation -> post_simulation, legacy ordering by
 * integer order key, and custom fixed-step / variable-step stages. Stage
 * definitions are populated by build callbacks, so registering a component
 * invalidates exactly one stage and the pass pipeline rebuilds only it. */
#include "ef_internal.h"

#include <math.h>
#include <stdio.h>

#define EF_SIM_ACC_TYPE 0x45465341u /* 'EFSA': stepping state of an instance */

/* How a stepped stage or definition divides the frame (one mechanism for
 * the pipeline's fixed-step stages and per-node rates, ef_def_stepped). */
typedef struct ef_stepping {
    ef_step_mode mode;
    double dt; /* FIXED: the step; RATE: the longest step */
    unsigned max_steps;
} ef_stepping;

typedef struct {
    double acc;  /* FIXED: time not yet stepped */
    double last; /* RATE: time of the last step */
    bool ran;
} step_state;

typedef struct {
    char *name;
    ef_def *def;
    int key;
    size_t seq;
} sim_entry;

typedef struct sim_stage {
    char *name;
    ef_def *def;
    ef_stepping step;
    sim_entry *v;
    size_t n, cap, seq;
} sim_stage;

struct ef_sim_pipeline {
    ef_graph *g;
    sim_stage **st;
    size_t n, cap;
    ef_def *pipeline_def, *custom_def;
    ef_executor_desc desc;
};

static int cmp_entry(const void *a, const void *b) {
    const sim_entry *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Buckets of equal keys run in ascending key order; a join node (no
 * definition, bypassed) connects buckets when both have several nodes. */
static int build_stage(ef_builder *b, void *user) {
    sim_stage *s = user;
    sim_entry *sorted = malloc((s->n ? s->n : 1) * sizeof *sorted);
    ef_node **prev = malloc((s->n ? s->n : 1) * sizeof *prev);
    ef_node **cur = malloc((s->n ? s->n : 1) * sizeof *cur);
    int err = 0;
    if (!sorted || !prev || !cur) {
        err = -1;
        goto out;
    }
    if (s->n) /* s->v is NULL for an empty stage */
        memcpy(sorted, s->v, s->n * sizeof *sorted);
    qsort(sorted, s->n, sizeof *sorted, cmp_entry);
    size_t np = 0;
    for (size_t i = 0; i < s->n && !err;) {
        size_t j = i, nc = 0;
        while (j < s->n && sorted[j].key == sorted[i].key) {
            ef_node *x = ef_builder_add(b, sorted[j].name, sorted[j].def);
            if (!x) err = -1;
            cur[nc++] = x;
            j++;
        }
        if (err) break;
        if (np == 0) {
            for (size_t k = 0; k < nc; k++) ef_builder_connect(b, ef_builder_root(b), cur[k]);
        } else if (np == 1 || nc == 1) {
            for (size_t a = 0; a < np; a++)
                for (size_t k = 0; k < nc; k++) ef_builder_connect(b, prev[a], cur[k]);
        } else {
            char name[64];
            snprintf(name, sizeof name, "join.%d", sorted[i].key);
            ef_node *jn = ef_builder_add(b, name, NULL);
            if (!jn) {
                err = -1;
                break;
            }
            for (size_t a = 0; a < np; a++) ef_builder_connect(b, prev[a], jn);
            for (size_t k = 0; k < nc; k++) ef_builder_connect(b, jn, cur[k]);
        }
        memcpy(prev, cur, nc * sizeof *cur);
        np = nc;
        i = j;
    }
out:
    free(sorted);
    free(prev);
    free(cur);
    return err;
}

static ef_status fixed_steps(ef_task *t, const ef_stepping *s, step_state *ss) {
    ss->acc += ef_context_frame_dt(ef_task_context(t));
    ef_status r = 0;
    unsigned n = 0;
    double t0 = ef_task_time(t);
    while (ss->acc + 1e-9 * s->dt >= s->dt && n < s->max_steps) {
        r |= ef_task_run_graph_at(t, t0 + n * s->dt, s->dt);
        ss->acc -= s->dt;
        n++;
    }
    if (ss->acc >= s->dt) ss->acc = fmod(ss->acc, s->dt); /* drop excess steps */
    if (ss->acc < 0) ss->acc = 0;
    return n ? r : EF_SKIP;
}

/* EF_STEP_RATE (docs/ef.md): steps no longer than s->dt that end exactly
 * at the frame time, so every frame sees the state at its own time. */
static ef_status rate_steps(ef_task *t, const ef_stepping *s, step_state *ss) {
    double now = ef_task_time(t), frame = ef_context_frame_dt(ef_task_context(t));
    ef_status r = 0;
    if (!ss->ran) { /* first execution: one step at the frame time */
        double dt = s->dt < frame ? frame / ceil(frame / s->dt - 1e-9) : s->dt;
        ss->ran = true;
        ss->last = now;
        return ef_task_run_graph_at(t, now, dt);
    }
    double span = now - ss->last;
    if (!(span > 0)) return EF_SKIP;
    if (s->dt >= frame * (1 + 1e-9)) { /* slower than the frame rate: run when a step is due */
        if (floor(now / s->dt + 1e-6) <= floor(ss->last / s->dt + 1e-6)) return EF_SKIP;
        ss->last = now;
        return ef_task_run_graph_at(t, now, span);
    }
    unsigned n = (unsigned)fmin(ceil(span / s->dt - 1e-9), (double)s->max_steps);
    if (n < 1) n = 1;
    double start = ss->last;
    for (unsigned i = 1; i <= n; i++) r |= ef_task_run_graph_at(t, i == n ? now : start + span * i / n, span / n);
    ss->last = now;
    return r;
}

static ef_status step_run(ef_task *t, void *user) {
    const ef_stepping *s = user;
    ef_state *st = ef_task_state(t);
    step_state *ss = ef_state_data(st, EF_SIM_ACC_TYPE);
    if (!ss) {
        ss = calloc(1, sizeof *ss);
        if (!ss) return ef_task_fail(t, "out of memory");
        ef_state_set_data(st, EF_SIM_ACC_TYPE, ss, free);
    }
    return s->mode == EF_STEP_RATE ? rate_steps(t, s, ss) : fixed_steps(t, s, ss);
}

/* A chain of stage nodes in the order given. */
static void chain(ef_builder *b, sim_stage **st, size_t n, int custom) {
    ef_node *prev = ef_builder_root(b);
    for (size_t i = 0; i < n; i++) {
        if ((i >= 3) != custom) continue;
        ef_node *x = ef_builder_add(b, st[i]->name, st[i]->def);
        if (!x) return;
        ef_builder_connect(b, prev, x);
        prev = x;
    }
}

static int build_pipeline(ef_builder *b, void *user) {
    ef_sim_pipeline *s = user;
    chain(b, s->st, s->n, 0);
    return 0;
}

static int build_custom(ef_builder *b, void *user) {
    ef_sim_pipeline *s = user;
    chain(b, s->st, s->n, 1);
    return 0;
}

static int add_stage(ef_sim_pipeline *s, const char *name, ef_step_mode mode, double fixed_dt, unsigned max_steps) {
    if (!PBASE_RESERVE(s->st, s->cap, s->n + 1)) return -1;
    sim_stage *st = calloc(1, sizeof *st);
    if (!st) return -1;
    char defname[256];
    snprintf(defname, sizeof defname, "portalis.def.stage.%s", name);
    st->name = ef_strdup(name);
    st->def = ef_def_graph(defname, &s->desc);
    st->step = (ef_stepping){mode, fixed_dt, max_steps ? max_steps : 1};
    if (!st->name || !st->def) {
        free(st->name);
        ef_def_release(st->def);
        free(st);
        return -1;
    }
    ef_def_set_build(st->def, build_stage, st);
    if (mode != EF_STEP_VARIABLE) ef_def_set_run(st->def, step_run, &st->step);
    s->st[s->n] = st;
    return (int)s->n++;
}

ef_sim_pipeline *ef_sim_pipeline_create(ef_graph *g, const ef_executor_desc *stage_desc) {
    if (!g) return NULL;
    ef_sim_pipeline *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->g = g;
    if (stage_desc) s->desc = *stage_desc;
    if (add_stage(s, "pre_simulation", EF_STEP_VARIABLE, 0, 1) < 0 ||
        add_stage(s, "simulation", EF_STEP_VARIABLE, 0, 1) < 0 ||
        add_stage(s, "post_simulation", EF_STEP_VARIABLE, 0, 1) < 0)
        goto fail;
    s->pipeline_def = ef_def_graph("portalis.def.pipeline", NULL);
    s->custom_def = ef_def_graph("portalis.def.customPipeline", NULL);
    if (!s->pipeline_def || !s->custom_def) goto fail;
    ef_def_set_build(s->pipeline_def, build_pipeline, s);
    ef_def_set_build(s->custom_def, build_custom, s);
    ef_builder *b = ef_builder_begin(g->top, 1);
    if (!b) goto fail;
    ef_node *cp = ef_builder_add(b, "portalis.customPipeline", s->custom_def);
    ef_node *pp = ef_builder_add(b, "portalis.pipeline", s->pipeline_def);
    ef_builder_connect(b, ef_builder_root(b), cp);
    ef_builder_connect(b, cp, pp);
    ef_builder_end(b);
    if (!cp || !pp) goto fail;
    return s;
fail:
    ef_sim_pipeline_free(s);
    return NULL;
}

void ef_sim_pipeline_free(ef_sim_pipeline *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        sim_stage *st = s->st[i];
        for (size_t k = 0; k < st->n; k++) {
            free(st->v[k].name);
            ef_def_release(st->v[k].def);
        }
        free(st->v);
        /* The graph may still reference the definition: detach callbacks. */
        ef_def_set_run(st->def, NULL, NULL);
        st->def->build = NULL;
        ef_def_release(st->def);
        free(st->name);
        free(st);
    }
    free(s->st);
    if (s->pipeline_def) s->pipeline_def->build = NULL;
    if (s->custom_def) s->custom_def->build = NULL;
    ef_def_release(s->pipeline_def);
    ef_def_release(s->custom_def);
    free(s);
}

int ef_sim_add_stage(ef_sim_pipeline *s, const char *name, ef_step_mode mode, double fixed_dt, unsigned max_steps) {
    if (!s || !name || (mode != EF_STEP_VARIABLE && !(fixed_dt > 0))) return -1;
    int id = add_stage(s, name, mode, fixed_dt, max_steps);
    if (id >= 0) ef_def_invalidate(s->custom_def);
    return id;
}

int ef_sim_register(ef_sim_pipeline *s, int stage, const char *name, ef_def *def, int order_key) {
    if (!s || stage < 0 || (size_t)stage >= s->n || !name) return -1;
    sim_stage *st = s->st[stage];
    for (size_t i = 0; i < st->n; i++)
        if (!strcmp(st->v[i].name, name)) return -1;
    if (!PBASE_RESERVE(st->v, st->cap, st->n + 1)) return -1;
    sim_entry e = {ef_strdup(name), ef_def_retain(def), order_key, st->seq++};
    if (!e.name) {
        ef_def_release(def);
        return -1;
    }
    st->v[st->n++] = e;
    ef_def_invalidate(st->def);
    return 0;
}

int ef_sim_unregister(ef_sim_pipeline *s, int stage, const char *name) {
    if (!s || stage < 0 || (size_t)stage >= s->n || !name) return -1;
    sim_stage *st = s->st[stage];
    for (size_t i = 0; i < st->n; i++)
        if (!strcmp(st->v[i].name, name)) {
            free(st->v[i].name);
            ef_def_release(st->v[i].def);
            memmove(&st->v[i], &st->v[i + 1], (st->n - i - 1) * sizeof st->v[0]);
            st->n--;
            ef_def_invalidate(st->def);
            return 0;
        }
    return -1;
}

ef_def *ef_sim_stage_def(ef_sim_pipeline *s, int stage) {
    if (!s || stage < 0 || (size_t)stage >= s->n) return NULL;
    return s->st[stage]->def;
}

/* ---- a single node stepped like a stage ------------------------------------ */

typedef struct {
    ef_stepping step;
    ef_def *body;
    char *name;
} stepped;

static void stepped_free(void *u) {
    stepped *p = u;
    ef_def_release(p->body);
    free(p->name);
    free(p);
}

static int build_stepped(ef_builder *b, void *user) {
    stepped *p = user;
    ef_node *x = ef_builder_add(b, p->name, p->body);
    if (!x) return -1;
    ef_builder_connect(b, ef_builder_root(b), x);
    return 0;
}

ef_def *ef_def_stepped(const char *name, ef_def *body, ef_step_mode mode, double step_dt, unsigned max_steps) {
    if (!name || !body || mode == EF_STEP_VARIABLE || !(step_dt > 0)) return NULL;
    stepped *p = calloc(1, sizeof *p);
    ef_def *d = p ? ef_def_graph(name, NULL) : NULL;
    if (!d || !(p->name = ef_strdup(name))) {
        free(p);
        ef_def_release(d);
        return NULL;
    }
    p->step = (ef_stepping){mode, step_dt, max_steps ? max_steps : 1};
    p->body = ef_def_retain(body);
    d->user = p;
    ef_def_set_user_free(d, stepped_free);
    ef_def_set_build(d, build_stepped, p);
    ef_def_set_run(d, step_run, &p->step);
    return d;
}
