// JOSE: RFC example vectors, round trips over every algorithm and serialization,
// every-bit tamper and every truncation, JWK import/export, keys bound to their
// algorithms, the decoding policy, and the fast base64url codec against the
// constant-time one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <optional>
#include <cctype>
#include <random>

#include "m2msec/jose.hpp"

using namespace m2msec;
using namespace m2msec::jose;

namespace {

jwk make(alg_set uses, std::string kid = {}) {
  auto k = jwk::generate(uses, std::move(kid));
  REQUIRE(k);
  return std::move(*k);
}
jwk import(const char* text, alg_set uses = {}) {
  auto k = jwk::parse(text, uses);
  INFO(text);
  REQUIRE(k);
  return std::move(*k);
}
std::string str(const byte_vector& b) { return {b.begin(), b.end()}; }
template <class S>
std::string to_std(const S& s) { return {s.begin(), s.end()}; }

// The position of the '}' that closes the object opened just before `from`.
std::size_t closing_brace(const std::string& s, std::size_t from) {
  int depth = 1;
  for (std::size_t i = from; i < s.size(); ++i) {
    depth += s[i] == '{' ? 1 : s[i] == '}' ? -1 : 0;
    if (depth == 0) return i;
  }
  return s.size();
}

// RFC 7515 §A.1 and §A.3: the JWS Signing Input both examples sign.
const std::string rfc7515_payload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

}  // namespace

TEST_CASE("RFC 7515 A.1 (HS256) and A.3 (ES256) verify; one changed bit does not", "[jose][vectors]") {
  const jwk hs = import(R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})",
                        {alg::hs256});
  const std::string a1 = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + rfc7515_payload +
                         ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  auto v = verify(a1, hs);
  REQUIRE(v);
  CHECK(str(v->payload) == "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
  CHECK(jose::to_json(v->header)["typ"] == "JWT");
  std::string bad = a1;
  bad[bad.size() - 5] = 'B';
  CHECK(verify(bad, hs).error() == errc::auth_failed);

  const jwk es = import(R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})",
                        {alg::es256});
  const std::string a3 = "eyJhbGciOiJFUzI1NiJ9." + rfc7515_payload +
                         ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
  CHECK(verify(a3, es));
  CHECK(verify(a3, hs).error() == errc::alg_not_allowed);  // the HMAC key is not for ES256
  bad = a3;
  bad[bad.size() - 10] = 'A';
  CHECK(verify(bad, es).error() == errc::auth_failed);
}

TEST_CASE("RFC 7518 C: ECDH-ES Concat KDF gives the example's key", "[jose][vectors]") {
  const jwk bob = import(R"({"kty":"EC","crv":"P-256","x":"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ","y":"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck","d":"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"})",
                         {alg::ecdh_es});
  const json header = {{"alg", "ECDH-ES"}, {"enc", "A128GCM"}, {"apu", "QWxpY2U"}, {"apv", "Qm9i"},
                       {"epk", {{"kty", "EC"}, {"crv", "P-256"}, {"x", "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0"},
                                {"y", "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"}}}};
  auto read = jose::header::parse(header.dump(), {});
  REQUIRE(read);
  jose::detail::wiped<66> z;
  REQUIRE(jose::detail::ecdh_recipient(bob, *read, alg::ecdh_es, z));
  std::array<byte, 16> key{};
  REQUIRE(jose::detail::ecdh_es_kdf(alg::ecdh_es, enc::a128gcm, z.view(), "QWxpY2U", "Qm9i", key));
  CHECK(base64url_encode(key) == "VqqN6vgjbSBcIijNcacQGg");
}

TEST_CASE("Every JWE alg and enc round-trips in every serialization", "[jose]") {
  std::size_t n = 0;
  for (alg a : {alg::dir, alg::a128kw, alg::a192kw, alg::a256kw, alg::ecdh_es, alg::ecdh_es_a128kw, alg::ecdh_es_a192kw,
                alg::ecdh_es_a256kw, alg::rsa_oaep_256})
    for (enc e : all_encs) {
      std::optional<jwk> k;
      if (a == alg::dir) {
        auto s = secret::allocate(key_size(e));
        REQUIRE(crypto::rng<>::fill(s->expose()));
        k.emplace(*jwk::symmetric(std::move(*s), {alg::dir}, "d"));
      } else {
        k.emplace(make({a}, "k"));
      }
      for (auto form : {serialization::compact, serialization::flattened, serialization::general}) {
        jwe_options o;
        o.encryption = e;
        o.form = form;
        o.protected_header = {{"cty", "application/json"}};
        if (form != serialization::compact) o.aad = "external";
        const std::string pt = "{\"con\":\"" + std::to_string(n) + "\"}";
        auto c = encrypt(as_bytes(pt), *k, a, o);
        INFO(to_string(a) << " " << to_string(e));
        REQUIRE(c);
        auto d = decrypt(*c, *k);
        REQUIRE(d);
        CHECK(str(d->plaintext) == pt);
        CHECK(jose::to_json(d->header)["cty"] == "application/json");
        ++n;
      }
    }
  CHECK(n == 81);
}

