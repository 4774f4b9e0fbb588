/* Diagnostics ("prim /Path: ..." lines in order), a module's last error,
 * and the named-event queue (events posted during frame k are delivered at
 * frame k+1). */
#include "host_internal.h"

#include <portalis/base.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ph__xstrdup(const char *s) { return strdup(s ? s : ""); }

void ph__diag(ph_host *h, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&h->lock);
    if (PBASE_RESERVE(h->diag, h->capdiag, h->ndiag + 1))
        h->diag[h->ndiag++] = ph__xstrdup(buf);
    pthread_mutex_unlock(&h->lock);
}

void ph__set_error(hmod *m, const char *msg) {
    free(m->last_error);
    m->last_error = ph__xstrdup(msg);
}

void ph__load_failed(hmod *m, const char *fmt, ...) {
    char buf[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    m->state = PH_MOD_LOAD_FAILED;
    char msg[1100];
    snprintf(msg, sizeof msg, "prim %s: %s; module not loaded (the other modules keep running)", m->path, buf);
    ph__set_error(m, msg);
    ph__diag(m->h, "%s", msg);
}

const char *ph_mod_state_name(ph_mod_state s) {
    switch (s) {
    case PH_MOD_ACTIVE: return "active";
    case PH_MOD_DISABLED_BY_SCENE: return "disabled";
    case PH_MOD_LOAD_FAILED: return "load-failed";
    case PH_MOD_TRAPPED: return "trapped";
    case PH_MOD_OVER_BUDGET: return "over-budget";
    }
    return "?";
}

void ph__free_strs(char **a, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

int ph__events_post(ph_host *h, const char *name) {
    pthread_mutex_lock(&h->lock);
    char **p = realloc(h->events_next, (h->nevents_next + 1) * sizeof *p);
    int rc = -1;
    if (p) {
        h->events_next = p;
        h->events_next[h->nevents_next++] = ph__xstrdup(name);
        rc = 0;
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

void ph__events_deliver(ph_host *h) {
    pthread_mutex_lock(&h->lock);
    ph__free_strs(h->events_now, h->nevents_now);
    h->events_now = h->events_next;
    h->nevents_now = h->nevents_next;
    h->events_next = NULL;
    h->nevents_next = 0;
    pthread_mutex_unlock(&h->lock);
}
