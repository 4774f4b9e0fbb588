#!/usr/bin/env python3
"""Tests of `portalis serve` (docs/serve.md), with the standard library only.

    serve_test.py kserve|hostile|scene|cli --portalis BIN --models REPO --triton REPO --scene SCENE --work DIR

Each server listens on port 0 (the OS chooses; the first line of output says
which) and is stopped with SIGTERM at the end: it must exit 0, so a crash
anywhere fails the test. Ends with a summary line."""
import argparse
import http.client
import json
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

FAILED = []
PASSED = [0]


def check(cond, what):
    if cond:
        PASSED[0] += 1
    else:
        FAILED.append(what)
        print("FAIL:", what, flush=True)


class Server:
    def __init__(self, binary, *args):
        self.p = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        if "listening on" not in line:
            err = self.p.stderr.read()
            raise SystemExit("server did not start: %r %s" % (line, err))
        self.url = line.split("listening on ")[1].strip().rstrip("/")
        self.host, self.port = self.url[len("http://"):].rsplit(":", 1)
        self.port = int(self.port)

    def request(self, method, path, body=None, headers=None, raw=False):
        """(status, headers, parsed JSON or bytes)."""
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, hdrs, payload = r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, payload = e.code, dict(e.headers), e.read()
        if raw:
            return status, hdrs, payload
        try:
            return status, hdrs, json.loads(payload)
        except ValueError:
            return status, hdrs, payload

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = "hung"
        err = self.p.stderr.read()
        check(rc == 0, "server exits 0 on SIGTERM (got %s): %s" % (rc, err[-2000:]))
        return err


def tensor(name, shape, dtype, data):
    return {"name": name, "shape": shape, "datatype": dtype, "data": data}


def infer(srv, model, inputs, outputs=None, version=None):
    body = {"inputs": inputs}
    if outputs is not None:
        body["outputs"] = outputs
    path = "/v2/models/%s%s/infer" % (model, "/versions/%s" % version if version else "")
    return srv.request("POST", path, body)


def projectile(v, angle, t):
    """The reference (demos/projectile/python/projectile.py, landing clamp)."""
    a = angle * 3.141592653589793 / 180.0
    tl = max(2.0 * v * math.sin(a) / 9.81, 0.0)
    if t >= tl:
        return [v * math.cos(a) * tl, 0.0, 0.0]
    return [v * math.cos(a) * t, 0.0, v * math.sin(a) * t - 0.5 * 9.81 * t * t]


def direct_call(binary, module, func, *args):
    out = subprocess.run([binary, "run", "--invoke", func, module, *map(str, args)],
                         capture_output=True, text=True, check=True).stdout
    return float(out.split()[0])


# ---- KServe v2 endpoints -----------------------------------------------------

def test_metadata(srv):
    st, _, b = srv.request("GET", "/v2/health/live")
    check(st == 200 and b == {"live": True}, "health/live: %s %s" % (st, b))
    st, _, b = srv.request("GET", "/v2/health/ready")
    check(st == 503 and b == {"ready": False}, "health/ready is 503 while a model is unavailable: %s %s" % (st, b))
    st, _, b = srv.request("GET", "/v2")
    check(st == 200 and b["name"] == "portalis" and "binary_tensor_data" in b["extensions"], "server metadata %s" % b)
    st, _, b = srv.request("GET", "/v2/models/double")
    check(st == 200 and b["inputs"] == [{"name": "x", "datatype": "INT64", "shape": [-1, 1]}]
          and b["versions"] == ["1"] and b["platform"] == "wasm", "model metadata %s" % b)
    st, _, b = srv.request("GET", "/v2/models/addsub/versions/1")
    check(st == 200 and b["outputs"][1] == {"name": "diff", "datatype": "INT32", "shape": [1]},
          "versioned metadata, no batch dimension %s" % b)
    for m in ("double", "addsub", "sum3"):
        st, _, b = srv.request("GET", "/v2/models/%s/ready" % m)
        check(st == 200 and b == {"name": m, "ready": True}, "model %s ready: %s %s" % (m, st, b))
    st, _, b = srv.request("GET", "/v2/models/onnx/ready")
    check(st == 503 and b["ready"] is False, "onnx not ready: %s %s" % (st, b))
    st, _, b = srv.request("POST", "/v2/repository/index", b"")
    states = {e["name"]: e["state"] for e in b}
    check(states.get("double") == "READY" and states.get("onnx") == "UNAVAILABLE"
          and states.get("badargs") == "UNAVAILABLE", "repository index %s" % states)
    reasons = {e["name"]: e.get("reason", "") for e in b}
    check("onnxruntime" in reasons["onnx"] and "2 elements per row" in reasons["badargs"]
          and "v128" in reasons["vec"],
          "reasons of unavailable models: %s" % reasons)


