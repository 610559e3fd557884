// m2msec derive: every TS-0003 §10.3 key from given inputs, hex in and out;
// m2msec id: what an identifier is.
#pragma once

#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "m2msec/identity/credential_id.hpp"
#include "m2msec/identity/identifiers.hpp"
#include "m2msec/identity/key_id.hpp"
#include "m2msec/kdf/ke2e.hpp"
#include "m2msec/kdf/key_schedule.hpp"

namespace m2msec::cli {

struct derive_args {
  std::string hash = "sha256";
  std::string ke, kc, kpsa, pairwise, maf, enrolee, target, kc_id, exporter, fqdn_text, salt, receiver, originator;
  int suid_value = 0;
};

namespace derive_detail {
inline fqdn domain(const std::string& text, const std::string& where) {
  auto f = fqdn::parse(text);
  if (!f) bad(where, "not an FQDN");
  return std::move(*f);
}
inline void print_key(const result<secret>& k, const std::string& where) {
  if (!k) bad(where, std::string(to_string(k.error())));
  out(hex(k->expose()));
}
// A derivation into 32 bytes, printed; `derive` writes into the span.
template <class Derive>
void print_derived(const std::string& where, Derive&& derive) {
  byte k[derived_key_size];
  if (auto r = derive(mutable_bytes(k)); !r) bad(where, std::string(to_string(r.error())));
  out(hex(k));
  ct::wipe(k, sizeof k);
}
// A rand object as tests/kdf/key_schedule.json writes one: id, value (hex),
// expiry (seconds since 1970), esk and espa (lists of small integers).
inline esprim_rand_object rand_object(const std::string& text, const std::string& where) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) bad(where, "not a JSON object");
  try {
    esprim_rand_object o;
    o.id = j.at("id").get<std::string>();
    const auto v = hex_bytes(j.at("value").get<std::string>(), where + " value");
    if (v.size() != o.value.size()) bad(where, "value is not 16 bytes");
    std::copy(v.begin(), v.end(), o.value.begin());
    o.expiry = time_point(std::chrono::seconds(j.at("expiry").get<std::int64_t>()));
    for (int x : j.at("esk").get<std::vector<int>>()) o.key_gen_alg_ids.push_back(static_cast<std::uint8_t>(x));
    for (int x : j.at("espa").get<std::vector<int>>()) o.protocol_and_alg_ids.push_back(static_cast<std::uint8_t>(x));
    return o;
  } catch (const nlohmann::json::exception&) {
    bad(where, "needs id, value, expiry, esk and espa");
  }
}
}  // namespace derive_detail

