// The same peer as jose_peer.py, on the npm `jose` package, for a second
// independent implementation. Not run by CI (it needs the npm registry):
//   (cd build/peers && npm install jose@5.9.6)
//   M2MSEC_JOSE_PEER="node $PWD/tests/e2e/jose_peer.mjs" NODE_PATH=build/peers/node_modules \
//     build/tests/jose_interop_test
// Commands: make OUT.json | check IN.json | esprim IN.json, as in jose_peer.py.
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_PATH ?? process.cwd(), "x.js"));
const jose = require("jose");

const b64 = (u8) => Buffer.from(u8).toString("base64url");
const unb64 = (s) => new Uint8Array(Buffer.from(s, "base64url"));
const JWE_ALGS = ["dir", "A128KW", "A192KW", "A256KW", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW", "RSA-OAEP-256"];
const ENCS = ["A128GCM", "A192GCM", "A256GCM"];
const CURVES = ["P-256", "P-384", "P-521"];
const JWS_ALGS = ["HS256", "HS384", "HS512", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512"];

async function importKey(jwk, alg) {
  return jose.importJWK({ ...jwk }, alg);
}

async function makeKeys() {
  const keys = {};
  const oct = (bytes, alg, kid) => (keys[kid] = { kty: "oct", k: b64(randomBytes(bytes)), alg, kid });
  for (const e of ENCS) oct(Number(e.slice(1, 4)) / 8, "dir", "dir-" + e);
  for (const a of ["A128KW", "A192KW", "A256KW"]) oct(Number(a.slice(1, 4)) / 8, a, a);
  for (const [a, bits] of [["HS256", 256], ["HS384", 384], ["HS512", 512]]) oct(bits / 8, a, a);
  const pair = async (alg, opts, kid) => {
    const { privateKey } = await jose.generateKeyPair(alg, { ...opts, extractable: true });
    keys[kid] = { ...(await jose.exportJWK(privateKey)), alg, kid };
  };
  for (const c of CURVES) for (const a of JWE_ALGS.slice(4, 8)) await pair(a, { crv: c }, a + "-" + c);
  await pair("RSA-OAEP-256", { modulusLength: 2048 }, "RSA-OAEP-256");
  for (const [a, c] of [["ES256", "P-256"], ["ES384", "P-384"], ["ES512", "P-521"]]) await pair(a, { crv: c }, a);
  for (const a of ["RS256", "RS384", "RS512"]) await pair(a, { modulusLength: 2048 }, a);
  return keys;
}

async function make(out) {
  const keys = await makeKeys();
  const cases = [];
  for (const alg of JWE_ALGS)
    for (const enc of ENCS) {
      const kids = alg === "dir" ? ["dir-" + enc] : alg.startsWith("ECDH-ES") ? CURVES.map((c) => alg + "-" + c) : [alg];
      for (const kid of kids)
        for (const form of ["compact", "flattened"]) {
          const pt = randomBytes(1 + (cases.length % 97));
          const key = await importKey(keys[kid], alg);
          const object = form === "compact"
            ? await new jose.CompactEncrypt(pt).setProtectedHeader({ alg, enc, kid }).encrypt(key)
            : JSON.stringify(await new jose.FlattenedEncrypt(pt).setProtectedHeader({ enc })
              .setUnprotectedHeader({ alg, kid }).encrypt(key));
          cases.push({ name: `${alg} ${kid} ${enc} ${form}`, kind: "jwe", object, plaintext: b64(pt), kids: [kid] });
        }
    }
  for (const enc of ENCS) {
    const kids = ["A128KW", "ECDH-ES+A256KW-P-384", "RSA-OAEP-256", "A256KW", "ECDH-ES+A128KW-P-521"];
    const pt = randomBytes(200);
    const g = new jose.GeneralEncrypt(pt).setProtectedHeader({ enc }).setAdditionalAuthenticatedData(new TextEncoder().encode("oneM2M ESData"));
    for (const kid of kids) g.addRecipient(await importKey(keys[kid], keys[kid].alg)).setUnprotectedHeader({ alg: keys[kid].alg, kid });
    cases.push({ name: `general, 5 recipients, ${enc}`, kind: "jwe", object: JSON.stringify(await g.encrypt()), plaintext: b64(pt), kids });
  }
  for (const alg of JWS_ALGS)
    for (const form of ["compact", "flattened"]) {
      const pt = randomBytes(300);
      const key = await importKey(keys[alg], alg);
      const object = form === "compact"
        ? await new jose.CompactSign(pt).setProtectedHeader({ alg, kid: alg }).sign(key)
        : JSON.stringify(await new jose.FlattenedSign(pt).setProtectedHeader({ alg, kid: alg }).sign(key));
      cases.push({ name: `${alg} ${form}`, kind: "jws", object, plaintext: b64(pt), kids: [alg] });
    }
  const pt = randomBytes(64);
  const g = new jose.GeneralSign(pt);
  for (const alg of JWS_ALGS) g.addSignature(await importKey(keys[alg], alg)).setProtectedHeader({ alg, kid: alg });
  cases.push({ name: "general, 9 signatures", kind: "jws", object: JSON.stringify(await g.sign()), plaintext: b64(pt), kids: JWS_ALGS });
  fs.writeFileSync(out, JSON.stringify({ keys, cases }));
}

async function open(c, jwk) {
  if (c.kind === "jwe") {
    const alg = jwk.alg ?? (c.object.startsWith("{") ? undefined : JSON.parse(Buffer.from(c.object.split(".")[0], "base64url")).alg);
    const o = c.object.startsWith("{") ? JSON.parse(c.object) : c.object;
    const key = await importKey(jwk, alg ?? "A128KW");
    if (typeof o === "string") return (await jose.compactDecrypt(o, key)).plaintext;
    return (o.recipients ? await jose.generalDecrypt(o, key) : await jose.flattenedDecrypt(o, key)).plaintext;
  }
  const o = c.object.startsWith("{") ? JSON.parse(c.object) : c.object;
  const key = await importKey(jwk, jwk.alg);
  if (typeof o === "string") return (await jose.compactVerify(o, key)).payload;
  return (o.signatures ? await jose.generalVerify(o, key) : await jose.flattenedVerify(o, key)).payload;
}

async function check(file) {
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  const results = [];
  for (const c of doc.cases) {
    try {
      let ok = true;
      for (const kid of c.kids) {
        const jwk = doc.keys[kid];
        // m2msec's keys for several algorithms carry no "alg": take the case's.
        const alg = jwk.alg ?? (jwk.kty === "EC" ? "ECDH-ES" : c.name.split(" ")[0]);
        const got = await open(c, { ...jwk, alg });
        ok = ok && Buffer.compare(Buffer.from(got), Buffer.from(unb64(c.plaintext))) === 0;
      }
      results.push({ name: c.name, ok, error: ok ? "" : "plaintext differs" });
    } catch (e) {
      results.push({ name: c.name, ok: false, error: String(e) });
    }
  }
  process.stdout.write(JSON.stringify(results));
}

async function esprim(file) {
  const doc = JSON.parse(fs.readFileSync(file, "utf8"));
  const key = unb64(doc.key.k);
  const opened = [];
  for (const o of doc.open) {
    const r = await jose.compactDecrypt(o, key);
    opened.push({ plaintext: b64(r.plaintext), header: r.protectedHeader });
  }
  const made = [];
  for (const m of doc.make) made.push(await new jose.CompactEncrypt(unb64(m.plaintext)).setProtectedHeader(m.header).encrypt(key));
  process.stdout.write(JSON.stringify({ opened, made }));
}

await { make, check, esprim }[process.argv[2]](process.argv[3]);
