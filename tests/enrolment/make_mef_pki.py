#!/usr/bin/python3
"""Test PKI for the certificate RSPF (TS-0003 §8.3.2.2) and the certificate MAF
Handshake (§8.8.2.2): a P-256 CA, the MEF's and the MAF's FQDN certificates
(dNSName mef.example.com, maf.example.com) and an Enrolee's AE-ID certificate (the
absolute AE-ID as a URI), with their PKCS#8 keys; and raw public keys. Test material only.
    /usr/bin/python3 tests/enrolment/make_mef_pki.py tests/enrolment/pki
"""
import datetime
import pathlib
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
UTC = datetime.timezone.utc
START, END = datetime.datetime(2026, 1, 1, tzinfo=UTC), datetime.datetime(2036, 1, 1, tzinfo=UTC)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def save(stem, cert, key):
    (out / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        (out / f"{stem}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))


ca_key = ec.generate_private_key(ec.SECP256R1())
ca = (x509.CertificateBuilder().subject_name(name("m2msec MEF test CA")).issuer_name(name("m2msec MEF test CA"))
      .public_key(ca_key.public_key()).serial_number(1).not_valid_before(START).not_valid_after(END)
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
      .sign(ca_key, hashes.SHA256()))
save("ca", ca, None)


def leaf(stem, san, eku):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name(stem)).issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(START).not_valid_after(END)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    save(stem, cert, key)


leaf("mef", x509.DNSName("mef.example.com"), ExtendedKeyUsageOID.SERVER_AUTH)
leaf("maf", x509.DNSName("maf.example.com"), ExtendedKeyUsageOID.SERVER_AUTH)
leaf("enrolee", x509.UniformResourceIdentifier("//sp.example.com/in-cse/Ccert"), ExtendedKeyUsageOID.CLIENT_AUTH)
leaf("stranger", x509.UniformResourceIdentifier("//sp.example.com/in-cse/Cstranger"), ExtendedKeyUsageOID.CLIENT_AUTH)


# TS-0003 §10.1.2: Enrolees by raw public key: a key the MEF is given (raw), one it
# is given with a lifetime already over (raw_old), one it never heard of (raw_other).
def raw(stem):
    key = ec.generate_private_key(ec.SECP256R1())
    (out / f"{stem}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    (out / f"{stem}.pub").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                    serialization.PublicFormat.SubjectPublicKeyInfo))


for stem in ("raw", "raw_old", "raw_other"):
    raw(stem)
