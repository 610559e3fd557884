// ESData: contentInfo, encryption-only (direct and encrypted-key, one and
// several recipients), signature-only, nested sign-then-encrypt, keys bound to
// SAs that follow the data's validity; and oneM2M tokens.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>

#include "m2msec/e2e/esdata.hpp"
#include "m2msec/e2e/token.hpp"

using namespace m2msec;
using namespace std::chrono_literals;
using jose::alg;
using jose::json;

namespace {

const time_point t0 = std::chrono::sys_days(std::chrono::year{2026} / 11 / 28) + 8h;

// Any credential: an identifier, a lifetime and a usage.
struct test_credential {
  credential_id id_;
  validity life_;
  suid usage_ = suid::preprovisioned_esdata_encryption;
  const credential_id& id() const { return id_; }
  const validity& lifetime() const { return life_; }
  suid usage() const { return usage_; }
};
static_assert(credential<test_credential>);

struct world {
  manual_clock clock{t0};
  test_credential cred{*credential_id::make(credential_id_type::esdata_keywrap_key, "reader-group@tef.example.com"),
                       *validity::make(t0 - 24h, t0 + 30 * 24h)};
  validity data{*validity::make(t0, t0 + 7 * 24h)};  // the contentInstance is valid for a week
  security_association::parties who{*cse_id::parse("/in-cse"), *ae_id::parse("/in-cse/Csensor")};

  // Signature keys come from a credential provisioned for ESData signatures (SUID 15),
  // the others from one for ESData encryption (14).
  esdata::bound_key bind(jose::jwk k) {
    const bool signs = (k.uses() & jose::alg_set{alg::hs256, alg::hs384, alg::hs512, alg::es256, alg::es384,
                                                 alg::es512, alg::rs256, alg::rs384, alg::rs512}) != jose::alg_set{};
    cred.usage_ = signs ? suid::preprovisioned_esdata_signature : suid::preprovisioned_esdata_encryption;
    auto b = esdata::bind(std::move(k), cred, who, data, clock);
    REQUIRE(b);
    return std::move(*b);
  }
  esdata::bound_key make(jose::alg_set uses, std::string kid) {
    auto k = jose::jwk::generate(uses, std::move(kid));
    REQUIRE(k);
    return bind(std::move(*k));
  }
  esdata::bound_key public_of(esdata::bound_key& k) {
    auto p = k.use(scope_of(k.association().usage()), clock, 0, 0)->key().public_key();
    REQUIRE(p);
    return bind(std::move(*p));
  }
};

const std::string reading = R"({"temperature":21.5,"unit":"C"})";
std::string str(const byte_vector& b) { return {b.begin(), b.end()}; }

}  // namespace

TEST_CASE("contentInfo parses and prints <mediaType>:<encodingType>[:<contentSecurity>]", "[esdata]") {
  auto ci = esdata::content_info::parse("application/json:0:1");
  REQUIRE(ci);
  CHECK(ci->media_type == "application/json");
  CHECK(ci->encoding_type == 0);
  CHECK(ci->security == esdata::content_security::jose_compact);
  CHECK(ci->str() == "application/json:0:1");
  auto plain = esdata::content_info::parse("text/plain:1");
  REQUIRE(plain);
  CHECK(plain->security == esdata::content_security::none);
  CHECK(plain->str() == "text/plain:1");
  for (const char* bad : {"application/json", "application/json:", "application/json:0:9", "application/json:3",
                          ":0:1", "json:0:1", "application/json:0:1:1", "application/json:00:1"})
    CHECK(esdata::content_info::parse(bad).error() == errc::invalid_encoding);
}