inline void add_derive(CLI::App& app, derive_args& a) {
  auto* d = app.add_subcommand("derive", "derive a TS-0003 key from given inputs (hex in, hex out)");
  d->require_subcommand(1);
  auto* km = d->add_subcommand("km", "Km = HMAC-SHA-256(Ke, label || MAF-FQDN)  (TS-0003 §10.3.2)");
  km->add_option("--ke", a.ke, "Ke, hex")->required();
  km->add_option("--maf", a.maf, "the MAF's FQDN, as given")->required();
  auto* kpsa = d->add_subcommand("kpsa", "Kpsa = HMAC-SHA-256(Ke, label || Enrolee-B-ID)  (§10.3.3)");
  kpsa->add_option("--ke", a.ke, "Ke, hex")->required();
  kpsa->add_option("--enrolee", a.enrolee, "Enrolee-B's absolute CSE-ID or AE-ID")->required();
  auto* uc = d->add_subcommand("usage", "usage-constrained key = HMAC-SHA-256(Ke, label || SUID || target)  (§10.3.7)");
  uc->add_option("--ke", a.ke, "Ke, hex")->required();
  uc->add_option("--suid", a.suid_value, "the SUID, e.g. 22")->required();
  uc->add_option("--target", a.target, "the Enrolment Target's FQDN, as given")->required();
  auto* ex = d->add_subcommand("exporter", "split a 48-byte exporter output into identifier and key  (§10.3.1, A1)");
  ex->add_option("--out", a.exporter, "the exporter output, hex")->required();
  ex->add_option("--fqdn", a.fqdn_text, "the MEF's or MAF's FQDN, to write the identifier")->required();
  auto* me = d->add_subcommand("maf-esprim", "the MAF pairwiseESPrimKey from Kc  (§8.4.2, decision A7)");
  me->add_option("--kc", a.kc, "Kc, hex")->required();
  me->add_option("--kc-id", a.kc_id, "hexBinary(KcID)@MAF-FQDN")->required();
  auto* se = d->add_subcommand("session-esprim", "sessionESPrimKey from the pairwise key and two rand objects  (§10.3.8)");
  se->add_option("--pairwise", a.pairwise, "pairwiseESPrimKey, hex")->required();
  se->add_option("--receiver", a.receiver, "the receiver's rand object, JSON: id, value, expiry, esk, espa")->required();
  se->add_option("--originator", a.originator, "the originator's rand object, JSON")->required();
  auto* e2e = d->add_subcommand("ke2e", "the Ke2e chain: master, then four end-to-end keys  (§10.3.6)");
  e2e->add_option("--kpsa", a.kpsa, "Kpsa, hex")->required();
  e2e->add_option("--salt", a.salt, "the salt, hex (none: HashLen zero bytes)");
  e2e->add_option("--hash", a.hash, "sha256 (default), sha384 or sha512");

  // Identifiers enter the derivations as given (checked, not rewritten), so that
  // other implementations' values can be compared; the library's procedures
  // give FQDNs in lower case.
  km->callback([&a] {
    derive_detail::domain(a.maf, "--maf");
    const auto ke = hex_secret(a.ke, "--ke");
    derive_detail::print_derived("km", [&](mutable_bytes o) { return derive_km(ke.expose(), a.maf, o); });
  });
  kpsa->callback([&a] {
    const auto c = cse_id::parse(a.enrolee);
    const auto e = ae_id::parse(a.enrolee);
    if (!c && !e) bad("--enrolee", "not a CSE-ID or AE-ID");
    if (!(c ? c->is_absolute() : e->is_absolute())) bad("--enrolee", "not absolute (//SP-ID/...)");
    const auto ke = hex_secret(a.ke, "--ke");
    derive_detail::print_derived("kpsa", [&](mutable_bytes o) { return derive_kpsa(ke.expose(), a.enrolee, o); });
  });
  uc->callback([&a] {
    const auto s = static_cast<suid>(a.suid_value);
    if (std::find(std::begin(all_suids), std::end(all_suids), s) == std::end(all_suids)) bad("--suid", "not a SUID");
    derive_detail::domain(a.target, "--target");
    const auto ke = hex_secret(a.ke, "--ke");
    derive_detail::print_derived(
        "usage", [&](mutable_bytes o) { return derive_usage_constrained(ke.expose(), s, a.target, o); });
  });
  ex->callback([&a] {
    const auto o = hex_secret(a.exporter, "--out");
    auto parts = split_exporter(o.expose());
    if (!parts) bad("--out", "not " + std::to_string(exporter_size) + " bytes");
    const auto id = ke_id::from_bytes(parts->relative_id, derive_detail::domain(a.fqdn_text, "--fqdn"));
    out("id  " + id.str());
    out("key " + hex(parts->key.expose()));
  });
  me->callback([&a] {
    if (!kc_id::parse(a.kc_id)) bad("--kc-id", "not hexBinary(KcID)@FQDN");
    const auto kc = hex_secret(a.kc, "--kc");
    derive_detail::print_derived(
        "maf-esprim", [&](mutable_bytes o) { return derive_maf_pairwise_esprim_key(kc.expose(), a.kc_id, o); });
  });
  se->callback([&a] {
    derive_detail::print_key(derive_session_esprim_key(hex_secret(a.pairwise, "--pairwise"),
                                                       derive_detail::rand_object(a.receiver, "--receiver"),
                                                       derive_detail::rand_object(a.originator, "--originator")),
                             "session-esprim");
  });
  e2e->callback([&a] {
    const auto salt = a.salt.empty() ? byte_vector{} : hex_bytes(a.salt, "--salt");
    const auto kpsa = hex_secret(a.kpsa, "--kpsa");
    auto print = [&]<class Hash>(Hash) {
      using chain = ke2e_chain<Hash>;
      auto keys = chain::derive(salt, kpsa);
      if (!keys) bad("ke2e", std::string(to_string(keys.error())));
      static constexpr const char* names[] = {"master", "msg-auth", "msg-conf", "att-auth", "att-conf"};
      for (std::size_t i = 0; i < 5; ++i) out(std::string(names[i]) + " " + hex(chain::key(*keys, typename chain::part(i))));
    };
    if (a.hash == "sha256") print(crypto::sha256{});
    else if (a.hash == "sha384") print(crypto::sha384{});
    else if (a.hash == "sha512") print(crypto::sha512{});
    else bad("--hash", "not sha256, sha384 or sha512: " + a.hash);
  });
}

