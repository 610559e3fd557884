// m2msec: what a MAF and its clients say to each other (TS-0003 §8.8.2): the
// resources the MAF offers and the bodies of Key Registration, Key Retrieval,
// Key Registration Update and De-Registration. The primitives, the HTTP binding
// and Client Registration are the MEF's (mef_protocol.hpp, mef_registration.hpp).
// TS-0032 is not available to us: every name here is m2msec's, mapped to TS-0003's
// fields in docs/decisions.md ("The Mmaf resources").
#pragma once

#include "m2msec/enrolment/maf_store.hpp"
#include "m2msec/enrolment/mef_registration.hpp"

namespace m2msec::maf {

using mef::operation;
using mef::request;
using mef::response;

namespace resource {
inline constexpr std::string_view client_registration = "maf/clientReg";  // as the MEF's
inline constexpr std::string_view key_registration = "maf/keyReg";        // CREATE; .../<RelativeKeyID>: RETRIEVE, UPDATE, DELETE
}  // namespace resource

inline constexpr std::size_t relative_id_size = 32;  // hexBinary of 16 bytes (A8)

// TS-0003 §8.8.2.7 (Key Registration) and §8.8.2.9 (its Update): SUID, targetIDs,
// expirationTime, labels, adminFQDN and the Key Value; an update carries
// expirationTime, labels and targetIDs only.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct key_request {
  std::optional<suid> usage;
  std::optional<std::vector<entity_id>> targets;
  std::optional<time_point> expiration;
  std::optional<std::vector<std::string>> labels;
  std::optional<fqdn> admin;
  const secret* key = nullptr;  // Key Value; absent: Kc from the exporter
};

// TS-0003 §8.8.2.7/8: what the MAF answers about a registered key; `key` is set
// in Key Retrieval's answer only.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct key_answer {
  std::string relative_id;
  entity_id source;
  suid usage;
  std::vector<entity_id> targets;  // empty in Key Retrieval's answer
  validity lifetime;
  std::vector<std::string> labels;
  std::optional<fqdn> admin;
  std::optional<secret> key;
};

// TS-0003 §8.8.2.7: exactly one target for a key of SAEF (32) or ESPrim (33), one
// or more for ESData (34, 35); every target an absolute CSE-ID or AE-ID.
[[nodiscard]] inline bool targets_fit(suid usage, const std::vector<entity_id>& targets) {
  if (targets.empty() || targets.size() > mef::max_targets) return false;
  if ((usage == suid::maf_saef || usage == suid::maf_esprim) && targets.size() != 1) return false;
  return std::all_of(targets.begin(), targets.end(), [](const entity_id& t) {
    if (const auto* c = std::get_if<cse_id>(&t)) return c->is_absolute();
    if (const auto* a = std::get_if<ae_id>(&t)) return a->is_absolute();
    return false;
  });
}
[[nodiscard]] constexpr bool maf_usage(suid s) noexcept { return type_of(s) == credential_type::maf_symmetric; }

namespace protocol_detail {
using namespace mef::protocol_detail;
template <class Json>
inline result<std::vector<entity_id>> targets_of(const Json& o) {
  auto it = o.find("tids");
  if (it == o.end() || !it->is_array() || it->size() > mef::max_targets) return fail(errc::invalid_encoding);
  std::vector<entity_id> out;
  for (const auto& t : *it) {
    if (!t.is_string()) return fail(errc::invalid_encoding);
    auto e = mef::parse_entity(t.template get_ref<const typename Json::string_t&>());
    if (!e) return fail(errc::invalid_encoding);
    out.push_back(std::move(*e));
  }
  return out;
}
template <class Json>
inline Json texts(const std::vector<entity_id>& v) {
  Json a = Json::array();
  for (const auto& e : v) a.push_back(to_string(e));
  return a;
}
// A 32-byte key as base64url, spliced into `head` (a dumped object) so that only
// wiping memory holds its text.
inline jose::wiping_string with_key(const std::string& head, const secret& key) {
  jose::wiping_string out;
  out.reserve(head.size() + 16 + base64url_encoded_size(key.size()));
  out.append(head, 0, head.size() - 2);
  out.append(",\"key\":\"");
  const std::size_t at = out.size();
  out.resize(at + base64url_encoded_size(key.size()));
  jose::base64url_encode_to(key.expose(), out.data() + at);
  out.append("\"}}");
  return out;
}
template <class Json>
inline result<secret> key_of(const Json& o) {
  auto it = o.find("key");
  if (it == o.end() || !it->is_string()) return fail(errc::invalid_encoding);
  const auto& b64 = it->template get_ref<const typename Json::string_t&>();
  if (b64.size() != base64url_encoded_size(32)) return fail(errc::invalid_key_size);
  auto key = secret::allocate(32);
  if (!key) return fail(key.error());
  auto n = jose::fast_base64url_decode(std::string_view(b64.data(), b64.size()), key->expose());
  if (!n || *n != 32) return fail(errc::invalid_encoding);
  return key;
}
}  // namespace protocol_detail

