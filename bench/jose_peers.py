#!/usr/bin/python3
"""The e2e benchmark's operations in python3-jwcrypto, for the outside ratio
(bench/e2e_bench.cpp times m2msec; bench/jose_peers.mjs times npm `jose`):
  ESPrim-like JWE compact (dir, A256GCM) of a 300-byte request, protect + unprotect;
  ESData JWE compact (dir, A256GCM) at 1 KiB and 1 MiB, protect + unprotect,
    MB/s with both directions counted (2 x size / round-trip time);
  JWS HS256 compact of 300 bytes, sign + verify.
Run with Debian's /usr/bin/python3. Prints the median of 5 runs."""
import json
import os
import sys
import time

from jwcrypto import jwe, jwk, jws
from jwcrypto.common import json_encode

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5


def median_us(f):
    runs = []
    for _ in range(5):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < SECONDS / 5:
            f()
            n += 1
        runs.append((time.perf_counter() - start) / n * 1e6)
    return sorted(runs)[2]


def request(size):
    head = '{"op":1,"to":"/in-cse/meter-7/readings","fr":"Cae-meter-7","rqi":"r-000001","rvi":"4","ty":4,' \
           '"pc":{"m2m:cin":{"cnf":"application/json:0","con":"'
    tail = '"}}}'
    return (head + "x" * (size - len(head) - len(tail)) + tail).encode()


key = jwk.JWK(kty="oct", k=jwk.base64url_encode(os.urandom(32)))
hs_key = jwk.JWK(kty="oct", k=jwk.base64url_encode(os.urandom(32)))
esprim_header = json_encode({"alg": "dir", "enc": "A256GCM", "kid": "bench@maf.example.com", "cty": "application/json",
                             "ori": "o1c0ffee", "rri": "s1c0ffee"})


def jwe_round_trip(data, header):
    def f():
        t = jwe.JWE(data, header)
        t.add_recipient(key)
        text = t.serialize(compact=True)
        r = jwe.JWE()
        r.deserialize(text, key)
        assert r.payload == data
    return f


def hs256(data):
    def f():
        s = jws.JWS(data)
        s.add_signature(hs_key, None, json_encode({"alg": "HS256", "kid": "hs"}))
        text = s.serialize(compact=True)
        v = jws.JWS()
        v.deserialize(text)
        v.verify(hs_key)
    return f


rows = [("ESPrim protect+unprotect (JWE dir A256GCM)", 300, median_us(jwe_round_trip(request(300), esprim_header)))]
data_header = json_encode({"alg": "dir", "enc": "A256GCM", "cty": "application/octet-stream"})
for n in (1024, 1 << 20):
    rows.append(("ESData protect+unprotect (JWE dir A256GCM)", n, median_us(jwe_round_trip(b"b" * n, data_header))))
rows.append(("JWS HS256 sign+verify", 300, median_us(hs256(request(300)))))
print("%-46s %9s %12s %12s" % ("python3-jwcrypto (median of 5)", "bytes", "us", "MB/s both"))
for name, n, us in rows:
    print("%-46s %9d %12.2f %12.0f" % (name, n, us, 2 * n / us))
print(json.dumps({"peer": "jwcrypto", "us": {"%s/%d" % (name, n): us for name, n, us in rows}}))