def test_infer(srv, binary, projectile_wasm):
    xs = [0, 1, -7, 2 ** 40, -(2 ** 50)]
    st, _, b = infer(srv, "double", [tensor("x", [5, 1], "INT64", xs)])
    check(st == 200 and b["outputs"][0]["data"] == [2 * x for x in xs] and b["outputs"][0]["shape"] == [5, 1],
          "batch entry point: %s %s" % (st, b))
    st, _, c = infer(srv, "double_rows", [tensor("x", [5, 1], "INT64", [[x] for x in xs])])
    check(st == 200 and c["outputs"][0]["data"] == b["outputs"][0]["data"],
          "row by row (nested data) equals the batch entry point: %s" % c)
    st, _, b = infer(srv, "addsub", [tensor("ab", [2], "INT32", [7, 10])])
    check(st == 200 and [o["data"] for o in b["outputs"]] == [[17], [-3]], "two results %s" % b)
    st, _, b = infer(srv, "addsub", [tensor("ab", [2], "INT32", [7, 10])], outputs=[{"name": "diff"}])
    check(st == 200 and [o["name"] for o in b["outputs"]] == ["diff"], "requested outputs only %s" % b)
    st, _, b = infer(srv, "sum3", [tensor("x", [2, 3], "FP32", [1, 2, 3.5, 0.25, 0.5, 1])])
    check(st == 200 and b["outputs"][0]["data"] == [6.5, 1.75] and b["outputs"][1]["data"] == [3, 3],
          "pointer to outputs of two types %s" % b)
    st, _, b = srv.request("POST", "/v2/models/double/infer", {"id": "req-7", "inputs": [tensor("x", [1, 1], "INT64", [4])]})
    check(st == 200 and b.get("id") == "req-7" and b["model_version"] == "1", "id echoed %s" % b)
    if projectile_wasm:
        rows = [(20.0, 45.0), (35.5, 10.0), (3.0, 80.0)]
        st, _, b = infer(srv, "height", [tensor("v", [3, 1], "FP64", [r[0] for r in rows]),
                                         tensor("angle", [3, 1], "FP64", [r[1] for r in rows])])
        want = [direct_call(binary, projectile_wasm, "calculate_max_height", *r) for r in rows]
        check(st == 200 and b["outputs"][0]["data"] == want, "height equals direct calls: %s vs %s" % (b, want))


def test_exact_integers(srv):
    """INT64 and UINT64 in JSON keep every bit (integers are read from their
    digits, not through a double): Python's json reads them exactly too."""
    xs = [2 ** 53 + 1, -(2 ** 61) - 7, 2 ** 62 - 1, -(2 ** 62), 9007199254740993]
    for model in ("double", "double_rows"):
        st, _, b = infer(srv, model, [tensor("x", [len(xs), 1], "INT64", xs)])
        check(st == 200 and b["outputs"][0]["data"] == [2 * x for x in xs],
              "%s: INT64 past 2^53 exact: %s %s" % (model, st, b))
    us = [2 ** 64 - 1, 2 ** 63, 2 ** 63 + 1, 2 ** 53 + 1, 0, 12345678901234567890]
    st, _, b = infer(srv, "u64", [tensor("x", [len(us), 1], "UINT64", us)])
    check(st == 200 and b["outputs"][0]["data"] == us, "UINT64 round trip exact: %s %s" % (st, b))
    head = {"inputs": [{"name": "x", "shape": [len(us), 1], "datatype": "UINT64",
                        "parameters": {"binary_data_size": 8 * len(us)}}]}
    st, h, p = binary_request(srv, "u64", head, [struct.pack("<%dQ" % len(us), *us)])
    j = json.loads(p) if st == 200 else {}
    check(st == 200 and j["outputs"][0]["data"] == us, "UINT64 binary in, JSON out: %s %s" % (st, p[:300]))
    for model, dtype, bad in (("u64", "UINT64", 2 ** 64), ("u64", "UINT64", -1), ("double", "INT64", 2 ** 63),
                              ("double", "INT64", -(2 ** 63) - 1), ("double", "INT64", 10 ** 30)):
        st, _, b = infer(srv, model, [tensor("x", [1, 1], dtype, [bad])])
        check(st == 400 and "range" in b.get("error", ""), "%s %d is out of range: %s %s" % (dtype, bad, st, b))
    st, _, b = infer(srv, "double_rows", [tensor("x", [1, 1], "INT64", [-(2 ** 63)])])
    check(st == 200 and b["outputs"][0]["data"] == [0], "INT64 minimum accepted (times 2 wraps): %s" % b)
    raw = b'{"inputs": [{"name": "x", "shape": [3, 1], "datatype": "INT64", "data": [1e3, -2.0, 4E+1]}]}'
    st, _, b = srv.request("POST", "/v2/models/double/infer", raw)
    check(st == 200 and b["outputs"][0]["data"] == [2000, -4, 80], "integral numbers with exponents: %s" % b)
    raw = b'{"inputs": [{"name": "x", "shape": [1, 1], "datatype": "INT64", "data": [2.5]}]}'
    st, _, b = srv.request("POST", "/v2/models/double/infer", raw)
    check(st == 400 and "integer" in b.get("error", ""), "a fraction for INT64 is refused: %s %s" % (st, b))


