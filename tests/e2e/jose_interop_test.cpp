// JOSE against an independent implementation, both directions: objects made by
// python3-jwcrypto are opened by m2msec with the peer's JWKs, and objects made
// by m2msec (with keys it generated and exported as JWKs) are opened by the peer.
// Every JWE alg/enc (each ECDH-ES variant on P-256, P-384 and P-521) and every
// JWS alg, compact and JSON, one and several recipients or signers.
#include "esprim_support.hpp"
#include "peer.hpp"

#include <catch2/catch.hpp>

#include <map>

#include "m2msec/jose.hpp"

using namespace m2msec;
using namespace m2msec::jose;

namespace {

const std::vector<alg> jwe_algs = {alg::dir,           alg::a128kw,         alg::a192kw,
                                   alg::a256kw,        alg::ecdh_es,        alg::ecdh_es_a128kw,
                                   alg::ecdh_es_a192kw, alg::ecdh_es_a256kw, alg::rsa_oaep_256};
const std::vector<alg> jws_algs = {alg::hs256, alg::hs384, alg::hs512, alg::es256, alg::es384,
                                   alg::es512, alg::rs256, alg::rs384, alg::rs512};
const char* form_name(serialization f) {
  return f == serialization::compact ? "compact" : f == serialization::flattened ? "flattened" : "general";
}

}  // namespace

TEST_CASE("jwcrypto's JWE and JWS objects open in m2msec with jwcrypto's JWKs", "[jose][interop]") {
  peer::temp_dir dir;
  peer::run(peer::command() + " make " + dir.file("peer.json"));
  const auto doc = peer::read_json(dir.file("peer.json"));

  std::map<std::string, jwk> keys;
  for (const auto& [kid, j] : doc["keys"].items()) {
    auto k = jwk::from_json(j);
    INFO(kid << ": " << (k ? "" : to_string(k.error())));
    REQUIRE(k);
    CHECK(k->kid() == kid);
    keys.emplace(kid, std::move(*k));
  }
  std::size_t jwe_opened = 0, jws_verified = 0, openings = 0, detached = 0;
  for (const auto& c : doc["cases"]) {
    const std::string name = c["name"];
    const auto want = base64url_decode(c["plaintext"].get<std::string>());
    REQUIRE(want);
    for (const auto& kid : c["kids"]) {
      INFO(name << " with " << kid.get<std::string>());
      const jwk& key = keys.at(kid);
      if (c["kind"] == "jwe") {
        auto d = decrypt(c["object"].get<std::string>(), key);
        INFO((d ? "" : to_string(d.error())));
        REQUIRE(d);
        CHECK(d->plaintext == *want);
      } else if (c.value("detached", false)) {
        const std::string object = c["object"];
        auto v = verify_detached(object, *want, key);
        INFO((v ? "" : to_string(v.error())));
        REQUIRE(v);
        CHECK(v->payload == *want);
        // The detached form carries no payload: read as attached it verifies nothing.
        CHECK_FALSE(verify(object, key));
        byte_vector other = *want;
        other[0] ^= 1;
        CHECK(verify_detached(object, other, key).error() == errc::auth_failed);
        if (object.front() == '{') {  // JSON with no "payload" member at all
          auto j = nlohmann::json::parse(object);
          j.erase("payload");
          CHECK(verify_detached(j.dump(), *want, key));
        }
        ++detached;
      } else {
        auto v = verify(c["object"].get<std::string>(), key);
        INFO((v ? "" : to_string(v.error())));
        REQUIRE(v);
        CHECK(v->payload == *want);
        // A payload it carries cannot also be given apart.
        CHECK(verify_detached(c["object"].get<std::string>(), *want, key).error() == errc::invalid_encoding);
      }
      ++openings;
    }
    (c["kind"] == "jwe" ? jwe_opened : jws_verified) += 1;
  }
  CHECK(detached == 9 * 2);
  // 9 algs x 3 encs, with each ECDH-ES variant on 3 curves: 51 combinations, 2 forms each,
  // plus 3 five-recipient objects; 9 JWS algs x 2 forms plus one with 9 signatures.
  CHECK(jwe_opened == 51 * 2 + 3);
  CHECK(jws_verified == 9 * 2 * 2 + 1);
  CHECK(openings == 51 * 2 + 3 * 5 + 9 * 2 * 2 + 9);
}

