/* Current-thread service: the task and executor running on this thread.
 * Thread-local by design (documented in ef.h); the only thread-locals besides
 * the pool's worker bookkeeping in pool.c. */
#include "ef_internal.h"

static _Thread_local ef_current tl_current;

void ef_current_swap(ef_current *save, ef_task *t, ef_executor *e) {
    *save = tl_current;
    tl_current.task = t;
    tl_current.exec = e;
}

void ef_current_restore(const ef_current *save) { tl_current = *save; }

ef_task *ef_current_task(void) { return tl_current.task; }
ef_executor *ef_current_executor(void) { return tl_current.exec; }
