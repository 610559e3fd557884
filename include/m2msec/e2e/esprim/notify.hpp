// m2msec: the NOTIFY that carries ESPrim objects and rand objects (TS-0001 Tables
// 11.4.2-1/2, TS-0004 §7.6.2, §6.3.5.48 m2m:securityInfo), as nlohmann-json
// documents. The Originator and Receiver need none of it (esprim.hpp leaves it out).
#pragma once

#include <string>
#include <string_view>

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

}  // namespace m2msec::esprim