TEST_CASE("Encryption-only: direct mode, and encrypted-key mode for several recipients", "[esdata]") {
  world w;
  auto direct = w.make({alg::dir}, "direct");
  auto kw = w.make({alg::a256kw}, "group-kw");
  auto ec = w.make({alg::ecdh_es_a128kw}, "reader-ec");
  auto rsa = w.make({alg::rsa_oaep_256}, "reader-rsa");
  auto ec_pub = w.public_of(ec);
  auto rsa_pub = w.public_of(rsa);
  for (auto form : {esdata::content_security::jose_compact, esdata::content_security::jose_json,
                    esdata::content_security::jose_json_base64}) {
    esdata::protection single{{{&direct, alg::dir}}, jose::enc::a256gcm, nullptr, alg::es256, form};
    auto sealed = esdata::protect(as_bytes(reading), "application/json", single, w.clock);
    REQUIRE(sealed);
    CHECK(sealed->content_info == "application/json:0:" + std::to_string(static_cast<int>(form)));
    esdata::bound_key* keys[] = {&direct};
    auto opened = esdata::unprotect(sealed->value, sealed->content_info, {keys, {}, true, false, {}}, w.clock);
    REQUIRE(opened);
    CHECK(str(opened->data) == reading);
    CHECK(opened->encrypted);
    CHECK(!opened->signed_);
  }
  // Several recipients need a JSON serialization: the senders holds only public keys.
  esdata::protection many{{{&kw, alg::a256kw}, {&ec_pub, alg::ecdh_es_a128kw}, {&rsa_pub, alg::rsa_oaep_256}},
                          jose::enc::a128gcm, nullptr, alg::es256, esdata::content_security::jose_json};
  auto sealed = esdata::protect(as_bytes(reading), "application/json", many, w.clock);
  REQUIRE(sealed);
  for (esdata::bound_key* k : {&kw, &ec, &rsa}) {
    esdata::bound_key* keys[] = {k};
    auto opened = esdata::unprotect(sealed->value, sealed->content_info, {keys}, w.clock);
    INFO(k->use(esdata::encryption_usage, w.clock, 0, 0)->key().kid());
    REQUIRE(opened);
    CHECK(str(opened->data) == reading);
  }
  many.form = esdata::content_security::jose_compact;
  CHECK(esdata::protect(as_bytes(reading), "application/json", many, w.clock).error() == errc::invalid_argument);
}

TEST_CASE("Signature-only (HMAC and ECDSA) and nested sign-then-encrypt", "[esdata]") {
  world w;
  auto hs = w.make({alg::hs256}, "source-hmac");
  auto es = w.make({alg::es384}, "source-es");
  auto es_pub = w.public_of(es);
  auto ec = w.make({alg::ecdh_es}, "target");
  auto ec_pub = w.public_of(ec);
  for (auto* signer : {&hs, &es}) {
    const alg a = signer == &hs ? alg::hs256 : alg::es384;
    esdata::bound_key* verify_with[] = {signer == &hs ? &hs : &es_pub};
    esdata::protection sig_only{{}, jose::enc::a256gcm, signer, a, esdata::content_security::jose_compact};
    auto sealed = esdata::protect(as_bytes(reading), "application/json", sig_only, w.clock);
    REQUIRE(sealed);
    auto opened = esdata::unprotect(sealed->value, sealed->content_info, {{}, verify_with, false, true}, w.clock);
    REQUIRE(opened);
    CHECK(opened->signed_);
    CHECK(!opened->encrypted);
    CHECK(str(opened->data) == reading);
    // A Target that requires encryption refuses a signature-only value.
    CHECK(esdata::unprotect(sealed->value, sealed->content_info, {{}, verify_with, true, false}, w.clock).error() ==
          errc::auth_failed);
  }
  esdata::protection nested{{{&ec_pub, alg::ecdh_es}}, jose::enc::a256gcm, &es, alg::es384,
                            esdata::content_security::jose_compact};
  auto sealed = esdata::protect(as_bytes(reading), "application/json", nested, w.clock);
  REQUIRE(sealed);
  esdata::bound_key* dec[] = {&ec};
  esdata::bound_key* ver[] = {&es_pub};
  auto opened = esdata::unprotect(sealed->value, sealed->content_info, {dec, ver, true, true}, w.clock);
  REQUIRE(opened);
  CHECK(opened->signed_);
  CHECK(opened->encrypted);
  CHECK(str(opened->data) == reading);
  // Without the Source's key the inner signature cannot be checked: nothing comes out.
  CHECK(esdata::unprotect(sealed->value, sealed->content_info, {dec, {}, true, true}, w.clock).error() ==
        errc::not_found);
}

