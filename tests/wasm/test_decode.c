/* Tests for the LEB128 readers and the module decoder (src/wasm/decode.c).
 *
 * Modules are hand-assembled as string literals so each test shows exactly
 * which bytes are at fault. The spec test suite is exercised separately
 * through wast2json; these cases pin down edge cases and the error wording.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

#include "../check.h"

/* --- LEB128 ------------------------------------------------------------- */

enum { U32, S32, S33, S64 };

/* Reads one integer of the given kind from `len` bytes; expects either the
 * value `want` consuming `used` bytes, or (when `why` is set) that error. */
static void leb(int line, int kind, const char *bytes, size_t len, int64_t want, size_t used, const char *why) {
    const uint8_t *p = (const uint8_t *)bytes, *end = p + len;
    const char *got_why = NULL;
    int64_t v = 0;
    bool ok;
    switch (kind) {
    case U32: {
        uint32_t u;
        ok = wm_read_u32(&p, end, &u, &got_why);
        v = u;
        break;
    }
    case S32: {
        int32_t s;
        ok = wm_read_s32(&p, end, &s, &got_why);
        v = s;
        break;
    }
    case S33: ok = wm_read_s33(&p, end, &v, &got_why); break;
    default: ok = wm_read_s64(&p, end, &v, &got_why); break;
    }
    if (why) {
        CHECK(!ok && got_why && strcmp(got_why, why) == 0, "line %d: expected '%s', got %s '%s'", line, why,
              ok ? "success" : "failure", got_why ? got_why : "(none)");
        CHECK(p == (const uint8_t *)bytes, "line %d: pointer moved on failure", line);
    } else {
        CHECK(ok && v == want && p == (const uint8_t *)bytes + used,
              "line %d: expected %" PRId64 " (%zu bytes), got %s %" PRId64 " (%zu bytes) %s", line, want, used,
              ok ? "ok" : "error", v, (size_t)(p - (const uint8_t *)bytes), got_why ? got_why : "");
    }
}

#define OK(kind, s, want) leb(__LINE__, kind, s, sizeof(s) - 1, want, sizeof(s) - 1, NULL)
#define BAD(kind, s, why) leb(__LINE__, kind, s, sizeof(s) - 1, 0, 0, why)

static const char *TOO_LONG = "integer representation too long";
static const char *TOO_LARGE = "integer too large";
static const char *EOF_ = "unexpected end";

