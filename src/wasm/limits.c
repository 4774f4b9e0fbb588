/* Limits: fuel, interruption, and the engine's deadline watchdog thread. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tier.h"

void pw_store_set_fuel(pw_store *s, uint64_t fuel) {
    uint64_t slice = fuel < PW_FUEL_SLICE ? fuel : PW_FUEL_SLICE;
    s->fuel = (int64_t)slice;
    s->fuel_reserve = fuel - slice;
    s->fuel_limited = true;
}

void pw_store_set_unlimited_fuel(pw_store *s) {
    s->fuel = PW_FUEL_SLICE;
    s->fuel_reserve = 0;
    s->fuel_limited = false;
}

uint64_t pw_store_fuel(const pw_store *s) {
    if (!s->fuel_limited)
        return UINT64_MAX;
    return (s->fuel > 0 ? (uint64_t)s->fuel : 0) + s->fuel_reserve;
}

void pw_store_interrupt(pw_store *s) { atomic_fetch_or(&s->interrupt, PW_INTERRUPT_USER); }

bool pw_store_interrupted(const pw_store *s) { return atomic_load(&((pw_store *)s)->interrupt) != 0; }

void pw_store_set_deadline(pw_store *s, uint64_t timeout_ns) { s->deadline_ns = timeout_ns; }

/* Sleeps until the earliest armed deadline, then flags the stores whose
 * deadline has passed. Stores leave the list when their call ends. */
static void *watchdog(void *arg) {
    pw_engine *e = arg;
    pthread_mutex_lock(&e->lock);
    while (!e->wd_quit) {
        uint64_t now = pbase_now_ns(), next = UINT64_MAX;
        for (size_t i = 0; i < e->wd_n;) {
            pw_store *s = e->wd_stores[i];
            if (s->deadline_at <= now) {
                atomic_fetch_or(&s->interrupt, PW_INTERRUPT_DEADLINE);
                e->wd_stores[i] = e->wd_stores[--e->wd_n];
                continue;
            }
            if (s->deadline_at < next)
                next = s->deadline_at;
            i++;
        }
        e->wd_wake = next;
        if (next == UINT64_MAX) {
            pthread_cond_wait(&e->wd_cond, &e->lock);
        } else {
            struct timespec ts = {(time_t)(next / 1000000000u), (long)(next % 1000000000u)};
            pthread_cond_timedwait(&e->wd_cond, &e->lock, &ts);
        }
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

void pw_deadline_arm(pw_store *s) {
    pw_engine *e = s->engine;
    atomic_fetch_and(&s->interrupt, ~PW_INTERRUPT_DEADLINE);
    pthread_mutex_lock(&e->lock);
    if (!e->wd_started) {
        if (pthread_create(&e->wd_thread, NULL, watchdog, e) == 0)
            e->wd_started = true;
    }
    if (PBASE_RESERVE(e->wd_stores, e->wd_cap, e->wd_n + 1)) {
        s->deadline_at = pbase_now_ns() + s->deadline_ns;
        e->wd_stores[e->wd_n++] = s;
        /* Wake the watchdog only if it would look too late: with the same
         * budget on every call, it usually already sleeps until an earlier
         * deadline, and waking it on every call would cost a context switch. */
        if (s->deadline_at < e->wd_wake)
            pthread_cond_signal(&e->wd_cond);
    }
    pthread_mutex_unlock(&e->lock);
}

void pw_deadline_disarm(pw_store *s) {
    pw_engine *e = s->engine;
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < e->wd_n; i++)
        if (e->wd_stores[i] == s) {
            e->wd_stores[i] = e->wd_stores[--e->wd_n];
            break;
        }
    pthread_mutex_unlock(&e->lock);
    atomic_fetch_and(&s->interrupt, ~PW_INTERRUPT_DEADLINE);
}

pw_trap_kind pw_limit_slow(pw_store *s, int64_t *fuel) {
    int f = atomic_load(&s->interrupt);
    if (f) {
        if (f & PW_INTERRUPT_USER)
            atomic_fetch_and(&s->interrupt, ~PW_INTERRUPT_USER);
        return PW_TRAP_DEADLINE;
    }
    if (*fuel >= 0)
        return PW_TRAP_NONE;
    if (!s->fuel_limited) {
        *fuel = PW_FUEL_SLICE;
        return PW_TRAP_NONE;
    }
    uint64_t owed = (uint64_t) - *fuel;
    if (s->fuel_reserve < owed) {
        s->fuel_reserve = 0;
        *fuel = 0;
        return PW_TRAP_OUT_OF_FUEL;
    }
    s->fuel_reserve -= owed;
    uint64_t slice = s->fuel_reserve < PW_FUEL_SLICE ? s->fuel_reserve : PW_FUEL_SLICE;
    s->fuel_reserve -= slice;
    *fuel = (int64_t)slice;
    return PW_TRAP_NONE;
}
