#!/usr/bin/python3
"""Writes the seed corpora under fuzz/corpus/. AEAD seeds are sealed by Python's
`cryptography` (an implementation independent of m2msec) under the fuzz
target's fixed key, so the fuzzer starts from messages that open.
Run with Debian's /usr/bin/python3 (python3-cryptography)."""
import os
import pathlib
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

here = pathlib.Path(__file__).resolve().parent
key = bytes(range(32))


def write(target, name, data):
    d = here / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def xchacha_seal(nonce, pt, ad):
    # XChaCha20-Poly1305 = ChaCha20-Poly1305 under the HChaCha20 subkey.
    def rotl(v, c):
        return ((v << c) | (v >> (32 - c))) & 0xFFFFFFFF
    x = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    x += [int.from_bytes(key[4 * i:4 * i + 4], "little") for i in range(8)]
    x += [int.from_bytes(nonce[4 * i:4 * i + 4], "little") for i in range(4)]
    def qr(a, b, c, d):
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = rotl(x[b] ^ x[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    sub = b"".join(w.to_bytes(4, "little") for w in x[0:4] + x[12:16])
    return ChaCha20Poly1305(sub).encrypt(b"\0\0\0\0" + nonce[16:], pt, ad)


algs = [  # selector, nonce size, seal(nonce, pt, ad)
    (0, 12, lambda n, p, a: ChaCha20Poly1305(key).encrypt(n, p, a)),
    (1, 24, xchacha_seal),
    (2, 12, lambda n, p, a: AESGCM(key).encrypt(n, p, a)),
    (3, 12, lambda n, p, a: AESGCM(key[:16]).encrypt(n, p, a)),
    (4, 12, lambda n, p, a: AESCCM(key[:16], tag_length=8).encrypt(n, p, a)),
    (5, 13, lambda n, p, a: AESCCM(key[:16], tag_length=8).encrypt(n, p, a)),
]
rnd = __import__("random").Random(1)
for sel, nlen, seal in algs:
    for i, (plen, alen) in enumerate([(0, 0), (1, 3), (16, 0), (33, 17), (200, 63)]):
        nonce = bytes(rnd.randrange(256) for _ in range(nlen))
        ad = bytes(rnd.randrange(256) for _ in range(alen))
        pt = bytes(rnd.randrange(256) for _ in range(plen))
        sealed = seal(nonce, pt, ad)
        blob = bytes([sel, alen]) + nonce + ad + sealed
        write("aead_open", f"alg{sel}_valid{i}", blob)
        bad = bytearray(blob); bad[-1] ^= 1
        write("aead_open", f"alg{sel}_badtag{i}", bytes(bad))

# Public-key material: SubjectPublicKeyInfo of each curve and RSA, points, and
# DER/P1363 signatures, behind the selector byte of pk_parse_fuzz.cpp.
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
raw = serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
for name, curve, h in [("p256", ec.SECP256R1(), hashes.SHA256()), ("p384", ec.SECP384R1(), hashes.SHA384()),
                       ("p521", ec.SECP521R1(), hashes.SHA512())]:
    key = ec.generate_private_key(curve)
    write("pk_parse", f"spki_{name}", bytes([0]) + key.public_key().public_bytes(*spki))
    der = key.sign(b"m2msec fuzz message", ec.ECDSA(h))
    write("pk_parse", f"der_sig_{name}", bytes([1]) + der)
    r, s_ = decode_dss_signature(der)
    n = (curve.key_size + 7) // 8
    write("pk_parse", f"p1363_sig_{name}", bytes([2]) + r.to_bytes(n, "big") + s_.to_bytes(n, "big"))
    write("pk_parse", f"point_{name}", bytes([4]) + key.public_key().public_bytes(*raw))
    write("pk_parse", f"ecdh_point_{name}", bytes([6]) + key.public_key().public_bytes(*raw))
rk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
write("pk_parse", "spki_rsa", bytes([4]) + rk.public_key().public_bytes(*spki))
write("pk_parse", "rsa_sig", bytes([3]) + rk.sign(b"m2msec fuzz message", __import__("cryptography.hazmat.primitives.asymmetric.padding", fromlist=["PKCS1v15"]).PKCS1v15(), hashes.SHA256()))
write("pk_parse", "oaep_ct", bytes([7]) + bytes(256))
write("pk_parse", "ed25519_sig", bytes([2]) + ed25519.Ed25519PrivateKey.generate().sign(b"m2msec fuzz message"))
xa, xb = x25519.X25519PrivateKey.generate(), x25519.X25519PrivateKey.generate()
write("pk_parse", "x25519", bytes([5]) + xa.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                       serialization.NoEncryption())
      + xb.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))

for i, s in enumerate(["", "Zg", "Zm8", "Zm9v", "Zm9vYmFy", "-_-_", "Zh", "Zg==", "Zm9v YmFy",
                       "AAECAwQFBgcICQoLDA0ODw", "00ff", "ABCDEF", "0g", "f"]):
    write("encoding", f"seed{i}", s.encode())

