/* The monotonic clock every layer times durations with. */
#include <portalis/base.h>

#include <time.h>

uint64_t pbase_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