def test_fp16(srv):
    """FP16: JSON numbers rounded to binary16, the module's f32 parameter and
    result, binary tensors of 2-byte halves (struct's 'e')."""
    xs = [1.0, 65504.0, 0.1, -2.5, 3.0e-5, 70000.0]
    halves = [struct.unpack("<e", struct.pack("<e", x if x < 65520 else float("inf")))[0] for x in xs]
    want = [struct.unpack("<e", struct.pack("<e", h * 0.5))[0] for h in halves]
    st, _, b = infer(srv, "half", [tensor("x", [len(xs), 1], "FP16", xs)])
    check(st == 200 and b["outputs"][0]["datatype"] == "FP16" and b["outputs"][0]["data"][:5] == want[:5]
          and b["outputs"][0]["data"][5] is None, "FP16 in JSON: %s %s vs %s" % (st, b, want))
    head = {"inputs": [{"name": "x", "shape": [4, 1], "datatype": "FP16", "parameters": {"binary_data_size": 8}}],
            "outputs": [{"name": "y", "parameters": {"binary_data": True}}]}
    st, h, p = binary_request(srv, "half", head, [struct.pack("<4e", *xs[:4])])
    got = list(struct.unpack("<4e", split_binary(h, p)[1])) if st == 200 else []
    check(got == want[:4], "FP16 binary tensors: %s vs %s" % (got, want[:4]))
    st, _, b = infer(srv, "half", [tensor("x", [1, 1], "FP32", [1.0])])
    check(st == 400 and "FP16" in b.get("error", ""), "FP16 model, FP32 request: %s" % b)


def binary_request(srv, model, header, blobs, extra_headers=None):
    js = json.dumps(header).encode()
    body = js + b"".join(blobs)
    hdrs = {"Inference-Header-Content-Length": str(len(js)), "Content-Type": "application/octet-stream"}
    hdrs.update(extra_headers or {})
    return srv.request("POST", "/v2/models/%s/infer" % model, body, hdrs, raw=True)


def split_binary(hdrs, payload):
    n = int(hdrs["Inference-Header-Content-Length"])
    return json.loads(payload[:n]), payload[n:]


