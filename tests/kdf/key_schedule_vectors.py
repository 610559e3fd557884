#!/usr/bin/python3
"""Independent reference values for m2msec's TS-0003 §10.3 key schedule.

Written from the formulas in TS-0003 and docs/decisions.md with Python's hmac and
hashlib only, never from m2msec's code. Run it to regenerate key_schedule.json:
    /usr/bin/python3 tests/kdf/key_schedule_vectors.py > tests/kdf/key_schedule.json
"""
import hashlib
import hmac
import json
import struct

KM = b"oneM2M Enrolment Key to Master Credential derivation"
KPSA = b"oneM2M Enrolment Key to Provisioned Secure Connection Key derivation"
UCK = b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"
SESSION = b"oneM2M HMAC-SHA256 sessionESPrimKey derivation algorithm"
MAF_ESPRIM = b"m2msec: oneM2M MAF Kc to pairwiseESPrimKey derivation"
E2E = [b"E2E Message Authentication Key", b"E2E Message Confidentiality Key",
       b"E2E Attribute Authenticity Key", b"E2E Attribute Confidentiality Key"]


def h256(key, *parts):
    return hmac.new(key, b"".join(parts), hashlib.sha256).hexdigest()


def ke2e(hash_name, salt, kpsa):
    h = getattr(hashlib, hash_name)
    master = hmac.new(salt or bytes(h().digest_size), kpsa, h).digest()
    out, t = [master], b""
    for i, label in enumerate(E2E, 1):
        t = hmac.new(master, t + label + bytes([i]), h).digest()
        out.append(t)
    return [x.hex() for x in out]


def rand_object(o):
    """Decision A6: u16 len(id) | id | value | i64 expiry | u8 n | esk.. | u8 m | espa.."""
    rid = o["id"].encode()
    return (struct.pack(">H", len(rid)) + rid + bytes.fromhex(o["value"]) + struct.pack(">q", o["expiry"]) +
            bytes([len(o["esk"])]) + bytes(o["esk"]) + bytes([len(o["espa"])]) + bytes(o["espa"]))


def main():
    ke = bytes(range(32))
    # The digest's §8 reference values (computed there independently): checked here first.
    assert h256(ke, KM, b"maf.example.com") == "3055bf32dd9c95586aaffa2ae2e165dfeffd0803566e16bdd343171457da8a5e"
    assert h256(ke, KPSA, b"//sp.example.com/CSE123") == "bc303966a973cfd72ccccfb0ceeea0b6187fc350e5af7030716ff78ce84fd717"
    assert h256(ke, UCK, b"22", b"CSE123.in-cse.sp.example.com") == "73eee960b997ca44f6eda064b18a248bf278266ab104b94710392c21b7c54dfa"
    assert h256(ke, UCK, b"\x16", b"CSE123.in-cse.sp.example.com") == "e97c3aa469ea39eedd580d7fa1aed3144d78dca26bc7f389a5742ce9ecc89cc9"

    kes = [ke, bytes([0xA5] * 32), hashlib.sha256(b"m2msec ke").digest()]
    v = {"km": [], "kpsa": [], "usage_constrained": [], "ke2e": [], "session_esprim": [], "maf_esprim": [],
         "exporter": []}
    for k in kes:
        for maf in ["maf.example.com", "m2m-maf.operator.example.org"]:
            v["km"].append({"ke": k.hex(), "maf_id": maf, "km": h256(k, KM, maf.encode())})
        for b in ["//sp.example.com/CSE123", "//m2m.prov.com/CSE3219/C9886", "//m2m.things.com/S98821"]:
            v["kpsa"].append({"ke": k.hex(), "enrolee_b_id": b, "kpsa": h256(k, KPSA, b.encode())})
        for suid in [10, 12, 22, 23, 24, 33, 45]:
            for t in ["CSE123.in-cse.sp.example.com", "cse123.in-cse.sp.example.com", "maf.example.com"]:
                v["usage_constrained"].append({"ke": k.hex(), "suid": suid, "target": t,
                                               "key": h256(k, UCK, b"%02d" % suid, t.encode())})
    for hash_name in ["sha256", "sha384", "sha512"]:
        for salt in [b"", bytes(range(13)), bytes([0x5A] * 64)]:
            for kpsa in [bytes.fromhex(v["kpsa"][0]["kpsa"]), bytes([7] * 16)]:
                v["ke2e"].append({"hash": hash_name, "salt": salt.hex(), "kpsa": kpsa.hex(),
                                  "keys": ke2e(hash_name, salt, kpsa)})
    recv = {"id": "recvRand01", "value": "00112233445566778899aabbccddeeff", "expiry": 1798761600,
            "esk": [1], "espa": [10, 11, 12]}
    orig = {"id": "origRandA", "value": "ffeeddccbbaa99887766554433221100", "expiry": 1798758000,
            "esk": [1], "espa": [12]}
    variants = [(recv, orig), (dict(recv, id="recvRand02"), orig), (recv, dict(orig, expiry=1798758001)),
                (recv, dict(orig, espa=[11])), (dict(recv, esk=[]), dict(orig, value="00" * 16)),
                (dict(recv, espa=[10, 12, 11]), orig)]
    for pw in [ke, bytes([0x3C] * 32)]:
        for r, o in variants:
            v["session_esprim"].append({"pairwise": pw.hex(), "receiver": r, "originator": o,
                                        "receiver_bytes": rand_object(r).hex(),
                                        "key": h256(pw, rand_object(r), rand_object(o), SESSION)})
    for kc in kes:
        for kid in ["404142434445464748494A4B4C4D4E4F@maf.example.com", "00000000000000000000000000000000@m.example.net"]:
            v["maf_esprim"].append({"kc": kc.hex(), "kc_id": kid, "key": h256(kc, MAF_ESPRIM, kid.encode())})
    for out in [bytes(range(0x40, 0x70)), hashlib.sha384(b"exporter").digest()]:
        v["exporter"].append({"out": out.hex(), "relative_id": out[:16].hex(), "key": out[16:].hex(),
                              "ke_id": out[:16].hex().upper() + "@mef.example.com"})
    print(json.dumps(v, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
