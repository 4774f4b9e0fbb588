/* `portalis serve`: the live viewer and control API of a running scene and
 * the KServe v2 inference protocol over a Triton-style model repository, on
 * one HTTP server (src/serve, docs/serve.md).
 *
 *   portalis serve [SCENE.usda] [--models DIR] [--listen HOST:PORT] [--token-file FILE] ...
 *
 * Runs until SIGINT or SIGTERM, then stops cleanly (open event streams end,
 * connections finish, modules are freed) and exits 0. Exit status: 1 the
 * scene, the repository or the address cannot be used; 2 usage. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <portalis/base.h>

#include "cli.h"

static void serve_usage(FILE *f) {
    fprintf(
        f,
        "usage: portalis serve [SCENE.usda] [--models DIR] [--listen HOST:PORT] [--token-file FILE]\n"
        "                      [--web DIR] [--paused] [--fps HZ] [--tier T] [--max-body BYTES] [--timeout DUR]\n"
        "                      [--max-connections N] [--threads N] [--instances N] [--call-budget DUR]\n"
        "                      [--playback RUN.usda]...\n\n"
        "Serves, on one HTTP server, a live 3D viewer and control API of the running scene (/, /api/...)\n"
        "and the WebAssembly models of a Triton-style repository (DIR/<model>/config.pbtxt and\n"
        "DIR/<model>/<version>/model.wasm) over the KServe v2 inference protocol (/v2/...), with\n"
        "Prometheus metrics at /metrics. Stops on SIGINT or SIGTERM. docs/serve.md.\n"
        "  --listen HOST:PORT   address (default 127.0.0.1:8080, loopback only; port 0 = any free port,\n"
        "                       printed on the first line of output)\n"
        "  --token-file FILE    require 'Authorization: Bearer TOKEN' (the file's first line) on the API\n"
        "  --playback RUN.usda  a finished run's output layer (portalis run -o) to play back in the\n"
        "                       viewer (repeatable, at most 16)\n"
        "  --web DIR            the viewer's built bundle (default: share/portalis/web beside the program)\n"
        "  --paused             the scene waits for play (default: it plays at its frame rate)\n"
        "  --fps HZ             the scene's frame rate (default: the scene's)\n"
        "  --tier T             who runs the scene's modules that set no wasm:tier: interp (default),\n"
        "                       native or auto (docs/aot.md)\n"
        "  --max-body BYTES     request bodies past this are refused with 413 (default 8388608)\n"
        "  --timeout DUR        idle connections are closed after this (default 30s)\n"
        "  --max-connections N  concurrent connections (default 64)\n"
        "  --threads N          threads serving the connections (default: one per processor)\n"
        "  --instances N        instances of each model version, to serve N requests at once (default 2)\n"
        "  --call-budget DUR    deadline of one model call (default 1s)\n");
}

#ifdef PORTALIS_HAVE_SERVE
#include "serve.h"

/* The token: the file's first line, which must not be empty. */
static char *read_token(const char *path) {
    pbase_error pe;
    char *text = NULL;
    size_t len = 0;
    if (pbase_read_file(path, 4096, &text, &len, &pe)) {
        fprintf(stderr, "portalis serve: --token-file: %s\n", pe.message);
        return NULL;
    }
    text[strcspn(text, "\r\n")] = 0;
    if (strlen(text) < 16) {
        fprintf(stderr,
                "portalis serve: --token-file %s: the token (its first line) must have 16 characters or "
                "more\n",
                path);
        free(text);
        return NULL;
    }
    return text;
}

/* share/portalis/web beside the program (the build tree stages it there). */
static void default_web_dir(char *buf, size_t cap) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    buf[0] = 0;
    if (n <= 0)
        return;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    snprintf(buf, cap, "%s/../share/portalis/web", exe);
}

static bool is_loopback(const char *listen) {
    return !strncmp(listen, "127.", 4) || !strncmp(listen, "[::1]:", 6) || !strncmp(listen, "localhost:", 10);
}

#define MAX_PLAYBACK 16

typedef struct serve_args {
    psv_options o;
    const char *playback[MAX_PLAYBACK];
    const char *token_file;
    char web[4200];
} serve_args;

static int bad_value(const char *opt, const char *v, const char *expected) {
    fprintf(stderr, "portalis serve: bad value for %s: '%s' (expected %s)\n", opt, v, expected);
    return CLI_EXIT_USAGE;
}

