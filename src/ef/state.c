/* Per-path state store of a context: an open-addressing hash map from
 * execution path to ef_state, guarded by a mutex. States are heap objects,
 * so pointers stay valid while the map grows. */
#include "ef_internal.h"

void ef_statemap_init(ef_statemap *m) {
    pthread_mutex_init(&m->mu, NULL);
    m->slots = NULL;
    m->cap = m->count = 0;
}

static void state_free(ef_state *s) {
    if (s->data_free) s->data_free(s->data);
    free(s);
}

void ef_statemap_destroy(ef_statemap *m) {
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i]) state_free(m->slots[i]);
    free(m->slots);
    pthread_mutex_destroy(&m->mu);
}

static int grow(ef_statemap *m) {
    size_t nc = m->cap ? m->cap * 2 : 64;
    ef_state **ns = calloc(nc, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        ef_state *s = m->slots[i];
        if (!s) continue;
        size_t h = (size_t)s->path.hash & (nc - 1);
        while (ns[h]) h = (h + 1) & (nc - 1);
        ns[h] = s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = nc;
    return 0;
}

ef_state *ef_statemap_get(ef_statemap *m, const ef_path *p, int create) {
    pthread_mutex_lock(&m->mu);
    ef_state *found = NULL;
    if (m->cap) {
        size_t h = (size_t)p->hash & (m->cap - 1);
        while (m->slots[h]) {
            if (ef_path_equal(&m->slots[h]->path, p)) {
                found = m->slots[h];
                break;
            }
            h = (h + 1) & (m->cap - 1);
        }
    }
    if (!found && create && ((m->count + 1) * 2 <= m->cap || grow(m) == 0)) {
        ef_state *s = calloc(1, sizeof *s);
        if (s) {
            ef_path_copy(&s->path, p);
            atomic_init(&s->dirty, 1);
            atomic_init(&s->t_count, 0);
            atomic_init(&s->t_total, 0);
            atomic_init(&s->t_max, 0);
            s->live = true;
            size_t h = (size_t)p->hash & (m->cap - 1);
            while (m->slots[h]) h = (h + 1) & (m->cap - 1);
            m->slots[h] = s;
            m->count++;
            found = s;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return found;
}

void ef_statemap_mark_all(ef_statemap *m, bool live) {
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i]) m->slots[i]->live = live;
    pthread_mutex_unlock(&m->mu);
}

void ef_statemap_prune(ef_statemap *m) {
    pthread_mutex_lock(&m->mu);
    size_t cap = m->cap;
    if (!cap) {
        pthread_mutex_unlock(&m->mu);
        return;
    }
    ef_state **keep = malloc(cap * sizeof *keep);
    if (!keep) { /* keep everything rather than lose live state */
        pthread_mutex_unlock(&m->mu);
        return;
    }
    ef_state **old = m->slots;
    size_t nk = 0;
    for (size_t i = 0; i < cap; i++) {
        ef_state *s = old[i];
        if (!s) continue;
        if (s->live)
            keep[nk++] = s;
        else
            state_free(s);
    }
    /* Reinsert in place (same capacity, fewer entries: always fits). */
    memset(old, 0, cap * sizeof *old);
    m->count = 0;
    for (size_t i = 0; i < nk; i++) {
        size_t h = (size_t)keep[i]->path.hash & (cap - 1);
        while (old[h]) h = (h + 1) & (cap - 1);
        old[h] = keep[i];
        m->count++;
    }
    free(keep);
    pthread_mutex_unlock(&m->mu);
}

void *ef_state_data(ef_state *s, uint32_t type_id) { return s && s->type == type_id ? s->data : NULL; }

void ef_state_set_data(ef_state *s, uint32_t type_id, void *data, void (*free_fn)(void *)) {
    if (!s) return;
    if (s->data_free && s->data != data) s->data_free(s->data);
    s->type = type_id;
    s->data = data;
    s->data_free = free_fn;
}

int ef_state_needs_compute(const ef_state *s) { return atomic_load(&((ef_state *)s)->dirty); }
void ef_state_mark_dirty(ef_state *s) { atomic_store(&s->dirty, 1); }
const ef_path *ef_state_path(const ef_state *s) { return &s->path; }
