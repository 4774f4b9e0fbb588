/* Parallel scheduler: a fixed thread pool with work stealing.
 *
 * Each worker owns a deque (push/pop at the back, thieves take from the
 * front); threads outside the pool push to an injection queue; serial and
 * isolate jobs have their own queues. A thread that waits for an executor
 * (ef_pool_wait) does not sleep while there is work: it runs any job, which
 * is what keeps nested graph executors from deadlocking.
 *
 * The gate implements the hints over user code:
 *   - `executing` counts threads currently inside user code (a thread blocked
 *     in ef_pool_wait is not inside user code: it leaves the gate while it
 *     waits and re-enters before returning).
 *   - EF_HINT_ISOLATE raises `iso_req` (one isolate at a time, iso_mu) and
 *     waits until `executing` is 0; threads entering see iso_req and wait.
 *     Nested executors created while isolated run serially on that thread.
 *   - EF_HINT_SERIAL holds a pool-wide token (reentrant per thread) while in
 *     user code; released while waiting, like `executing`.
 * Queues are mutex-protected ring buffers: simple and ThreadSanitizer-clean;
 * with ~µs tasks the locks are not the bottleneck.
 *
 * Thread-locals: the worker index, gate bookkeeping and a thread id (for
 * traces). No other global state. */
#include "ef_internal.h"

#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The serial scheduler's ring under a mutex; size mirrors ring.n for a
 * lock-free emptiness check. */
typedef struct {
    pthread_mutex_t mu;
    ef_fifo ring;
    atomic_size_t size;
} ef_wsq;

struct ef_pool {
    unsigned n;
    pthread_t *thr;
    ef_wsq *q;
    ef_wsq inject, serialq, isoq;
    atomic_long queued;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int sleepers;
    atomic_int stop;
    unsigned started;
    unsigned nthreads;
    /* gate */
    atomic_int executing;
    atomic_int iso_req;
    atomic_int serial_token;
    pthread_mutex_t iso_mu;
};

static _Thread_local struct {
    ef_pool *pool;    /* pool this thread is a worker of */
    unsigned worker;  /* index + 1; 0 if not a worker */
    ef_pool *counted; /* pool whose `executing` counts this thread */
    int serial_depth; /* serial token holds (reentrant) */
    int isolated;     /* running an isolate task */
    uint32_t tid;
} tl;

uint32_t ef_thread_id(void) {
    if (!tl.tid) tl.tid = (uint32_t)syscall(SYS_gettid);
    return tl.tid;
}

int ef_pool_is_isolated(void) { return tl.isolated; }

/* ---- queues ---- */

static int q_init(ef_wsq *q) {
    q->ring = (ef_fifo){.v = malloc(64 * sizeof(ef_job)), .cap = 64};
    atomic_init(&q->size, 0);
    if (!q->ring.v) return -1;
    return pthread_mutex_init(&q->mu, NULL) ? -1 : 0;
}

static void q_destroy(ef_wsq *q) {
    pthread_mutex_destroy(&q->mu);
    free(q->ring.v);
}

