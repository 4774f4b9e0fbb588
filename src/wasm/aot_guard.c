/* Guard-page mode of the native tier (docs/aot.md, "Sandbox").
 *
 * Generated code reads and writes linear memory without a bounds check:
 * every wasm32 effective address (u32 index + u32 offset + access size) lies
 * in the memory's reservation of PW_MEMORY_RESERVE_GUARDED bytes, whose
 * pages past the memory's size are PROT_NONE, so an access out of bounds
 * faults. A process-wide SIGSEGV/SIGBUS handler turns the fault into the
 * trap when it is ours: the thread runs a guard-mode activation (a
 * thread-local pointer, the only state besides the handler install), the
 * faulting instruction is in that activation's generated code and the
 * address in its memory's reservation. It then unwinds to the activation's
 * entry with longjmp (generated code holds no locks or resources; the
 * handler runs with SA_NODEFER, so no signal mask needs restoring). Every
 * other fault goes to the handler installed before ours, or to the default
 * action. The handler runs on an alternate signal stack (SA_ONSTACK); a
 * thread without one gets one (64 KiB) when it first enters guard-mode
 * code, freed when the thread exits.
 *
 * The same handler catches a C stack overflow of generated code, which in
 * guard mode has no stack check at function entry (docs/aot.md, "Call
 * depth"): a fault of the activation's code near its stack pointer, that
 * pointer in the thread's stack, is the guard below the stack; the handler,
 * on its own stack, unwinds the same way (AOT_GUARD_STACK). An activation
 * of such code runs only on a thread whose stack has a guard (checked once
 * per thread) and on that stack.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "aot_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

/* Valgrind runs the code, but mistakes the handler's longjmp from the
 * alternate signal stack for a stack switch and then reports the
 * activation's own locals as uninitialised: under it, explicit checks. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define AOT_UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef AOT_UNDER_VALGRIND
#define AOT_UNDER_VALGRIND() false
#endif
#include <unistd.h>

#include "rt.h"

/* ThreadSanitizer intercepts both the handler and longjmp: under it a test
 * process that traps on faults in guard mode ended with a segmentation
 * fault (aot_hostile's traps; they pass with explicit checks), so under
 * it, explicit checks. */
#if defined(__SANITIZE_THREAD__)
#define AOT_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define AOT_UNDER_TSAN 1
#endif
#endif
#ifndef AOT_UNDER_TSAN
#define AOT_UNDER_TSAN 0
#endif

#if defined(__x86_64__) || defined(__aarch64__)
#define AOT_GUARD_ARCH 1
#else
#define AOT_GUARD_ARCH 0
#endif

/* The process-wide install (written once, under pthread_once). */
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static bool installed;
static struct sigaction prev_segv, prev_bus;
static pthread_key_t altstack_key;

static _Thread_local aot_guard *tl_running;
static _Thread_local bool tl_altstack;
/* The thread's stack (pthread_getattr_np) and whether overflowing it
 * faults: 0 not known yet, 1 yes, 2 no (stack_guarded). */
static _Thread_local uintptr_t tl_stack_lo, tl_stack_hi;
static _Thread_local int tl_stack_state;

#define ALTSTACK_SIZE ((size_t)64 << 10)
/* How far from the stack pointer an overflowing access of generated code
 * lands: a push or the red zone just below it, a store into a frame just
 * allocated above it (gcc probes every page of a larger frame,
 * -fstack-clash-protection, aot_cc.c) */
#define STACK_WINDOW ((uintptr_t)64 << 10)

