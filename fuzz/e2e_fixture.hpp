// The fixed keys, clock and Receiver state that the end-to-end fuzz targets and
// the known-bad corpus test share. fuzz/make_e2e_corpus.py writes the corpus
// with the same constants (it does not read this file).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "e2e_keys.hpp"
#include "m2msec/e2e.hpp"

namespace e2e_fixture {

using namespace m2msec;
using namespace std::chrono_literals;

// 2026-11-28T10:00:00Z
inline const time_point now = std::chrono::sys_days(std::chrono::year{2026} / 11 / 28) + 10h;

inline jose::jwk key(const char* text, jose::alg_set uses) {
  auto k = jose::jwk::parse(text, uses);
  if (!k) std::abort();
  return std::move(*k);
}

// The keys of fuzz/e2e_keys.hpp, each bound to its algorithms.
struct keys {
  jose::jwk kw = key(e2e_keys::kw, {jose::alg::a128kw});
  jose::jwk dir = key(e2e_keys::dir, {jose::alg::dir});
  jose::jwk hs = key(e2e_keys::hs, {jose::alg::hs256});
  jose::jwk ec = key(e2e_keys::ec, {jose::alg::ecdh_es, jose::alg::ecdh_es_a128kw});
  jose::jwk es = key(e2e_keys::es, {jose::alg::es256});
};

inline const keys& fixed_keys() {
  static const keys k;
  return k;
}

// ---- per target: what the known-bad corpus expects ----------------------------------------

inline jose::policy policy() {
  jose::policy p;
  p.critical = {"x-ok"};
  return p;
}

inline errc outcome(const result<void>& r) { return r ? errc{} : r.error(); }

inline result<void> open_jwe(std::string_view text) {
  const auto& k = fixed_keys();
  const jose::jwk* all[] = {&k.kw, &k.dir, &k.ec};
  auto p = jose::parse_jwe(text, policy());
  if (!p) return fail(p.error());
  auto d = jose::decrypt(std::move(*p), all);
  if (!d) return fail(d.error());
  return {};
}

inline result<void> open_jws(std::string_view text) {
  const auto& k = fixed_keys();
  const jose::jwk* all[] = {&k.hs, &k.es};
  auto p = jose::parse_jws(text, policy());
  if (!p) return fail(p.error());
  auto v = jose::verify(std::move(*p), all);
  if (!v) return fail(v.error());
  return {};
}

// The Receiver: pairwise key "pairwise@maf.example.com" (bytes 0x60..0x7F) bound
// to From "Cae-corpus", and the shared receiver object "sCorpus" (value A0..AF,
// expiry 12:00, esks [1], espa [10, 11, 12]). Each call starts afresh.
inline const std::string pairwise_kid = "pairwise@maf.example.com";
inline esprim::outcome<esprim::request> open_esprim(std::string_view text) {
  manual_clock clk(now);
  esprim::receiver rx(*cse_id::parse("/in-cse"));
  auto k = secret::allocate(32);
  if (!k) std::abort();
  for (std::size_t i = 0; i < 32; ++i) k->expose()[i] = static_cast<byte>(0x60 + i);
  auto cred = symmetric_credential::make(std::move(*k),
                                         *credential_id::make(credential_id_type::pairwise_esprim_key_id, pairwise_kid),
                                         suid::maf_esprim, *cse_id::parse("/in-cse"), *validity::make(now - 24h, now + 24h));
  if (!cred || !rx.add_pairwise_key({std::move(*cred), "Cae-corpus"})) std::abort();
  esprim::rand_object ro;
  ro.id = "sCorpus";
  for (std::size_t i = 0; i < 16; ++i) ro.value[i] = static_cast<byte>(0xA0 + i);
  ro.expiry = now + 2h;
  ro.key_gen_alg_ids = {1};
  ro.protocol_and_alg_ids = {10, 11, 12};
  if (!rx.add_rand_object(ro)) std::abort();
  return rx.unprotect(text, clk);
}

// A copy of a fixed key, bound to an SA of an hour around `now`, for `usage`.
inline e2e::bound_jwk bind_fixed(const jose::jwk& j, suid usage, const manual_clock& clk) {
  struct cred_t {
    credential_id id_ = *credential_id::make(credential_id_type::esdata_keywrap_key, "corpus@tef.example.com");
    validity life_ = *validity::make(now - 24h, now + 24h);
    suid usage_;
    const credential_id& id() const { return id_; }
    const validity& lifetime() const { return life_; }
    suid usage() const { return usage_; }
  } cred{.usage_ = usage};
  auto c = j.clone();
  if (!c) std::abort();
  auto b = esdata::bind(std::move(*c), cred, {*cse_id::parse("/in-cse"), cred.id()}, *validity::make(now - 1h, now + 1h),
                        clk);
  if (!b) std::abort();
  return std::move(*b);
}

// ESData: the file is "<contentInfo>\n<value>". Keys kw, dir and ec decrypt; hs and es verify.
inline result<void> open_esdata(std::string_view file) {
  const std::size_t nl = file.find('\n');
  if (nl == std::string_view::npos) return fail(errc::invalid_encoding);
  manual_clock clk(now);
  const auto& k = fixed_keys();
  std::vector<esdata::bound_key> bound;
  // Decryption keys for encryption (SUID 14), verification keys for signatures (15).
  for (const jose::jwk* j : {&k.kw, &k.dir, &k.ec})
    bound.push_back(bind_fixed(*j, suid::preprovisioned_esdata_encryption, clk));
  for (const jose::jwk* j : {&k.hs, &k.es}) bound.push_back(bind_fixed(*j, suid::preprovisioned_esdata_signature, clk));
  esdata::bound_key* dec[] = {&bound[0], &bound[1], &bound[2]};
  esdata::bound_key* ver[] = {&bound[3], &bound[4]};
  auto r = esdata::unprotect(file.substr(nl + 1), file.substr(0, nl), {dec, ver, false, false, policy()}, clk);
  if (!r) return fail(r.error());
  return {};
}

// Tokens: issuer "/in-cse" signs with es; holder "Cae-corpus"; Hosting CSE "/mn-cse".
inline result<void> open_token(std::string_view text) {
  manual_clock clk(now);
  const auto& k = fixed_keys();
  auto es = bind_fixed(k.es, suid::preprovisioned_esdata_signature, clk);
  auto ec = bind_fixed(k.ec, suid::preprovisioned_esdata_encryption, clk);
  const token::trusted_issuer issuers[] = {{"/in-cse", &es}};
  token::bound_jwk* dec[] = {&ec};
  token::context ctx{"Cae-corpus", "/mn-cse", issuers, dec};
  auto c = token::verify(text, ctx, clk);
  if (!c) return fail(c.error());
  return {};
}

}  // namespace e2e_fixture
