/* Log-bucketed latency histogram: exact below 64, then 64 linear
 * sub-buckets per power of two (relative error < 1/64). Fixed size. */
#include <portalis/base.h>

static unsigned bucket_of(uint64_t v) {
    if (v < 64) return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= 6 */
    unsigned sub = (unsigned)(v >> (e - 6)) & 63u;
    unsigned idx = (e - 5) * 64 + sub;
    return idx < PBASE_HIST_BUCKETS ? idx : PBASE_HIST_BUCKETS - 1;
}

static double bucket_mid(unsigned i) {
    if (i < 64) return (double)i;
    unsigned e = i / 64 + 5, sub = i % 64;
    double lo = (double)((uint64_t)(64 + sub) << (e - 6));
    double w = (double)((uint64_t)1 << (e - 6));
    return lo + w * 0.5;
}

void pbase_hist_record(pbase_hist *h, uint64_t v) {
    if (h->count == 0 || v < h->min) h->min = v;
    h->count++;
    h->total += v;
    if (v > h->max) h->max = v;
    h->bucket[bucket_of(v)]++;
}

void pbase_hist_merge(pbase_hist *dst, const pbase_hist *src) {
    if (!src->count) return;
    if (!dst->count || src->min < dst->min) dst->min = src->min;
    dst->count += src->count;
    dst->total += src->total;
    if (src->max > dst->max) dst->max = src->max;
    for (unsigned k = 0; k < PBASE_HIST_BUCKETS; k++) dst->bucket[k] += src->bucket[k];
}

double pbase_hist_quantile(const pbase_hist *h, double q) {
    if (!h->count) return 0;
    if (q <= 0) return (double)h->min;
    uint64_t rank = (uint64_t)(q * (double)h->count + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > h->count) rank = h->count;
    uint64_t seen = 0;
    for (unsigned i = 0; i < PBASE_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            /* the last bucket also holds everything past its range */
            double v = i == PBASE_HIST_BUCKETS - 1 ? (double)h->max : bucket_mid(i);
            if (v > (double)h->max) v = (double)h->max;
            if (v < (double)h->min) v = (double)h->min;
            return v;
        }
    }
    return (double)h->max;
}

double pbase_hist_mean(const pbase_hist *h) { return h->count ? (double)h->total / (double)h->count : 0; }