def test_binary(srv, projectile_wasm):
    xs = [3, -4, 5]
    head = {"inputs": [{"name": "x", "shape": [3, 1], "datatype": "INT64", "parameters": {"binary_data_size": 24}}],
            "outputs": [{"name": "y", "parameters": {"binary_data": True}}]}
    st, h, p = binary_request(srv, "double", head, [struct.pack("<3q", *xs)])
    check(st == 200 and "Inference-Header-Content-Length" in h, "binary request: %s %s" % (st, p[:200]))
    if st == 200:
        j, rest = split_binary(h, p)
        check(j["outputs"][0]["parameters"]["binary_data_size"] == 24 and "data" not in j["outputs"][0],
              "binary output header %s" % j)
        check(list(struct.unpack("<3q", rest)) == [6, -8, 10], "binary output values %r" % rest)
    if projectile_wasm:
        rows = [(20.0, 45.0, 1.0), (20.0, 45.0, 2.5), (12.0, 60.0, 0.3)]
        head = {"inputs": [{"name": n, "shape": [3, 1], "datatype": "FP64", "parameters": {"binary_data_size": 24}}
                           for n in ("v", "angle", "t")], "parameters": {"binary_data_output": True}}
        blobs = [struct.pack("<3d", *[r[i] for r in rows]) for i in range(3)]
        st, h, p = binary_request(srv, "projectile_physics", head, blobs)
        j, rest = split_binary(h, p) if st == 200 else ({}, b"")
        got = struct.unpack("<9d", rest) if len(rest) == 72 else ()
        want = sum((projectile(*r) for r in rows), [])
        check(len(got) == 9 and all(abs(a - b) < 1e-9 for a, b in zip(got, want)),
              "projectile over binary tensors: %r vs %r" % (got, want))
        # the same rows as JSON give the same bits
        st, _, b = infer(srv, "projectile_physics", [tensor(n, [3, 1], "FP64", [r[i] for r in rows])
                                                      for i, n in enumerate(("v", "angle", "t"))])
        check(st == 200 and tuple(b["outputs"][0]["data"]) == got, "JSON and binary agree %s" % b)


def run_kserve(a):
    projectile_wasm = os.path.join(a.models, "height", "1", "model.wasm")
    projectile_wasm = projectile_wasm if os.path.exists(projectile_wasm) else None
    repo = os.path.join(a.work, "kserve_models")
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(a.models, repo)
    if projectile_wasm and os.path.isdir(os.path.join(a.triton, "projectile_physics")):
        shutil.copytree(os.path.join(a.triton, "projectile_physics"), os.path.join(repo, "projectile_physics"))
    srv = Server(a.portalis, "--models", repo, "--call-budget", "200ms")
    try:
        test_metadata(srv)
        test_infer(srv, a.portalis, projectile_wasm)
        test_binary(srv, projectile_wasm)
        test_exact_integers(srv)
        test_fp16(srv)
        st, _, m = srv.request("GET", "/metrics", raw=True)
        m = m.decode()
        check(st == 200 and 'portalis_inference_requests_total{model="double"}' in m
              and 'portalis_inference_latency_seconds_bucket{model="double",le="+Inf"}' in m, "metrics %s" % m[:300])
    finally:
        err = srv.stop()
    check("onnxruntime" in err and "badargs" in err, "startup diagnostics name the broken models: %s" % err)
    check("instance_group" in err, "an ignored Triton key is reported: %s" % err)
    if projectile_wasm:
        srv = Server(a.portalis, "--models", a.triton)
        st, _, b = srv.request("GET", "/v2/health/ready")
        check(st == 200, "the demo's Triton repository is ready: %s" % b)
        st, _, b = infer(srv, "projectile_physics", [tensor("v", [1, 1], "FP64", [20]), tensor("angle", [1, 1], "FP64", [45]),
                                                     tensor("t", [1, 1], "FP64", [1])])
        want = projectile(20, 45, 1)
        check(st == 200 and all(abs(x - y) < 1e-12 for x, y in zip(b["outputs"][0]["data"], want)),
              "demo repository infers the parabola: %s" % b)
        srv.stop()


# ---- hostile requests --------------------------------------------------------