TEST_CASE("ESData keys live in SAs that follow the data's validity, capped by the credential", "[esdata]") {
  world w;
  auto kw = w.make({alg::a128kw}, "kw");
  CHECK(kw.association().lifetime().not_after() == w.data.not_after());
  esdata::protection p{{{&kw, alg::a128kw}}};
  auto sealed = esdata::protect(as_bytes(reading), "application/json", p, w.clock);
  REQUIRE(sealed);
  esdata::bound_key* keys[] = {&kw};
  CHECK(esdata::unprotect(sealed->value, sealed->content_info, {keys}, w.clock));
  // After the data's validity the key is no longer usable, either way.
  w.clock.advance(7 * 24h + 1s);
  CHECK(esdata::protect(as_bytes(reading), "application/json", p, w.clock).error() == errc::sa_expired);
  CHECK(esdata::unprotect(sealed->value, sealed->content_info, {keys}, w.clock).error() == errc::not_found);
  // Data valid beyond the credential: the SA ends strictly before the credential.
  world v;
  v.data = *validity::make(t0, t0 + 365 * 24h);
  auto capped = v.make({alg::a128kw}, "capped");
  CHECK(capped.association().lifetime().not_after() < v.cred.lifetime().not_after());
  // A credential that has expired makes no key.
  v.clock.set(v.cred.lifetime().not_after() + 1s);
  auto k = jose::jwk::generate({alg::a128kw});
  REQUIRE(k);
  CHECK(esdata::bind(std::move(*k), v.cred, v.who, v.data, v.clock).error() == errc::expired);
}

TEST_CASE("An unprotected value passes through unless protection is required", "[esdata]") {
  world w;
  auto opened = esdata::unprotect("21.5", "text/plain:0", {}, w.clock);
  REQUIRE(opened);
  CHECK(str(opened->data) == "21.5");
  CHECK(esdata::unprotect("21.5", "text/plain:0", {{}, {}, true}, w.clock).error() == errc::auth_failed);
  CHECK(esdata::unprotect("<x/>", "application/xml:0:4", {}, w.clock).error() == errc::unsupported);
  CHECK(esdata::unprotect("{}", "application/json:0:1", {}, w.clock).error() == errc::invalid_encoding);
}

// ---- tokens ---------------------------------------------------------------------------

namespace {
token::claims sample_claims() {
  token::claims c;
  c.version = "1";
  c.id = "tok-7f3a@in-cse.sp.example.com";
  c.issuer = "/in-cse";
  c.holder = "Cae-meter-7";
  c.not_before = t0 - 1h;
  c.not_after = t0 + 1h;
  c.name = "meter read";
  c.audience = {"/mn-cse-1", "/mn-cse-2"};
  c.permissions = json::array({{{"ris", {"/mn-cse-1/meter"}}, {"pv", {{"acr", {{{"acop", 2}}}}}}}});
  return c;
}
}  // namespace

