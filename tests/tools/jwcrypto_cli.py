#!/usr/bin/python3
"""python3-jwcrypto (Debian) as the other end of `m2msec jwe` / `m2msec jws`.

  jwcrypto_cli.py key oct|EC OUT.jwk       a private JWK (256-bit oct, or P-256)
  jwcrypto_cli.py encrypt JWK ALG ENC      stdin plaintext -> compact JWE on stdout
  jwcrypto_cli.py decrypt JWK              stdin JWE -> plaintext on stdout
  jwcrypto_cli.py sign JWK ALG             stdin payload -> compact JWS on stdout
  jwcrypto_cli.py verify JWK               stdin JWS -> payload on stdout
Run with /usr/bin/python3; a failure exits 1.
"""
import sys

from jwcrypto import jwe, jwk, jws
from jwcrypto.common import json_encode


def main():
    cmd = sys.argv[1]
    if cmd == "key":
        k = jwk.JWK.generate(kty="oct", size=256) if sys.argv[2] == "oct" else jwk.JWK.generate(kty="EC", crv="P-256")
        with open(sys.argv[3], "w") as f:
            f.write(k.export(private_key=True))
        return
    with open(sys.argv[2]) as f:
        key = jwk.JWK.from_json(f.read())
    data = sys.stdin.buffer.read()
    if cmd == "encrypt":
        t = jwe.JWE(data, json_encode({"alg": sys.argv[3], "enc": sys.argv[4]}))
        t.add_recipient(key)
        sys.stdout.write(t.serialize(compact=True))
    elif cmd == "decrypt":
        t = jwe.JWE()
        t.deserialize(data.decode().strip(), key=key)
        sys.stdout.buffer.write(t.payload)
    elif cmd == "sign":
        t = jws.JWS(data)
        t.add_signature(key, None, json_encode({"alg": sys.argv[3]}))
        sys.stdout.write(t.serialize(compact=True))
    elif cmd == "verify":
        t = jws.JWS()
        t.deserialize(data.decode().strip())
        t.verify(key)
        sys.stdout.buffer.write(t.payload)
    else:
        sys.exit(2)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a refusal is the answer being tested, not a crash
        print("jwcrypto: %s" % e, file=sys.stderr)
        sys.exit(1)
