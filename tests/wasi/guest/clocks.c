/* Clocks (realtime, monotonic, process and thread CPU time) and sleeping
 * through poll_oneoff. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
    int fails = 0;
    clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
    const char *names[] = {"realtime", "monotonic", "process", "thread"};
    for (int i = 0; i < 4; i++) {
        struct timespec t, r;
        if (clock_gettime(ids[i], &t) || clock_getres(ids[i], &r) || r.tv_sec < 0 || ns(r) <= 0) {
            printf("FAIL clock %s\n", names[i]);
            fails++;
        } else {
            printf("ok clock %s\n", names[i]);
        }
    }
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    if (rt.tv_sec < 1600000000) {
        printf("FAIL realtime is in the past: %lld\n", (long long)rt.tv_sec);
        fails++;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    usleep(50000);
    struct timespec d = {0, 30000000};
    nanosleep(&d, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long el = ns(b) - ns(a);
    /* the upper bound is only a hang guard, far above 80 ms on a loaded machine */
    if (el < 80000000LL || el > 60000000000LL) {
        printf("FAIL sleep took %lld ns\n", el);
        fails++;
    } else {
        printf("ok sleep\n");
    }
    /* CPU time advances when we burn CPU */
    struct timespec p0, p1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p0);
    volatile unsigned x = 0;
    for (unsigned i = 0; i < 20000000u; i++)
        x += i;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1);
    if (ns(p1) <= ns(p0) || x == 1) {
        printf("FAIL process time did not advance\n");
        fails++;
    } else {
        printf("ok cputime\n");
    }
    printf("%s\n", fails ? "clocks FAILED" : "clocks ok");
    return fails ? 1 : 0;
}