// {"m2msec:kreq": {"suid", "tids": [...], "exp", "lbl": [...], "adm", "key"}}, in
// wiping memory (it may carry the Key Value).
[[nodiscard]] inline jose::wiping_string key_request_body(const key_request& q) {
  using protocol_detail::json;
  json o = json::object();
  if (q.usage) o["suid"] = static_cast<int>(*q.usage);
  if (q.targets) o["tids"] = protocol_detail::texts<json>(*q.targets);
  if (q.expiration) o["exp"] = esprim::to_timestamp(*q.expiration);
  if (q.labels) o["lbl"] = *q.labels;
  if (q.admin) o["adm"] = q.admin->str();
  const std::string head = json{{"m2msec:kreq", std::move(o)}}.dump();
  if (q.key != nullptr) return protocol_detail::with_key(head, *q.key);
  return jose::wiping_string(head.begin(), head.end());
}

// What a Key Registration or Update asked; the Key Value, when sent, in `key`.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct parsed_key_request {
  key_request asked;
  std::optional<secret> key;
};
[[nodiscard]] inline result<parsed_key_request> parse_key_request(std::string_view body) {
  using namespace protocol_detail;
  auto o = object<jose::secret_json>(body, "m2msec:kreq");
  if (!o) return fail(o.error());
  if (!only(*o, {"suid", "tids", "exp", "lbl", "adm", "key"})) return fail(errc::invalid_encoding);
  parsed_key_request out;
  if (o->contains("suid")) {
    auto u = suid_of(*o, "suid");
    if (!u) return fail(u.error());
    out.asked.usage = *u;
  }
  if (o->contains("tids")) {
    auto t = targets_of(*o);
    if (!t) return fail(t.error());
    out.asked.targets = std::move(*t);
  }
  if (o->contains("exp")) {
    auto t = text(*o, "exp");
    auto e = t ? esprim::parse_timestamp(*t) : result<time_point>(fail(errc::invalid_encoding));
    if (!e) return fail(errc::invalid_encoding);
    out.asked.expiration = *e;
  }
  if (o->contains("lbl")) {
    auto l = labels_of(*o);
    if (!l) return fail(l.error());
    out.asked.labels = std::move(*l);
  }
  if (o->contains("adm")) {
    auto a = fqdn_of(*o, "adm");
    if (!a) return fail(a.error());
    out.asked.admin = std::move(*a);
  }
  if (o->contains("key")) {
    auto k = key_of(*o);
    if (!k) return fail(k.error());
    out.key = std::move(*k);
  }
  return out;
}

// {"m2msec:kreg": {"rkid", "src", "suid", "tids", "nbf", "exp", "lbl", "adm"[, "key"]}}:
// the registration (Key Registration, Update), or with the key (Key Retrieval,
// which names no targets), in wiping memory.
[[nodiscard]] inline jose::wiping_string key_answer_body(const key_registration& k, bool with_key) {
  using protocol_detail::json;
  json o{{"rkid", k.relative_id},
         {"src", to_string(k.source)},
         {"suid", static_cast<int>(k.usage)},
         {"nbf", esprim::to_timestamp(k.lifetime.not_before())},
         {"exp", esprim::to_timestamp(k.lifetime.not_after())},
         {"lbl", k.labels}};
  if (!with_key) o["tids"] = protocol_detail::texts<json>(k.targets);
  if (k.admin) o["adm"] = k.admin->str();
  const std::string head = json{{"m2msec:kreg", std::move(o)}}.dump();
  if (with_key) return protocol_detail::with_key(head, k.key);
  return jose::wiping_string(head.begin(), head.end());
}
[[nodiscard]] inline result<key_answer> parse_key_answer(std::string_view body) {
  using namespace protocol_detail;
  auto o = object<jose::secret_json>(body, "m2msec:kreg");
  if (!o) return fail(o.error());
  if (!only(*o, {"rkid", "src", "suid", "tids", "nbf", "exp", "lbl", "adm", "key"})) return fail(errc::invalid_encoding);
  auto rkid = text(*o, "rkid"), src = text(*o, "src");
  auto usage = suid_of(*o, "suid");
  auto life = span_of(*o);
  auto labels = labels_of(*o);
  if (!rkid || rkid->size() != relative_id_size || !src || !usage || !maf_usage(*usage) || !life || !labels)
    return fail(errc::invalid_encoding);
  auto source = mef::parse_entity(*src);
  if (!source) return fail(errc::invalid_encoding);
  key_answer a{std::move(*rkid), std::move(*source), *usage, {}, *life, std::move(*labels), std::nullopt, std::nullopt};
  if (o->contains("tids")) {
    auto t = targets_of(*o);
    if (!t) return fail(t.error());
    a.targets = std::move(*t);
  }
  if (o->contains("adm")) {
    auto f = fqdn_of(*o, "adm");
    if (!f) return fail(f.error());
    a.admin = std::move(*f);
  }
  if (o->contains("key")) {
    auto k = key_of(*o);
    if (!k) return fail(k.error());
    a.key = std::move(*k);
  }
  return a;
}

}  // namespace m2msec::maf
