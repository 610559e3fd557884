#!/usr/bin/python3
"""Writes the seed corpus of the mef fuzz target (fuzz/corpus/mef): HTTP requests a
client sends the MEF (first byte 0) and responses it sends back (first byte 1),
in the forms of docs/decisions.md, "The Mmef resources"."""
import base64
import json
import pathlib

here = pathlib.Path(__file__).resolve().parent / "corpus" / "mef"
here.mkdir(parents=True, exist_ok=True)
keid = "01" + "00" * 15 + "@mef.example.com"


def request(method, path, body=b"", rqi="r1", ctype="application/json", origin="/in-cse/Cenrolee"):
    head = f"{method} /{path} HTTP/1.1\r\nHost: mef.example.com\r\nX-M2M-Origin: {origin}\r\nX-M2M-RI: {rqi}\r\n"
    if body:
        head += f"Content-Type: {ctype}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def response(rsc, body):
    status = {2000: "200 OK", 2001: "201 Created", 4103: "403 Forbidden"}[rsc]
    return (f"HTTP/1.1 {status}\r\nX-M2M-RSC: {rsc}\r\nX-M2M-RI: r1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


enrol = json.dumps({"m2msec:enrReq": {"cei": True, "mei": False, "rmi": False}}).encode()
seeds = {
    "enrol": b"\0" + request("POST", "mef/enrolment", enrol),
    "fetch": b"\0" + request("GET", f"mef/fetchCredentials/{keid}/22", rqi="f1"),
    "pipelined": b"\0" + request("POST", "mef/enrolment", enrol) + request("GET", f"mef/fetchCredentials/{keid}/23", rqi="f2"),
    "wrong_type": b"\0" + request("POST", "mef/enrolment", enrol, ctype="text/plain"),
    "stem_origin": b"\0" + request("POST", "mef/enrolment", b"", origin="Cenrolee"),
    "client_reg": b"\0" + request("POST", "mef/clientReg", json.dumps({"m2msec:crgReq": {
        "fqdn": "node.example.com", "exp": "20270101T120000", "lbl": ["a"], "adm": "adm.example.com"}}).encode())
        + request("GET", "mef/clientReg/" + "A" * 32, rqi="r2")
        + request("PUT", "mef/clientReg/" + "A" * 32, json.dumps({"m2msec:crgReq": {"lbl": ["b"]}}).encode(), rqi="r3")
        + request("DELETE", "mef/clientReg/" + "A" * 32, rqi="r4"),
    "registration": b"\1" + response(2001, json.dumps({"m2msec:crg": {
        "crid": "A" * 32, "cid": "/in-cse/Cenrolee", "fqdn": "node.example.com", "exp": "20270101T120000",
        "lbl": ["a"], "adm": "adm.example.com"}}).encode()),
    "answer": b"\1" + response(2001, json.dumps({"m2msec:enrRsp": {
        "keid": keid, "enr": "/in-cse/Cenrolee", "nbf": "20270101T000000", "exp": "20270108T000000",
        "tgts": ["/mn-cse", "maf.example.com"],
        "ins": [{"ity": 2, "crt": 21, "kru": "https://maf/kr", "kri": "https://maf/kt", "lft": 86400},
                {"ity": 1, "uri": "https://est"}]}}).encode()),
    "released": b"\1" + response(2000, json.dumps({"m2msec:cred": {
        "st": True, "keid": keid, "suid": 22, "enr": "/in-cse/Cenrolee", "nbf": "20270101T000000",
        "exp": "20270101T010000", "crd": base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()}}).encode()),
    "refused": b"\1" + response(4103, b'{"m2m:dbg":"no privilege"}'),
}
for name, data in seeds.items():
    (here / name).write_bytes(data)