TEST_CASE("Several recipients: each one opens the same JWE with its own key", "[jose]") {
  std::vector<jwk> keys;
  keys.push_back(make({alg::a128kw}, "kw"));
  keys.push_back(make({alg::ecdh_es_a256kw}, "ec"));
  keys.push_back(make({alg::rsa_oaep_256}, "rsa"));
  std::vector<recipient> to;
  for (const auto& k : keys) to.push_back({&k, *std::find_if(std::begin(all_algs), std::end(all_algs), [&](alg a) { return k.allows(a); }), nullptr});
  jwe_options o;
  o.form = serialization::general;
  auto c = encrypt(as_bytes(std::string("shared content")), to, o);
  REQUIRE(c);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto d = decrypt(*c, keys[i]);
    REQUIRE(d);
    CHECK(d->recipient == i);
    CHECK(str(d->plaintext) == "shared content");
  }
  // With all keys, the first recipient's key is used.
  auto all = decrypt(*c, keys);
  REQUIRE(all);
  CHECK(all->key == 0);
  // dir and ECDH-ES derive the CEK from one key: one recipient only.
  const jwk d1 = make({alg::ecdh_es}, "e1"), d2 = make({alg::ecdh_es}, "e2");
  const recipient two[] = {{&d1, alg::ecdh_es, nullptr}, {&d2, alg::ecdh_es, nullptr}};
  CHECK(encrypt(as_bytes(std::string("x")), two, o).error() == errc::invalid_argument);
}

TEST_CASE("Every JWS alg round-trips in every serialization; several signers", "[jose]") {
  std::vector<jwk> keys;
  std::vector<signer> signers;
  for (alg a : {alg::hs256, alg::hs384, alg::hs512, alg::es256, alg::es384, alg::es512, alg::rs256, alg::rs384, alg::rs512})
    keys.push_back(make({a}, std::string(to_string(a))));
  for (const auto& k : keys) {
    const alg a = *parse_alg(k.kid());
    for (auto form : {serialization::compact, serialization::flattened, serialization::general}) {
      auto s = sign(as_bytes(std::string("payload")), k, a, json{{"typ", "JWT"}}, form);
      REQUIRE(s);
      auto v = verify(*s, k);
      REQUIRE(v);
      CHECK(str(v->payload) == "payload");
      CHECK(jose::to_json(v->header)["alg"] == to_string(a));
    }
    signers.push_back({&k, a, json::object(), nullptr});
  }
  auto multi = sign(as_bytes(std::string("many")), signers, serialization::general);
  REQUIRE(multi);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto v = verify(*multi, keys[i]);
    REQUIRE(v);
    CHECK(v->signature == i);
  }
}

TEST_CASE("A general JWS gets a verdict per signature; the caller requires any, all, or one key", "[jose]") {
  const jwk hs = make({alg::hs256}, "hs"), es = make({alg::es256}, "es"), other = make({alg::hs256}, "other");
  const std::vector<signer> signers = {{&hs, alg::hs256, json::object(), nullptr},
                                       {&es, alg::es256, json::object(), nullptr},
                                       {&other, alg::hs256, json::object(), nullptr}};
  auto text = sign(as_bytes(std::string("three")), signers, serialization::general);
  REQUIRE(text);
  // The second signature's entry breaks a strictness rule: its unprotected header
  // repeats a protected member (RFC 7515 §7.2.1). Before, the whole JWS was refused.
  auto doc = json::parse(*text);
  doc["signatures"][1]["header"] = json{{"alg", "ES256"}};
  const std::string broken = doc.dump();
  const std::vector<const jwk*> known = {&hs, &es};
  {
    auto p = parse_jws(broken);
    REQUIRE(p);
    const auto v = check_each(*p, known);
    REQUIRE(v.size() == 3);
    CHECK(v[0]);
    CHECK(v[1].error == errc::invalid_encoding);
    CHECK(v[2].error == errc::not_found);  // no key of ours has kid "other"
  }
  auto any = verify(*parse_jws(broken), known, require::any);
  REQUIRE(any);
  CHECK(str(any->payload) == "three");
  CHECK(any->signature == 0);
  CHECK(any->verdicts.size() == 3);
  CHECK(verify(*parse_jws(broken), known, require::all).error() == errc::invalid_encoding);
  // All three keys, the intact object: every signature verifies.
  const std::vector<const jwk*> all_keys = {&hs, &es, &other};
  auto all = verify(*parse_jws(*text), all_keys, require::all);
  REQUIRE(all);
  CHECK(std::all_of(all->verdicts.begin(), all->verdicts.end(), [](const auto& v) { return bool(v); }));
  // One named key: the ES256 signature's entry was refused, so ES alone finds nothing.
  CHECK(verify(broken, es).error() == errc::invalid_encoding);
  CHECK(verify(broken, other));
  // A wrong signature beats the other reasons.
  doc = json::parse(*text);
  std::string sig = doc["signatures"][0]["signature"];
  sig[0] = sig[0] == 'A' ? 'B' : 'A';
  doc["signatures"][0]["signature"] = sig;
  CHECK(verify(doc.dump(), hs).error() == errc::auth_failed);
  // Every entry refused: the parse fails with the first reason.
  doc = json::parse(*text);
  for (auto& e : doc["signatures"]) e["header"] = json{{"alg", "HS256"}};
  CHECK(parse_jws(doc.dump()).error() == errc::invalid_encoding);
}