// ---- id --------------------------------------------------------------------------------

namespace id_detail {
inline std::string scope(bool absolute) { return absolute ? "absolute" : "SP-relative"; }
inline std::string credential_kind(credential_id_type t) {
  switch (static_cast<int>(t)) {
    case 10: return "KpmID";
    case 11: return "KmID";
    case 12: return "KpsaID or KcID";
    case 13: return "pairwiseESPrimKeyID";
    case 14: return "ESData direct key";
    case 15: return "ESData key-wrap key";
    case 16: return "ESData HMAC key";
    case 30: return "TLS raw public key";
    case 31: return "TLS device certificate";
    case 32: return "TLS CSE-ID certificate";
    case 33: return "TLS AE-ID certificate";
    case 34: return "TLS Node-ID certificate";
    default: return static_cast<int>(t) < 50 ? "ESData key-agreement key" : "ESData signature key";
  }
}
}  // namespace id_detail

// Every reading of `text` that parses, one per line.
inline int explain_id(const std::string& text) {
  int found = 0;
  auto say = [&](const std::string& line) {
    out(line);
    ++found;
  };
  if (auto c = credential_id::parse(text))
    say("Credential-ID (TS-0003 §10.4): type " + std::to_string(static_cast<int>(c->type())) + ", " +
        id_detail::credential_kind(c->type()) + ", value " + c->value());
  if (auto k = ke_id::parse(text))
    say("KeID or KcID (§10.3.4, §10.3.5): RelativeKeID " + k->relative() + ", issued by " + k->domain().str());
  else if (auto p = kpsa_id::parse(text))
    say("KpsaID, KmID or KpmID (§10.5, §10.6): relative " + p->relative() + ", issuer " + p->domain().str());
  if (auto c = cse_id::parse(text))
    say("CSE-ID, " + id_detail::scope(c->is_absolute()) + ": " + c->name() +
        (c->sp() ? ", Service Provider " + c->sp()->domain().str() : std::string()));
  if (auto a = ae_id::parse(text)) {
    std::string s = "AE-ID, " + id_detail::scope(a->is_absolute()) + ": stem " + a->stem().str() + " (" +
                    (a->stem().type() == ae_id_stem::kind::sp_assigned ? "SP-assigned" : "Registrar-assigned") + ")";
    if (a->registrar()) s += ", Registrar " + a->registrar()->str();
    if (a->sp()) s += ", Service Provider " + a->sp()->domain().str();
    say(s);
  }
  if (auto f = fqdn::parse(text); f && text.find('@') == std::string::npos)
    say("FQDN (an MEF, a MAF, an issuer or a CSE's domain): " + f->str());
  if (auto a = app_id::parse(text))
    say(std::string("App-ID: ") + (a->type() == app_id::kind::registered ? "registered (R...)" : "non-registered (N...)"));
  // Any unreserved text can be a Node-ID: said only when it is an OID or an
  // IMEI, or when nothing else reads it.
  if (auto n = node_id::parse(text); n && (n->type() != node_id::kind::other || found == 0))
    say(std::string("M2M-Node-ID: ") +
        (n->type() == node_id::kind::oid ? "an OID" : n->type() == node_id::kind::imei ? "an IMEI (Luhn digit checks)" : "another form"));
  if (found == 0) bad("text", "not a oneM2M identifier, key identifier or Credential-ID: " + text);
  return done;
}

}  // namespace m2msec::cli