TEST_CASE("oneM2M tokens: signed, nested and unsecured, verified as a Hosting CSE does", "[token]") {
  world w;
  w.data = *validity::make(t0 - 2h, t0 + 2h);  // the keys' SAs outlive the token
  manual_clock& clock = w.clock;
  auto issuer_key = w.make({alg::es256}, "issuer-1");
  auto other_key = w.make({alg::es256}, "issuer-2");
  auto hosting_key = w.make({alg::ecdh_es_a256kw}, "mn-cse-1");
  auto hosting_pub = w.public_of(hosting_key);
  const token::trusted_issuer issuers[] = {{"/in-cse", &issuer_key}, {"/other-cse", &other_key}};
  token::bound_jwk* dec[] = {&hosting_key};
  token::context ctx{"Cae-meter-7", "/mn-cse-1", issuers, dec};

  const auto c = sample_claims();
  auto signed_token = token::issue(c, issuer_key, alg::es256, clock);
  REQUIRE(signed_token);
  auto got = token::verify(*signed_token, ctx, clock);
  REQUIRE(got);
  CHECK(got->id == c.id);
  // A leeway longer than time can hold saturates (no signed overflow under UBSan).
  token::context forever = ctx;
  forever.leeway = duration::max();
  CHECK(token::verify(*signed_token, forever, clock));
  CHECK(got->audience == c.audience);
  CHECK(got->permissions == c.permissions);
  CHECK(got->name == c.name);

  auto nested = token::issue_nested(c, issuer_key, alg::es256, hosting_pub, alg::ecdh_es_a256kw, clock);
  REQUIRE(nested);
  CHECK(jose::to_json(jose::parse_jwe(*nested)->protected_header)["cty"] == "JWT");
  CHECK(token::verify(*nested, ctx, clock));

  // The claims that decide.
  auto refused = [&](token::context x, errc e, std::string_view t) { CHECK(token::verify(t, x, clock).error() == e); };
  token::context wrong = ctx;
  wrong.originator = "Cother";
  refused(wrong, errc::not_authorized, *signed_token);
  wrong = ctx;
  wrong.hosting_cse = "/mn-cse-3";
  refused(wrong, errc::not_authorized, *signed_token);
  wrong = ctx;
  wrong.issuers = std::span<const token::trusted_issuer>(issuers + 1, 1);
  refused(wrong, errc::not_authorized, *signed_token);
  clock.set(t0 + 1h);
  refused(ctx, errc::expired, *signed_token);
  clock.set(t0 - 1h - 1s);
  refused(ctx, errc::not_yet_valid, *signed_token);
  token::context lenient = ctx;
  lenient.leeway = 5s;
  CHECK(token::verify(*signed_token, lenient, clock));
  clock.set(t0);

  // A token naming one trusted issuer but signed with another's key does not verify.
  auto forged = c;
  forged.issuer = "/other-cse";
  auto cross = token::issue(forged, issuer_key, alg::es256, clock);
  REQUIRE(cross);
  // Its kid names a key that /other-cse does not hold.
  CHECK(token::verify(*cross, ctx, clock).error() == errc::not_found);
  // Without a kid, /other-cse's key is tried and the signature fails.
  const json issuer_jwk = issuer_key.use(e2e::signature_usage, clock, 0, 0)->key().to_json(true);
  auto anonymous = jose::jwk::from_json([&] { json j = issuer_jwk; j.erase("kid"); return j; }());
  REQUIRE(anonymous);
  auto anonymous_key = w.bind(std::move(*anonymous));
  auto cross2 = token::issue(forged, anonymous_key, alg::es256, clock);
  REQUIRE(cross2);
  CHECK(token::verify(*cross2, ctx, clock).error() == errc::auth_failed);

  // Unsecured: only when the Hosting CSE accepts them.
  auto bare = token::issue_unsecured(c);
  REQUIRE(bare);
  CHECK(token::verify(*bare, ctx, clock).error() == errc::alg_not_allowed);
  token::context open = ctx;
  open.allow_unsecured = true;
  CHECK(token::verify(*bare, open, clock));

  // Malformed claims.
  for (auto edit : std::vector<std::function<void(json&)>>{[](json& j) { j.erase("jti"); },
                                                           [](json& j) { j["exp"] = "soon"; },
                                                           [](json& j) { j["nbf"] = j["exp"].get<std::int64_t>() + 1; },
                                                           [](json& j) { j["aud"] = json::array(); },
                                                           [](json& j) { j["aud"] = 5; },
                                                           [](json& j) { j["exp"] = 253402300799; },
                                                           [](json& j) { j["nbf"] = -1; }}) {
    json j = token::to_json(c);
    edit(j);
    auto t = jose::sign(as_bytes(j.dump()), issuer_key.use(e2e::signature_usage, clock, 0, 0)->key(), alg::es256);
    REQUIRE(t);
    CHECK(token::verify(*t, ctx, clock).error() == errc::invalid_encoding);
  }
}

