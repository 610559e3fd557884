#!/usr/bin/python3
"""Test certificates for m2msec's oneM2M certificate profile (TS-0003 §8.1.2, §10.1).

Made with Python's cryptography package, independently of m2msec and Botan:
    /usr/bin/python3 tests/credential/make_certs.py tests/credential/certs
Valid certificates run 2026-01-01 .. 2036-01-01 (tests validate at fixed times).
The private keys are thrown away: the tests only verify.
"""
import datetime
import pathlib
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
END = datetime.datetime(2036, 1, 1, tzinfo=datetime.timezone.utc)
DEVICE_ARC = ObjectIdentifier("0.2.481.1")


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def key_usage(digital_signature=True, ca=False):
    return x509.KeyUsage(digital_signature, False, False, False, False, ca, ca, False, False)


def write(stem, cert):
    (out / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_ca(cn, permitted=None, start=START, end=END):
    key = ec.generate_private_key(ec.SECP256R1())
    b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn)).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(key_usage(True, ca=True), critical=True))
    if permitted:
        b = b.add_extension(x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True)
    return key, b.sign(key, hashes.SHA256())


def leaf(ca_key, ca_cert, stem, sans, key=None, digest=hashes.SHA256(), ds=True, start=START, end=END):
    key = key or ec.generate_private_key(ec.SECP256R1())
    b = (x509.CertificateBuilder().subject_name(name(stem)).issuer_name(ca_cert.subject).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(key_usage(ds), critical=True))
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    write(stem, b.sign(ca_key, digest))


ca_key, ca = make_ca("m2msec test root", permitted=[x509.DNSName("sp.example.com"), x509.DNSName("mef.example.com")])
write("ca", ca)
other_key, other_ca = make_ca("m2msec other root")
write("other_ca", other_ca)

DEVICE_SERIAL = b"100.3030.10011"
DEV = x509.OtherName(DEVICE_ARC, bytes([0x0C, len(DEVICE_SERIAL)]) + DEVICE_SERIAL)  # UTF8String
leaf(ca_key, ca, "cse", [x509.DNSName("in-cse.sp.example.com")])
leaf(ca_key, ca, "ae", [x509.UniformResourceIdentifier("//sp.example.com/in-cse/C0042")])
leaf(ca_key, ca, "node", [x509.UniformResourceIdentifier("0.2.481.1.100.3030.10011")])
leaf(ca_key, ca, "device", [DEV])
leaf(ca_key, ca, "mef", [x509.DNSName("mef.example.com")])
leaf(ca_key, ca, "two_names", [x509.DNSName("in-cse.sp.example.com"), x509.DNSName("mn-cse.sp.example.com")])
leaf(ca_key, ca, "wildcard", [x509.DNSName("*.sp.example.com")])
leaf(ca_key, ca, "rsa_key", [x509.DNSName("in-cse.sp.example.com")],
     key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
leaf(ca_key, ca, "p384_key", [x509.DNSName("in-cse.sp.example.com")], key=ec.generate_private_key(ec.SECP384R1()))
leaf(ca_key, ca, "sha384", [x509.DNSName("in-cse.sp.example.com")], digest=hashes.SHA384())
leaf(ca_key, ca, "no_digital_signature", [x509.DNSName("in-cse.sp.example.com")], ds=False)
leaf(ca_key, ca, "no_san", [])
leaf(ca_key, ca, "expired", [x509.DNSName("in-cse.sp.example.com")],
     start=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc),
     end=datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc))
leaf(ca_key, ca, "outside_constraints", [x509.DNSName("in-cse.other.example.org")])
leaf(other_key, other_ca, "foreign", [x509.DNSName("in-cse.sp.example.com")])
# TS-0003 §8.1.2.1 asks AE-ID issuers for a URI name constraint on the host part.
# Botan 2.19 refuses this path (docs/decisions.md); the test pins that down.
uri_key, uri_ca = make_ca("m2msec AE-ID root", permitted=[x509.UniformResourceIdentifier("sp.example.com")])
write("uri_ca", uri_ca)
leaf(uri_key, uri_ca, "ae_uri_constrained", [x509.UniformResourceIdentifier("//sp.example.com/in-cse/C0042")])

# Time edges: a root and a device certificate valid since before 1970 and until
# 3100 (the widest span Botan 2.19 parses: years 1950 to 3100), one ending in
# 2300, past what a nanosecond time_point holds, and one ending
# 99991231235959Z (RFC 5280 §4.1.2.5: no well-defined expiration), which Botan
# 2.19 refuses to parse (docs/decisions.md).
LATEST = datetime.datetime(3100, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)
SINCE_1950 = datetime.datetime(1950, 1, 1, tzinfo=datetime.timezone.utc)
long_key, long_ca = make_ca("m2msec long-lived root", start=SINCE_1950, end=LATEST)
write("long_ca", long_ca)
leaf(long_key, long_ca, "since_1950", [x509.DNSName("in-cse.sp.example.com")], start=SINCE_1950, end=LATEST)
leaf(long_key, long_ca, "until_2300", [x509.DNSName("in-cse.sp.example.com")],
     end=datetime.datetime(2300, 1, 1, tzinfo=datetime.timezone.utc))
leaf(long_key, long_ca, "until_9999", [x509.DNSName("in-cse.sp.example.com")],
     end=datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc))

# A raw public key (RFC 7250) for the RFC 6920 identifier tests.
raw = ec.generate_private_key(ec.SECP256R1()).public_key()
(out / "raw_key.der").write_bytes(raw.public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo))
# Its RFC 6920 names, computed here with hashlib for the tests to compare.
import base64, hashlib  # noqa: E402
digest = hashlib.sha256((out / "raw_key.der").read_bytes()).digest()
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
(out / "raw_key.ni").write_text("\n".join([f"ni:///sha-256;{b64(digest)}", f"ni:///sha-256-128;{b64(digest[:16])}",
                                           f"ni:///sha-256-120;{b64(digest[:15])}"]) + "\n")