TEST_CASE("Every bit flipped and every truncation of compact and JSON objects is refused", "[jose][tamper]") {
  const jwk kw = make({alg::a128kw}, "kw");
  const jwk kw2 = make({alg::a256kw}, "kw2");
  const jwk ec = make({alg::ecdh_es_a256kw}, "ec");
  const jwk hs = make({alg::hs256}, "hs");
  const jwk es = make({alg::es256}, "es");
  const jwk keys[] = {*kw.clone(), *kw2.clone(), *ec.clone()};
  const jwk sig_keys[] = {*hs.clone(), *es.clone()};
  const std::string pt = R"({"m2m:cin":{"con":"21.5"}})";
  // A recipient cannot see changes to another recipient's unprotected header or
  // encrypted key (RFC 7516 §7.2): in the two-recipient object only the shared
  // parts and the first recipient are flipped. Unprotected headers are not
  // authenticated by design: a flip there may pass only if it changes nothing
  // the recipient relies on (say "kid" renamed, so every key is tried) and the
  // plaintext comes out unchanged. Compact objects have no unprotected part.
  std::vector<std::pair<std::string, bool>> objects;  // object, is_jwe
  jwe_options o;
  objects.emplace_back(*encrypt(as_bytes(pt), kw, alg::a128kw, o), true);
  objects.emplace_back(*encrypt(as_bytes(pt), ec, alg::ecdh_es_a256kw, o), true);
  o.form = serialization::general;
  o.aad = "aad";
  const recipient two[] = {{&kw, alg::a128kw, nullptr}, {&kw2, alg::a256kw, nullptr}};
  objects.emplace_back(*encrypt(as_bytes(pt), two, o), true);
  o.form = serialization::flattened;
  objects.emplace_back(*encrypt(as_bytes(pt), ec, alg::ecdh_es_a256kw, o), true);
  objects.emplace_back(*sign(as_bytes(pt), hs, alg::hs256), false);
  objects.emplace_back(*sign(as_bytes(pt), es, alg::es256, json::object(), serialization::flattened), false);
  std::size_t flips = 0, cuts = 0, harmless = 0;
  for (const auto& entry : objects) {
    const std::string& obj = entry.first;  // no structured binding: clang 14 cannot capture one
    const bool is_jwe = entry.second;
    auto open = [&](const std::string& s) -> std::optional<byte_vector> {
      if (is_jwe) {
        // The two-recipient object is opened as its first recipient only.
        auto d = obj.find("},{\"header\"") != std::string::npos ? decrypt(s, keys[0]) : decrypt(s, keys);
        return d ? std::optional(d->plaintext) : std::nullopt;
      }
      auto v = verify(s, sig_keys);
      return v ? std::optional(v->payload) : std::nullopt;
    };
    // The spans of unprotected header objects: "header":{...} and "unprotected":{...}.
    std::vector<std::pair<std::size_t, std::size_t>> unprotected;
    for (const char* name : {"\"header\":{", "\"unprotected\":{"})
      for (std::size_t at = obj.find(name); at != std::string::npos; at = obj.find(name, at + 1))
        unprotected.emplace_back(at + std::strlen(name), closing_brace(obj, at + std::strlen(name)));
    // ... and within them, the name of the "kid" hint.
    auto in_unprotected_kid_name = [&](std::size_t i) {
      return std::any_of(unprotected.begin(), unprotected.end(), [&](auto r) {
        for (std::size_t at = obj.find("\"kid\":", r.first); at < r.second; at = obj.find("\"kid\":", at + 1))
          if (i > at && i < at + 4) return true;
        return false;
      });
    };
    REQUIRE(open(obj));
    const std::size_t second = obj.find("},{\"header\"");
    const std::size_t skip_from = second == std::string::npos ? obj.size() : second + 2;
    const std::size_t skip_to = second == std::string::npos ? obj.size() : obj.find(']', second);
    for (std::size_t i = 0; i < obj.size(); ++i)
      for (int bit = 0; bit < 8; ++bit) {
        if (i >= skip_from && i < skip_to) continue;
        std::string t = obj;
        t[i] = static_cast<char>(t[i] ^ (1 << bit));
        if (auto got = open(t)) {
          if (!in_unprotected_kid_name(i) || str(*got) != pt) FAIL("accepted with byte " << i << " bit " << bit << " flipped: " << t);
          ++harmless;
        }
        ++flips;
      }
    for (std::size_t n = 0; n < obj.size(); ++n) {
      if (open(obj.substr(0, n))) FAIL("accepted truncated to " << n);
      ++cuts;
    }
  }
  CHECK(flips > 12000);
  CHECK(cuts > 1500);
  CHECK(harmless <= 2 * 24);  // at most every flip of the two unprotected "kid" names
}

