#!/usr/bin/python3
"""The known-bad corpus for m2msec's end-to-end security, and the seeds of its
fuzz targets: JWE, JWS, ESPrim, ESData and token objects, each with the errc
(and for ESPrim the response status code) m2msec must give.

Objects are built here from the RFCs with Python's `cryptography` (AES-GCM,
AES key wrap, ECDH, ECDSA, Concat KDF) and hmac, never with m2msec. Keys, IVs
and ephemeral keys are fixed, so the output is the same on every run.
Writes fuzz/e2e_keys.hpp, fuzz/corpus/{jwe,jws,esprim,esdata,token}/ and
tests/e2e/known_bad.json. Run with Debian's /usr/bin/python3.
"""
import base64
import hashlib
import hmac
import json
import pathlib
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

here = pathlib.Path(__file__).resolve().parent
root = here.parent
sys.path.insert(0, str(root / "tests" / "sa"))
from key_schedule_vectors import rand_object  # the A6 encoding, written from docs/decisions.md  # noqa: E402

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def fixed(label, n):
    return hashlib.sha256(label.encode()).digest()[:n]


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


def ec_key(label):
    d = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % P256_N
    return ec.derive_private_key(d, ec.SECP256R1())


def ec_jwk(key, kid=None, private=True):
    pub = key.public_key().public_numbers()
    j = {"kty": "EC", "crv": "P-256", "x": b64(pub.x.to_bytes(32, "big")), "y": b64(pub.y.to_bytes(32, "big"))}
    if private:
        j["d"] = b64(key.private_numbers().private_value.to_bytes(32, "big"))
    if kid:
        j["kid"] = kid
    return j


KW, DIR, HS, PAIRWISE = bytes(range(16)), bytes(range(32, 64)), bytes(range(64, 96)), bytes(range(0x60, 0x80))
EC, ES = ec_key("m2msec corpus ecdh"), ec_key("m2msec corpus es256")
NOW = 1795860000  # 2026-11-28T10:00:00Z

# ---- JOSE builders -------------------------------------------------------------------------


def jwe(header, cek, pt=b'{"con":"21.5"}', ek=b"", iv=None, aad_header=None):
    """Compact JWE; header is a dict or the exact text. AAD = the header's base64url."""
    text = header if isinstance(header, (str, bytes)) else dumps(header)
    raw = text if isinstance(text, bytes) else text.encode()
    h = b64(raw)
    iv = iv if iv is not None else fixed("iv " + h, 12)
    sealed = AESGCM(cek).encrypt(iv, pt, (aad_header or h).encode())
    return ".".join([h, b64(ek), b64(iv), b64(sealed[:-16]), b64(sealed[-16:])])


def jwe_kw(header=None, pt=b'{"con":"21.5"}'):
    header = header or {"alg": "A128KW", "enc": "A128GCM", "kid": "kw"}
    cek = fixed("cek", 16)
    return jwe(header, cek, pt, aes_key_wrap(KW, cek))


def concat_kdf(z, alg, bits, apu=b"", apv=b""):
    def lp(b):
        return struct.pack(">I", len(b)) + b
    other = lp(alg.encode()) + lp(apu) + lp(apv) + struct.pack(">I", bits)
    return ConcatKDFHash(hashes.SHA256(), bits // 8, other).derive(z)


def jwe_ecdh(epk=None, alg="ECDH-ES+A128KW", drop_epk=False):
    eph = ec_key("m2msec corpus ephemeral")
    header = {"alg": alg, "enc": "A128GCM", "kid": "ec", "epk": epk or ec_jwk(eph, private=False)}
    if drop_epk:
        del header["epk"]
    z = eph.exchange(ec.ECDH(), EC.public_key())
    cek = fixed("cek", 16)
    if alg == "ECDH-ES":
        return jwe(header, concat_kdf(z, "A128GCM", 128))
    return jwe(header, cek, ek=aes_key_wrap(concat_kdf(z, alg, 128), cek))


def jws_hs(header, payload=b'{"con":"21.5"}', key=HS):
    text = header if isinstance(header, str) else dumps(header)
    signing_input = b64(text.encode()) + "." + b64(payload)
    return signing_input + "." + b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())