def raw_http(srv, data, timeout=10):
    """Sends raw bytes; returns the status line (or '' if the server closed)."""
    import socket
    s = socket.create_connection((srv.host, srv.port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while b"\r\n" not in out:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
        return out.split(b"\r\n")[0].decode(errors="replace")
    except (ConnectionResetError, BrokenPipeError, TimeoutError):
        return ""
    finally:
        s.close()


def expect_error(srv, what, st, b, status=400, needle=""):
    ok = st == status and isinstance(b, dict) and isinstance(b.get("error"), str) and needle in b["error"]
    check(ok, "%s: expected %d {'error': ...%s...}, got %s %s" % (what, status, needle, st, b))


def run_hostile(a):
    srv = Server(a.portalis, "--models", a.models, "--max-body", "65536", "--call-budget", "200ms")
    x1 = [tensor("x", [1, 1], "INT64", [1])]
    cases = [
        ("malformed JSON", b'{"inputs": [', "malformed JSON"),
        ("not an object", b'[1, 2]', "JSON object"),
        ("no inputs", b'{}', "no \\\"inputs\\\""),
        ("empty body", b'', "malformed JSON"),
        ("binary junk", bytes(range(256)), "malformed JSON"),
        ("deep nesting", b'{"inputs": ' + b'[' * 5000 + b']' * 5000 + b'}', ""),
    ]
    for what, body, needle in cases:
        st, _, b = srv.request("POST", "/v2/models/double/infer", body)
        expect_error(srv, what, st, b, 400, needle.replace("\\", ""))
    bad = [
        ("wrong datatype", [tensor("x", [1, 1], "FP32", [1.0])], "datatype FP32"),
        ("wrong shape", [tensor("x", [1, 2], "INT64", [1, 2])], "shape [1,2]"),
        ("shape without batch", [tensor("x", [1], "INT64", [1])], "shape [1]"),
        ("batch over max", [tensor("x", [65, 1], "INT64", list(range(65)))], "max_batch_size"),
        ("batch of 0", [tensor("x", [0, 1], "INT64", [])], "batch size 0"),
        ("too few elements", [tensor("x", [3, 1], "INT64", [1, 2])], "2 elements"),
        ("too many elements", [tensor("x", [1, 1], "INT64", [1, 2])], "more than"),
        ("string data", [tensor("x", [1, 1], "INT64", ["1"])], "expected a number"),
        ("fraction for INT64", [tensor("x", [1, 1], "INT64", [1.5])], "integer"),
        ("unknown input", [tensor("z", [1, 1], "INT64", [1])], "no input 'z'"),
        ("input twice", x1 + x1, "twice"),
        ("missing input", [], "missing"),
        ("shape not an array", [{"name": "x", "shape": "1", "datatype": "INT64", "data": [1]}], "shape must"),
        ("negative dim", [tensor("x", [-1, 1], "INT64", [1])], "shape must"),
        ("fractional dim", [tensor("x", [1.5, 1], "INT64", [1])], "shape must"),
        ("no data", [{"name": "x", "shape": [1, 1], "datatype": "INT64"}], "no \"data\""),
    ]
    for what, inputs, needle in bad:
        st, _, b = infer(srv, "double", inputs)
        expect_error(srv, what, st, b, 400, needle)
    st, _, b = infer(srv, "addsub", [tensor("ab", [2], "INT32", [2 ** 31, 0])])
    expect_error(srv, "INT32 out of range", st, b, 400, "range")
    st, _, b = infer(srv, "double", x1, outputs=[{"name": "nope"}])
    expect_error(srv, "unknown output", st, b, 400, "no output 'nope'")
    st, _, b = infer(srv, "nosuchmodel", x1)
    expect_error(srv, "unknown model", st, b, 404, "unknown model")
    st, _, b = infer(srv, "double", x1, version="9")
    expect_error(srv, "unknown version", st, b, 404, "no version 9")
    st, _, b = infer(srv, "onnx", [tensor("x", [1, 1], "FP32", [1])])
    expect_error(srv, "model not ready", st, b, 503, "not ready")
    st, _, b = infer(srv, "boom", x1)
    expect_error(srv, "a trapping model", st, b, 500, "unreachable")
    st, _, b = infer(srv, "spin", x1)
    expect_error(srv, "an endless model", st, b, 500, "")
    st, _, b = infer(srv, "wild", x1)
    expect_error(srv, "a wild pointer", st, b, 500, "does not point")
    st, _, b = srv.request("GET", "/v2/models/double/infer")
    expect_error(srv, "GET on infer", st, b, 405, "use POST")
    st, _, b = srv.request("GET", "/v2/models/double/versions/1/bogus")
    expect_error(srv, "unknown endpoint", st, b, 404, "no endpoint")
    st, _, b = srv.request("GET", "/../../etc/passwd")
    check(st == 404, "path traversal refused: %s" % st)
    # the binary extension, hostile
    head = {"inputs": [{"name": "x", "shape": [2, 1], "datatype": "INT64", "parameters": {"binary_data_size": 16}}]}
    st, _, b = binary_request(srv, "double", head, [b"\0" * 8])
    check(st == 400 and b"short" in b, "binary data short: %s %s" % (st, b))
    st, _, b = binary_request(srv, "double", head, [b"\0" * 24])
    check(st == 400 and b"not claimed" in b, "binary data left over: %s %s" % (st, b))
    st, _, b = binary_request(srv, "double", head, [b"\0" * 16], {"Inference-Header-Content-Length": "99999"})
    check(st == 400 and b"Inference-Header-Content-Length" in b, "header length past the body: %s %s" % (st, b))
    head["inputs"][0]["parameters"]["binary_data_size"] = 15
    st, _, b = binary_request(srv, "double", head, [b"\0" * 15])
    check(st == 400 and b"must be 16" in b, "binary size not the tensor's: %s %s" % (st, b))
    # oversized bodies: declared (answered at once) and chunked (connection closed)
    line = raw_http(srv, b"POST /v2/models/double/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
    check(line.startswith("HTTP/1.1 413"), "declared oversized body gets 413: %r" % line)
    st, _, b = srv.request("POST", "/v2/models/double/infer", b"[" * 70000)
    expect_error(srv, "oversized body", st, b, 413, "over 65536 bytes")
    chunk = b"%x\r\n%s\r\n" % (70000, b"x" * 70000)
    raw_http(srv, b"POST /v2/models/double/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk)
    line = raw_http(srv, b"GET /v2 HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 100000 + b"\r\n\r\n")
    check(not line.startswith("HTTP/1.1 200"), "a 100 KB header is refused: %r" % line)
    check(raw_http(srv, b"\x16\x03\x01 not http at all\r\n\r\n") != "HTTP/1.1 200 OK", "garbage request line")
    # after all that, the server still answers correctly
    st, _, b = infer(srv, "double", [tensor("x", [2, 1], "INT64", [20, 21])])
    check(st == 200 and b["outputs"][0]["data"] == [40, 42], "still serving after hostile requests: %s %s" % (st, b))
    srv.stop()


# ---- the scene ------------------------------------------------------------------

def position(state):
    return state["values"]["/World/Projectile.xformOp:translate"]


def control(srv, action):
    st, _, b = srv.request("POST", "/api/control", {"action": action})
    check(st == 200, "control %s: %s %s" % (action, st, b))
    return b


def read_events(srv, n, timeout=20):
    """The first n frame snapshots of the event stream."""
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=timeout)
    conn.request("GET", "/api/events")
    r = conn.getresponse()
    check(r.status == 200 and r.getheader("Content-Type") == "text/event-stream", "event stream %s" % r.status)
    out, event = [], "message"
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        line = r.fp.readline().decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            if event == "message":
                out.append(json.loads(line[6:]))
            event = "message"
    conn.close()
    return out


def run_scene(a):
    work = os.path.join(a.work, "scene")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(os.path.dirname(a.scene), work)
    scene = os.path.join(work, os.path.basename(a.scene))
    if not os.path.exists(os.path.join(work, "modules", "projectile_c.wasm")):
        print("skipped: the projectile module was not built (wasm32-wasi C toolchain)")
        sys.exit(77)
    srv = Server(a.portalis, scene, "--paused")
    st, _, g = srv.request("GET", "/api/scene")
    prims = {p["path"]: p for p in g["prims"]}
    check(st == 200 and prims["/World/Projectile"]["type"] == "Sphere" and prims["/World/Ground"]["type"] == "Cube"
          and g["upAxis"] == "Z" and g["frames"] == 180, "scene geometry %s" % g)
    check({"from": "/World/Controller.outputs:position", "to": "/World/Projectile.xformOp:translate"}
          in g["connections"], "connections %s" % g.get("connections"))
    s = srv.request("GET", "/api/state")[2]
    check(s["frame"] == 0 and not s["playing"] and s["modules"][0]["path"] == "/World/Controller", "paused %s" % s)
    for _ in range(30):
        s = control(srv, "step")
    want = projectile(20, 45, s["time"])
    check(s["frame"] == 30 and all(abs(x - y) < 1e-9 for x, y in zip(position(s), want)),
          "30 steps follow the parabola: %s vs %s" % (position(s), want))
    # a module turned off: the projectile stops; on again: it moves
    st, _, m = srv.request("POST", "/api/modules", {"path": "/World/Controller", "enabled": False})
    check(st == 200 and m[0]["enabled"] is False and m[0]["paused"] is True, "module off %s" % m)
    before = position(s)
    s = control(srv, "step")
    check(position(s) == before and s["frame"] == 31, "a paused module leaves its output: %s" % s)
    srv.request("POST", "/api/modules", {"path": "/World/Controller", "enabled": True})
    s = control(srv, "step")
    check(position(s) != before and s["modules"][0]["runs"] == 31, "module on again %s" % s)
    st, _, b = srv.request("POST", "/api/modules", {"path": "/World/Nope", "enabled": False})
    expect_error(srv, "unknown module", st, b, 404, "no module")
    st, _, b = srv.request("POST", "/api/control", {"action": "fly"})
    expect_error(srv, "unknown action", st, b, 400, "unknown action")
    st, _, b = srv.request("POST", "/api/control", b"{nope")
    expect_error(srv, "malformed control", st, b, 400, "malformed JSON")
    s = control(srv, "reset")
    check(s["frame"] == 0 and position(s) == [0, 0, 0], "reset %s" % s)
    # played live: the event stream's frames advance and follow the parabola
    control(srv, "play")
    ev = read_events(srv, 12)
    frames = [e["frame"] for e in ev]
    check(len(ev) == 12 and frames == sorted(frames) and frames[-1] > frames[0], "live frames %s" % frames)
    check(all(all(abs(x - y) < 1e-9 for x, y in zip(position(e), projectile(20, 45, e["time"])))
              for e in ev if e["frame"] > 0), "live positions follow the parabola")
    control(srv, "pause")
    # scan stage: unchanged file, then an edited one (a faster launch)
    st, _, b = srv.request("POST", "/api/scan", b"")
    check(st == 200 and b == {"rebuilt": False}, "scan, unchanged: %s" % b)
    with open(scene) as f:
        text = f.read()
    time.sleep(0.01)
    with open(scene, "w") as f:
        f.write(text.replace("double inputs:v = 20", "double inputs:v = 30"))
    os.utime(scene, (time.time() + 2, time.time() + 2))
    st, _, b = srv.request("POST", "/api/scan", b"")
    check(st == 200 and b == {"rebuilt": True}, "scan, edited: %s" % b)
    s = control(srv, "step")
    s = control(srv, "step")
    check(all(abs(x - y) < 1e-9 for x, y in zip(position(s), projectile(30, 45, s["time"]))),
          "the rescanned scene runs: %s" % s)
    st, _, m = srv.request("GET", "/metrics", raw=True)
    m = m.decode()
    check("portalis_scene_frames_total" in m and 'portalis_module_calls_total{module="/World/Controller"}' in m
          and "portalis_scene_frame_seconds_bucket" in m, "scene metrics %s" % m[-600:])
    st, _, b = srv.request("GET", "/", raw=True)
    check(st == 200 and (b"<html" in b.lower() or b"<!doctype html" in b.lower()), "the viewer page (or its notice)")
    srv.stop()
    run_playback(a, scene, work)


def run_playback(a, scene, work):
    """A finished run's output layer, served for playback (--playback): its
    geometry, every sampled attribute's track, equal to the file's samples."""
    out = os.path.join(work, "run.out.usda")
    subprocess.run([a.portalis, "run", scene, "--frames", "12", "-o", out, "--quiet"], check=True)
    srv = Server(a.portalis, "--playback", out)
    try:
        st, _, runs = srv.request("GET", "/api/playback")
        check(st == 200 and runs == [{"index": 0, "name": "run.out.usda"}], "playback list %s %s" % (st, runs))
        st, _, r = srv.request("GET", "/api/playback/0")
        check(st == 200 and r["times"] == list(range(12)) and r["upAxis"] == "Z" and r["fps"] == 60
              and r["omitted"] == [], "playback run: %s" % str(r)[:400])
        prims = {p["path"] for p in r.get("prims", [])}
        check({"/World/Projectile", "/World/Ground"} <= prims, "the run's geometry (sublayered scene): %s" % prims)
        tr = r.get("tracks", {}).get("/World/Projectile.xformOp:translate", {})
        vs = tr.get("values", [])
        check(tr.get("times") == list(range(12)) and len(vs) == 12
              and all(all(abs(x - y) < 1e-9 for x, y in zip(vs[f], projectile(30, 45, f / 60))) for f in range(12)),
              "the projectile's track follows the run's parabola: %s" % vs[:3])
        check("/World/Controller.outputs:position" in r.get("tracks", {}), "the module output's track")
        for path, status in (("/api/playback/1", 404), ("/api/playback/x", 404), ("/api/playback/-1", 404)):
            st, _, b = srv.request("GET", path)
            expect_error(srv, path, st, b, status, "no run")
        st, _, b = srv.request("POST", "/api/playback/0", b"{}")
        expect_error(srv, "POST playback", st, b, 405, "only GET")
        st, _, b = srv.request("GET", "/api/state")
        expect_error(srv, "no live scene", st, b, 404, "no scene")
        os.rename(out, out + ".gone")
        st, _, b = srv.request("GET", "/api/playback/0")
        expect_error(srv, "a run removed since", st, b, 422, "cannot read")
    finally:
        srv.stop()
    r = subprocess.run([a.portalis, "serve", "--playback", os.path.join(work, "missing.usda"), "--listen",
                        "127.0.0.1:0"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and "--playback" in r.stderr, "a missing run is refused at start: %s" % r.stderr)


# ---- the command line and the token -----------------------------------------

def run_cli(a):
    def run(*args):
        return subprocess.run([a.portalis, "serve", *args], capture_output=True, text=True, timeout=30)
    r = run()
    check(r.returncode == 2 and "nothing to serve" in r.stderr, "no arguments: %s" % r.stderr)
    r = run("--models", a.models, "--listen", "nowhere")
    check(r.returncode == 2 or (r.returncode == 1 and "HOST:PORT" in r.stderr), "bad --listen: %s" % r.stderr)
    r = run("--models", a.models, "--bogus", "1")
    check(r.returncode == 2 and "unknown option" in r.stderr, "unknown option: %s" % r.stderr)
    r = run("--models", a.models, "--max-body", "12x")
    check(r.returncode == 2 and "--max-body" in r.stderr, "bad --max-body: %s" % r.stderr)
    r = run("--models", os.path.join(a.work, "no-such-dir"), "--listen", "127.0.0.1:0")
    check(r.returncode == 1 and "cannot read the model repository" in r.stderr, "missing repository: %s" % r.stderr)
    r = run("--help")
    check(r.returncode == 0 and "KServe v2" in r.stdout, "--help")
    tok = os.path.join(a.work, "token")
    with open(tok, "w") as f:
        f.write("short\n")
    r = run("--models", a.models, "--token-file", tok)
    check(r.returncode == 2 and "16 characters" in r.stderr, "short token: %s" % r.stderr)
    secret = "s3cret-token-0123456789"
    with open(tok, "w") as f:
        f.write(secret + "\n")
    srv = Server(a.portalis, "--models", a.models, "--token-file", tok)
    st, h, b = srv.request("GET", "/v2/models/double")
    expect_error(srv, "no token", st, b, 401, "Bearer")
    check(h.get("WWW-Authenticate") == "Bearer", "WWW-Authenticate %s" % h)
    st, _, b = srv.request("GET", "/v2/models/double", headers={"Authorization": "Bearer wrong-token-0123456789"})
    expect_error(srv, "wrong token", st, b, 401, "Bearer")
    st, _, b = srv.request("GET", "/v2/models/double", headers={"Authorization": "Bearer " + secret})
    check(st == 200 and b["name"] == "double", "with the token: %s %s" % (st, b))
    st, _, b = srv.request("GET", "/metrics?access_token=" + secret, raw=True)
    check(st == 200, "token as a query parameter (EventSource): %s" % st)
    st, _, b = srv.request("GET", "/v2/health/live")
    check(st == 200, "health probes need no token: %s" % st)
    srv.stop()
    # SIGINT stops it as well
    srv = Server(a.portalis, "--models", a.models)
    srv.p.send_signal(signal.SIGINT)
    check(srv.p.wait(timeout=30) == 0, "exit 0 on SIGINT")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("which", choices=["kserve", "hostile", "scene", "cli"])
    for opt in ("--portalis", "--models", "--triton", "--scene", "--work"):
        ap.add_argument(opt, required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    {"kserve": run_kserve, "hostile": run_hostile, "scene": run_scene, "cli": run_cli}[a.which](a)
    print("serve_test %s: %d passed, %d failed" % (a.which, PASSED[0], len(FAILED)))
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