// ---- ESData and token keys, reached only through their associations -----------------------------

TEST_CASE("ESData keys are refused for another usage: encryption keys do not sign, signature keys do not encrypt",
          "[esdata][bound]") {
  world w;
  auto hs = w.make({alg::hs256}, "signer");  // SUID 15
  auto kw = w.make({alg::a256kw}, "wrap");   // SUID 14
  // A signature key as a recipient, an encryption key as a signature-only signer.
  esdata::protection to_signer{{{&hs, alg::a256kw}}};
  CHECK(esdata::protect(as_bytes(reading), "application/json", to_signer, w.clock).error() == errc::wrong_usage);
  // An HMAC key from a credential provisioned for ESData encryption (14).
  w.cred.usage_ = suid::preprovisioned_esdata_encryption;
  auto enc_hmac = *esdata::bind(*jose::jwk::symmetric(*secret::allocate(32), {alg::hs256}, "enc-hmac"), w.cred, w.who,
                                w.data, w.clock);
  esdata::protection sign_with_enc{{}, jose::enc::a256gcm, &enc_hmac, alg::hs256};
  CHECK(esdata::protect(as_bytes(reading), "application/json", sign_with_enc, w.clock).error() == errc::wrong_usage);
  // Nested sign-then-encrypt: the inner signature may use an encryption key (decision A14).
  esdata::protection nested{{{&kw, alg::a256kw}}, jose::enc::a256gcm, &enc_hmac, alg::hs256};
  auto sealed = esdata::protect(as_bytes(reading), "application/json", nested, w.clock);
  REQUIRE(sealed);
  esdata::bound_key* dec[] = {&kw};
  esdata::bound_key* ver[] = {&enc_hmac};
  CHECK(esdata::unprotect(sealed->value, sealed->content_info, {dec, ver, true, true}, w.clock));
  // A signature-only value is not verified by an encryption key; a JWE is not opened by a signature key.
  esdata::protection sig_only{{}, jose::enc::a256gcm, &hs, alg::hs256};
  auto signed_value = esdata::protect(as_bytes(reading), "application/json", sig_only, w.clock);
  REQUIRE(signed_value);
  esdata::bound_key* wrong_ver[] = {&enc_hmac};
  CHECK_FALSE(esdata::unprotect(signed_value->value, signed_value->content_info, {{}, wrong_ver}, w.clock));
  esdata::protection to_kw{{{&kw, alg::a256kw}}};
  auto encrypted = esdata::protect(as_bytes(reading), "application/json", to_kw, w.clock);
  REQUIRE(encrypted);
  auto hs_as_kw = w.bind(*jose::jwk::symmetric(*kw.use(esdata::encryption_usage, w.clock, 0, 0)->key().private_part().clone(),
                                               {alg::a256kw, alg::hs256}, "wrap"));
  CHECK(hs_as_kw.association().usage() == suid::preprovisioned_esdata_signature);
  esdata::bound_key* wrong_dec[] = {&hs_as_kw};
  auto refused = esdata::unprotect(encrypted->value, encrypted->content_info, {wrong_dec}, w.clock);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == errc::not_found);
}

TEST_CASE("ESData keys: refused past the hard limit and after the credential's end", "[esdata][bound]") {
  world w;
  auto k = jose::jwk::generate({alg::a128kw}, "counted");
  REQUIRE(k);
  auto once = *esdata::bind(std::move(*k), w.cred, w.who, w.data, w.clock, {.hard_messages = 2});
  esdata::protection p{{{&once, alg::a128kw}}};
  auto sealed = esdata::protect(as_bytes(reading), "application/json", p, w.clock);
  REQUIRE(sealed);
  esdata::bound_key* keys[] = {&once};
  CHECK(esdata::unprotect(sealed->value, sealed->content_info, {keys}, w.clock));  // the second use
  // Refused before the key is counted; the next counted use is refused too.
  CHECK(esdata::protect(as_bytes(reading), "application/json", p, w.clock).error() == errc::limit_reached);
  CHECK(esdata::unprotect(sealed->value, sealed->content_info, {keys}, w.clock).error() == errc::limit_reached);
  CHECK(once.use(esdata::encryption_usage, w.clock, 0, 0).error() == errc::limit_reached);

  world v;
  v.data = *validity::make(t0, t0 + 365 * 24h);  // longer than the credential
  auto capped = v.make({alg::a128kw}, "capped");
  esdata::protection q{{{&capped, alg::a128kw}}};
  v.clock.set(v.cred.lifetime().not_after());
  CHECK(esdata::protect(as_bytes(reading), "application/json", q, v.clock).error() == errc::sa_expired);
}

