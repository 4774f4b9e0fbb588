#!/usr/bin/env python3
"""Sends N copies of the small projectile inference request (infer.lua's body)
one after another over one keep-alive connection and checks each answer
(bench/serve/ir.sh counts the server's instructions around it).
    client.py URL N"""
import http.client
import sys
import urllib.parse

BODY = (b'{"inputs":[{"name":"v","shape":[1,1],"datatype":"FP64","data":[20]},'
        b'{"name":"angle","shape":[1,1],"datatype":"FP64","data":[45]},'
        b'{"name":"t","shape":[1,1],"datatype":"FP64","data":[1]}]}')


def main():
    url, n = urllib.parse.urlsplit(sys.argv[1]), int(sys.argv[2])
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    for _ in range(n):
        c.request("POST", "/v2/models/projectile_physics/infer", BODY, {"Content-Type": "application/json"})
        r = c.getresponse()
        body = r.read()
        if r.status != 200 or b"14.14213562373095" not in body:
            sys.exit(f"bad answer {r.status}: {body[:200]!r}")
    c.close()


main()
