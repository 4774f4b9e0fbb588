/* The serve layer's JSON reader (src/serve/jsonin.c): what RFC 8259 allows
 * is read, anything else is refused with a position; strings decode
 * escapes and surrogate pairs; integers are exact to 64 bits; doubles equal
 * strtod's for every literal tried (the fast path and the fallback). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "serve_internal.h"

static bool parses(const char *text) {
    psv_jdoc d;
    size_t at;
    int rc = psv_json_parse(&d, text, strlen(text), &at);
    psv_json_free(&d);
    return rc == 0;
}

static void test_grammar(void) {
    const char *good[] = {"{}",
                          "[]",
                          " { } ",
                          "0",
                          "-0",
                          "1.5e-3",
                          "\"\"",
                          "true",
                          "null",
                          "[1, [2, [3, {}]], {\"a\": {\"b\": []}}]",
                          "{\"a\":1,\"b\":[true,false,null]}",
                          "\"\\u00e9\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
                          "\t\r\n[ 1 ,2 ]\n"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK(parses(good[i]), "valid JSON refused: %s", good[i]);
    const char *bad[] = {"",         " ",        "{",          "[1,]",       "[,1]",     "{,}",         "{\"a\"}",
                         "{\"a\":}", "{a:1}",    "{\"a\":1,}", "[1 2]",      "01",       "1.",          ".5",
                         "1e",       "+1",       "-",          "\"abc",      "\"\\x\"",  "\"\\u12g4\"", "tru",
                         "nul",      "[1]]",     "[1] x",      "{\"a\":1}{", "\"\x01\"", "[}",          "{]",
                         "NaN",      "Infinity", "[1,]]",      "{\"a\" 1}",  "[\"a\":1]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(!parses(bad[i]), "invalid JSON accepted: %s", bad[i]);
    char deep[200];
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    deep[128] = 0;
    CHECK(parses(deep), "64 levels of nesting are read");
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = 0;
    CHECK(!parses(deep), "65 levels are refused, without recursion");
    psv_jdoc d;
    size_t at = 0;
    CHECK(psv_json_parse(&d, "{\"a\": [1, 2,, 3]}", 17, &at) && at >= 10 && at <= 13, "error position %zu", at);
    psv_json_free(&d);
    /* the length bounds the text: what follows (binary tensors) is not read */
    CHECK(!psv_json_parse(&d, "[1]\x00\xff", 3, &at), "a prefix of the buffer");
    psv_json_free(&d);
}

static void test_navigation(void) {
    const char *text = "{\"inputs\": [{\"name\": \"v\", \"data\": [[1, 2], [3]]}, {\"name\": \"w\\u00e9\"}], "
                       "\"x\\\"y\": true, \"n\": null}";
    psv_jdoc d;
    size_t at;
    CHECK(!psv_json_parse(&d, text, strlen(text), &at), "navigation document");
    int inputs = psv_j_get(&d, 0, "inputs");
    CHECK(psv_j_is(&d, inputs, PSV_JARR), "inputs is an array");
    int n = 0, first = psv_j_first(&d, inputs);
    for (int e = first; e >= 0; e = psv_j_next(&d, inputs, e))
        n++;
    CHECK(n == 2, "two inputs, got %d", n);
    CHECK(psv_j_streq(&d, psv_j_get(&d, first, "name"), "v"), "first name");
    int second = psv_j_next(&d, inputs, first);
    char buf[16];
    CHECK(psv_j_str(&d, psv_j_get(&d, second, "name"), buf, sizeof buf) == 3 && !strcmp(buf, "w\xc3\xa9"),
          "escaped name decoded: %s", buf);
    CHECK(psv_j_streq(&d, psv_j_get(&d, second, "name"), "w\xc3\xa9"), "escaped name compares");
    CHECK(psv_j_is(&d, psv_j_get(&d, 0, "x\"y"), PSV_JTRUE), "escaped key");
    CHECK(psv_j_is(&d, psv_j_get(&d, 0, "n"), PSV_JNULL), "null member");
    CHECK(psv_j_get(&d, 0, "data") < 0 && psv_j_get(&d, inputs, "name") < 0 && psv_j_get(&d, -1, "x") < 0,
          "absent members");
    int data = psv_j_get(&d, first, "data"), rows = 0;
    for (int e = psv_j_first(&d, data); e >= 0; e = psv_j_next(&d, data, e))
        rows++;
    CHECK(rows == 2, "nested rows %d", rows);
    psv_json_free(&d);
    const char *s = "[\"\\ud83d\\ude00\", \"\\ud800x\", \"abcdefgh\"]";
    CHECK(!psv_json_parse(&d, s, strlen(s), &at), "strings");
    char out[32];
    psv_j_str(&d, 1, out, sizeof out);
    CHECK(!strcmp(out, "\xf0\x9f\x98\x80"), "surrogate pair: %s", out);
    psv_j_str(&d, 2, out, sizeof out);
    CHECK(!strcmp(out, "\xef\xbf\xbdx"), "lone surrogate: %s", out);
    CHECK(psv_j_str(&d, 3, out, 4) == 8 && !strcmp(out, "abc"), "cut to the buffer: %s", out);
    char *dup = psv_j_strdup(&d, 3);
    CHECK(dup && !strcmp(dup, "abcdefgh"), "strdup");
    free(dup);
    psv_json_free(&d);
}

