#!/usr/bin/python3
"""Writes the seed corpus of the maf fuzz target (fuzz/corpus/maf): HTTP requests a
client sends the MAF (first byte 0) and responses it sends back (first byte 1),
in the forms of docs/decisions.md, "The Mmaf resources"."""
import base64
import json
import pathlib

here = pathlib.Path(__file__).resolve().parent / "corpus" / "maf"
here.mkdir(parents=True, exist_ok=True)
key = base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()


def request(method, path, body=b"", rqi="r1", origin="/in-cse/Calpha"):
    head = f"{method} /{path} HTTP/1.1\r\nHost: maf.example.com\r\nX-M2M-Origin: {origin}\r\nX-M2M-RI: {rqi}\r\n"
    if body:
        head += "Content-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def response(rsc, body):
    status = {2000: "200 OK", 2001: "201 Created"}[rsc]
    return (f"HTTP/1.1 {status}\r\nX-M2M-RSC: {rsc}\r\nX-M2M-RI: r1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def kreq(**members):
    return json.dumps({"m2msec:kreq": members}).encode()


answer = {"rkid": "B" * 32, "src": "/in-cse/Calpha", "suid": 32, "nbf": "20270101T000000",
          "exp": "20270101T010000", "lbl": ["a"], "adm": "adm.example.com"}
seeds = {
    "register_kc": b"\0" + request("POST", "maf/keyReg", kreq(suid=32, tids=["//sp.example.com/mn-cse"],
                                                              exp="20270101T003000")),
    "register_value": b"\0" + request("POST", "maf/keyReg", kreq(suid=34, tids=["//sp.example.com/mn-cse",
                                                                                "//sp.example.com/in-cse/Calpha"],
                                                                 exp="20270101T003000", lbl=["x"], key=key)),
    "retrieve": b"\0" + request("GET", "maf/keyReg/" + "C" * 32),
    "update_delete": b"\0" + request("PUT", "maf/keyReg/" + "B" * 32, kreq(exp="20270101T002000", lbl=["y"]))
        + request("DELETE", "maf/keyReg/" + "B" * 32, rqi="r2"),
    "client_reg": b"\0" + request("POST", "maf/clientReg", json.dumps({"m2msec:crgReq": {
        "fqdn": "alpha.example.com", "exp": "20270101T003000"}}).encode())
        + request("GET", "maf/clientReg/" + "A" * 32, rqi="r2"),
    "registered": b"\1" + response(2001, json.dumps({"m2msec:kreg": dict(answer, tids=["//sp.example.com/mn-cse"])}).encode()),
    "retrieved": b"\1" + response(2000, json.dumps({"m2msec:kreg": dict(answer, key=key)}).encode()),
    "request_body": b"\1" + response(2000, kreq(suid=33, tids=["//sp.example.com/mn-cse"], exp="20270101T003000")),
}
for name, data in seeds.items():
    (here / name).write_bytes(data)
