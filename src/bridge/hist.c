/* Log-bucketed latency histogram: exact below 64 ns, then 64 linear
 * sub-buckets per power of two (relative error < 1/64). Fixed size. */
#include <portalis/bridge.h>

#include <time.h>

#define PB_NBUCKETS (64 * 37)

static unsigned bucket_of(uint64_t ns) {
    if (ns < 64)
        return (unsigned)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(ns); /* >= 6 */
    unsigned sub = (unsigned)(ns >> (e - 6)) & 63u;
    unsigned idx = (e - 5) * 64 + sub;
    return idx < PB_NBUCKETS ? idx : PB_NBUCKETS - 1;
}

static double bucket_mid(unsigned i) {
    if (i < 64)
        return (double)i;
    unsigned e = i / 64 + 5, sub = i % 64;
    double lo = (double)((uint64_t)(64 + sub) << (e - 6));
    double w = (double)((uint64_t)1 << (e - 6));
    return lo + w * 0.5;
}

void pb_histogram_record(pb_histogram *h, uint64_t ns) {
    if (h->count == 0 || ns < h->min)
        h->min = ns;
    h->count++;
    h->total += ns;
    if (ns > h->max)
        h->max = ns;
    h->bucket[bucket_of(ns)]++;
}

double pb_histogram_quantile(const pb_histogram *h, double q) {
    if (!h->count)
        return 0;
    if (q <= 0)
        return (double)h->min;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > h->count)
        rank = h->count;
    uint64_t seen = 0;
    for (unsigned i = 0; i < PB_NBUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            double v = bucket_mid(i);
            if (v > (double)h->max)
                v = (double)h->max;
            if (v < (double)h->min)
                v = (double)h->min;
            return v;
        }
    }
    return (double)h->max;
}

double pb_histogram_mean(const pb_histogram *h) { return h->count ? (double)h->total / (double)h->count : 0; }

uint64_t pb_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