static void test_integers(void) {
    static const struct {
        const char *text;
        int rc;
        bool neg;
        uint64_t mag;
    } cases[] = {{"0", 1, false, 0},
                 {"-0", 1, true, 0},
                 {"9007199254740993", 1, false, 9007199254740993u},
                 {"18446744073709551615", 1, false, UINT64_MAX},
                 {"18446744073709551616", -1, false, 0},
                 {"-9223372036854775808", 1, true, 9223372036854775808u},
                 {"100000000000000000000000", -1, false, 0},
                 {"1e3", 0, false, 0},
                 {"2.0", 0, false, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        psv_jdoc d;
        size_t at;
        bool neg = false;
        uint64_t mag = 0;
        CHECK(!psv_json_parse(&d, cases[i].text, strlen(cases[i].text), &at), "number %s", cases[i].text);
        int rc = psv_j_integer(&d, 0, &neg, &mag);
        CHECK(rc == cases[i].rc && (rc != 1 || (neg == cases[i].neg && mag == cases[i].mag)),
              "integer %s: %d %d %llu", cases[i].text, rc, neg, (unsigned long long)mag);
        psv_json_free(&d);
    }
}

/* psv_j_double against strtod over literals of every form: random digits,
 * fractions and exponents around the fast path's limits. */
static void test_doubles(void) {
    unsigned long long x = 0x9e3779b97f4a7c15ull;
    int mismatches = 0, tried = 0;
    for (int k = 0; k < 20000; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        char lit[64];
        int digits = 1 + (int)(x % 19), frac = (int)(x >> 8) % (digits + 1), e = (int)((x >> 16) % 61) - 30;
        size_t n = 0;
        if (x >> 40 & 1)
            lit[n++] = '-';
        unsigned long long y = x * 0x2545f4914f6cdd1dull;
        int ip = digits - frac > 0 ? digits - frac : 1;
        for (int i = 0; i < ip + frac; i++, y = y / 10 ? y / 10 : x * 0x9e3779b97f4a7c15ull + (unsigned)i) {
            if (i == ip)
                lit[n++] = '.';
            lit[n++] = (char)('0' + (i == 0 && ip > 1 ? 1 + y % 9 : y % 10));
        }
        if (x >> 41 & 1)
            n += (size_t)snprintf(lit + n, sizeof lit - n, "e%d", e);
        lit[n] = 0;
        psv_jdoc d;
        size_t at;
        double got = NAN;
        if (psv_json_parse(&d, lit, n, &at)) {
            CHECK(false, "generated literal refused: %s", lit);
            continue;
        }
        tried++;
        double want = strtod(lit, NULL);
        if (!psv_j_double(&d, 0, &got) || memcmp(&got, &want, sizeof got)) {
            if (mismatches++ < 5)
                CHECK(false, "%s: %.17g, strtod %.17g", lit, got, want);
        }
        psv_json_free(&d);
    }
    CHECK(mismatches == 0 && tried == 20000, "%d of %d doubles differ from strtod", mismatches, tried);
}

int main(void) {
    test_grammar();
    test_navigation();
    test_integers();
    test_doubles();
    return CHECK_REPORT();
}