static int q_push(ef_wsq *q, const ef_job *j) {
    pthread_mutex_lock(&q->mu);
    int rc = ef_fifo_push(&q->ring, NULL, 0, j);
    atomic_store_explicit(&q->size, q->ring.n, memory_order_relaxed);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static int q_pop(ef_wsq *q, ef_job *out, int back) {
    if (!atomic_load_explicit(&q->size, memory_order_relaxed)) return 0;
    pthread_mutex_lock(&q->mu);
    ef_fifo *f = &q->ring;
    int got = 0;
    if (back && f->n) {
        *out = f->v[(f->head + f->n - 1) & (f->cap - 1)];
        f->n--;
        got = 1;
    } else if (!back) {
        got = ef_fifo_pop(f, out);
    }
    atomic_store_explicit(&q->size, f->n, memory_order_relaxed);
    pthread_mutex_unlock(&q->mu);
    return got;
}

/* ---- gate ---- */

static void pause_briefly(void) { sched_yield(); }

static void enter_shared(ef_pool *p) {
    for (;;) {
        while (atomic_load(&p->iso_req)) pause_briefly();
        atomic_fetch_add(&p->executing, 1);
        if (!atomic_load(&p->iso_req)) break;
        atomic_fetch_sub(&p->executing, 1);
    }
    tl.counted = p;
}

static void leave_shared(ef_pool *p) {
    tl.counted = NULL;
    atomic_fetch_sub(&p->executing, 1);
}

static void take_serial(ef_pool *p) {
    if (tl.serial_depth++) return;
    for (;;) {
        int z = 0;
        if (atomic_compare_exchange_weak(&p->serial_token, &z, 1)) return;
        pause_briefly();
    }
}

static void give_serial(ef_pool *p) {
    if (--tl.serial_depth) return;
    atomic_store(&p->serial_token, 0);
    if (atomic_load(&p->serialq.size) && atomic_load(&p->sleepers)) ef_pool_notify(p);
}

void ef_gate_enter(ef_pool *p, ef_hint h, ef_gate_ticket *t) {
    memset(t, 0, sizeof *t);
    if (!p || tl.isolated) return;
    if (h == EF_HINT_ISOLATE) {
        if (tl.counted == p) {
            leave_shared(p);
            t->was_counted = 1;
        }
        pthread_mutex_lock(&p->iso_mu);
        atomic_store(&p->iso_req, 1);
        while (atomic_load(&p->executing) != 0) pause_briefly();
        tl.isolated = 1;
        t->isolated = 1;
        return;
    }
    if (h == EF_HINT_SERIAL) {
        /* Token first, then the gate: a thread spinning for the token is not
         * counted, so an isolate request can proceed meanwhile. */
        int counted = tl.counted == p;
        if (counted && !tl.serial_depth) {
            leave_shared(p);
            t->was_counted = 1;
        }
        take_serial(p);
        t->serial = 1;
        if (tl.counted != p) {
            enter_shared(p);
            t->entered = !t->was_counted;
        }
        return;
    }
    if (tl.counted != p) {
        enter_shared(p);
        t->entered = 1;
    }
}

void ef_gate_leave(ef_pool *p, ef_gate_ticket *t) {
    if (!p) return;
    if (t->isolated) {
        tl.isolated = 0;
        atomic_store(&p->iso_req, 0);
        pthread_mutex_unlock(&p->iso_mu);
        if (t->was_counted) enter_shared(p);
        ef_pool_notify(p);
        return;
    }
    if (t->serial) {
        give_serial(p);
        if (t->entered) leave_shared(p);
        /* was_counted: we stay counted (re-entered in enter) */
        return;
    }
    if (t->entered) leave_shared(p);
}

/* ---- scheduling ---- */

void ef_pool_notify(ef_pool *p) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

int ef_pool_push(ef_pool *p, const ef_job *j) {
    ef_wsq *q;
    if (j->hint == EF_HINT_ISOLATE)
        q = &p->isoq;
    else if (j->hint == EF_HINT_SERIAL)
        q = &p->serialq;
    else if (tl.pool == p && tl.worker)
        q = &p->q[tl.worker - 1];
    else
        q = &p->inject;
    if (q_push(q, j)) return -1;
    atomic_fetch_add(&p->queued, 1);
    if (atomic_load(&p->sleepers)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return 0;
}

static int take(ef_pool *p, ef_job *out) {
    if (!atomic_load(&p->queued)) return 0;
    int got = q_pop(&p->isoq, out, 0);
    if (!got && tl.pool == p && tl.worker) got = q_pop(&p->q[tl.worker - 1], out, 1);
    if (!got) got = q_pop(&p->inject, out, 0);
    if (!got && atomic_load(&p->serialq.size) && !atomic_load(&p->serial_token)) got = q_pop(&p->serialq, out, 0);
    if (!got && p->n) {
        unsigned start = tl.pool == p ? tl.worker : 0;
        for (unsigned i = 0; i < p->n && !got; i++) got = q_pop(&p->q[(start + i) % p->n], out, 0);
    }
    if (got) atomic_fetch_sub(&p->queued, 1);
    return got;
}

static void sleep_until(ef_pool *p, atomic_long *pending) {
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->sleepers, 1);
    if (!atomic_load(&p->queued) && !atomic_load(&p->stop) && (!pending || atomic_load(pending) != 0)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 2000000; /* safety net only; wake-ups are signalled */
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->mu);
}

/* One step of a waiting thread: run a queued job, or spin briefly while jobs
 * are queued elsewhere, or sleep until notified (or pending reaches 0). */
static void run_or_wait(ef_pool *p, atomic_long *pending) {
    ef_job j;
    if (take(p, &j))
        ef_job_run(&j);
    else if (atomic_load(&p->queued))
        pause_briefly();
    else
        sleep_until(p, pending);
}

void ef_pool_wait(ef_pool *p, atomic_long *pending) {
    /* Leave the gate: a waiting thread runs no user code of its own. */
    int was_counted = tl.counted == p;
    int serial_depth = tl.serial_depth;
    if (was_counted) leave_shared(p);
    if (serial_depth) {
        tl.serial_depth = 1;
        give_serial(p);
    }
    while (atomic_load_explicit(pending, memory_order_acquire) != 0) run_or_wait(p, pending);
    if (serial_depth) {
        take_serial(p);
        tl.serial_depth = serial_depth;
    }
    if (was_counted) enter_shared(p);
}

static void *worker_main(void *arg) {
    ef_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    unsigned idx = ++p->started;
    pthread_mutex_unlock(&p->mu);
    tl.pool = p;
    tl.worker = idx;
    while (!atomic_load(&p->stop)) run_or_wait(p, NULL);
    return NULL;
}

ef_pool *ef_pool_create(unsigned workers) {
    ef_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = workers;
    p->q = calloc(workers ? workers : 1, sizeof *p->q);
    p->thr = calloc(workers ? workers : 1, sizeof *p->thr);
    if (!p->q || !p->thr) goto fail;
    for (unsigned i = 0; i < workers; i++)
        if (q_init(&p->q[i])) goto fail;
    if (q_init(&p->inject) || q_init(&p->serialq) || q_init(&p->isoq)) goto fail;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_mutex_init(&p->iso_mu, NULL);
    atomic_init(&p->queued, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, 0);
    atomic_init(&p->executing, 0);
    atomic_init(&p->iso_req, 0);
    atomic_init(&p->serial_token, 0);
    unsigned made = 0;
    for (; made < workers; made++)
        if (pthread_create(&p->thr[made], NULL, worker_main, p)) break;
    p->nthreads = made; /* fewer threads if the system refuses some */
    return p;
fail:
    /* Only reached before any thread starts; queues may be partly set up. */
    free(p->q);
    free(p->thr);
    free(p);
    return NULL;
}

void ef_pool_free(ef_pool *p) {
    if (!p) return;
    atomic_store(&p->stop, 1);
    ef_pool_notify(p);
    for (unsigned i = 0; i < p->nthreads; i++) pthread_join(p->thr[i], NULL);
    for (unsigned i = 0; i < p->n; i++) q_destroy(&p->q[i]);
    q_destroy(&p->inject);
    q_destroy(&p->serialq);
    q_destroy(&p->isoq);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->iso_mu);
    free(p->q);
    free(p->thr);
    free(p);
}

unsigned ef_pool_workers(const ef_pool *p) { return p->nthreads; }