static int parse_option(serve_args *a, const char *opt, const char *v) {
    uint64_t u = 0;
    double d = 0;
    if (!strcmp(opt, "--models"))
        a->o.models = v;
    else if (!strcmp(opt, "--listen"))
        a->o.listen = v;
    else if (!strcmp(opt, "--token-file"))
        a->token_file = v;
    else if (!strcmp(opt, "--web"))
        a->o.web_dir = v;
    else if (!strcmp(opt, "--playback")) {
        if (a->o.nplayback == MAX_PLAYBACK)
            return bad_value(opt, v, "at most 16 runs");
        a->playback[a->o.nplayback++] = v;
        a->o.playback = a->playback;
    } else if (!strcmp(opt, "--tier"))
        return pb_tier_parse(v, &a->o.host.tier) ? 0 : bad_value(opt, v, "interp, native or auto");
    else if (!strcmp(opt, "--fps"))
        return cli_parse_double(v, 0.001, 10000, &a->o.host.fps) ? 0 : bad_value(opt, v, "0.001 to 10000");
    else if (!strcmp(opt, "--max-body"))
        return cli_parse_u64(v, 1024, 1u << 30, &u) ? (a->o.max_body_bytes = u, 0)
                                                    : bad_value(opt, v, "1024 to 1073741824 bytes");
    else if (!strcmp(opt, "--timeout"))
        return cli_parse_duration(v, &u) && u >= 1000000000ull && u <= 3600000000000ull
                   ? (a->o.timeout_s = (unsigned)(u / 1000000000ull), 0)
                   : bad_value(opt, v, "1s to 1h");
    else if (!strcmp(opt, "--max-connections"))
        return cli_parse_u64(v, 1, 10000, &u) ? (a->o.max_connections = (unsigned)u, 0)
                                              : bad_value(opt, v, "1 to 10000");
    else if (!strcmp(opt, "--threads"))
        return cli_parse_u64(v, 1, 256, &u) ? (a->o.threads = (unsigned)u, 0) : bad_value(opt, v, "1 to 256");
    else if (!strcmp(opt, "--instances"))
        return cli_parse_u64(v, 1, 64, &u) ? (a->o.instances = (unsigned)u, 0) : bad_value(opt, v, "1 to 64");
    else if (!strcmp(opt, "--call-budget"))
        return cli_parse_duration(v, &u) && u > 0 ? (a->o.call_budget_ns = u, 0)
                                                  : bad_value(opt, v, "a duration such as 500ms");
    else {
        fprintf(stderr, "portalis serve: unknown option '%s'\n", opt);
        serve_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    (void)d;
    return 0;
}

static int parse_args(serve_args *a, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            serve_usage(stdout);
            return -1;
        }
        if (!strcmp(s, "--paused")) {
            a->o.start_paused = true;
        } else if (s[0] == '-' && s[1]) {
            if (i + 1 >= argc) {
                fprintf(stderr, "portalis serve: %s needs a value\n", s);
                return CLI_EXIT_USAGE;
            }
            int rc = parse_option(a, s, argv[++i]);
            if (rc)
                return rc;
        } else if (!a->o.scene) {
            a->o.scene = s;
        } else {
            fprintf(stderr, "portalis serve: one scene only ('%s' and '%s')\n", a->o.scene, s);
            return CLI_EXIT_USAGE;
        }
    }
    if (!a->o.scene && !a->o.models && !a->o.nplayback) {
        fprintf(stderr,
                "portalis serve: nothing to serve: give a SCENE.usda, --models DIR, --playback RUN.usda\n");
        serve_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int run_server(serve_args *a) {
    char err[1024];
    psv_server *s = NULL;
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    pthread_sigmask(SIG_BLOCK, &set, &old); /* every server thread inherits it; sigwait below takes them */
    if (psv_start(&a->o, &s, err, sizeof err)) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        fprintf(stderr, "portalis serve: %s\n", err);
        return CLI_EXIT_LOAD;
    }
    for (size_t i = 0; i < psv_diagnostic_count(s); i++)
        fprintf(stderr, "portalis serve: %s\n", psv_diagnostic(s, i));
    if (!a->o.token && !is_loopback(a->o.listen))
        fprintf(stderr,
                "portalis serve: warning: listening beyond loopback without --token-file: anyone who can "
                "reach %s controls the scene and runs the models (docs/serve.md, threat model)\n",
                a->o.listen);
    printf("portalis serve: listening on %s\n", psv_url(s));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "portalis serve: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    psv_stop(s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return CLI_EXIT_OK;
}

int cmd_serve(int argc, char **argv) {
    serve_args a = {.o = psv_options_default()};
    int rc = parse_args(&a, argc, argv);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    char *token = NULL;
    if (a.token_file && !(token = read_token(a.token_file)))
        return CLI_EXIT_USAGE;
    a.o.token = token;
    if (!a.o.web_dir) {
        default_web_dir(a.web, sizeof a.web);
        a.o.web_dir = a.web;
    }
    rc = run_server(&a);
    free(token);
    return rc;
}

#else

int cmd_serve(int argc, char **argv) {
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        serve_usage(stdout);
        return CLI_EXIT_OK;
    }
    fprintf(stderr, "portalis serve: this portalis was built without the server: install the Debian packages "
                    "libmicrohttpd-dev (bash scripts/deps.sh) and configure the build again\n");
    return CLI_EXIT_LOAD;
}

#endif
