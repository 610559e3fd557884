// m2msec: oneM2M dynamic-authorization tokens as JWTs (TS-0003 §7.3.2.4-7.3.2.6):
// the claims tkvr, jti, iss, azp, nbf, exp, tknm, aud, tkps and tkex, issued
// signed (JWS), nested (a JWS inside a JWE with "cty":"JWT"), encrypted only
// (a JWE under a key the issuer shares with the Hosting CSE alone), or unsecured
// ("alg":"none") when the issuer asks for it explicitly; and verified as a
// Hosting CSE does: holder = Originator, a trusted issuer, nbf/exp against the
// clock, the Hosting CSE in aud.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "m2msec/core/clock.hpp"
#include "m2msec/e2e/bound_jwk.hpp"
#include "m2msec/jose/jwe.hpp"
#include "m2msec/jose/jws.hpp"

namespace m2msec::token {

using jose::json;

// TS-0003 §7.3.2.4: the oneM2M token, by claim name.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct claims {
  std::string version;                  // tkvr
  std::string id;                       // jti: Token-ID, unique while valid
  std::string issuer;                   // iss
  std::string holder;                   // azp: the Originator that may present it
  time_point not_before{};              // nbf (NumericDate)
  time_point not_after{};               // exp (NumericDate)
  std::optional<std::string> name{};    // tknm
  std::vector<std::string> audience{};  // aud: Hosting CSEs it is for
  json permissions = json::array();     // tkps: m2m:permissions (resourceIDs, privileges, roleIDs)
  json extension = nullptr;             // tkex
};

namespace detail {
inline std::int64_t numeric_date(time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline result<time_point> from_numeric_date(const json& j) {
  if (!j.is_number_integer()) return fail(errc::invalid_encoding);
  const auto v = j.get<std::int64_t>();
  // time_point counts nanoseconds in 64 bits: NumericDates past 2262-04-11 do not fit.
  constexpr std::int64_t last = std::chrono::duration_cast<std::chrono::seconds>(duration::max()).count() - 1;
  if (v < 0 || v > last) return fail(errc::invalid_encoding);
  return time_point(std::chrono::seconds(v));
}
}  // namespace detail

[[nodiscard]] inline json to_json(const claims& c) {
  json j = {{"tkvr", c.version}, {"jti", c.id}, {"iss", c.issuer}, {"azp", c.holder},
            {"nbf", detail::numeric_date(c.not_before)}, {"exp", detail::numeric_date(c.not_after)},
            {"aud", c.audience}, {"tkps", c.permissions}};
  if (c.name) j["tknm"] = *c.name;
  if (!c.extension.is_null()) j["tkex"] = c.extension;
  return j;
}

[[nodiscard]] inline result<claims> claims_from_json(const json& j) {
  if (!j.is_object()) return fail(errc::invalid_encoding);
  claims c;
  for (auto [name, field] : {std::pair{"tkvr", &c.version}, {"jti", &c.id}, {"iss", &c.issuer}, {"azp", &c.holder}}) {
    auto s = jose::string_member(j, name);
    if (!s || !*s || (*s)->empty()) return fail(errc::invalid_encoding);
    *field = std::string(**s);
  }
  const json* nbf = jose::member(j, "nbf");
  const json* exp = jose::member(j, "exp");
  if (nbf == nullptr || exp == nullptr) return fail(errc::invalid_encoding);
  auto b = detail::from_numeric_date(*nbf);
  auto e = detail::from_numeric_date(*exp);
  if (!b || !e || *e <= *b) return fail(errc::invalid_encoding);
  c.not_before = *b;
  c.not_after = *e;
  auto name = jose::string_member(j, "tknm");
  if (!name) return fail(name.error());
  if (*name) c.name = std::string(**name);
  const json* aud = jose::member(j, "aud");  // RFC 7519 §4.1.3: a string or an array of strings
  if (aud == nullptr) return fail(errc::invalid_encoding);
  if (aud->is_string()) {
    c.audience.push_back(aud->get<std::string>());
  } else if (aud->is_array() && !aud->empty()) {
    for (const auto& a : *aud) {
      if (!a.is_string()) return fail(errc::invalid_encoding);
      c.audience.push_back(a.get<std::string>());
    }
  } else {
    return fail(errc::invalid_encoding);
  }
  if (const json* p = jose::member(j, "tkps")) {
    if (!p->is_array() && !p->is_object()) return fail(errc::invalid_encoding);
    c.permissions = *p;
  }
  if (const json* x = jose::member(j, "tkex")) c.extension = *x;
  return c;
}

// ---- issuing ---------------------------------------------------------------------------------

// Token keys are bound JWKs: signed with a signature key, nested tokens encrypted
// with an encryption key (decision A15).
using e2e::bound_jwk;

// A signed token: JWS compact, "typ":"JWT".
template <clock Clock>
[[nodiscard]] result<std::string> issue(const claims& c, bound_jwk& key, jose::alg a, const Clock& clk) {
  const std::string body = to_json(c).dump();
  auto g = key.use(e2e::signature_usage, clk, body.size());
  if (!g) return fail(g.error());
  return jose::sign(as_bytes(body), g->key(), a, json{{"typ", "JWT"}});
}
// A nested token: the signed JWT encrypted for the Hosting CSE, "cty":"JWT".
template <clock Clock>
[[nodiscard]] result<std::string> issue_nested(const claims& c, bound_jwk& signer, jose::alg a, bound_jwk& recipient,
                                               jose::alg key_alg, const Clock& clk, jose::enc e = jose::enc::a256gcm) {
  auto to = recipient.use(e2e::encryption_usage, clk, 0, 0);  // checked first, counted once sealed
  if (!to) return fail(to.error());
  auto inner = issue(c, signer, a, clk);
  if (!inner) return fail(inner.error());
  auto g = recipient.use(e2e::encryption_usage, clk, inner->size());
  if (!g) return fail(g.error());
  jose::jwe_options o;
  o.encryption = e;
  // A member set by name: clang 14 under ASan leaked the object that an assigned
  // braced list replaced here (LeakSanitizer, this function as a template).
  o.protected_header["cty"] = "JWT";
  return jose::encrypt(as_bytes(*inner), g->key(), key_alg, o);
}
// TS-0003 §7.3.2.4: an encrypted-only token (ESData encryption, no signature):
// the claims in a JWE, "typ":"JWT", under a symmetric key the issuer shares with
// the Hosting CSE alone (dir or A*KW), which is what proves the issuer. A key
// anyone can encrypt to (ECDH-ES, RSA-OAEP) proves nothing: alg_not_allowed.
template <clock Clock>
[[nodiscard]] result<std::string> issue_encrypted(const claims& c, bound_jwk& shared, jose::alg key_alg,
                                                  const Clock& clk, jose::enc e = jose::enc::a256gcm) {
  if (key_alg != jose::alg::dir && jose::wrap_key_size(key_alg) == 0) return fail(errc::alg_not_allowed);
  if (jose::is_ecdh(key_alg)) return fail(errc::alg_not_allowed);
  const std::string body = to_json(c).dump();
  auto g = shared.use(e2e::encryption_usage, clk, body.size());
  if (!g) return fail(g.error());
  jose::jwe_options o;
  o.encryption = e;
  o.protected_header["typ"] = "JWT";
  return jose::encrypt(as_bytes(body), g->key(), key_alg, o);
}
// TS-0003 §7.3.2.4: an unsecured token, only when the issuer asks for one.
[[nodiscard]] inline result<std::string> issue_unsecured(const claims& c) {
  const std::string body = to_json(c).dump();
  return jose::unsecured(as_bytes(body), json{{"typ", "JWT"}});
}

// ---- verifying ---------------------------------------------------------------------------------

// An issuer the Hosting CSE trusts: the key its tokens are signed with and, for
// encrypted-only tokens, the symmetric key it shares with this Hosting CSE alone.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct trusted_issuer {
  std::string name;
  bound_jwk* key = nullptr;
  bound_jwk* shared_key = nullptr;
};

