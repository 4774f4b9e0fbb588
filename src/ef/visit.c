/* Visit strategies: decide, when a parent reports, whether a child is ready
 * and whether it runs or is passed through.
 *   all parents  ready once every non-cycle parent reported (the root does
 *                not count as a parent); runs regardless of their results.
 *   cache check  additionally runs only if a (non-root) parent succeeded or
 *                the instance is dirty; otherwise passes through with
 *                EF_SKIP so dirty nodes further down can still run.
 *   custom       the executor's ef_visit_fn decides.
 * Common to all: a deferred parent holds the child back (it reports
 * EF_DEFERRED without running), and after cancellation or a failure under
 * stop-on-failure, children pass through with EF_SKIP|EF_CANCELLED. */
#include "ef_internal.h"

static int is_dirty(ef_executor *e, const ef_node *n) {
    ef_path p;
    ef_path_copy(&p, &e->path);
    if (ef_path_push(&p, n)) return 1;
    ef_state *s = ef_statemap_get(&e->ctx->states, &p, 1);
    return s ? atomic_load(&s->dirty) : 1;
}

ef_visit_result ef_visit(ef_executor *e, const ef_node *p, ef_status st, const ef_edge *edge, ef_status *pass) {
    if (edge->cycle) return EF_V_WAIT;
    ef_node *c = edge->node;
    ef_nodedata *nd = &e->nd[c->index];
    unsigned add = (st & EF_DEFERRED) ? EF_ND_DEFERRED : 0;
    if (!p->is_root && (st & EF_SUCCESS)) add |= EF_ND_ANY_SUCCESS;
    if (e->desc.visit == EF_VISIT_CUSTOM && !p->is_root) add |= (st & 0xffu) << EF_ND_PARENTS_STATUS_SHIFT;
    if (add) atomic_fetch_or_explicit(&nd->flags, add, memory_order_relaxed);
    int ready;
    if (p->is_root)
        ready = c->required == 0;
    else
        ready = atomic_fetch_add_explicit(&nd->count, 1, memory_order_acq_rel) + 1 == c->required;
    if (!ready) return EF_V_WAIT;
    unsigned fl = atomic_load_explicit(&nd->flags, memory_order_relaxed);
    if (fl & EF_ND_DEFERRED) {
        *pass = EF_DEFERRED;
        return EF_V_PASS;
    }
    if (atomic_load_explicit(&e->ctx->cancel, memory_order_relaxed) ||
        (e->desc.stop_on_failure && atomic_load_explicit(&e->failed, memory_order_relaxed))) {
        *pass = EF_SKIP | EF_CANCELLED;
        return EF_V_PASS;
    }
    switch (e->desc.visit) {
    case EF_VISIT_CACHE_CHECK:
        if ((fl & EF_ND_ANY_SUCCESS) || is_dirty(e, c)) return EF_V_RUN;
        *pass = EF_SKIP;
        return EF_V_PASS;
    case EF_VISIT_CUSTOM:
        if (e->desc.custom_visit) {
            ef_visit_info info = {fl >> EF_ND_PARENTS_STATUS_SHIFT, is_dirty(e, c), c};
            if (!e->desc.custom_visit(&info, e->desc.visit_user)) {
                *pass = EF_SKIP;
                return EF_V_PASS;
            }
        }
        return EF_V_RUN;
    default: return EF_V_RUN;
    }
}