TEST_CASE("JWKs export and import for every key type; private parts only when asked", "[jose][jwk]") {
  for (alg_set uses : {alg_set{alg::a192kw}, alg_set{alg::hs512}, alg_set{alg::ecdh_es, alg::ecdh_es_a128kw},
                       alg_set{alg::es384}, alg_set{alg::es512}, alg_set{alg::rs256, alg::rsa_oaep_256}}) {
    const jwk k = make(uses, "id-1");
    const json pub = k.to_json(false), priv = k.to_json(true);
    CHECK(!pub.contains("d"));
    CHECK(!pub.contains("k"));
    CHECK(!pub.contains("p"));
    if (k.type() != kty::oct) {
      auto back = jwk::from_json(pub, uses);
      REQUIRE(back);
      CHECK(!back->has_private());
      CHECK(back->public_part().size() == k.public_part().size());
      CHECK(ct::equal(back->public_part(), k.public_part()));
    }
    auto full = jwk::from_json(priv, uses);
    REQUIRE(full);
    CHECK(full->private_part() == k.private_part());
    CHECK(full->kid() == "id-1");
    CHECK(full->uses() == k.uses());
  }
}

TEST_CASE("A key serves only the algorithms bound to it", "[jose][jwk]") {
  // "alg" in the JWK fixes it; a caller's set must then include it.
  const char* with_alg = R"({"kty":"oct","alg":"A128KW","k":"GawgguFyGrWKav7AX4VKUg"})";
  CHECK(import(with_alg).uses() == alg_set{alg::a128kw});
  CHECK(jwk::parse(with_alg, {alg::hs256}).error() == errc::alg_not_allowed);
  // Without "alg" the caller says what it is for; a key for nothing is refused.
  const char* bare = R"({"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg"})";
  CHECK(jwk::parse(bare).error() == errc::alg_not_allowed);
  CHECK(import(bare, {alg::a128kw, alg::dir}).allows(alg::dir));
  // Sizes: a 16-byte key is not an A256KW key nor an HS256 key (RFC 7518 §3.2).
  CHECK(jwk::parse(bare, {alg::a256kw}).error() == errc::alg_not_allowed);
  CHECK(jwk::parse(bare, {alg::hs256}).error() == errc::alg_not_allowed);
  // "use" narrows.
  CHECK(jwk::parse(R"({"kty":"oct","use":"sig","k":"GawgguFyGrWKav7AX4VKUgGawgguFyGrWKav7AX4VKUg"})",
                   {alg::hs256, alg::a256kw})->uses() == alg_set{alg::hs256});
  // A curve fixes the ECDSA algorithm.
  const jwk p256 = make({alg::es256});
  CHECK(jwk::from_json(p256.to_json(true), {alg::es384}).error() == errc::alg_not_allowed);
  // An encryption using a key for another alg is refused before anything is made.
  const jwk kw = make({alg::a128kw});
  CHECK(encrypt(as_bytes(std::string("x")), kw, alg::dir).error() == errc::alg_not_allowed);
  CHECK(sign(as_bytes(std::string("x")), kw, alg::hs256).error() == errc::alg_not_allowed);
}

TEST_CASE("JWK import honours key_ops and use, and takes an enc as a dir key's alg", "[jose][jwk]") {
  const std::string k32 = base64url_encode(bytes_view(byte_vector(32, 7)));
  const std::string k16 = base64url_encode(bytes_view(byte_vector(16, 7)));
  const alg_set either{alg::dir, alg::hs256};  // what the caller would let the key do
  // key_ops ["encrypt"]: the key does not sign or verify.
  auto enc_only = jwk::from_json({{"kty", "oct"}, {"k", k32}, {"key_ops", {"encrypt", "decrypt"}}}, either);
  REQUIRE(enc_only);
  CHECK_FALSE(enc_only->allows(alg::hs256));
  CHECK(enc_only->allows(alg::dir));
  CHECK(sign(as_bytes(std::string("x")), *enc_only, alg::hs256).error() == errc::alg_not_allowed);
  auto sig_only = jwk::from_json({{"kty", "oct"}, {"k", k32}, {"key_ops", {"sign", "verify"}}}, either);
  REQUIRE(sig_only);
  CHECK(sig_only->allows(alg::hs256));
  CHECK_FALSE(sig_only->allows(alg::dir));
  // use and key_ops that contradict each other leave nothing; unknown ops alone allow nothing.
  CHECK(jwk::from_json({{"kty", "oct"}, {"k", k32}, {"use", "sig"}, {"key_ops", {"encrypt"}}}, either).error() ==
        errc::alg_not_allowed);
  CHECK(jwk::from_json({{"kty", "oct"}, {"k", k32}, {"key_ops", {"frobnicate"}}}, either).error() == errc::alg_not_allowed);
  CHECK(jwk::from_json({{"kty", "oct"}, {"k", k32}, {"key_ops", "sign"}}, either).error() == errc::invalid_encoding);
  // "alg":"A128GCM" (a registered value for dir keys): a dir key of 16 bytes.
  auto gcm = jwk::from_json({{"kty", "oct"}, {"k", k16}, {"alg", "A128GCM"}});
  REQUIRE(gcm);
  CHECK(gcm->allows(alg::dir));
  CHECK_FALSE(gcm->allows(alg::a128kw));
  auto sealed = encrypt_direct(as_bytes(std::string("hello")), bytes_view(byte_vector(16, 7)), enc::a128gcm);
  REQUIRE(sealed);
  auto opened = decrypt(*sealed, *gcm);
  REQUIRE(opened);
  CHECK(opened->plaintext == byte_vector{'h', 'e', 'l', 'l', 'o'});
  CHECK(jwk::from_json({{"kty", "oct"}, {"k", k32}, {"alg", "A128GCM"}}).error() == errc::invalid_key_size);
}