// What the Hosting CSE knows when a token is presented.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct context {
  std::string_view originator;                 // the request's From: must be the holder (azp)
  std::string_view hosting_cse;                // must be in aud
  std::span<const trusted_issuer> issuers{};   // a token verifies only with its own issuer's key
  std::span<bound_jwk* const> decryption_keys{};  // for nested tokens
  duration leeway = std::chrono::seconds(0);   // clock skew allowed on nbf and exp
  bool allow_unsecured = false;                // accept "alg":"none" (no key proves anything)
  jose::limits bounds{};
};

namespace detail {
// TS-0003 §7.3.2.6: a token that verified applies to this request: within its
// time (with the leeway), presented by its holder, from a trusted issuer, for
// this Hosting CSE.
template <clock Clock>
result<claims> applies(claims c, const context& ctx, const Clock& clk) {
  const time_point now = clk.now();
  if (saturating_add(now, ctx.leeway) < c.not_before) return fail(errc::not_yet_valid);
  if (saturating_sub(now, ctx.leeway) >= c.not_after) return fail(errc::expired);
  if (c.holder != ctx.originator) return fail(errc::not_authorized);
  if (std::none_of(ctx.issuers.begin(), ctx.issuers.end(), [&](const auto& i) { return i.name == c.issuer; }))
    return fail(errc::not_authorized);
  if (std::find(c.audience.begin(), c.audience.end(), ctx.hosting_cse) == c.audience.end())
    return fail(errc::not_authorized);
  return c;
}
}  // namespace detail