TEST_CASE("ESData protect counts no key unless every key it needs is usable", "[esdata][bound]") {
  world w;
  auto a = w.make({alg::a128kw}, "reader-a");
  auto b = *esdata::bind(*jose::jwk::generate({alg::a128kw}, "reader-b"), w.cred, w.who, w.data, w.clock,
                         {.hard_messages = 1});
  auto hs = w.make({alg::hs256}, "signer");
  REQUIRE(esdata::protect(as_bytes(reading), "application/json", esdata::protection{{{&b, alg::a128kw}}}, w.clock));
  auto untouched = [&] { return a.association().messages() == 0 && hs.association().messages() == 0; };
  // The second recipient is past its hard limit: the first is not counted, b stays usable for a check.
  esdata::protection both{{{&a, alg::a128kw}, {&b, alg::a128kw}}, jose::enc::a256gcm, nullptr, alg::es256,
                          esdata::content_security::jose_json};
  CHECK(esdata::protect(as_bytes(reading), "application/json", both, w.clock).error() == errc::limit_reached);
  CHECK(untouched());
  CHECK(b.check(esdata::encryption_usage, w.clock, 0, 0));
  // A signer of the wrong usage: no recipient counted.
  esdata::protection signed_by_a{{{&hs, alg::a128kw}}, jose::enc::a256gcm, &a, alg::hs256};
  CHECK(esdata::protect(as_bytes(reading), "application/json", signed_by_a, w.clock).error() == errc::wrong_usage);
  CHECK(untouched());
  // One key listed twice.
  esdata::protection twice{{{&a, alg::a128kw}, {&a, alg::a128kw}}, jose::enc::a256gcm, nullptr, alg::es256,
                           esdata::content_security::jose_json};
  CHECK(esdata::protect(as_bytes(reading), "application/json", twice, w.clock).error() == errc::invalid_argument);
  CHECK(untouched());
  // All usable: each counted once.
  esdata::protection fine{{{&a, alg::a128kw}}, jose::enc::a256gcm, &hs, alg::hs256};
  REQUIRE(esdata::protect(as_bytes(reading), "application/json", fine, w.clock));
  CHECK(a.association().messages() == 1);
  CHECK(hs.association().messages() == 1);
}

TEST_CASE("Token keys: issuer keys sign only as signature keys, within their SA", "[token][bound]") {
  world w;
  w.data = *validity::make(t0 - 2h, t0 + 2h);
  auto issuer = w.make({alg::es256}, "issuer-1");
  const token::trusted_issuer issuers[] = {{"/in-cse", &issuer}};
  token::context ctx{"Cae-meter-7", "/mn-cse-1", issuers, {}};
  const auto c = sample_claims();
  auto t = token::issue(c, issuer, alg::es256, w.clock);
  REQUIRE(t);
  CHECK(token::verify(*t, ctx, w.clock));
  // An encryption key (SUID 14) issues no token.
  w.cred.usage_ = suid::preprovisioned_esdata_encryption;
  auto enc_key = *esdata::bind(*jose::jwk::generate({alg::es256}, "issuer-1"), w.cred, w.who, w.data, w.clock);
  CHECK(token::issue(c, enc_key, alg::es256, w.clock).error() == errc::wrong_usage);
  // The Hosting CSE holding the issuer's key as an encryption key verifies nothing with it.
  const token::trusted_issuer wrong[] = {{"/in-cse", &enc_key}};
  CHECK_FALSE(token::verify(*t, {"Cae-meter-7", "/mn-cse-1", wrong, {}}, w.clock));
  // After the key's SA: refused, both ways.
  w.clock.set(t0 + 2h + 1s);
  CHECK(token::issue(c, issuer, alg::es256, w.clock).error() == errc::sa_expired);
  CHECK_FALSE(token::verify(*t, ctx, w.clock));
}