TEST_CASE("Refusals tell unsupported from malformed from policy, and say which member and check", "[jose][policy]") {
  auto b64 = [](std::string_view s) { return base64url_encode(as_bytes(s)); };
  const std::string body = ".AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA";  // a GCM IV, a body, a tag
  struct expect {
    const char* what;
    std::string text;
    bool jws;
    errc code;
    std::string_view member;
  };
  const std::vector<expect> cases = {
      {"PBES2", b64(R"({"alg":"PBES2-HS256+A128KW","enc":"A128GCM"})") + ".AAAA" + body, false, errc::unsupported, "alg"},
      // CBC: its 128-bit IV used to be refused by length before "enc" was read.
      {"CBC enc", b64(R"({"alg":"dir","enc":"A128CBC-HS256"})") + "..AAAAAAAAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
       false, errc::unsupported, "enc"},
      {"malformed JSON", b64(R"({"alg":"dir",)") + "." + body, false, errc::invalid_encoding, "protected"},
      {"non-canonical base64url", b64(R"({"alg":"HS256"})") + "..AB", true, errc::invalid_encoding, "signature"},
      {"unprotected alg", R"({"payload":"","header":{"alg":"HS256"},"signature":"AAAA"})", true, errc::policy_refused,
       "alg"},
      {"alg outside the policy", b64(R"({"alg":"none"})") + "..", true, errc::alg_not_allowed, "alg"},
      {"IV length", b64(R"({"alg":"dir","enc":"A128GCM"})") + "..AAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA", false,
       errc::invalid_encoding, "iv"},
      {"unknown crit", b64(R"({"alg":"HS256","crit":["x"],"x":1})") + "..AAAA", true, errc::unsupported, "crit"},
      {"JSON shape", R"({"payload":[1,2],"signatures":[]})", true, errc::invalid_encoding, "json"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const errc got = c.jws ? parse_jws(c.text).error() : parse_jwe(c.text).error();
    CHECK(got == c.code);
    CHECK(last_refusal().member == c.member);
    CHECK_FALSE(last_refusal().check.empty());
  }
  // A parse that succeeds leaves no refusal behind.
  CHECK(parse_jws(*sign(as_bytes(std::string("x")), make({alg::hs256}), alg::hs256)));
  CHECK(last_refusal().member.empty());
  CHECK(jwk::parse(R"({"kty":"oct","k":"AB","alg":"HS256"})").error() == errc::invalid_encoding);
  CHECK(last_refusal().member == "jwk");
  CHECK(jwk::parse(R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})").error() == errc::unsupported);
  CHECK(last_refusal().member == "kty");
}

TEST_CASE("JWK sets: RFC 7517 A.1 reads; duplicate kids and secret mixed with public are refused", "[jose][jwk]") {
  // RFC 7517 Appendix A.1, the example public keys.
  const std::string ec = R"({"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",)"
                         R"("y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","use":"enc","kid":"1"})";
  const std::string rsa =
      R"({"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",)"
      R"("e":"AQAB","alg":"RS256","kid":"2011-04-29"})";
  // RFC 7517 Appendix A.3: a symmetric key.
  const std::string kw = R"({"kty":"oct","alg":"A128KW","k":"GawgguFyGrWKav7AX4VKUg","kid":"kw"})";
  const alg_set uses{alg::ecdh_es, alg::rs256, alg::a128kw};
  auto set = jwk_set::parse(R"({"keys":[)" + ec + "," + rsa + R"(],"note":"ignored"})", uses);
  INFO((set ? "" : to_string(set.error())));
  REQUIRE(set);
  CHECK(set->size() == 2);
  CHECK_FALSE(set->has_private());
  REQUIRE(set->find("2011-04-29"));
  CHECK(set->find("2011-04-29")->allows(alg::rs256));
  CHECK(set->find("1")->allows(alg::ecdh_es));
  CHECK(set->find("missing") == nullptr);
  // A key of a type m2msec does not know is skipped (RFC 7517 §5).
  auto with_okp = jwk_set::parse(R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},)" +
                                     ec + "]}", uses);
  REQUIRE(with_okp);
  CHECK(with_okp->size() == 1);
  // A known type with a curve m2msec does not implement is refused, not skipped.
  CHECK(jwk_set::parse(R"({"keys":[{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"},)" + ec + "]}", uses).error() ==
        errc::unsupported);
  // Refused: a kid twice, secret beside public, no "keys", a malformed key.
  std::string twice = rsa;
  twice.replace(twice.find("2011-04-29"), 10, "1");
  CHECK(jwk_set::parse(R"({"keys":[)" + ec + "," + twice + "]}", uses).error() == errc::invalid_encoding);
  CHECK(jwk_set::parse(R"({"keys":[)" + ec + "," + kw + "]}", uses).error() == errc::invalid_key);
  CHECK(jwk_set::parse(R"({"kees":[]})", uses).error() == errc::invalid_encoding);
  CHECK(jwk_set::parse(R"({"keys":[{"kty":"EC","crv":"P-256"}]})", uses).error() == errc::invalid_key);
  CHECK(jwk_set::parse(R"({"keys":[1]})", uses).error() == errc::invalid_encoding);
  // Made from keys, and back through text with its private members.
  std::vector<jwk> mine;
  mine.push_back(make({alg::hs256}, "a"));
  mine.push_back(make({alg::es256}, "b"));
  auto ring = jwk_set::make(std::move(mine));
  REQUIRE(ring);
  CHECK(ring->has_private());
  const auto text = ring->to_json(true).dump();
  auto back = jwk_set::parse(std::string_view(text.data(), text.size()));
  REQUIRE(back);
  CHECK(back->find("a")->private_part() == ring->find("a")->private_part());
  CHECK(back->pointers().size() == 2);
  // Published without private members: the HMAC key has no public half, so
  // that set does not read back; one of public keys does.
  CHECK(jwk_set::parse(to_std(ring->to_json(false).dump())).error() == errc::invalid_key);
  std::vector<jwk> pub;
  pub.push_back(make({alg::es256}, "e"));
  pub.push_back(make({alg::rs256}, "r"));
  auto signing = jwk_set::make(std::move(pub));
  REQUIRE(signing);
  auto published = jwk_set::parse(to_std(signing->to_json(false).dump()));
  REQUIRE(published);
  CHECK_FALSE(published->has_private());
  CHECK(published->size() == 2);
}