# Identifiers: the spec's examples and near misses.
for i, text in enumerate([
        "//www.m2mprovider.com", "/CSE090112", "//m2m.thingscompany.com/ab3f124a", "C190XX7T", "S190XX7T",
        "/CSE090112/C190XX7T", "/S190XX7T", "//m2m.prov.com/CSE3219/C9886", "//m2m.things.com/S98821",
        "Ra01.com.company.smartcity", "Nk836-t071-fc022", "0.2.481.1.100.3030.10011", "490154203237518",
        "10-thiskey@mymef.com", "k123@issuer.example.com", "Maf_Rel.1@maf.example.com",
        "404142434445464748494A4B4C4D4E4F@mef.example.com", "22", "in-cse.sp.example.com", "*.example.com",
        "/CSE090112/S190XX7T", "10.0.0.1"]):
    write("identity", f"example{i:02d}", text.encode())


# The credential store: the plaintext record format and whole files sealed under
# the target's key (bytes 0..31), as the store writes them.
def record(cid, suid, kind, holder, nb, na, key_bytes):
    be = lambda v, n: v.to_bytes(n, "big", signed=False)  # noqa: E731
    return (be(len(cid), 2) + cid + bytes([suid, kind]) + be(len(holder), 2) + holder +
            be(nb % (1 << 64), 8) + be(na % (1 << 64), 8) + be(len(key_bytes), 2) + key_bytes)


key = bytes(range(32))  # xchacha_seal seals under the global key
records = [record(b"12-k1@issuer.example.com", 22, 0, b"/CSE1", 0, 1 << 62, bytes(range(32))),
           record(b"11-m1@maf.example.com", 21, 3, b"maf.example.com", 5, 1 << 60, bytes(range(16))),
           record(b"13-e1@x.example.com", 13, 1, b"/in-cse/C0042", 1, 2, bytes(48))]
for n in range(len(records) + 1):
    plain = n.to_bytes(4, "big") + b"".join(records[:n])
    write("store", f"records{n}", b"\x01" + plain)
    header = b"M2MSECST" + bytes([1, 1]) + bytes([n]) * 24
    write("store", f"file{n}", b"\x00" + header + xchacha_seal(bytes([n]) * 24, plain, header))

# Certificates: the test certificates (DER) and the raw key.
from cryptography import x509 as _x509  # noqa: E402
certs = here.parent / "tests" / "credential" / "certs"
for pem in sorted(certs.glob("*.pem")):
    write("certificate", pem.stem, _x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(serialization.Encoding.DER))
write("certificate", "raw_key", (certs / "raw_key.der").read_bytes())

# The channel: for each (transport, side) and each number of real flights, a few
# records shaped like TLS/DTLS ones (the fuzzer learns the rest from the live peer).
import struct as _struct  # noqa: E402
for mode in range(4):
    for k in range(6):
        tls_record = bytes([22, 3, 3]) + _struct.pack(">H", 4) + bytes([1, 0, 0, 0])
        dtls_record = bytes([22, 0xFE, 0xFD]) + bytes(8) + _struct.pack(">H", 4) + bytes([1, 0, 0, 0])
        rec = dtls_record if mode & 1 else tls_record
        alert = (bytes([21, 0xFE, 0xFD]) + bytes(8) if mode & 1 else bytes([21, 3, 3])) + _struct.pack(">H", 2) + bytes([2, 40])
        body = _struct.pack(">H", len(rec)) + rec + _struct.pack(">H", len(alert)) + alert
        write("channel", f"mode{mode}_flights{k}", bytes([mode, k]) + body)

# The ClientHello reader: byte 0 picks the transport (bit 0: DTLS), byte 1 where
# the input is cut in two feeds; then records holding ClientHellos with one and
# two host_names (RFC 6066 §3 allows one).
def client_hello(datagram, names):
    body = b"\x03\x03" + bytes(32) + b"\x00" + (b"\x00" if datagram else b"") + b"\x00\x02\x00\xae\x01\x00"
    lst = b"".join(b"\x00" + len(n).to_bytes(2, "big") + n for n in names)
    sni = len(lst).to_bytes(2, "big") + lst
    ext = b"\x00\x00" + len(sni).to_bytes(2, "big") + sni
    body += len(ext).to_bytes(2, "big") + ext
    n = len(body).to_bytes(3, "big")
    if datagram:
        hs = b"\x01" + n + b"\x00\x00" + b"\x00\x00\x00" + n + body
        return b"\x16\xfe\xfd" + bytes(8) + len(hs).to_bytes(2, "big") + hs
    hs = b"\x01" + n + body
    return b"\x16\x03\x03" + len(hs).to_bytes(2, "big") + hs


for datagram in (0, 1):
    for count in (1, 2):
        names = [b"in-cse.sp.example.com", b"other.example.com"][:count]
        write("client_hello", f"{'dtls' if datagram else 'tls'}_{count}_names",
              bytes([datagram, 40]) + client_hello(datagram, names))