static uintptr_t fault_pc(const void *ucv) {
    const ucontext_t *uc = ucv;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

static uintptr_t fault_sp(const void *ucv) {
    const ucontext_t *uc = ucv;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.sp;
#else
    (void)uc;
    return 0;
#endif
}

/* The deepest pointer into the activation's call-site array held by a
 * register of the faulting code: generated functions pass d (their entry
 * of the array) in a register, so at an overflow in a prologue or at a call
 * it is the trapping depth. 0 if no register holds one. */
static uintptr_t deepest_site(const aot_guard *g, const void *ucv) {
    const ucontext_t *uc = ucv;
    uintptr_t best = 0;
#if defined(__x86_64__)
    enum { NREGS = NGREG };
#define AOT_REG(i) ((uintptr_t)uc->uc_mcontext.gregs[i])
#elif defined(__aarch64__)
    enum { NREGS = 31 };
#define AOT_REG(i) ((uintptr_t)uc->uc_mcontext.regs[i])
#else
    enum { NREGS = 0 };
#define AOT_REG(i) ((uintptr_t)0 * (uintptr_t)(i) * (uintptr_t)(uc != NULL))
#endif
    for (int i = 0; i < NREGS; i++) {
        uintptr_t v = AOT_REG(i);
        if (v >= g->sites_lo && v <= g->sites_hi && (v - g->sites_lo) % 8 == 0 && v > best)
            best = v;
    }
#undef AOT_REG
    return best;
}

/* A fault of generated code that is its C stack running out: the probe
 * read of its explicit check, or an access near its stack pointer while
 * that pointer is in (or just below) the thread's guarded stack. */
static bool stack_overflow(uintptr_t addr, const void *uc) {
    if (addr == AOT_STACK_PROBE)
        return true;
    uintptr_t sp = fault_sp(uc);
    return tl_stack_state == 1 && sp + STACK_WINDOW > tl_stack_lo && sp <= tl_stack_hi &&
           addr + STACK_WINDOW > sp && addr < sp + STACK_WINDOW;
}

/* Not ours: the previous handler, else the default action (the handler is
 * reset and the faulting instruction runs again). */
static void chain(int sig, siginfo_t *si, void *uc) {
    const struct sigaction *p = sig == SIGBUS ? &prev_bus : &prev_segv;
    if (p->sa_flags & SA_SIGINFO) {
        p->sa_sigaction(sig, si, uc);
        return;
    }
    if (p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN) {
        p->sa_handler(sig);
        return;
    }
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (si->si_code <= 0) /* sent, not a fault: it would not recur */
        raise(sig);
}

static void on_fault(int sig, siginfo_t *si, void *uc) {
    aot_guard *g = tl_running;
    uintptr_t addr = (uintptr_t)si->si_addr, pc = fault_pc(uc);
    if (g && si->si_code > 0 && pc >= g->code_lo && pc < g->code_hi) {
        if (addr - g->mem_lo < g->mem_len)
            longjmp(*g->jb, AOT_GUARD_FAULT);
        if (stack_overflow(addr, uc)) {
            g->stack_d = addr == AOT_STACK_PROBE ? 0 : deepest_site(g, uc);
            longjmp(*g->jb, AOT_GUARD_STACK);
        }
    }
    chain(sig, si, uc);
}

static void altstack_free(void *p) {
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == p) {
        stack_t off;
        memset(&off, 0, sizeof off);
        off.ss_flags = SS_DISABLE;
        sigaltstack(&off, NULL);
    }
    munmap(p, ALTSTACK_SIZE);
}

static void install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (pthread_key_create(&altstack_key, altstack_free) != 0)
        return;
    if (sigaction(SIGSEGV, &sa, &prev_segv) != 0)
        return;
    if (sigaction(SIGBUS, &sa, &prev_bus) != 0) {
        sigaction(SIGSEGV, &prev_segv, NULL);
        return;
    }
    installed = true;
}