TEST_CASE("JWK import refuses malformed and inconsistent keys", "[jose][jwk]") {
  const jwk ec = make({alg::es256}, "ec");
  json j = ec.to_json(true);
  auto refused = [](json k, errc e) {
    INFO(k.dump());
    CHECK(jwk::from_json(k, {alg::es256}).error() == e);
  };
  json bad = j;
  bad["x"] = base64url_encode(byte_vector(31, 1));
  refused(bad, errc::invalid_key);
  bad = j;
  bad["y"] = base64url_encode(byte_vector(32, 1));  // off the curve
  refused(bad, errc::invalid_key);
  bad = j;
  bad["d"] = make({alg::es256}).to_json(true)["d"];  // another key's scalar
  refused(bad, errc::invalid_key);
  bad = j;
  bad["crv"] = "P-192";
  refused(bad, errc::unsupported);
  bad = j;
  bad["kty"] = "OKP";
  refused(bad, errc::unsupported);
  bad = j;
  bad["x"] = j["x"].get<std::string>() + "=";
  refused(bad, errc::invalid_encoding);
  bad = j;
  bad["kid"] = 7;
  refused(bad, errc::invalid_encoding);
  CHECK(jwk::parse(R"({"kty":"oct","kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAA"})", {alg::a128kw}).error() ==
        errc::invalid_encoding);
  const jwk rsa = make({alg::rs256});
  json r = rsa.to_json(true);
  r["q"] = r["p"];
  CHECK(jwk::from_json(r).error() == errc::invalid_key);
  r = rsa.to_json(true);
  r.erase("p");
  CHECK(jwk::from_json(r).error() == errc::unsupported);
  r = rsa.to_json(false);
  r["n"] = base64url_encode(byte_vector(128, 0xC3));  // 1024 bits: below RFC 7518's 2048
  CHECK(jwk::from_json(r).error() == errc::invalid_key_size);
}

TEST_CASE("The decoding policy: allow-lists, crit, unsecured JWS, limits", "[jose][policy]") {
  const jwk kw = make({alg::a128kw}, "kw");
  auto c = encrypt(as_bytes(std::string("x")), kw, alg::a128kw);
  REQUIRE(c);
  policy only_dir;
  only_dir.algs = {alg::dir};
  CHECK(parse_jwe(*c, only_dir).error() == errc::alg_not_allowed);
  policy only_256;
  only_256.encs = {enc::a256gcm};
  jwe_options o;
  o.encryption = enc::a128gcm;
  CHECK(parse_jwe(*encrypt(as_bytes(std::string("x")), kw, alg::a128kw, o), only_256).error() == errc::alg_not_allowed);

  // crit: understood extensions pass, others do not.
  o.protected_header = {{"crit", {"x-m2m"}}, {"x-m2m", 1}};
  auto with_crit = encrypt(as_bytes(std::string("x")), kw, alg::a128kw, o);
  REQUIRE(with_crit);
  CHECK(parse_jwe(*with_crit).error() == errc::unsupported);
  policy understands;
  understands.critical = {"x-m2m"};
  CHECK(decrypt(*with_crit, kw, understands));
  // RFC 7797's "b64" in crit: refused even when the caller lists it (m2msec never
  // reads an unencoded payload, so it would verify the wrong bytes).
  auto hs = jwk::symmetric(*secret::allocate(32), {alg::hs256}, "h");
  REQUIRE(hs);
  auto unencoded = sign(as_bytes(std::string("$.02")), *hs, alg::hs256, json{{"b64", false}, {"crit", {"b64"}}});
  REQUIRE(unencoded);
  policy b64_listed;
  b64_listed.critical = {"b64"};
  CHECK(verify(*unencoded, *hs, b64_listed).error() == errc::unsupported);
  CHECK(verify(*unencoded, *hs).error() == errc::unsupported);

  // alg none: refused unless the policy allows unsecured objects.
  auto none = unsecured(as_bytes(std::string("claims")));
  REQUIRE(none);
  CHECK(verify(*none, std::span<const jwk>{}).error() == errc::alg_not_allowed);
  policy unsecured_ok;
  unsecured_ok.algs.insert(alg::none);
  unsecured_ok.allow_unsecured = true;
  CHECK(verify(*none, std::span<const jwk>{}, unsecured_ok));
  // ... and an unsecured JWS is never accepted where a key is expected.
  CHECK(verify(*none, kw, unsecured_ok).error() == errc::alg_not_allowed);

  // Limits are decided before any key.
  policy small;
  small.bounds.max_object = 100;
  CHECK(parse_jwe(*c, small).error() == errc::message_too_long);
  policy tiny_header;
  tiny_header.bounds.max_header = 16;
  CHECK(parse_jwe(*c, tiny_header).error() == errc::message_too_long);
}

