#!/usr/bin/python3
"""An independent JOSE peer for m2msec's interop test: python3-jwcrypto (Debian).

  jose_peer.py make OUT.json     keys and objects made by jwcrypto, for m2msec to open
  jose_peer.py check IN.json     opens the objects m2msec made; prints one result per case
  jose_peer.py esprim IN.json    given a sessionESPrimKey, opens m2msec's ESPrim objects and
                                 makes its own with the headers asked for; prints both

Run with /usr/bin/python3 (Debian's python3-jwcrypto). Case files are JSON:
  {"keys": {kid: private JWK, ...},
   "cases": [{"name", "kind": "jwe"|"jws", "object", "plaintext" (base64url),
              "kids": [kid, ...]}]}
`kids` are the keys of the recipients or signers; the opener is given each in turn.
"""
import base64
import json
import os
import sys

from jwcrypto import jwe, jwk, jws
from jwcrypto.common import json_encode

JWE_ALGS = ["dir", "A128KW", "A192KW", "A256KW", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW",
            "ECDH-ES+A256KW", "RSA-OAEP-256"]
ENCS = ["A128GCM", "A192GCM", "A256GCM"]
CURVES = ["P-256", "P-384", "P-521"]
JWS_ALGS = ["HS256", "HS384", "HS512", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512"]
ALLOWED = JWE_ALGS + ENCS + JWS_ALGS


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_keys():
    keys = {}

    def add(kid, key):
        key["kid"] = kid  # jwcrypto keys take members by item
        keys[kid] = key

    for enc in ENCS:
        add("dir-" + enc, jwk.JWK.generate(kty="oct", size=int(enc[1:4]), alg="dir"))
    for alg in ["A128KW", "A192KW", "A256KW"]:
        add(alg, jwk.JWK.generate(kty="oct", size=int(alg[1:4]), alg=alg))
    for crv in CURVES:
        for alg in JWE_ALGS[4:8]:
            add(alg + "-" + crv, jwk.JWK.generate(kty="EC", crv=crv, alg=alg))
    add("RSA-OAEP-256", jwk.JWK.generate(kty="RSA", size=2048, alg="RSA-OAEP-256"))
    for alg, size in [("HS256", 256), ("HS384", 384), ("HS512", 512)]:
        add(alg, jwk.JWK.generate(kty="oct", size=size, alg=alg))
    for alg, crv in [("ES256", "P-256"), ("ES384", "P-384"), ("ES512", "P-521")]:
        add(alg, jwk.JWK.generate(kty="EC", crv=crv, alg=alg))
    for alg in ["RS256", "RS384", "RS512"]:
        add(alg, jwk.JWK.generate(kty="RSA", size=2048, alg=alg))
    return keys


def jwe_cases(keys):
    cases = []
    for alg in JWE_ALGS:
        for enc in ENCS:
            if alg == "dir":
                kids = ["dir-" + enc]
            elif alg.startswith("ECDH-ES"):
                kids = [alg + "-" + crv for crv in CURVES]
            else:
                kids = [alg]
            for kid in kids:
                for form in ["compact", "flattened"]:
                    plaintext = os.urandom(1 + len(cases) % 97)
                    obj = jwe.JWE(plaintext, json_encode({"alg": alg, "enc": enc, "kid": kid})
                                  if form == "compact" else json_encode({"enc": enc}))
                    if form == "compact":
                        obj.add_recipient(keys[kid])
                    else:
                        obj.add_recipient(keys[kid], json_encode({"alg": alg, "kid": kid}))
                    cases.append({"name": "%s %s %s %s" % (alg, kid, enc, form), "kind": "jwe",
                                  "object": obj.serialize(compact=(form == "compact")),
                                  "plaintext": b64(plaintext), "kids": [kid]})
    # Several recipients in the general serialization, one per key-management family.
    for enc in ENCS:
        kids = ["A128KW", "ECDH-ES+A256KW-P-384", "RSA-OAEP-256", "A256KW", "ECDH-ES+A128KW-P-521"]
        plaintext = os.urandom(200)
        obj = jwe.JWE(plaintext, json_encode({"enc": enc}), aad=b"oneM2M ESData")
        for kid in kids:
            obj.add_recipient(keys[kid], json_encode({"alg": keys[kid]["alg"], "kid": kid}))
        cases.append({"name": "general, %d recipients, %s" % (len(kids), enc), "kind": "jwe",
                      "object": obj.serialize(), "plaintext": b64(plaintext), "kids": kids})
    return cases


def jws_cases(keys):
    cases = []
    for alg in JWS_ALGS:
        for form in ["compact", "flattened"]:
            payload = os.urandom(300)
            obj = jws.JWS(payload)
            obj.add_signature(keys[alg], None, json_encode({"alg": alg, "kid": alg}))
            cases.append({"name": "%s %s" % (alg, form), "kind": "jws",
                          "object": obj.serialize(compact=(form == "compact")),
                          "plaintext": b64(payload), "kids": [alg]})
    # RFC 7515 Appendix F: the payload detached (compact "header..signature", JSON
    # with an empty "payload"), verified with the payload given apart.
    for alg in JWS_ALGS:
        for form in ["compact", "flattened"]:
            payload = os.urandom(200)
            obj = jws.JWS(payload)
            obj.add_signature(keys[alg], None, json_encode({"alg": alg, "kid": alg}))
            obj.detach_payload()
            cases.append({"name": "%s %s detached" % (alg, form), "kind": "jws", "detached": True,
                          "object": obj.serialize(compact=(form == "compact")),
                          "plaintext": b64(payload), "kids": [alg]})
    payload = os.urandom(64)
    obj = jws.JWS(payload)
    for alg in JWS_ALGS:
        obj.add_signature(keys[alg], None, json_encode({"alg": alg, "kid": alg}))
    cases.append({"name": "general, %d signatures" % len(JWS_ALGS), "kind": "jws", "object": obj.serialize(),
                  "plaintext": b64(payload), "kids": list(JWS_ALGS)})
    return cases


def make(path):
    keys = make_keys()
    doc = {"keys": {kid: json.loads(k.export(private_key=True)) for kid, k in keys.items()},
           "cases": jwe_cases(keys) + jws_cases(keys)}
    with open(path, "w") as f:
        json.dump(doc, f)


def open_case(case, keys):
    """The plaintext the peer finds with each of the case's keys, or an error."""
    got = []
    for kid in case["kids"]:
        key = jwk.JWK(**keys[kid])
        if case["kind"] == "jwe":
            obj = jwe.JWE()
            obj.allowed_algs = ALLOWED
            obj.deserialize(case["object"], key)
            got.append(obj.payload)
        else:
            obj = jws.JWS()
            obj.allowed_algs = ALLOWED
            obj.deserialize(case["object"])
            obj.verify(key)
            got.append(obj.payload)
    return got


def check(path):
    with open(path) as f:
        doc = json.load(f)
    results = []
    for case in doc["cases"]:
        try:
            got = open_case(case, doc["keys"])
            want = unb64(case["plaintext"])
            ok = all(g == want for g in got)
            results.append({"name": case["name"], "ok": ok, "error": "" if ok else "plaintext differs"})
        except Exception as e:  # the peer refused the object: report why
            results.append({"name": case["name"], "ok": False, "error": "%s: %s" % (type(e).__name__, e)})
    json.dump(results, sys.stdout)


def esprim(path):
    """{"key": oct JWK, "open": [JWE], "make": [{"header": {...}, "plaintext": b64}]}"""
    with open(path) as f:
        doc = json.load(f)
    key = jwk.JWK(**doc["key"])
    opened = []
    for obj in doc["open"]:
        token = jwe.JWE()
        token.allowed_algs = ALLOWED
        token.deserialize(obj, key)
        opened.append({"plaintext": b64(token.payload), "header": token.jose_header})
    made = []
    for m in doc["make"]:
        token = jwe.JWE(unb64(m["plaintext"]), json_encode(m["header"]))
        token.add_recipient(key)
        made.append(token.serialize(compact=True))
    json.dump({"opened": opened, "made": made}, sys.stdout)


if __name__ == "__main__":
    {"make": make, "check": check, "esprim": esprim}[sys.argv[1]](sys.argv[2])
