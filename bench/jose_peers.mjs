// The e2e benchmark's operations in the npm `jose` package (see jose_peers.py
// for the list and the measure). Run by bench/jose_peers.sh, which installs
// `jose` from the npm registry into the build folder.
import { CompactEncrypt, compactDecrypt, CompactSign, compactVerify } from "jose";
import { randomBytes } from "node:crypto";

const seconds = Number(process.argv[2] ?? 0.5);
const enc = new TextEncoder();

async function medianUs(f) {
  const runs = [];
  for (let r = 0; r < 5; ++r) {
    let n = 0;
    const start = process.hrtime.bigint();
    let now = start;
    while (Number(now - start) / 1e9 < seconds / 5) {
      await f();
      n++;
      now = process.hrtime.bigint();
    }
    runs.push(Number(now - start) / 1e3 / n);
  }
  return runs.sort((a, b) => a - b)[2];
}

function request(size) {
  const head = '{"op":1,"to":"/in-cse/meter-7/readings","fr":"Cae-meter-7","rqi":"r-000001","rvi":"4","ty":4,' +
    '"pc":{"m2m:cin":{"cnf":"application/json:0","con":"';
  const tail = '"}}}';
  return enc.encode(head + "x".repeat(size - head.length - tail.length) + tail);
}

const key = randomBytes(32), hsKey = randomBytes(32);
const jweRoundTrip = (data, header) => async () => {
  const text = await new CompactEncrypt(data).setProtectedHeader(header).encrypt(key);
  const { plaintext } = await compactDecrypt(text, key);
  if (plaintext.length !== data.length) throw new Error("round trip");
};
const hs256 = (data) => async () => {
  const text = await new CompactSign(data).setProtectedHeader({ alg: "HS256", kid: "hs" }).sign(hsKey);
  await compactVerify(text, hsKey);
};

const rows = [["ESPrim protect+unprotect (JWE dir A256GCM)", 300, await medianUs(jweRoundTrip(request(300),
  { alg: "dir", enc: "A256GCM", kid: "bench@maf.example.com", cty: "application/json", ori: "o1c0ffee", rri: "s1c0ffee" }))]];
for (const n of [1024, 1 << 20])
  rows.push(["ESData protect+unprotect (JWE dir A256GCM)", n, await medianUs(jweRoundTrip(new Uint8Array(n).fill(98),
    { alg: "dir", enc: "A256GCM", cty: "application/octet-stream" }))]);
rows.push(["JWS HS256 sign+verify", 300, await medianUs(hs256(request(300)))]);
console.log("npm jose (median of 5)".padEnd(46), "bytes".padStart(9), "us".padStart(12), "MB/s both".padStart(12));
for (const [name, n, us] of rows)
  console.log(name.padEnd(46), String(n).padStart(9), us.toFixed(2).padStart(12), (2 * n / us).toFixed(0).padStart(12));