TEST_CASE("The fast base64url codec agrees with the constant-time one and is as strict", "[jose][base64]") {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n < 600; ++n) {
    byte_vector b(n);
    for (auto& x : b) x = static_cast<byte>(rng());
    const std::string fast = fast_base64url_encode(b);
    CHECK(fast == base64url_encode(b));
    auto back = fast_base64url_decode(fast);
    REQUIRE(back);
    CHECK(*back == b);
    // Each single-character change: both codecs accept or refuse alike.
    if (!fast.empty()) {
      std::string t = fast;
      t[rng() % t.size()] = "A-_+/=.\x80 a9"[rng() % 11];
      auto f = fast_base64url_decode(t);
      auto c = base64url_decode(t);
      CHECK(f.has_value() == c.has_value());
      if (f && c) CHECK(*f == *c);
    }
  }
  // Long inputs take the vector path (where the CPU has AVX2): every length and
  // a bad character at every position of a 200-character window.
  for (std::size_t n : {64u, 65u, 66u, 95u, 96u, 97u, 1000u, 4099u, 65536u, 1u << 20}) {
    byte_vector b(n);
    for (auto& x : b) x = static_cast<byte>(rng());
    const std::string fast = fast_base64url_encode(b);
    REQUIRE(fast == base64url_encode(b));
    REQUIRE(*fast_base64url_decode(fast) == b);
    if (n > 5000) continue;
    for (std::size_t at = 0; at < std::min<std::size_t>(fast.size(), 200); ++at)
      for (char c : {'+', '/', '=', '.', '\x80', '\xff', ' ', '\0'}) {
        std::string t = fast;
        t[at] = c;
        if (fast_base64url_decode(t)) FAIL("accepted " << int(c) << " at " << at << " of " << n);
      }
  }
  // Every byte value at positions across the vector kernel's 32-character
  // step: accepted exactly when it is in the alphabet, with the same bytes as
  // the constant-time codec.
  {
    byte_vector b(96);
    for (auto& x : b) x = static_cast<byte>(rng());
    const std::string good = fast_base64url_encode(b);
    for (std::size_t at : {0u, 1u, 14u, 15u, 16u, 17u, 30u, 31u, 32u, 63u, 64u, 100u})
      for (int c = 0; c < 256; ++c) {
        std::string t = good;
        t[at] = static_cast<char>(c);
        auto f = fast_base64url_decode(t);
        auto ct = base64url_decode(t);
        const bool in_alphabet = std::isalnum(c) != 0 && c < 128 ? true : c == '-' || c == '_';
        if (f.has_value() != in_alphabet || ct.has_value() != in_alphabet || (f && *f != *ct))
          FAIL("byte " << c << " at " << at);
      }
  }
  for (const char* bad : {"A", "AB=", "AB==", "A+B/", "AB C", "AAB", "AAC", "_x"})
    CHECK(!fast_base64url_decode(std::string_view(bad)));
  CHECK(base64_encode(as_bytes(std::string("any carnal pleas"))) == "YW55IGNhcm5hbCBwbGVhcw==");
  CHECK(str(*base64_decode("YW55IGNhcm5hbCBwbGVhcw==")) == "any carnal pleas");
  CHECK(!base64_decode("YW55-GNhcm5hbCBwbGVhcw=="));
  CHECK(!base64_decode("YW55IGNhcm5hbCBwbGVhcw="));
}

