/* Portalis ground library (pbase_*): the small utilities every layer uses.
 *
 * Internal to Portalis: it is installed only because bridge.h's histogram
 * type is this one; its interface may change between releases. It depends
 * on nothing but libc, and every layer may use it (docs/architecture.md).
 *
 * Errors follow the project's convention (docs/architecture.md): a function
 * that can fail returns 0 on success or an errno value, and fills a
 * caller-owned pbase_error with a message that names the file and says what
 * went wrong, ready to show to a user. */
#ifndef PORTALIS_BASE_H
#define PORTALIS_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pbase_error {
    int code;          /* errno value; 0 = no error */
    char message[512]; /* "cannot open 'x.wasm': No such file or directory" */
} pbase_error;

/* ---- files -------------------------------------------------------------------------------- */

/* Reads the whole regular file at path into a malloc'd buffer (*data, with a
 * NUL byte after the *len bytes so text can be used as a C string). Refuses,
 * without blocking, anything that is not a regular file (a FIFO, a device, a
 * directory: EINVAL / EISDIR) and files larger than max_bytes (EFBIG). */
int pbase_read_file(const char *path, size_t max_bytes, char **data, size_t *len, pbase_error *err);
/* The same for what is left to read on fd (standard input, a pipe), named
 * name in messages ("standard input"); EFBIG past max_bytes. fd stays open. */
int pbase_read_fd(int fd, const char *name, size_t max_bytes, char **data, size_t *len, pbase_error *err);

/* A file written atomically: the content goes to a temporary file in the
 * same directory, which commit flushes, fsyncs and renames over path, so
 * readers see the old file or the complete new one, never a part. An
 * existing FIFO or device (/dev/null, /dev/stdout) is written in place
 * instead, since renaming over it would replace the device node; a FIFO
 * with no reader for PBASE_FIFO_WAIT_MS is an error (ENXIO), not a hang. */
#define PBASE_FIFO_WAIT_MS 5000
typedef struct pbase_afile {
    FILE *f;    /* write the content here */
    char *path; /* owned copies */
    char *tmp;  /* NULL when writing in place */
} pbase_afile;

int pbase_afile_open(pbase_afile *a, const char *path, pbase_error *err);
/* Makes the content visible under path; on failure the previous file is left
 * untouched. Releases a in both cases. */
int pbase_afile_commit(pbase_afile *a, pbase_error *err);
/* Drops the content (the previous file stays) and releases a. */
void pbase_afile_abort(pbase_afile *a);
/* The whole of data as path's new content (open + fwrite + commit). */
int pbase_write_file_atomic(const char *path, const void *data, size_t len, pbase_error *err);

/* ---- time --------------------------------------------------------------------------------- */

/* Monotonic nanoseconds (CLOCK_MONOTONIC): for durations, never dates. */
uint64_t pbase_now_ns(void);

/* ---- growable arrays ---------------------------------------------------------------------- */

/* Makes room for need elements in the array arr (a T * lvalue) whose
 * capacity (a size_t lvalue, in elements) is cap, growing by doubling from 8.
 * Evaluates to true on success; on failure (out of memory, or a size that
 * overflows) to false with arr and cap unchanged. arr may be NULL with cap 0.
 *     if (!PBASE_RESERVE(v->items, v->cap, v->n + 1)) return ENOMEM;
 *     v->items[v->n++] = x; */
#define PBASE_RESERVE(arr, cap, need)                                                                            \
    ((size_t)(need) <= (cap) || pbase_grow_((void *)&(arr), &(cap), (size_t)(need), sizeof *(arr)))
bool pbase_grow_(void *arrp, size_t *cap, size_t need, size_t elem_size);

/* ---- JSON output -------------------------------------------------------------------------- */

/* Writes s as a JSON string literal, quotes included: '"', '\\' and control
 * characters are escaped, valid UTF-8 is kept, and each byte of an invalid
 * UTF-8 sequence becomes U+FFFD, so the output is always valid JSON. */
void pbase_json_string(FILE *out, const char *s);

/* A streaming JSON writer that places the commas and the ": " itself.
 * Values inside an object must each follow a pbase_json_key call.
 *     pbase_json j; pbase_json_init(&j, f);
 *     pbase_json_begin_object(&j);
 *     pbase_json_key(&j, "scene"); pbase_json_str(&j, path);
 *     pbase_json_end_object(&j);           -> {"scene": "a\"b.usda"} */
#define PBASE_JSON_MAX_DEPTH 32
typedef struct pbase_json {
    FILE *out;
    int depth;
    bool after_key;                      /* the next value completes a "key": pair */
    bool newline;                        /* pbase_json_newline was called */
    bool nonempty[PBASE_JSON_MAX_DEPTH]; /* the container at each depth has an element */
} pbase_json;

void pbase_json_init(pbase_json *j, FILE *out);
void pbase_json_begin_object(pbase_json *j);
void pbase_json_end_object(pbase_json *j);
void pbase_json_begin_array(pbase_json *j);
void pbase_json_end_array(pbase_json *j);
void pbase_json_key(pbase_json *j, const char *key);
void pbase_json_str(pbase_json *j, const char *s); /* NULL writes null */
void pbase_json_int(pbase_json *j, int64_t v);
void pbase_json_uint(pbase_json *j, uint64_t v);
void pbase_json_double(pbase_json *j, double v); /* NaN and infinities write null */
void pbase_json_bool(pbase_json *j, bool v);
void pbase_json_null(pbase_json *j);
/* A number already written as JSON number text by the caller (a faster
 * formatter than pbase_json_double's, say), placed like any value. */
void pbase_json_number_text(pbase_json *j, const char *text);
/* A "key": value pair in an object: pbase_json_key, then the value. */
void pbase_json_kv_str(pbase_json *j, const char *key, const char *v); /* NULL writes null */
void pbase_json_kv_int(pbase_json *j, const char *key, int64_t v);
void pbase_json_kv_uint(pbase_json *j, const char *key, uint64_t v);
void pbase_json_kv_double(pbase_json *j, const char *key, double v);
void pbase_json_kv_bool(pbase_json *j, const char *key, bool v);
/* A newline before the next element (or closing bracket), for readable
 * multi-line output; purely cosmetic. */
void pbase_json_newline(pbase_json *j);

/* ---- latency histogram -------------------------------------------------------------------- */

/* Fixed-size log-bucketed histogram of durations (any unit, usually ns):
 * exact below 64, then 64 linear sub-buckets per power of two, so quantiles
 * are within 1.1% whatever the number of samples. Zero-initialise, then record. */
#define PBASE_HIST_BUCKETS (64 * 37)
typedef struct pbase_hist {
    uint64_t count, total, max, min;
    uint32_t bucket[PBASE_HIST_BUCKETS];
} pbase_hist;

void pbase_hist_record(pbase_hist *h, uint64_t v);
/* Adds every sample of src to dst. */
void pbase_hist_merge(pbase_hist *dst, const pbase_hist *src);
/* q in [0,1]; returns an upper-bound estimate within 1.1% (0 if empty). */
double pbase_hist_quantile(const pbase_hist *h, double q);
double pbase_hist_mean(const pbase_hist *h);

#ifdef __cplusplus
}
#endif
#endif
