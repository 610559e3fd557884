#!/usr/bin/python3
"""Test PKI for the certificate channel profile (TS-0003 §10.2.3): a P-256 CA, the
Registrar CSE's certificate (CSE-ID flavour: its public domain name as dNSName),
and AE-ID client certificates, with their PKCS#8 keys. Test material only.
    /usr/bin/python3 tests/channel/make_pki.py tests/channel/pki
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
ca = (x509.CertificateBuilder().subject_name(name("m2msec channel CA")).issuer_name(name("m2msec channel CA"))
      .public_key(ca_key.public_key()).serial_number(1).not_valid_before(START).not_valid_after(END)
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
      .sign(ca_key, hashes.SHA256()))
save("ca", ca, None)


def leaf(stem, san, eku, start=START, end=END):
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name(stem)).issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    save(stem, cert, key)


leaf("server", x509.DNSName("in-cse.sp.example.com"), ExtendedKeyUsageOID.SERVER_AUTH)
leaf("client", x509.UniformResourceIdentifier("//sp.example.com/in-cse/C0042"), ExtendedKeyUsageOID.CLIENT_AUTH)
leaf("client_other", x509.UniformResourceIdentifier("//sp.example.com/in-cse/C0099"), ExtendedKeyUsageOID.CLIENT_AUTH)
leaf("client_expired", x509.UniformResourceIdentifier("//sp.example.com/in-cse/C0042"), ExtendedKeyUsageOID.CLIENT_AUTH,
     start=datetime.datetime(2020, 1, 1, tzinfo=UTC), end=datetime.datetime(2021, 1, 1, tzinfo=UTC))
# The Registrar's certificate ending 12 h after the tests' clock (2027-01-01): a
# certificate client's association ends strictly before it.
leaf("server_soon", x509.DNSName("in-cse.sp.example.com"), ExtendedKeyUsageOID.SERVER_AUTH,
     end=datetime.datetime(2027, 1, 1, 12, tzinfo=UTC))