TEST_CASE("m2msec's JWE and JWS objects and JWKs open in jwcrypto", "[jose][interop]") {
  std::map<std::string, jwk> keys;
  auto add = [&](const std::string& kid, alg_set uses) {
    auto k = jwk::generate(uses, kid);
    INFO(kid);
    REQUIRE(k);
    keys.emplace(kid, std::move(*k));
  };
  for (enc e : all_encs) {
    // A dir key serves exactly one enc: its size.
    auto k = secret::allocate(key_size(e));
    REQUIRE(k);
    REQUIRE(crypto::rng<>::fill(k->expose()));
    auto dk = jwk::symmetric(std::move(*k), {alg::dir}, "dir-" + std::string(to_string(e)));
    REQUIRE(dk);
    keys.emplace(dk->kid(), std::move(*dk));
  }
  for (alg a : {alg::a128kw, alg::a192kw, alg::a256kw, alg::rsa_oaep_256}) add(std::string(to_string(a)), {a});
  for (curve c : {curve::p256, curve::p384, curve::p521}) {
    // One EC key per curve serves all four ECDH-ES variants.
    auto kp = jwk_detail::with_curve(c, [&]<class C>(C) { return crypto::key_agreement<C>::generate(); });
    REQUIRE(kp);
    auto k = jwk::ec(c, std::move(kp->public_key), std::move(kp->private_key),
                     {alg::ecdh_es, alg::ecdh_es_a128kw, alg::ecdh_es_a192kw, alg::ecdh_es_a256kw},
                     "ECDH-" + std::string(to_string(c)));
    REQUIRE(k);
    keys.emplace(k->kid(), std::move(*k));
  }
  for (alg a : jws_algs) add(std::string(to_string(a)), {a});

  nlohmann::json cases = nlohmann::json::array();
  auto add_case = [&](std::string name, const char* kind, const std::string& object, const byte_vector& plaintext,
                      std::vector<std::string> kids) {
    cases.push_back({{"name", std::move(name)},
                     {"kind", kind},
                     {"object", object},
                     {"plaintext", base64url_encode(plaintext)},
                     {"kids", std::move(kids)}});
  };
  std::size_t n = 0;
  for (alg a : jwe_algs)
    for (enc e : all_encs) {
      std::vector<std::string> kids;
      if (a == alg::dir) kids = {"dir-" + std::string(to_string(e))};
      else if (is_ecdh(a)) kids = {"ECDH-P-256", "ECDH-P-384", "ECDH-P-521"};
      else kids = {std::string(to_string(a))};
      for (const auto& kid : kids)
        for (auto form : {serialization::compact, serialization::flattened, serialization::general}) {
          byte_vector pt(1 + n++ % 131);
          REQUIRE(crypto::rng<>::fill(pt));
          jwe_options o;
          o.encryption = e;
          o.form = form;
          if (form != serialization::compact) o.aad = "contentInstance con";
          auto obj = encrypt(pt, keys.at(kid), a, o);
          INFO(to_string(a) << " " << kid << " " << to_string(e));
          REQUIRE(obj);
          add_case(std::string(to_string(a)) + " " + kid + " " + std::string(to_string(e)) + " " + form_name(form),
                   "jwe", *obj, pt, {kid});
        }
    }
  for (enc e : all_encs) {
    const std::vector<std::pair<std::string, alg>> to = {{"A128KW", alg::a128kw},
                                                         {"ECDH-P-384", alg::ecdh_es_a256kw},
                                                         {"RSA-OAEP-256", alg::rsa_oaep_256},
                                                         {"A256KW", alg::a256kw},
                                                         {"ECDH-P-521", alg::ecdh_es_a128kw}};
    std::vector<recipient> rs;
    std::vector<std::string> kids;
    for (const auto& [kid, a] : to) {
      rs.push_back({&keys.at(kid), a, nullptr});
      kids.push_back(kid);
    }
    byte_vector pt(200, 0x5A);
    jwe_options o;
    o.encryption = e;
    o.form = serialization::general;
    o.unprotected = {{"cty", "application/json"}};
    auto obj = encrypt(pt, rs, o);
    REQUIRE(obj);
    add_case("general, 5 recipients, " + std::string(to_string(e)), "jwe", *obj, pt, kids);
  }
  for (alg a : jws_algs)
    for (auto form : {serialization::compact, serialization::flattened, serialization::general}) {
      byte_vector pt(300, static_cast<byte>(n++));
      auto obj = sign(pt, keys.at(std::string(to_string(a))), a, json::object(), form);
      REQUIRE(obj);
      add_case(std::string(to_string(a)) + " " + form_name(form), "jws", *obj, pt, {std::string(to_string(a))});
    }
  {
    std::vector<signer> ss;
    std::vector<std::string> kids;
    for (alg a : jws_algs) {
      ss.push_back({&keys.at(std::string(to_string(a))), a, json::object(), {{"x-signer", to_string(a)}}});
      kids.emplace_back(to_string(a));
    }
    byte_vector pt(64, 0x33);
    auto obj = sign(pt, ss, serialization::general);
    REQUIRE(obj);
    add_case("general, 9 signatures", "jws", *obj, pt, kids);
  }

  nlohmann::json jwks = nlohmann::json::object();
  for (const auto& [kid, k] : keys) jwks[kid] = k.to_json(true);
  peer::temp_dir dir;
  peer::write_json(dir.file("ours.json"), {{"keys", jwks}, {"cases", cases}});
  const auto results =
      nlohmann::json::parse(peer::run(peer::command() + " check " + dir.file("ours.json")));
  REQUIRE(results.size() == cases.size());
  std::size_t passed = 0;
  for (const auto& r : results) {
    INFO(r["name"].get<std::string>() << ": " << r["error"].get<std::string>());
    CHECK(r["ok"].get<bool>());
    passed += r["ok"].get<bool>() ? 1 : 0;
  }
  // 51 alg/enc/curve combinations x 3 forms + 3 five-recipient objects; 9 x 3 JWS + 1.
  CHECK(cases.size() == 51 * 3 + 3 + 9 * 3 + 1);
  CHECK(passed == cases.size());
}