static void test_leb(void) {
    /* u32 */
    OK(U32, "\x00", 0);
    OK(U32, "\x7f", 127);
    OK(U32, "\x80\x01", 128);
    OK(U32, "\x80\x00", 0);             /* padded */
    OK(U32, "\x80\x80\x80\x80\x00", 0); /* padded to the maximum length */
    OK(U32, "\xff\xff\xff\xff\x0f", 0xffffffff);
    OK(U32, "\x82\x80\x80\x80\x00", 2);
    BAD(U32, "\x80\x80\x80\x80\x80\x00", TOO_LONG);
    BAD(U32, "\xff\xff\xff\xff\x1f", TOO_LARGE);
    BAD(U32, "\x80\x80\x80\x80\x10", TOO_LARGE);
    BAD(U32, "\x82\x80\x80\x80\x70", TOO_LARGE);
    BAD(U32, "", EOF_);
    BAD(U32, "\x80", EOF_);
    BAD(U32, "\xff\xff\xff\xff", EOF_);
    /* trailing bytes are not consumed */
    leb(__LINE__, U32, "\x05\x06", 2, 5, 1, NULL);

    /* s32 */
    OK(S32, "\x00", 0);
    OK(S32, "\x7f", -1);
    OK(S32, "\x3f", 63);
    OK(S32, "\x40", -64);
    OK(S32, "\xc0\x00", 64);
    OK(S32, "\xff\x7f", -1); /* padded negative */
    OK(S32, "\xff\xff\xff\xff\x7f", -1);
    OK(S32, "\x80\x80\x80\x80\x00", 0);
    OK(S32, "\xff\xff\xff\xff\x07", INT32_MAX);
    OK(S32, "\x80\x80\x80\x80\x78", INT32_MIN);
    BAD(S32, "\x80\x80\x80\x80\x08", TOO_LARGE); /* 2^31: sign bit set, unused bits clear */
    BAD(S32, "\xff\xff\xff\xff\x77", TOO_LARGE); /* -2^31-1 */
    BAD(S32, "\xff\xff\xff\xff\x0f", TOO_LARGE);
    BAD(S32, "\x80\x80\x80\x80\x70", TOO_LARGE);
    BAD(S32, "\x80\x80\x80\x80\x1f", TOO_LARGE);
    BAD(S32, "\xff\xff\xff\xff\xff\x7f", TOO_LONG);
    BAD(S32, "\x80\x80\x80\x80\x80\x00", TOO_LONG);
    BAD(S32, "\xff", EOF_);

    /* s33 (block types) */
    OK(S33, "\x40", -64);
    OK(S33, "\x7f", -1);
    OK(S33, "\xff\xff\xff\xff\x0f", 0xffffffffLL);
    OK(S33, "\x80\x80\x80\x80\x70", -(1LL << 32));
    OK(S33, "\xff\xff\xff\xff\x7f", -1);
    BAD(S33, "\x80\x80\x80\x80\x10", TOO_LARGE); /* 2^32 */
    BAD(S33, "\xff\xff\xff\xff\x6f", TOO_LARGE);
    BAD(S33, "\x80\x80\x80\x80\x80\x00", TOO_LONG);

    /* s64 */
    OK(S64, "\x00", 0);
    OK(S64, "\x7f", -1);
    OK(S64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 0);
    OK(S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", -1);
    OK(S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", INT64_MAX);
    OK(S64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", INT64_MIN);
    OK(S64, "\x80\x80\x80\x80\x80\x80\x80\x80\x40", -(1LL << 62)); /* 9 bytes, sign from bit 6 */
    BAD(S64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", TOO_LARGE);
    BAD(S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7e", TOO_LARGE);
    BAD(S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x41", TOO_LARGE);
    BAD(S64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", TOO_LONG);
    BAD(S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", TOO_LONG);
    BAD(S64, "\x80\x80\x80", EOF_);
}

/* --- modules ---------------------------------------------------------- */

#define HDR "\0asm\1\0\0\0"

/* Expects the module to fail with `status` and a message starting with
 * `msg`; for WM_OK, `msg` is ignored. */
static void expect(int line, const char *bytes, size_t len, int status, const char *msg) {
    wm_module m;
    char err[160];
    memset(err, 'x', sizeof err);
    int r = wm_decode((const uint8_t *)bytes, len, &m, err, sizeof err);
    if (status == WM_OK) {
        CHECK(r == WM_OK, "line %d: expected success, got %d: %s", line, r, err);
        if (r == WM_OK)
            wm_module_free(&m);
        return;
    }
    CHECK(r == status && strncmp(err, msg, strlen(msg)) == 0 && strstr(err, " at offset 0x"),
          "line %d: expected %s '%s', got %d '%s'", line,
          status == WM_MALFORMED ? "malformed"
          : status == WM_LIMIT   ? "limit"
                                 : "invalid",
          msg, r, r == WM_OK ? "" : err);
}

#define GOOD(s) expect(__LINE__, s, sizeof(s) - 1, WM_OK, NULL)
#define MALF(s, msg) expect(__LINE__, s, sizeof(s) - 1, WM_MALFORMED, msg)
#define INVAL(s, msg) expect(__LINE__, s, sizeof(s) - 1, WM_INVALID, msg)
#define LIM(s, msg) expect(__LINE__, s, sizeof(s) - 1, WM_LIMIT, msg)

/* Type 0: [] -> []; type 1: [i32] -> [i32]. */
#define TYPES "\x01\x09\x02\x60\x00\x00\x60\x01\x7f\x01\x7f"
#define ONE_FUNC TYPES "\x03\x02\x01\x00"
#define ONE_BODY "\x0a\x04\x01\x02\x00\x0b"

static void test_header(void) {
    GOOD(HDR);
    MALF("", "unexpected end");
    MALF("\0as", "unexpected end");
    MALF("asm\0", "magic header not detected");
    MALF("\0asm", "unexpected end");
    MALF("\0asm\1\0\0", "unexpected end");
    MALF("\0asm\2\0\0\0", "unknown binary version");
    MALF(HDR "\x0d\x00", "malformed section id");
    MALF(HDR "\x7f\x00", "malformed section id");
    MALF(HDR "\x01", "unexpected end");
    MALF(HDR "\x01\x80", "unexpected end");
    MALF(HDR "\x01\x05\x00", "length out of bounds");
    MALF(HDR "\x01\x80\x80\x80\x80\x10", "integer too large");
}

static void test_sections(void) {
    GOOD(HDR TYPES);
    GOOD(HDR ONE_FUNC ONE_BODY);
    MALF(HDR "\x01\x05\x01\x60\x00\x00", "length out of bounds");
    MALF(HDR "\x01\x05\x01\x60\x00\x00\x00\x00", "section size mismatch");
    MALF(HDR "\x01\x03\x02\x60\x00\x00", "unexpected end");
    MALF(HDR "\x01\x04\x01\x61\x00\x00", "malformed function type");
    GOOD(HDR "\x01\x05\x01\x60\x01\x7b\x00");                         /* v128 (SIMD) */
    MALF(HDR "\x01\x05\x01\x60\x01\x7a\x00", "malformed value type"); /* no type is 0x7a */
    MALF(HDR "\x01\x04\x01\x60\x01\x40\x00", "malformed value type");
    /* order and duplicates */
    MALF(HDR TYPES TYPES, "unexpected content after last section");
    MALF(HDR "\x03\x01\x00" TYPES, "unexpected content after last section");
    MALF(HDR ONE_FUNC ONE_BODY "\x0c\x01\x00", "unexpected content after last section");
    GOOD(HDR "\x0c\x01\x00"
             "\x0a\x01\x00"
             "\x0b\x01\x00");
    /* custom sections go anywhere, but the name must be valid UTF-8 */
    GOOD(HDR "\x00\x02\x01x" TYPES "\x00\x03\x02xy");
    GOOD(HDR "\x00\x01\x00");
    MALF(HDR "\x00\x00", "unexpected end");
    MALF(HDR "\x00\x03\x02\xc0\x80", "malformed UTF-8 encoding");
    MALF(HDR "\x00\x04\x03\xed\xa0\x80", "malformed UTF-8 encoding");     /* surrogate */
    MALF(HDR "\x00\x05\x04\xf4\x90\x80\x80", "malformed UTF-8 encoding"); /* > U+10FFFF */
    MALF(HDR "\x00\x02\x05x", "length out of bounds");
    /* hostile counts must not allocate */
    MALF(HDR "\x01\x05\xff\xff\xff\xff\x0f", "unexpected end");
    MALF(HDR "\x02\x05\xff\xff\xff\xff\x0f", "unexpected end");
    MALF(HDR "\x07\x05\xff\xff\xff\xff\x0f", "unexpected end");
    /* function/code consistency */
    MALF(HDR ONE_FUNC, "function and code section have inconsistent lengths");
    MALF(HDR TYPES ONE_BODY, "function and code section have inconsistent lengths");
    MALF(HDR ONE_FUNC "\x0a\x07\x02\x02\x00\x0b\x02\x00\x0b",
         "function and code section have inconsistent lengths");
    GOOD(HDR "\x03\x01\x00\x0a\x01\x00");
    /* data count consistency */
    MALF(HDR "\x0c\x01\x01", "data count and data section have inconsistent lengths");
    MALF(HDR "\x0c\x01\x02\x0b\x03\x01\x01\x00", "data count and data section have inconsistent lengths");
    GOOD(HDR "\x0c\x01\x01\x0b\x03\x01\x01\x00");
    GOOD(HDR "\x0c\x01\x00");
}

static void test_imports_and_limits(void) {
    /* (import "m" "f" (func (type 0))) */
    GOOD(HDR TYPES "\x02\x07\x01\x01m\x01"
                   "f\x00\x00");
    INVAL(HDR TYPES "\x02\x07\x01\x01m\x01"
                    "f\x00\x05",
          "unknown type");
    MALF(HDR TYPES "\x02\x07\x01\x01m\x01"
                   "f\x04\x00",
         "malformed import kind");
    MALF(HDR TYPES "\x02\x07\x01\x01m\x01"
                   "f\x80\x00",
         "malformed import kind");
    MALF(HDR "\x02\x07\x01\x01m\x01\xff\x00\x00", "malformed UTF-8 encoding");
    MALF(HDR "\x02\x08\x01\x01m\x01"
             "f\x03\x7f\x02",
         "malformed mutability");
    MALF(HDR "\x02\x08\x01\x01m\x01"
             "f\x01\x71\x00\x00",
         "malformed reference type");
    GOOD(HDR "\x02\x09\x01\x01m\x01"
             "f\x02\x01\x00\x01");
    /* limits flags are a one-bit LEB128 */
    MALF(HDR "\x05\x03\x01\x02\x00", "integer too large");
    MALF(HDR "\x05\x04\x01\x81\x00\x00", "integer representation too long");
    MALF(HDR "\x04\x04\x01\x70\x02\x00", "integer too large");
    /* memory limits */
    GOOD(HDR "\x05\x06\x01\x01\x00\x80\x80\x04"); /* max 65536 pages */
    INVAL(HDR "\x05\x06\x01\x01\x00\x81\x80\x04", "memory size must be at most 65536 pages (4GiB)");
    INVAL(HDR "\x05\x05\x01\x00\x81\x80\x04", "memory size must be at most 65536 pages (4GiB)");
    INVAL(HDR "\x05\x04\x01\x01\x02\x01", "size minimum must not be greater than maximum");
    INVAL(HDR "\x05\x05\x02\x00\x00\x00\x00", "multiple memories");
    INVAL(HDR "\x02\x0f\x02\x01m\x01"
              "a\x02\x00\x00\x01m\x01"
              "b\x02\x00\x00",
          "multiple memories");
    INVAL(HDR "\x02\x08\x01\x01m\x01"
              "a\x02\x00\x00\x05\x03\x01\x00\x00",
          "multiple memories");
    /* tables: several allowed, min <= max */
    GOOD(HDR "\x04\x07\x02\x70\x00\x00\x6f\x00\x05");
    INVAL(HDR "\x04\x05\x01\x70\x01\x02\x01", "size minimum must not be greater than maximum");
    GOOD(HDR "\x04\x09\x01\x70\x01\x00\xff\xff\xff\xff\x0f"); /* table max 2^32-1 */
}

static void test_globals_exports_start(void) {
    /* (global i32 (i32.const 7)) */
    GOOD(HDR "\x06\x06\x01\x7f\x00\x41\x07\x0b");
    MALF(HDR "\x06\x06\x01\x7f\x02\x41\x07\x0b", "malformed mutability");
    INVAL(HDR "\x06\x06\x01\x7e\x00\x41\x07\x0b", "type mismatch");
    INVAL(HDR "\x06\x04\x01\x7f\x00\x0b", "type mismatch");
    INVAL(HDR "\x06\x08\x01\x7f\x00\x41\x07\x41\x07\x0b", "type mismatch");
    INVAL(HDR "\x06\x07\x01\x7f\x00\x41\x07\x6a\x0b", "constant expression required");
    INVAL(HDR "\x06\x05\x01\x7f\x00\x01\x0b", "constant expression required");
    MALF(HDR "\x06\x05\x01\x7f\x00\x06\x0b", "illegal opcode");
    MALF(HDR "\x06\x05\x01\x7f\x00\x41\x07", "unexpected end");
    /* global.get: only imported, immutable globals */
    INVAL(HDR "\x06\x0b\x02\x7f\x00\x41\x07\x0b\x7f\x00\x23\x00\x0b", "unknown global 0");
    GOOD(HDR "\x02\x08\x01\x01m\x01g\x03\x7f\x00"
             "\x06\x06\x01\x7f\x00\x23\x00\x0b");
    INVAL(HDR "\x02\x08\x01\x01m\x01g\x03\x7f\x01"
              "\x06\x06\x01\x7f\x00\x23\x00\x0b",
          "constant expression required");
    INVAL(HDR "\x02\x08\x01\x01m\x01g\x03\x7e\x00"
              "\x06\x06\x01\x7f\x00\x23\x00\x0b",
          "type mismatch");
    /* f32/f64/ref constants */
    GOOD(HDR "\x06\x09\x01\x7d\x00\x43\x00\x00\x80\x3f\x0b");
    GOOD(HDR "\x06\x0d\x01\x7c\x00\x44\x00\x00\x00\x00\x00\x00\xf0\x3f\x0b");
    MALF(HDR "\x06\x07\x01\x7c\x00\x44\x00\x00\x0b", "unexpected end");
    GOOD(HDR "\x06\x06\x01\x6f\x00\xd0\x6f\x0b");
    INVAL(HDR "\x06\x06\x01\x70\x00\xd0\x6f\x0b", "type mismatch");
    INVAL(HDR "\x06\x06\x01\x70\x00\xd2\x00\x0b", "unknown function 0");

    /* exports */
    GOOD(HDR ONE_FUNC "\x07\x09\x02\x01"
                      "a\x00\x00\x01"
                      "b\x00\x00" ONE_BODY);
    INVAL(HDR ONE_FUNC "\x07\x09\x02\x01"
                       "a\x00\x00\x01"
                       "a\x00\x00" ONE_BODY,
          "duplicate export name");
    /* names are compared by length, not as C strings */
    GOOD(HDR ONE_FUNC "\x07\x09\x02\x00\x00\x00\x02\x00x\x00\x00" ONE_BODY);
    INVAL(HDR ONE_FUNC "\x07\x05\x01\x01"
                       "a\x00\x01" ONE_BODY,
          "unknown function 1");
    INVAL(HDR "\x07\x05\x01\x01"
              "a\x01\x00",
          "unknown table 0");
    INVAL(HDR "\x07\x05\x01\x01"
              "a\x02\x00",
          "unknown memory 0");
    INVAL(HDR "\x07\x05\x01\x01"
              "a\x03\x00",
          "unknown global 0");
    MALF(HDR "\x07\x05\x01\x01"
             "a\x04\x00",
         "malformed export kind");

    /* start */
    GOOD(HDR ONE_FUNC "\x08\x01\x00" ONE_BODY);
    INVAL(HDR ONE_FUNC "\x08\x01\x01" ONE_BODY, "unknown function 1");
    INVAL(HDR TYPES "\x03\x02\x01\x01\x08\x01\x00\x0a\x06\x01\x04\x00\x20\x00\x0b", "start function");
    MALF(HDR ONE_FUNC "\x08\x01\x00\x08\x01\x00" ONE_BODY, "unexpected content after last section");
}

#define TABLE "\x04\x04\x01\x70\x00\x01"
#define MEMORY "\x05\x03\x01\x00\x01"

static void test_segments(void) {
    /* flags 0: (elem (i32.const 0) func 0) */
    GOOD(HDR ONE_FUNC TABLE "\x09\x07\x01\x00\x41\x00\x0b\x01\x00" ONE_BODY);
    INVAL(HDR ONE_FUNC "\x09\x07\x01\x00\x41\x00\x0b\x01\x00" ONE_BODY, "unknown table 0");
    INVAL(HDR ONE_FUNC TABLE "\x09\x07\x01\x00\x41\x00\x0b\x01\x01" ONE_BODY, "unknown function 1");
    INVAL(HDR ONE_FUNC TABLE "\x09\x07\x01\x00\x42\x00\x0b\x01\x00" ONE_BODY, "type mismatch");
    /* flags 1 (passive), 2 (explicit table), 3 (declarative) with elemkind */
    GOOD(HDR ONE_FUNC "\x09\x05\x01\x01\x00\x01\x00" ONE_BODY);
    MALF(HDR ONE_FUNC "\x09\x05\x01\x01\x01\x01\x00" ONE_BODY, "malformed elements segment kind");
    GOOD(HDR ONE_FUNC TABLE "\x09\x09\x01\x02\x00\x41\x00\x0b\x00\x01\x00" ONE_BODY);
    INVAL(HDR ONE_FUNC TABLE "\x09\x09\x01\x02\x01\x41\x00\x0b\x00\x01\x00" ONE_BODY, "unknown table 1");
    GOOD(HDR ONE_FUNC "\x09\x05\x01\x03\x00\x01\x00" ONE_BODY);
    /* flags 4-7: expressions */
    GOOD(HDR ONE_FUNC TABLE "\x09\x0c\x01\x04\x41\x00\x0b\x02\xd2\x00\x0b\xd0\x70\x0b" ONE_BODY);
    GOOD(HDR "\x09\x07\x01\x05\x6f\x01\xd0\x6f\x0b");
    INVAL(HDR "\x09\x07\x01\x05\x6f\x01\xd0\x70\x0b", "type mismatch");
    MALF(HDR "\x09\x07\x01\x05\x7f\x01\xd0\x70\x0b", "malformed reference type");
    MALF(HDR "\x09\x07\x01\x05\x70\x01\xf3\x00\x0b", "illegal opcode");
    GOOD(HDR "\x04\x04\x01\x6f\x00\x01"
             "\x09\x0b\x01\x06\x00\x41\x00\x0b\x6f\x01\xd0\x6f\x0b");
    INVAL(HDR TABLE "\x09\x0b\x01\x06\x00\x41\x00\x0b\x6f\x01\xd0\x6f\x0b", "type mismatch");
    GOOD(HDR ONE_FUNC "\x09\x07\x01\x07\x70\x01\xd2\x00\x0b" ONE_BODY);
    MALF(HDR "\x09\x03\x01\x08\x00", "malformed elements segment kind");

    /* data: flags 0, 1, 2 */
    GOOD(HDR MEMORY "\x0b\x07\x01\x00\x41\x00\x0b\x01x");
    INVAL(HDR "\x0b\x07\x01\x00\x41\x00\x0b\x01x", "unknown memory 0");
    INVAL(HDR MEMORY "\x0b\x08\x01\x02\x01\x41\x00\x0b\x01x", "unknown memory 1");
    GOOD(HDR MEMORY "\x0b\x08\x01\x02\x00\x41\x00\x0b\x01x");
    GOOD(HDR "\x0b\x04\x01\x01\x01x");
    MALF(HDR "\x0b\x04\x01\x03\x01x", "malformed data segment kind");
    INVAL(HDR MEMORY "\x0b\x07\x01\x00\x42\x00\x0b\x01x", "type mismatch");
    MALF(HDR MEMORY "\x0b\x07\x01\x00\x41\x00\x0b\x02x", "unexpected end");
}

static void test_code(void) {
    /* locals: 2 x i32, 1 x f64 */
    GOOD(HDR ONE_FUNC "\x0a\x08\x01\x06\x02\x02\x7f\x01\x7c\x0b");
    GOOD(HDR ONE_FUNC "\x0a\x08\x01\x06\x02\x02\x7f\x01\x7b\x0b"); /* a v128 local */
    MALF(HDR ONE_FUNC "\x0a\x08\x01\x06\x02\x02\x7f\x01\x7a\x0b", "malformed value type");
    MALF(HDR ONE_FUNC "\x0a\x0c\x01\x0a\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e\x0b", "too many locals");
    /* Past the spec's 2^32 - 1 a binary is malformed; past the engine's
     * PW_LIMIT_LOCALS (10^6) it is valid but refused as an implementation
     * limit, a distinct status. */
    GOOD(HDR ONE_FUNC "\x0a\x08\x01\x06\x01\xa0\x8d\x06\x7f\x0b");                   /* 100000 */
    LIM(HDR ONE_FUNC "\x0a\x08\x01\x06\x01\xc1\x84\x3d\x7f\x0b", "too many locals"); /* 1000001 */
    GOOD(HDR ONE_FUNC "\x0a\x08\x01\x06\x01\xc0\x84\x3d\x7f\x0b");                   /* 1000000 */
    LIM(HDR ONE_FUNC "\x0a\x0c\x01\x0a\x02\xa0\xc2\x1e\x7f\xa1\xc2\x1e\x7e\x0b",
        "too many locals"); /* 500000 + 500001 */
    MALF(HDR ONE_FUNC "\x0a\x0c\x01\x0a\x02\x80\x80\x80\x80\x10\x7f\x02\x7e\x0b", "integer too large");
    MALF(HDR ONE_FUNC "\x0a\x05\x01\x09\x00\x00\x0b", "length out of bounds");
    MALF(HDR ONE_FUNC "\x0a\x04\x01\x01\x02\x0b", "unexpected end");
}

/* A module using every section; checks what the decoder records. */
static void test_full_module(void) {
    static const char mod[] = HDR "\x01\x09\x02\x60\x00\x00\x60\x01\x7f\x01\x7f" /* types */
                                  "\x02\x0e\x02\x01m\x01"
                                  "f\x00\x01\x01m\x01g\x03\x7f\x00" /* import f: type 1, global g */
                                  "\x03\x03\x02\x00\x01"            /* funcs 1: type 0, 2: type 1 */
                                  "\x04\x04\x01\x70\x00\x02"        /* table */
                                  "\x05\x04\x01\x01\x01\x02"        /* memory 1..2 */
                                  "\x06\x0b\x02\x7f\x01\x23\x00\x0b\x70\x00\xd2\x02\x0b"         /* globals */
                                  "\x07\x0b\x02\x03run\x00\x01\x01t\x01\x00"                     /* exports */
                                  "\x08\x01\x01"                                                 /* start */
                                  "\x09\x07\x01\x00\x41\x01\x0b\x01\x00"                         /* elem */
                                  "\x0c\x01\x02"                                                 /* datacount */
                                  "\x0a\x0d\x02\x02\x00\x0b\x08\x02\x01\x7e\x02\x7d\x20\x00\x0b" /* code */
                                  "\x0b\x0d\x02\x00\x41\x10\x0b\x02hi\x01\x03"
                                  "abc"                                /* data */
                                  "\x00\x17\x04name"                   /* name section: */
                                  "\x00\x03\x02md"                     /*   module name */
                                  "\x01\x0b\x02\x01\x03two\x02\x03thr" /*   funcs 1, 2 */
                                  "\x00\x04\x03xyz";
    wm_module m;
    char err[160];
    int r = wm_decode((const uint8_t *)mod, sizeof mod - 1, &m, err, sizeof err);
    CHECK(r == WM_OK, "full module: %s", err);
    if (r != WM_OK)
        return;
    CHECK(m.ntypes == 2 && m.types[1].nparams == 1 && m.types[1].nresults == 1 && m.types[1].types[0] == WM_I32 &&
              m.types[1].types[1] == WM_I32,
          "types");
    CHECK(m.nimports == 2 && m.nfunc_imports == 1 && m.nglobal_imports == 1 &&
              strcmp(m.imports[0].module, "m") == 0 && strcmp(m.imports[1].name, "g") == 0 &&
              m.imports[1].name_len == 1,
          "imports");
    CHECK(m.nfuncs == 3 && m.func_types[0] == 1 && m.func_types[1] == 0 && m.func_types[2] == 1,
          "function index space");
    CHECK(m.ntables == 1 && m.tables[0].reftype == WM_FUNCREF && m.tables[0].limits.min == 2, "tables");
    CHECK(m.nmemories == 1 && m.memories[0].has_max && m.memories[0].max == 2, "memories");
    CHECK(m.nglobals == 3 && m.global_types[1].mut && m.globals[0].init.op == WM_CONST_GLOBAL_GET &&
              m.globals[1].type.valtype == WM_FUNCREF && m.globals[1].init.value == 2,
          "globals");
    CHECK(m.nexports == 2 && strcmp(m.exports[0].name, "run") == 0 && m.exports[0].name_len == 3 &&
              m.exports[1].kind == WM_EXT_TABLE,
          "exports");
    CHECK(m.has_start && m.start == 1, "start");
    CHECK(m.nelems == 1 && m.elems[0].mode == WM_SEG_ACTIVE && m.elems[0].offset.value == 1 &&
              m.elems[0].count == 1 && m.elems[0].items[0].op == WM_CONST_REF_FUNC &&
              m.elems[0].items[0].value == 0,
          "elems");
    CHECK(m.has_datacount && m.datacount == 2 && m.ndatas == 2 && m.datas[0].len == 2 &&
              memcmp(m.datas[0].bytes, "hi", 2) == 0 && m.datas[0].offset.value == 16 &&
              m.datas[1].mode == WM_SEG_PASSIVE && m.datas[1].len == 3,
          "datas");
    CHECK(m.ncodes == 2 && m.codes[0].nlocals == 0 && m.codes[0].body_len == 1 && m.codes[1].type_index == 1 &&
              m.codes[1].nlocals == 3 && m.codes[1].local_types[0] == WM_I64 &&
              m.codes[1].local_types[2] == WM_F32,
          "codes");
    const uint8_t *b = m.codes[1].body;
    CHECK(m.codes[1].body_len == 3 && b[0] == 0x20 && b[2] == 0x0b && m.bytes + m.codes[1].body_offset == b &&
              mod[m.codes[1].body_offset] == 0x20,
          "body");
    CHECK(m.func_refs && (m.func_refs[0] & 7) == 7, "func_refs %x", m.func_refs ? m.func_refs[0] : 0);
    CHECK(m.ncustoms == 2 && strcmp(m.customs[1].name, "xyz") == 0 && m.customs[1].len == 0, "customs");
    CHECK(m.module_name && strcmp(m.module_name, "md") == 0 && m.func_names && m.func_names[0] == NULL &&
              strcmp(m.func_names[1], "two") == 0 && strcmp(m.func_names[2], "thr") == 0,
          "names");
    wm_module_free(&m);

    /* Every truncation fails cleanly (except at section boundaries, which
     * leave a shorter valid module or a count mismatch), and so does every
     * single-byte corruption, without crashing or leaking. */
    unsigned ok_prefixes = 0;
    for (size_t n = 0; n < sizeof mod - 1; n++) {
        r = wm_decode((const uint8_t *)mod, n, &m, err, sizeof err);
        if (r == WM_OK) {
            ok_prefixes++;
            wm_module_free(&m);
        }
        CHECK(r == WM_OK || strstr(err, " at offset 0x"), "prefix %zu: '%s'", n, err);
    }
    CHECK(ok_prefixes < 6, "%u prefixes decoded", ok_prefixes);
    char copy[sizeof mod];
    for (size_t i = 8; i < sizeof mod - 1; i++) {
        static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
        for (size_t k = 0; k < sizeof vals; k++) {
            memcpy(copy, mod, sizeof mod);
            copy[i] = (char)vals[k];
            r = wm_decode((const uint8_t *)copy, sizeof mod - 1, &m, err, sizeof err);
            if (r == WM_OK)
                wm_module_free(&m);
        }
    }
    check_passed++;

    /* A broken name section is ignored, not an error. */
    static const char badnames[] = HDR ONE_FUNC ONE_BODY "\x00\x0a\x04name\x01\x03\x01\x05x";
    r = wm_decode((const uint8_t *)badnames, sizeof badnames - 1, &m, err, sizeof err);
    CHECK(r == WM_OK && m.func_names == NULL && m.module_name == NULL && m.ncustoms == 1,
          "broken name section: %d %s", r, err);
    if (r == WM_OK)
        wm_module_free(&m);

    /* The error message is bounded by errlen and NUL-terminated. */
    char small[8];
    memset(small, 'x', sizeof small);
    r = wm_decode((const uint8_t *)"\0asm\2\0\0\0", 8, &m, small, sizeof small);
    CHECK(r == WM_MALFORMED && small[7] == '\0' && strcmp(small, "unknown") == 0, "small buffer");
    r = wm_decode((const uint8_t *)"\0asm\2\0\0\0", 8, &m, NULL, 0);
    CHECK(r == WM_MALFORMED, "no buffer");
}

int main(void) {
    test_leb();
    test_header();
    test_sections();
    test_imports_and_limits();
    test_globals_exports_start();
    test_segments();
    test_code();
    test_full_module();
    return CHECK_REPORT();
}