bool pw_aot_guard_usable(void) {
    const char *mode = getenv("PORTALIS_AOT_BOUNDS");
    if (!AOT_GUARD_ARCH || sizeof(size_t) < 8 || (mode && !strcmp(mode, "checks")) || AOT_UNDER_VALGRIND() ||
        AOT_UNDER_TSAN)
        return false;
    /* the reservation every guarded memory needs (fails under a ulimit -v):
     * the code then checks bounds itself */
    void *p = mmap(NULL, (size_t)PW_MEMORY_RESERVE_GUARDED, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return false;
    munmap(p, (size_t)PW_MEMORY_RESERVE_GUARDED);
    pthread_once(&install_once, install);
    return installed;
}

/* A fault handled on the thread's own stack could not run once that stack
 * is exhausted; the alternate stack is the host's if it set one. */
static bool ensure_altstack(void) {
    if (tl_altstack)
        return true;
    stack_t cur;
    if (sigaltstack(NULL, &cur) != 0)
        return false;
    if (!(cur.ss_flags & SS_DISABLE)) {
        tl_altstack = true;
        return true;
    }
    void *p = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return false;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = p;
    ss.ss_size = ALTSTACK_SIZE;
    if (sigaltstack(&ss, NULL) != 0 || pthread_setspecific(altstack_key, p) != 0) {
        altstack_free(p);
        return false;
    }
    tl_altstack = true;
    return true;
}

/* Whether a write just below the stack faults. The main thread's stack
 * grows on demand, and the kernel stops it with a fault at its size limit
 * or a gap (stack_guard_gap) above the mapping below it; a thread made by
 * pthread_create has guardsize bytes of PROT_NONE below its stack (glibc's
 * default: a page); a stack the host allocated itself
 * (pthread_attr_setstack) has no guard, and what lies below it is the
 * host's. Without a signal: the page must be mapped (mincore), and a pipe
 * write from it fail with EFAULT, as it cannot be read (a page that can be
 * read is taken as no guard). */
static bool faults_below(uintptr_t lo) {
    if ((pid_t)syscall(SYS_gettid) == getpid())
        return true;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char in_core;
    if (mincore((void *)((lo - 1) / page * page), page, &in_core) != 0)
        return false; /* not mapped: a later mapping may land there */
    int fd[2];
    if (pipe2(fd, O_CLOEXEC) != 0)
        return false;
    ssize_t n = write(fd[1], (const void *)(lo - 1), 1);
    bool efault = n < 0 && errno == EFAULT;
    close(fd[0]);
    close(fd[1]);
    return efault;
}

/* Code without stack checks may run on this thread, from here: its stack
 * has a guard and the caller runs on it (not on a stack of its own making,
 * e.g. a coroutine's). */
static bool stack_guarded(void) {
    if (!tl_stack_state) {
        pthread_attr_t a;
        void *lo = NULL;
        size_t size = 0;
        tl_stack_state = 2;
        if (pthread_getattr_np(pthread_self(), &a) == 0) {
            if (pthread_attr_getstack(&a, &lo, &size) == 0 && lo && faults_below((uintptr_t)lo)) {
                tl_stack_lo = (uintptr_t)lo;
                tl_stack_hi = (uintptr_t)lo + size;
                tl_stack_state = 1;
            }
            pthread_attr_destroy(&a);
        }
    }
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    return tl_stack_state == 1 && sp > tl_stack_lo && sp <= tl_stack_hi;
}

bool pw_aot_guard_enter(aot_guard *g, bool stack) {
    pthread_once(&install_once, install);
    if (!installed || !ensure_altstack() || (stack && !stack_guarded()))
        return false;
    g->stack_d = 0;
    g->prev = tl_running;
    tl_running = g;
    return true;
}

void pw_aot_guard_leave(aot_guard *g) { tl_running = g->prev; }

typedef struct {
    uintptr_t addr, lo, hi;
    bool found;
} range_query;

static int find_object(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    range_query *q = arg;
    bool mine = false;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        if (q->addr >= start && q->addr < end)
            mine = true;
        if (ph->p_flags & PF_X) {
            lo = start < lo ? start : lo;
            hi = end > hi ? end : hi;
        }
    }
    if (!mine || hi == 0)
        return 0;
    q->lo = lo;
    q->hi = hi;
    q->found = true;
    return 1;
}

bool pw_aot_code_range(const void *addr, uintptr_t *lo, uintptr_t *hi) {
    range_query q = {(uintptr_t)addr, 0, 0, false};
    dl_iterate_phdr(find_object, &q);
    *lo = q.lo;
    *hi = q.hi;
    return q.found;
}