// An encrypted-only token: opened with the issuers' shared keys only, under a
// symmetric algorithm, and then it must name as iss the issuer whose key opened it.
template <clock Clock>
[[nodiscard]] result<claims> verify_encrypted_only(jose::parsed_jwe&& p, const context& ctx, const Clock& clk) {
  for (const auto& r : p.recipients)
    if (r.algorithm != jose::alg::dir && (jose::wrap_key_size(r.algorithm) == 0 || jose::is_ecdh(r.algorithm)))
      return fail(errc::alg_not_allowed);
  std::vector<bound_jwk*> shared;
  std::vector<const trusted_issuer*> owner;
  for (const auto& i : ctx.issuers)
    if (i.shared_key != nullptr) {
      shared.push_back(i.shared_key);
      owner.push_back(&i);
    }
  std::vector<bound_jwk*> which;
  const auto keys = e2e::usable(shared, e2e::encryption_usage, clk, which);
  auto d = jose::decrypt(std::move(p), keys);
  if (!d) return fail(d.error());
  const auto at = static_cast<std::size_t>(std::find(shared.begin(), shared.end(), which[d->key]) - shared.begin());
  if (auto u = which[d->key]->use(e2e::encryption_usage, clk, d->plaintext.size()); !u) {
    ct::wipe(d->plaintext);
    return fail(u.error());
  }
  auto body = jose::parse_object({reinterpret_cast<const char*>(d->plaintext.data()), d->plaintext.size()},
                                 ctx.bounds.max_header * 4, ctx.bounds.max_depth);
  ct::wipe(d->plaintext);
  if (!body) return fail(body.error());
  auto c = claims_from_json(*body);
  if (!c) return fail(c.error());
  if (c->issuer != owner[at]->name) return fail(errc::not_authorized);  // another issuer's key
  return detail::applies(std::move(*c), ctx, clk);
}

// TS-0003 §7.3.2.6: the token's claims when it verifies and applies to this
// request: errc::auth_failed (signature or decryption), errc::not_yet_valid,
// errc::expired, errc::not_authorized (holder, issuer or audience),
// errc::invalid_encoding (malformed claims).
template <clock Clock>
[[nodiscard]] result<claims> verify(std::string_view token, const context& ctx, const Clock& clk) {
  jose::policy pol;
  pol.bounds = ctx.bounds;
  pol.algs = jose::secured_algs;
  if (ctx.allow_unsecured) {
    pol.algs.insert(jose::alg::none);
    pol.allow_unsecured = true;
  }
  std::string nested;
  if (jose::is_compact_jwe(token)) {  // a JWE: a nested JWT, or the claims themselves
    auto p = jose::parse_jwe(token, pol);
    if (!p) return fail(p.error());
    auto outer_cty = jose::string_member(p->protected_header, "cty");
    if (!outer_cty) return fail(outer_cty.error());
    if (!*outer_cty) return verify_encrypted_only(std::move(*p), ctx, clk);
    std::vector<bound_jwk*> which;
    const auto keys = e2e::usable(ctx.decryption_keys, e2e::encryption_usage, clk, which);
    auto d = jose::decrypt(std::move(*p), keys);
    if (!d) return fail(d.error());
    if (auto u = which[d->key]->use(e2e::encryption_usage, clk, d->plaintext.size()); !u) {
      ct::wipe(d->plaintext);
      return fail(u.error());
    }
    auto cty = jose::string_member(d->header, "cty");
    if (!cty || !*cty || **cty != "JWT") return fail(errc::invalid_encoding);
    nested.assign(d->plaintext.begin(), d->plaintext.end());
    token = nested;
    pol.allow_unsecured = false;  // a nested token is always signed
    pol.algs.erase(jose::alg::none);
  }
  auto s = jose::parse_jws(token, pol);
  if (!s) return fail(s.error());
  if (s->form != jose::serialization::compact) return fail(errc::invalid_encoding);
  auto body = jose::parse_object({reinterpret_cast<const char*>(s->payload.data()), s->payload.size()},
                                 ctx.bounds.max_header * 4, ctx.bounds.max_depth);
  if (!body) return fail(body.error());
  auto c = claims_from_json(*body);
  if (!c) return fail(c.error());
  // The keys of the issuer the token names, and no other's.
  std::vector<bound_jwk*> named;
  for (const auto& i : ctx.issuers)
    if (i.name == c->issuer && i.key != nullptr) named.push_back(i.key);
  const bool unsecured = s->signatures[0].algorithm == jose::alg::none;
  if (!unsecured && named.empty()) return fail(errc::not_authorized);
  if (unsecured) named.clear();
  std::vector<bound_jwk*> which;
  const auto keys = e2e::usable(named, e2e::signature_usage, clk, which);
  const std::size_t body_size = s->payload.size();
  auto v = jose::verify(std::move(*s), keys);
  if (!v) return fail(v.error());
  if (!unsecured) {
    if (v->key >= which.size()) return fail(errc::auth_failed);
    if (auto u = which[v->key]->use(e2e::signature_usage, clk, body_size); !u) return fail(u.error());
  }
  return detail::applies(std::move(*c), ctx, clk);
}

}  // namespace m2msec::token