def es256(signing_input, key=ES):
    # ECDSA signatures are randomised in `cryptography`; this corpus is written once and committed.
    r, s = utils.decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def jws_es(header, payload):
    text = header if isinstance(header, str) else dumps(header)
    signing_input = b64(text.encode()) + "." + b64(payload)
    return signing_input + "." + b64(es256(signing_input))


def replace_part(compact, index, value):
    parts = compact.split(".")
    parts[index] = value
    return ".".join(parts)


def flip(text, at):
    c = text[at]
    return text[:at] + ("B" if c == "A" else "A") + text[at + 1:]


# ---- ESPrim ------------------------------------------------------------------------------------

RECEIVER = {"id": "sCorpus", "value": bytes(range(0xA0, 0xB0)).hex(), "expiry": NOW + 2 * 3600, "esk": [1],
            "espa": [10, 11, 12]}
ORIGINATOR = {"id": "oCorpus1", "value": bytes(range(0xB0, 0xC0)).hex(), "expiry": NOW + 3600, "esk": [1],
              "espa": [12]}
SESSION_LABEL = b"oneM2M HMAC-SHA256 sessionESPrimKey derivation algorithm"


def stamp(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y%m%dT%H%M%S")


def oro(o):
    return {"esri": o["id"], "esrv": "X" + o["value"].upper(), "esrx": stamp(o["expiry"]), "esk": o["esk"][0],
            "espa": o["espa"]}


def esprim(orig=ORIGINATOR, header_edit=None, fr="Cae-corpus", enc="A256GCM", send_oro=True, key=PAIRWISE,
           oro_value=None):
    size = {"A128GCM": 16, "A192GCM": 24, "A256GCM": 32}[enc]
    session = hmac.new(key, rand_object(RECEIVER) + rand_object(orig) + SESSION_LABEL, hashlib.sha256).digest()[:size]
    header = {"alg": "dir", "enc": enc, "kid": "pairwise@maf.example.com", "ori": orig["id"], "rri": RECEIVER["id"],
              "cty": "application/json"}
    if send_oro:
        header["oro"] = oro_value or oro(orig)
    if header_edit:
        header_edit(header)
    request = dumps({"op": 2, "to": "/in-cse/meter/la", "fr": fr, "rqi": "corpus-1", "rvi": "4"}).encode()
    return jwe(header, session, request)


# ---- tokens --------------------------------------------------------------------------------------

CLAIMS = {"tkvr": "1", "jti": "tok-1@in-cse", "iss": "/in-cse", "azp": "Cae-corpus", "nbf": NOW - 600,
          "exp": NOW + 600, "aud": ["/mn-cse"], "tkps": [{"pv": {"acr": [{"acop": 2}]}}]}


def token(edit=None, header=None):
    claims = dict(CLAIMS)
    if edit:
        edit(claims)
    return jws_es(header or {"alg": "ES256", "typ": "JWT", "kid": "es"}, dumps(claims).encode())


# ---- the corpus ----------------------------------------------------------------------------------

OK = "ok"


def cases():
    kw = jwe_kw()
    hs = jws_hs({"alg": "HS256", "kid": "hs"})
    crit_text = '{"alg":"A128KW","enc":"A128GCM","kid":"kw"'
    yield "jwe", "ok_a128kw", kw, OK
    yield "jwe", "ok_dir", jwe({"alg": "dir", "enc": "A256GCM", "kid": "dir"}, DIR), OK
    yield "jwe", "ok_ecdh_es_a128kw", jwe_ecdh(), OK
    yield "jwe", "ok_ecdh_es", jwe_ecdh(alg="ECDH-ES"), OK
    yield "jwe", "ok_crit_understood", jwe_kw({"alg": "A128KW", "enc": "A128GCM", "kid": "kw", "crit": ["x-ok"],
                                               "x-ok": 1}), OK
    yield "jwe", "bad_base64url_header", "+" + kw[1:], "invalid encoding"
    yield "jwe", "padded_part", replace_part(kw, 2, kw.split(".")[2] + "="), "invalid encoding"
    yield "jwe", "four_parts", kw.rsplit(".", 1)[0], "invalid encoding"
    yield "jwe", "six_parts", kw + ".AAAA", "invalid encoding"
    yield "jwe", "header_not_json", replace_part(kw, 0, b64(b"alg=A128KW")), "invalid encoding"
    yield "jwe", "header_is_array", replace_part(kw, 0, b64(b'["alg","A128KW"]')), "invalid encoding"
    yield "jwe", "duplicate_member", jwe_kw('{"alg":"A128KW","enc":"A128GCM","kid":"kw","alg":"dir"}'), "invalid encoding"
    yield "jwe", "oversized_header", jwe_kw({"alg": "A128KW", "enc": "A128GCM", "kid": "kw", "x": "a" * 5000}), \
        "message too long"
    yield "jwe", "too_deep_header", jwe_kw(crit_text + ',"x":' + "[" * 12 + "]" * 12 + "}"), "invalid encoding"
    yield "jwe", "invalid_utf8_header", jwe_kw(crit_text.encode() + b',"x":"\xff"}'), "invalid encoding"
    yield "jwe", "zip_deflate", jwe_kw({"alg": "A128KW", "enc": "A128GCM", "kid": "kw", "zip": "DEF"}), "unsupported"
    yield "jwe", "pbes2", jwe_kw({"alg": "PBES2-HS256+A128KW", "enc": "A128GCM", "p2s": "AAAA", "p2c": 1000}), \
        "unsupported"
    yield "jwe", "rsa1_5", jwe_kw({"alg": "RSA1_5", "enc": "A128GCM"}), "unsupported"
    yield "jwe", "cbc_hs_enc", jwe_kw({"alg": "A128KW", "enc": "A128CBC-HS256", "kid": "kw"}), "unsupported"
    yield "jwe", "alg_none", jwe_kw({"alg": "none", "enc": "A128GCM"}), "algorithm not allowed"
    yield "jwe", "alg_is_a_signature", jwe_kw({"alg": "HS256", "enc": "A128GCM", "kid": "hs"}), "algorithm not allowed"
    yield "jwe", "alg_missing", jwe_kw({"enc": "A128GCM", "kid": "kw"}), "invalid encoding"
    yield "jwe", "wrong_alg_for_key", jwe_kw({"alg": "A256KW", "enc": "A128GCM", "kid": "kw"}), "algorithm not allowed"
    yield "jwe", "dir_with_key_of_other_alg", jwe({"alg": "dir", "enc": "A128GCM", "kid": "kw"}, KW), \
        "algorithm not allowed"
    yield "jwe", "crit_unknown", jwe_kw({"alg": "A128KW", "enc": "A128GCM", "kid": "kw", "crit": ["x-new"],
                                         "x-new": 1}), "unsupported"
    yield "jwe", "crit_registered_name", jwe_kw({"alg": "A128KW", "enc": "A128GCM", "kid": "kw", "crit": ["alg"]}), \
        "invalid encoding"
    yield "jwe", "crit_empty", jwe_kw({"alg": "A128KW", "enc": "A128GCM", "kid": "kw", "crit": []}), "invalid encoding"
    yield "jwe", "crit_member_absent", jwe_kw({"alg": "A128KW", "enc": "A128GCM", "kid": "kw", "crit": ["x-ok"]}), \
        "invalid encoding"
    yield "jwe", "kid_not_a_string", jwe_kw({"alg": "A128KW", "enc": "A128GCM", "kid": 7}), "invalid encoding"
    yield "jwe", "dir_with_encrypted_key", jwe({"alg": "dir", "enc": "A256GCM", "kid": "dir"}, DIR, ek=b"x" * 40), \
        "invalid encoding"
    yield "jwe", "kw_without_encrypted_key", replace_part(kw, 1, ""), "invalid encoding"
    yield "jwe", "iv_8_bytes", replace_part(kw, 2, b64(bytes(8))), "invalid encoding"
    yield "jwe", "tag_12_bytes", replace_part(kw, 4, kw.split(".")[4][:16]), "invalid encoding"
    yield "jwe", "tampered_tag", replace_part(kw, 4, flip(kw.split(".")[4], 3)), "authentication failed"
    yield "jwe", "tampered_ciphertext", replace_part(kw, 3, flip(kw.split(".")[3], 2)), "authentication failed"
    yield "jwe", "tampered_protected_header", replace_part(kw, 0, b64(dumps({"alg": "A128KW", "enc": "A128GCM",
                                                                              "kid": "kw", "cty": "x"}).encode())), \
        "authentication failed"
    yield "jwe", "tampered_encrypted_key", replace_part(kw, 1, flip(kw.split(".")[1], 5)), "authentication failed"
    yield "jwe", "unknown_kid", jwe_kw({"alg": "A128KW", "enc": "A128GCM", "kid": "nobody"}), "not found"
    yield "jwe", "ecdh_missing_epk", jwe_ecdh(drop_epk=True), "invalid encoding"
    off = ec_jwk(ec_key("m2msec corpus ephemeral"), private=False)
    off["y"] = b64(bytes(31) + b"\x01")
    yield "jwe", "ecdh_epk_off_curve", jwe_ecdh(epk=off), "invalid key"
    p384 = ec.derive_private_key(12345678901234567890, ec.SECP384R1()).public_key().public_numbers()
    yield "jwe", "ecdh_epk_other_curve", jwe_ecdh(epk={"kty": "EC", "crv": "P-384",
                                                        "x": b64(p384.x.to_bytes(48, "big")),
                                                        "y": b64(p384.y.to_bytes(48, "big"))}), "invalid key"
    yield "jwe", "ecdh_epk_with_private_part", jwe_ecdh(epk=ec_jwk(ec_key("m2msec corpus ephemeral"))), \
        "invalid encoding"
    parts = kw.split(".")
    flat = {"protected": parts[0], "header": {}, "encrypted_key": parts[1], "iv": parts[2], "ciphertext": parts[3],
            "tag": parts[4]}
    yield "jwe", "ok_json_flattened", dumps({k: v for k, v in flat.items() if k != "header"}), OK
    yield "jwe", "json_unknown_member", dumps(dict(flat, extra=1)), "invalid encoding"
    yield "jwe", "json_recipients_and_header", dumps(dict(flat, recipients=[{"encrypted_key": parts[1]}])), \
        "invalid encoding"
    yield "jwe", "json_header_overlap", dumps(dict(flat, header={"kid": "kw"})), "invalid encoding"
    yield "jwe", "json_too_many_recipients", dumps({"protected": parts[0], "iv": parts[2], "ciphertext": parts[3],
                                                    "tag": parts[4],
                                                    "recipients": [{"encrypted_key": parts[1]}] * 17}), \
        "message too long"
    yield "jwe", "json_duplicate_member", dumps(flat)[:-1] + ',"iv":"AAAA"}', "invalid encoding"
    yield "jwe", "json_ciphertext_missing", dumps({k: v for k, v in flat.items() if k != "ciphertext"}), \
        "invalid encoding"

    yield "jws", "ok_hs256", hs, OK
    yield "jws", "ok_es256", jws_es({"alg": "ES256", "kid": "es"}, b"payload"), OK
    yield "jws", "alg_none", b64(b'{"alg":"none"}') + "." + b64(b"payload") + ".", "algorithm not allowed"
    yield "jws", "hs256_under_es_key", jws_hs({"alg": "HS256", "kid": "es"}), "algorithm not allowed"
    yield "jws", "es256_under_hs_key", jws_es({"alg": "ES256", "kid": "hs"}, b"payload"), "algorithm not allowed"
    yield "jws", "bad_hmac", replace_part(hs, 2, flip(hs.split(".")[2], 4)), "authentication failed"
    yield "jws", "padded_signature", hs + "=", "invalid encoding"
    yield "jws", "crit_b64", jws_hs({"alg": "HS256", "kid": "hs", "b64": False, "crit": ["b64"]}), "unsupported"
    yield "jws", "duplicate_member", jws_hs('{"alg":"HS256","kid":"hs","kid":"es"}'), "invalid encoding"
    yield "jws", "es256_short_signature", replace_part(jws_es({"alg": "ES256", "kid": "es"}, b"p"), 2,
                                                         b64(bytes(63))), "authentication failed"
    yield "jws", "two_parts", hs.rsplit(".", 1)[0], "invalid encoding"
    p = hs.split(".")
    yield "jws", "json_alg_unprotected", dumps({"payload": p[1], "header": {"alg": "HS256", "kid": "hs"},
                                               "signature": p[2]}), "invalid encoding"
    yield "jws", "ok_json_flattened", dumps({"payload": p[1], "protected": p[0], "signature": p[2]}), OK

    yield "esprim", "ok_request", esprim(), OK
    yield "esprim", "not_a_jwe", "hello", "invalid encoding", 4000
    yield "esprim", "missing_ori", esprim(header_edit=lambda h: h.pop("ori")), "invalid encoding", 4000
    yield "esprim", "missing_kid", esprim(header_edit=lambda h: h.pop("kid")), "invalid encoding", 4000
    yield "esprim", "alg_a128kw", jwe_kw(), "algorithm not allowed", 4111
    yield "esprim", "unknown_kid", esprim(header_edit=lambda h: h.update(kid="other@maf.example.com")), "not found", 4112
    yield "esprim", "unknown_receiver_rand", esprim(header_edit=lambda h: h.update(rri="sGone")), "not found", 4114
    yield "esprim", "originator_object_not_sent", esprim(send_oro=False), "not found", 4113
    yield "esprim", "expired_rand_object", esprim(orig=dict(ORIGINATOR, expiry=NOW - 60)), "expired", 4113
    yield "esprim", "rand_object_outlives_receiver", esprim(orig=dict(ORIGINATOR, expiry=NOW + 3 * 3600)), \
        "invalid validity interval", 4113
    yield "esprim", "key_generation_alg_2", esprim(orig=dict(ORIGINATOR, esk=[2])), "unsupported", 4111
    yield "esprim", "aead_not_offered", esprim(orig=dict(ORIGINATOR, espa=[12, 13])), "unsupported", 4111
    yield "esprim", "enc_not_chosen", esprim(enc="A128GCM"), "algorithm not allowed", 4111
    yield "esprim", "oro_id_differs_from_ori", esprim(oro_value=dict(oro(ORIGINATOR), esri="oOther")), \
        "invalid encoding", 4000
    yield "esprim", "bad_mac", flip(esprim(), len(esprim()) - 5), "authentication failed", 4115
    yield "esprim", "other_pairwise_key", esprim(key=bytes(32)), "authentication failed", 4115
    yield "esprim", "wrong_from", esprim(fr="Cintruder"), "originator not authenticated", 4116

    cin = dumps({"temperature": 21.5}).encode()
    yield "esdata", "ok_compact", "application/json:0:1\n" + jwe_kw(pt=cin), OK
    yield "esdata", "ok_signed", "application/json:0:1\n" + jws_hs({"alg": "HS256", "kid": "hs"}, cin), OK
    yield "esdata", "ok_json_base64", "application/json:0:3\n" + base64.b64encode(
        dumps({"payload": p[1], "protected": p[0], "signature": p[2]}).encode()).decode(), OK
    yield "esdata", "content_info_without_codes", "application/json\n" + jwe_kw(pt=cin), "invalid encoding"
    yield "esdata", "content_security_xml", "application/xml:0:4\n<EncryptedData/>", "unsupported"
    yield "esdata", "compact_code_with_json_value", "application/json:0:1\n" + dumps(flat), "invalid encoding"
    yield "esdata", "json_code_with_compact_value", "application/json:0:2\n" + jwe_kw(pt=cin), "invalid encoding"
    yield "esdata", "base64_code_bad_base64", "application/json:0:3\n" + "e30*", "invalid encoding"
    yield "esdata", "nested_inner_bad_signature", "application/json:0:1\n" + jwe_kw(
        {"alg": "A128KW", "enc": "A128GCM", "kid": "kw", "cty": "JOSE"},
        pt=replace_part(hs, 2, flip(hs.split(".")[2], 4)).encode()), "authentication failed"
    yield "esdata", "tampered", "application/json:0:1\n" + replace_part(kw, 3, flip(kw.split(".")[3], 2)), \
        "authentication failed"

    yield "token", "ok_signed", token(), OK
    yield "token", "expired", token(lambda c: c.update(nbf=NOW - 7200, exp=NOW - 3600)), "expired"
    yield "token", "not_yet_valid", token(lambda c: c.update(nbf=NOW + 3600, exp=NOW + 7200)), "not yet valid"
    yield "token", "other_holder", token(lambda c: c.update(azp="Cother")), "not authorized"
    yield "token", "other_audience", token(lambda c: c.update(aud=["/other-cse"])), "not authorized"
    yield "token", "untrusted_issuer", token(lambda c: c.update(iss="/rogue-cse")), "not authorized"
    yield "token", "unsecured", b64(b'{"alg":"none","typ":"JWT"}') + "." + b64(dumps(CLAIMS).encode()) + ".", \
        "algorithm not allowed"
    yield "token", "missing_jti", token(lambda c: c.pop("jti")), "invalid encoding"
    yield "token", "exp_not_a_number", token(lambda c: c.update(exp="tomorrow")), "invalid encoding"
    signed = token()
    yield "token", "bad_signature", flip(signed, len(signed) - 6), "authentication failed"
    yield "token", "signed_by_hmac_key", jws_hs({"alg": "HS256", "typ": "JWT", "kid": "hs"}, dumps(CLAIMS).encode()), \
        "not found"


def keys_header():
    oct_ = lambda kid, k: dumps({"kty": "oct", "kid": kid, "k": b64(k)})  # noqa: E731
    lines = ["// Written by fuzz/make_e2e_corpus.py: the fixed keys of the end-to-end corpus.",
             "#pragma once", "", "namespace e2e_keys {"]
    for name, text in [("kw", oct_("kw", KW)), ("dir", oct_("dir", DIR)), ("hs", oct_("hs", HS)),
                       ("ec", dumps(ec_jwk(EC, "ec"))), ("es", dumps(ec_jwk(ES, "es")))]:
        lines.append('inline constexpr const char* %s = R"(%s)";' % (name, text))
    lines += ["}  // namespace e2e_keys", ""]
    return "\n".join(lines)


def main():
    (here / "e2e_keys.hpp").write_text(keys_header())
    manifest = {}
    for case in cases():
        target, name, content, want = case[:4]
        d = here / "corpus" / target
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(content.encode())
        entry = {"errc": want}
        if len(case) > 4:
            entry["rsc"] = case[4]
        elif target == "esprim" and want == OK:
            entry["rsc"] = 2000
        manifest[target + "/" + name] = entry
    (root / "tests" / "e2e" / "known_bad.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    bad = sum(1 for v in manifest.values() if v["errc"] != OK)
    print("%d files, %d known-bad" % (len(manifest), bad))


if __name__ == "__main__":
    main()
