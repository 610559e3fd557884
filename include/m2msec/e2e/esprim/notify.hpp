// m2msec: the NOTIFY that carries ESPrim objects and rand objects (TS-0001 Tables
// 11.4.2-1/2, TS-0004 §7.6.2, §6.3.5.48 m2m:securityInfo), as nlohmann-json
// documents. The Originator and Receiver need none of it (esprim.hpp leaves it out).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "m2msec/e2e/esprim/rand_object.hpp"
#include "m2msec/jose/json.hpp"

namespace m2msec::esprim {

using jose::json;

// A rand object as a JSON document, and back.
[[nodiscard]] inline json to_json(const rand_object& o, role r) { return json::parse(rand_object_text(o, r)); }
[[nodiscard]] inline result<rand_object> rand_object_from_json(const json& j, role r) {
  return parse_rand_object(j.dump(), r);
}

// ---- the outer NOTIFY (TS-0001 Tables 11.4.2-1/2, TS-0004 §7.6.2) -----------------------------

// The request that carries an ESPrim object: NOTIFY to the Target, with the
// inner primitive's expirations, event category and delivery aggregation copied.
[[nodiscard]] inline json outer_request(const json& inner, std::string_view to, std::string_view from,
                                        std::string_view rqi, std::string_view jwe) {
  json outer = {{"op", op_notify}, {"to", to}, {"fr", from}, {"rqi", rqi},
                {"pc", {{"m2m:seci", {{"sit", sit_esprim_object}, {"epo", jwe}}}}}};
  for (const char* k : {"rqet", "rset", "ec", "da", "rvi"})
    if (inner.is_object() && inner.contains(k)) outer[k] = inner[k];
  return outer;
}
// The response that carries one: the RSC of the outer exchange and the object.
[[nodiscard]] inline json outer_response(std::string_view rqi, std::string_view jwe) {
  return {{"rsc", static_cast<int>(rsc::ok)}, {"rqi", rqi},
          {"pc", {{"m2m:seci", {{"sit", sit_esprim_object}, {"epo", jwe}}}}}};
}
// The ESPrim object inside an outer request or response (TS-0004 §6.3.5.48).
[[nodiscard]] inline outcome<std::string> esprim_object_of(const json& outer) {
  if (!outer.is_object()) return refuse(rsc::bad_request, errc::invalid_encoding);
  if (outer.contains("op") && outer["op"] != op_notify) return refuse(rsc::bad_request, errc::invalid_encoding);
  const json* pc = jose::member(outer, "pc");
  const json* seci = pc != nullptr ? jose::member(*pc, "m2m:seci") : nullptr;
  const json* sit = seci != nullptr ? jose::member(*seci, "sit") : nullptr;
  const json* epo = seci != nullptr ? jose::member(*seci, "epo") : nullptr;
  if (sit == nullptr || *sit != sit_esprim_object || epo == nullptr || !epo->is_string())
    return refuse(rsc::bad_request, errc::invalid_encoding);
  return epo->get<std::string>();
}
// Per-request mode: the NOTIFY content asking for a receiver rand object, and the answer.
[[nodiscard]] inline json rand_request() { return {{"m2m:seci", {{"sit", sit_rand_request}}}}; }
[[nodiscard]] inline json rand_response(const rand_object& o) {
  return {{"m2m:seci", {{"sit", sit_rand_response}, {"ero", to_json(o, role::receiver)}}}};
}
[[nodiscard]] inline result<rand_object> rand_object_of_response(const json& content) {
  const json* seci = jose::member(content, "m2m:seci");
  if (seci == nullptr || !seci->contains("sit") || (*seci)["sit"] != sit_rand_response || !seci->contains("ero"))
    return fail(errc::invalid_encoding);
  return rand_object_from_json((*seci)["ero"], role::receiver);
}

// ---- e2eSecInfo (TS-0004 §6.3.5.52, TS-0003 §8.4.2 phase A/B) ------------------------------

// What a Receiver advertises in the e2eSecInfo attribute of its <CSEBase>,
// <remoteCSE> or <AE>: the end-to-end features it supports (esf, as SUIDs),
// certificates (escert, base64) and its shared receiver rand object (esro).
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct e2e_sec_info {
  std::vector<suid> features;
  std::vector<std::string> certificates{};
  std::optional<rand_object> shared{};
  // Whether the advertised features include ESPrim (a SUID of scope 3).
  [[nodiscard]] bool supports_esprim() const noexcept {
    return std::any_of(features.begin(), features.end(),
                       [](suid s) { return scope_of(s) == usage_scope::esprim; });
  }
};
[[nodiscard]] inline json to_json(const e2e_sec_info& info) {
  json j = {{"esf", json::array()}};
  for (suid s : info.features) j["esf"].push_back(static_cast<int>(s));
  if (!info.certificates.empty()) j["escert"] = info.certificates;
  if (info.shared) j["esro"] = to_json(*info.shared, role::receiver);
  return j;
}
// Reads an m2m:e2eSecInfo strictly: esf a list of known SUIDs, escert a list
// of strings, esro a receiver rand object; anything else is invalid_encoding.
[[nodiscard]] inline result<e2e_sec_info> e2e_sec_info_of(const json& j) {
  if (!j.is_object()) return fail(errc::invalid_encoding);
  e2e_sec_info info;
  const json* esf = jose::member(j, "esf");
  if (esf == nullptr || !esf->is_array()) return fail(errc::invalid_encoding);
  for (const auto& v : *esf) {
    // A whole number, however the document was made (parsed: unsigned; built in code: signed).
    if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<std::int64_t>() < 0))
      return fail(errc::invalid_encoding);
    auto s = suid_from_int(static_cast<int>(std::min<std::uint64_t>(v.get<std::uint64_t>(), 100)));
    if (!s) return fail(errc::invalid_encoding);
    info.features.push_back(*s);
  }
  if (const json* certs = jose::member(j, "escert")) {
    if (!certs->is_array()) return fail(errc::invalid_encoding);
    for (const auto& c : *certs) {
      if (!c.is_string()) return fail(errc::invalid_encoding);
      info.certificates.push_back(c.get<std::string>());
    }
  }
  if (const json* esro = jose::member(j, "esro")) {
    auto o = rand_object_from_json(*esro, role::receiver);
    if (!o) return fail(o.error());
    info.shared = std::move(*o);
  }
  return info;
}

}  // namespace m2msec::esprim
