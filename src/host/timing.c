/* The run's time settings (docs/host.md, Time): the scene's
 * timeCodesPerSecond, framesPerSecond, startTimeCode and endTimeCode are the
 * defaults, ph_config.fps overrides the frame rate; values out of range are
 * an error naming the scene file. */
#include "host_internal.h"

#include <math.h>
#include <stdio.h>

#define MAX_RATE 1e6       /* frames or time codes per second */
#define MAX_TIME_CODE 1e15 /* |startTimeCode|, |endTimeCode| */
#define MAX_FRAMES 1e12

/* 1 and *out when the layer authors a numeric `key`, 0 when it does not,
 * -1 (err written) when it is out of [lo, hi] or not a number. */
static int meta_number(ph_host *h, const char *key, double lo, double hi, double *out, char *err, size_t errcap) {
    pusd_value v;
    if (pusd_layer_get_metadata(pusd_stage_root_layer(h->stage), key, &v) || !v.data)
        return 0;
    double d = pusd_value_get_double(&v, 0, 0);
    if (!(d >= lo && d <= hi)) {
        char t[40];
        pusd_format_double(d, t);
        snprintf(err, errcap, "%s: error: %s = %s is out of range (expected a number from %g to %g)",
                 h->scene_path, key, t, lo, hi);
        return -1;
    }
    *out = d;
    return 1;
}

int ph__time_settings(ph_host *h, char *err, size_t errcap) {
    ph_time *t = &h->time;
    double tcps = 0, fps = 0, start = 0, end = 0;
    int has_tcps = meta_number(h, "timeCodesPerSecond", 1e-6, MAX_RATE, &tcps, err, errcap);
    int has_fps = has_tcps < 0 ? -1 : meta_number(h, "framesPerSecond", 1e-6, MAX_RATE, &fps, err, errcap);
    int has_start =
        has_fps < 0 ? -1 : meta_number(h, "startTimeCode", -MAX_TIME_CODE, MAX_TIME_CODE, &start, err, errcap);
    int has_end =
        has_start < 0 ? -1 : meta_number(h, "endTimeCode", -MAX_TIME_CODE, MAX_TIME_CODE, &end, err, errcap);
    if (has_end < 0)
        return -1;
    if (h->cfg.fps != 0 && !(h->cfg.fps > 0 && h->cfg.fps <= MAX_RATE)) {
        snprintf(err, errcap, "frame rate %g is out of range (expected more than 0 and at most %g)", h->cfg.fps,
                 MAX_RATE);
        return -1;
    }
    /* the frame rate: the option, else the scene's, else 60 */
    t->fps = h->cfg.fps > 0 ? h->cfg.fps : has_fps ? fps : has_tcps ? tcps : 60;
    /* a scene without timeCodesPerSecond gets one time code per frame */
    t->time_codes_per_second = has_tcps ? tcps : t->fps;
    t->start_time_code = start;
    t->end_time_code = has_end ? end : NAN;
    t->frames = 0;
    if (has_end) {
        if (end < start) {
            snprintf(err, errcap, "%s: error: endTimeCode %g is before startTimeCode %g", h->scene_path, end,
                     start);
            return -1;
        }
        double n = floor((end - start) * t->fps / t->time_codes_per_second + 1e-9) + 1;
        if (!(n <= MAX_FRAMES)) {
            snprintf(err, errcap,
                     "%s: error: startTimeCode %g to endTimeCode %g at %g frames per second is %.3g "
                     "frames, more than %g",
                     h->scene_path, start, end, t->fps, n, MAX_FRAMES);
            return -1;
        }
        t->frames = (uint64_t)n;
    }
    return 0;
}

double ph_host_time_code(const ph_host *h, uint64_t frame) {
    return h->time.start_time_code + (double)frame * h->time.time_codes_per_second / h->time.fps;
}