TEST_CASE("Headers are read strictly by m2msec's own reader", "[jose][header]") {
  const limits lim{};
  auto read = [&](std::string text) { return header::parse(std::move(text), lim); };

  auto h = read(R"({"alg":"dir","enc":"A256GCM","kid":"k\u00e9\"1","n":-1.5e3,"crit":["x"],"epk":{"crv":"P-256"},"x":null})");
  REQUIRE(h);
  CHECK(h->size() == 7);
  CHECK(**h->string("kid") == "k\xc3\xa9\"1");  // unescaped
  CHECK(!h->string("absent")->has_value());
  CHECK(h->string("n").error() == errc::invalid_encoding);  // present, not a string
  CHECK(h->type_of("epk") == header::kind::object);
  CHECK(h->type_of("x") == header::kind::null);
  CHECK(*h->raw("n") == "-1.5e3");
  CHECK(jose::value(*h, "epk")["crv"] == "P-256");
  CHECK(jose::to_json(*h) == json::parse(R"({"alg":"dir","enc":"A256GCM","kid":"k\u00e9\"1","n":-1.5e3,"crit":["x"],"epk":{"crv":"P-256"},"x":null})"));

  // A name written twice, even when escaped differently, at any depth.
  for (const char* twice : {R"({"alg":"dir","alg":"none"})", R"({"alg":"dir","\u0061lg":"none"})",
                            R"({"epk":{"x":"1","x":"2"}})", R"({"a":[{"b":1,"b":1}]})"})
    CHECK(read(twice).error() == errc::invalid_encoding);
  // RFC 8259 grammar, UTF-8 and \u surrogates.
  for (std::string bad : std::initializer_list<std::string>{"", "[]", "{", "{}x", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":tru}",
                          "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\\ud800\"}", "{\"a\":\"\x01\"}",
                          "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
                          "{\"a\":1e400}", "{'a':1}", "{\"a\":1,}", std::string("{}\0", 3)})
    CHECK(!read(bad));
  CHECK(**read(R"({"a":"\ud83d\ude00"})")->string("a") == "\xf0\x9f\x98\x80");
  CHECK(read(R"({"a":1e-400})"));  // underflow reads as zero, as in nlohmann-json
  // Depth: max_depth containers nested (the header itself counts) pass, one more does not.
  std::string deep = R"({"a":)" + std::string(lim.max_depth - 1, '[') + std::string(lim.max_depth - 1, ']') + "}";
  CHECK(read(deep));
  deep = R"({"a":)" + std::string(lim.max_depth, '[') + std::string(lim.max_depth, ']') + "}";
  CHECK(!read(deep));
  CHECK(read(std::string(lim.max_header + 1, ' ')).error() == errc::message_too_long);

  // The joint header of a JSON serialization: no name in two parts.
  auto a = read(R"({"alg":"A128KW"})"), b = read(R"({"kid":"1"})"), c = read(R"({"kid":"2"})");
  auto ab = header::join({&*a, &*b});
  REQUIRE(ab);
  CHECK(**ab->string("kid") == "1");
  CHECK(**ab->string("alg") == "A128KW");
  CHECK(header::join({&*ab, &*c}).error() == errc::invalid_encoding);
}

TEST_CASE("The compact reader that keeps the last header parses exactly as parse_jwe", "[jose][reader]") {
  const byte_vector key(32, 0x42);
  const json members = {{"kid", "k1"}, {"ori", "o1"}, {"rri", "r1"}};
  auto first = encrypt_direct(as_bytes(std::string("first")), key, enc::a256gcm, members);
  auto second = encrypt_direct(as_bytes(std::string("second, same header")), key, enc::a256gcm, members);
  auto other = encrypt_direct(as_bytes(std::string("another header")), key, enc::a256gcm, {{"kid", "k2"}});
  REQUIRE((first && second && other));
  policy pol;
  pol.algs = alg_set{alg::dir};
  compact_jwe_reader<> reader(pol);
  auto same = [&](std::string_view text) {
    auto mine = reader.parse(text);
    auto theirs = parse_jwe(text, pol);
    REQUIRE(mine.has_value() == theirs.has_value());
    if (!mine) return mine.error() == theirs.error();
    return jose::to_json(mine->protected_header) == jose::to_json(theirs->protected_header) &&
           mine->encryption == theirs->encryption && mine->recipients.size() == theirs->recipients.size() &&
           jose::to_json(mine->recipients[0].header) == jose::to_json(theirs->recipients[0].header) &&
           mine->recipients[0].algorithm == theirs->recipients[0].algorithm && mine->iv == theirs->iv &&
           mine->sealed == theirs->sealed && mine->aad == theirs->aad;
  };
  CHECK(same(*first));
  CHECK(same(*second));  // the kept header, a new body
  CHECK(str(*decrypt_direct(*reader.parse(*second), key)) == "second, same header");
  CHECK(same(*other));
  CHECK(same(*first));
  // Every bit of the second object flipped after the first was read, and every
  // truncation: the same verdict and error as a fresh parse.
  std::size_t refused = 0;
  for (std::size_t i = 0; i < second->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string t = *second;
      t[i] = static_cast<char>(t[i] ^ (1 << bit));
      REQUIRE(same(*first));
      if (!same(t)) FAIL("byte " << i << " bit " << bit);
      refused += !parse_jwe(t, pol).has_value();
    }
    REQUIRE(same(std::string_view(*second).substr(0, i)));
  }
  CHECK(refused > 0);
}

// The key was moved into the call while its size was still to be read, in the
// order clang evaluates arguments (found by the m2msec command's test under clang).
TEST_CASE("jwk: an oct key without alg keeps the algorithms its size serves, on every compiler", "[jose][jwk]") {
  const std::string text = R"({"kty":"oct","k":"HkltcZsYXVn5_ieObPlrZqkyrJlOoelsCGLa9MrJorM"})";  // 32 bytes
  auto k = jose::jwk::parse(text, jose::secured_algs, {}, true);
  REQUIRE(k);
  CHECK(k->allows(jose::alg::a256kw));
  CHECK(k->allows(jose::alg::dir));
  CHECK(k->allows(jose::alg::hs256));
  CHECK_FALSE(k->allows(jose::alg::hs512));  // needs 64 bytes
  CHECK_FALSE(k->allows(jose::alg::a128kw));
}