TEST_CASE("Encrypted-only tokens: the issuer's shared key proves it; keys anyone can encrypt to do not (issue 14 item 14)",
          "[token]") {
  world w;
  w.data = *validity::make(t0 - 2h, t0 + 2h);
  manual_clock& clock = w.clock;
  auto issuer_sig = w.make({alg::es256}, "issuer-1");
  auto shared = w.make({alg::a256kw}, "in-cse~mn-cse-1");  // the IN-CSE and this Hosting CSE only
  auto other_shared = w.make({alg::a256kw}, "other~mn-cse-1");
  auto hosting_key = w.make({alg::ecdh_es_a256kw}, "mn-cse-1");
  auto hosting_pub = w.public_of(hosting_key);
  const token::trusted_issuer issuers[] = {{"/in-cse", &issuer_sig, &shared}, {"/other-cse", nullptr, &other_shared}};
  token::bound_jwk* dec[] = {&hosting_key};
  token::context ctx{"Cae-meter-7", "/mn-cse-1", issuers, dec};
  const auto c = sample_claims();

  auto t = token::issue_encrypted(c, shared, alg::a256kw, clock);
  REQUIRE(t);
  const auto header = jose::to_json(jose::parse_jwe(*t)->protected_header);
  CHECK(header["typ"] == "JWT");
  CHECK_FALSE(header.contains("cty"));
  auto got = token::verify(*t, ctx, clock);
  REQUIRE(got);
  CHECK(got->id == c.id);
  CHECK(got->permissions == c.permissions);
  // The claims still decide: holder, audience, time.
  token::context wrong = ctx;
  wrong.originator = "Cother";
  CHECK(token::verify(*t, wrong, clock).error() == errc::not_authorized);
  wrong = ctx;
  wrong.hosting_cse = "/mn-cse-3";
  CHECK(token::verify(*t, wrong, clock).error() == errc::not_authorized);
  clock.set(t0 + 1h);
  CHECK(token::verify(*t, ctx, clock).error() == errc::expired);
  clock.set(t0);
  // Another issuer's shared key cannot speak for /in-cse.
  auto forged = token::issue_encrypted(c, other_shared, alg::a256kw, clock);
  REQUIRE(forged);
  CHECK(token::verify(*forged, ctx, clock).error() == errc::not_authorized);
  // An issuer the Hosting CSE does not share a key with: no key opens it.
  const token::trusted_issuer without[] = {{"/in-cse", &issuer_sig, nullptr}};
  token::context no_shared = ctx;
  no_shared.issuers = without;
  CHECK_FALSE(token::verify(*t, no_shared, clock));
  // Encrypted to the Hosting CSE's public key, unsigned: anyone could have made it.
  CHECK(token::issue_encrypted(c, hosting_pub, alg::ecdh_es_a256kw, clock).error() == errc::alg_not_allowed);
  jose::jwe_options o;
  o.protected_header["typ"] = "JWT";
  auto anyone = jose::encrypt(as_bytes(token::to_json(c).dump()),
                              hosting_pub.use(e2e::encryption_usage, clock, 0, 0)->key(), alg::ecdh_es_a256kw, o);
  REQUIRE(anyone);
  CHECK(token::verify(*anyone, ctx, clock).error() == errc::alg_not_allowed);
  // A nested token still goes the nested way.
  auto nested = token::issue_nested(c, issuer_sig, alg::es256, hosting_pub, alg::ecdh_es_a256kw, clock);
  REQUIRE(nested);
  CHECK(token::verify(*nested, ctx, clock));
}