TEST_CASE("ESPrim objects cross between m2msec and jwcrypto given the sessionESPrimKey", "[esprim][interop]") {
  std::size_t crossed = 0;
  for (enc e : all_encs) {
    esprim_support::pair p;
    auto orig = p.originator(e);
    const std::string req1 = esprim_support::request(), req2 = esprim_support::request(esprim_support::originator_from, "req-2");
    auto ours = orig.protect_request(as_bytes(req1), p.clock);
    REQUIRE(ours);
    auto accepted = p.rx.unprotect(*ours, p.clock);
    REQUIRE(accepted);
    const std::string resp1 = R"({"rsc":2000,"rqi":"req-1","pc":{"m2m:cin":{"con":"21.5"}}})";
    auto our_response = p.rx.protect_response(*accepted, as_bytes(resp1), p.clock);
    REQUIRE(our_response);

    // The peer gets the session key (the originator's SA holds it) and the headers of the session.
    json key = {{"kty", "oct"}, {"k", base64url_encode(orig.session().use(usage_scope::esprim, p.clock, 0, 0)->key().expose())}};
    json header = {{"alg", "dir"}, {"enc", to_string(e)}, {"kid", esprim_support::kid}, {"cty", "application/json"},
                   {"ori", orig.own_rand_object().id}, {"rri", p.receiver_object.id}};
    const std::string resp2 = R"({"rsc":2000,"rqi":"req-2"})";
    json doc = {{"key", key},
                {"open", {*ours, *our_response}},
                {"make", {{{"header", header}, {"plaintext", base64url_encode(as_bytes(req2))}},
                          {{"header", header}, {"plaintext", base64url_encode(as_bytes(resp2))}}}}};
    peer::temp_dir dir;
    peer::write_json(dir.file("esprim.json"), doc);
    const auto out =
        json::parse(peer::run(peer::command() + " esprim " + dir.file("esprim.json")));

    // m2msec -> peer: the request (with "oro") and the response.
    REQUIRE(out["opened"].size() == 2);
    CHECK(base64url_decode(out["opened"][0]["plaintext"].get<std::string>()) == byte_vector(req1.begin(), req1.end()));
    CHECK(out["opened"][0]["header"]["oro"]["esri"] == orig.own_rand_object().id);
    CHECK(base64url_decode(out["opened"][1]["plaintext"].get<std::string>()) == byte_vector(resp1.begin(), resp1.end()));
    // peer -> m2msec: a request the Receiver accepts (all seven checks), and a response the Originator accepts.
    auto theirs = p.rx.unprotect(out["made"][0].get<std::string>(), p.clock);
    INFO((theirs ? "" : to_string(theirs.error().reason)));
    REQUIRE(theirs);
    CHECK(json::parse(theirs->primitive)["rqi"] == "req-2");
    REQUIRE(orig.protect_request(as_bytes(req2), p.clock));  // the request their response answers
    auto their_response = orig.unprotect_response(out["made"][1].get<std::string>(), p.clock, "req-2");
    REQUIRE(their_response);
    CHECK(*their_response == byte_vector(resp2.begin(), resp2.end()));
    crossed += 4;
  }
  CHECK(crossed == 12);
}
