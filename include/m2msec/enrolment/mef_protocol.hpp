// m2msec: what an MEF and its clients say to each other (TS-0003 §8.3.2.1, Tables
// 8.3.2.1-1…6, §8.3.4.3): oneM2M request and response primitives, the resources
// the MEF offers, and the bodies of the Enrolment Exchange and of fetchCredentials.
// TS-0032, which names the Mmef resources, is not available to us: every name
// here is m2msec's, and docs/decisions.md ("The Mmef resources") maps each to
// TS-0003's field, so that a TS-0032 mapping changes that table and this file only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "m2msec/core/rsc.hpp"
#include "m2msec/core/secret.hpp"
#include "m2msec/core/validity.hpp"
#include "m2msec/e2e/esprim/timestamp.hpp"
#include "m2msec/enrolment/mef_store.hpp"
#include "m2msec/identity/entity.hpp"
#include "m2msec/identity/key_id.hpp"
#include "m2msec/jose/base64url.hpp"
#include "m2msec/jose/json.hpp"

namespace m2msec::mef {

// TS-0004 §6.3.4.2.5: the operations the MEF serves.
enum class operation : std::uint8_t { create = 1, retrieve = 2, update = 3, del = 4 };

// A request primitive, as far as the MEF reads it: op, to, fr, rqi and the content.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct request {
  operation op = operation::retrieve;
  std::string to;    // CSE-relative, e.g. "mef/enrolment"
  std::string from;  // fr: the requester's AE-ID or CSE-ID
  std::string rqi;   // request identifier, echoed in the response
  jose::wiping_string body;  // pc, JSON: wiping memory, as a Key Value may travel in it
};
// A response primitive: rsc, rqi and the content: wiping memory, as a key may
// travel in it.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct response {
  rsc code = rsc::ok;
  std::string rqi;
  jose::wiping_string body;
  std::optional<errc> refused;  // why, for the server's log only: never sent
};

// The resources (decisions: "The Mmef resources").
namespace resource {
inline constexpr std::string_view enrolment = "mef/enrolment";                   // CREATE: Enrolment Exchange
inline constexpr std::string_view fetch_credentials = "mef/fetchCredentials/";   // RETRIEVE .../<KeID>/<SUID>
inline constexpr std::string_view client_registration = "mef/clientReg";         // CREATE; .../<clientRegID>: RETRIEVE, UPDATE, DELETE
}  // namespace resource

inline constexpr std::size_t max_body = 4096;       // every MEF body is far smaller
inline constexpr std::size_t max_rqi = 128;
inline constexpr std::size_t max_targets = 64;
inline constexpr std::size_t max_labels = 16, max_label = 128;

// TS-0003 Table 8.3.2.1-1: what the Enrolee asks for besides Ke.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct indications {
  bool certificate = false;        // Certificate Enrolment Indication (cei)
  bool maf = false;                // MAF Enrolment Indication (mei)
  bool remote_management = false;  // Remote Management Indication (rmi)
};

// TS-0003 Table 8.3.2.1-3: the MAF Enrolment instruction, which the MAF consumes.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct maf_instruction {
  suid credential = suid::rspf_maf;  // Credential Type (crt)
  std::string key_registration_uri;  // kru
  std::string key_retrieval_uri;     // kri
  std::string client_registration_uri;            // cru, optional
  std::optional<std::string> trust_anchors_pem;   // tas, optional
  std::optional<duration> lifetime;               // lft, optional, seconds
};

// What the MEF gives the Enrolee (TS-0003 Tables 8.3.2.1-2…5): its KeID and the
// lifetime of Ke, the Enrolee-ID and Targets the MEF recorded, and the instructions
// it was asked for and has.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct enrolment_answer {
  ke_id id;
  entity_id enrolee;
  std::vector<entity_id> targets;
  validity lifetime;
  std::optional<std::string> certificate_uri;  // Table 8.3.2.1-2
  std::optional<maf_instruction> maf;          // Table 8.3.2.1-3
  std::optional<std::string> management_uri;   // Table 8.3.2.1-4
};

// TS-0003 §8.3.2.1: {Status=True, Credential, EnroleeID, Lifetime} from fetchCredentials.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct released_key {
  ke_id id;
  suid usage;
  secret key;
  entity_id enrolee;
  validity lifetime;
};

// ---- identities and times on the wire ------------------------------------------------

// An entity as the MEF writes it: the CSE-ID or AE-ID text, or an FQDN (a MAF target).
[[nodiscard]] inline result<entity_id> parse_entity(std::string_view s) {
  if (auto c = cse_id::parse(s)) return entity_id{*c};
  if (auto a = ae_id::parse(s)) return entity_id{*a};
  if (!s.starts_with('/'))
    if (auto f = fqdn::parse(s)) return entity_id{*f};
  return fail(errc::invalid_encoding);
}
// The entity a channel's association is bound to, when it is one (a CSE or AE).
[[nodiscard]] inline std::optional<entity_id> entity_of(const bound_identity& b) {
  if (const auto* c = std::get_if<cse_id>(&b)) return entity_id{*c};
  if (const auto* a = std::get_if<ae_id>(&b)) return entity_id{*a};
  return std::nullopt;
}
// A lifetime in whole seconds, as m2m:timestamp carries it: both ends rounded
// down, so it ends no later than `v` and starts in the same second.
[[nodiscard]] inline result<validity> whole_seconds(const validity& v) {
  using namespace std::chrono;
  const auto nb = floor<seconds>(v.not_before()), na = floor<seconds>(v.not_after());
  return validity::make(time_point(nb), time_point(na));
}

namespace protocol_detail {
using jose::json;
// The one object named `name` of a body, read strictly (no member twice).
template <class Json = json>
inline result<Json> object(std::string_view text, std::string_view name) {
  if (text.size() > max_body) return fail(errc::message_too_long);
  auto doc = jose::parse_object<Json>(text, max_body, 4);
  if (!doc) return fail(errc::invalid_encoding);
  auto it = doc->find(name);
  if (doc->size() != 1 || it == doc->end() || !it->is_object()) return fail(errc::invalid_encoding);
  return Json(std::move(*it));
}
// Every member of `o` is one of `known`.
template <class Json>
inline bool only(const Json& o, std::initializer_list<std::string_view> known) {
  for (auto it = o.begin(); it != o.end(); ++it) {
    bool ok = false;
    for (auto n : known) ok = ok || std::string_view(it.key()) == n;
    if (!ok) return false;
  }
  return true;
}
template <class Json>
inline result<std::string> text(const Json& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_string()) return fail(errc::invalid_encoding);
  const auto& s = it->template get_ref<const typename Json::string_t&>();
  return std::string(s.data(), s.size());
}
template <class Json>
inline result<validity> span_of(const Json& o) {
  auto nb = text(o, "nbf"), na = text(o, "exp");
  if (!nb || !na) return fail(errc::invalid_encoding);
  auto b = esprim::parse_timestamp(*nb), a = esprim::parse_timestamp(*na);
  if (!b || !a) return fail(errc::invalid_encoding);
  auto v = validity::make(*b, *a);
  if (!v) return fail(errc::invalid_encoding);
  return v;
}
template <class Json>
inline result<suid> suid_of(const Json& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_number_integer()) return fail(errc::invalid_encoding);
  auto s = suid_from_int(static_cast<int>(std::clamp<std::int64_t>(it->template get<std::int64_t>(), -1, 100)));
  if (!s) return fail(errc::invalid_encoding);
  return *s;
}
}  // namespace protocol_detail

// ---- the Enrolment Exchange ----------------------------------------------------------

// TS-0003 Table 8.3.2.1-1: {"m2msec:enrReq": {"cei": bool, "mei": bool, "rmi": bool}}
[[nodiscard]] inline jose::wiping_string enrolment_request_body(const indications& i) {
  const auto text =
      protocol_detail::json{{"m2msec:enrReq", {{"cei", i.certificate}, {"mei", i.maf}, {"rmi", i.remote_management}}}}
          .dump();
  return {text.begin(), text.end()};
}
[[nodiscard]] inline result<indications> parse_enrolment_request(std::string_view body) {
  using namespace protocol_detail;
  if (body.empty()) return indications{};
  auto o = object(body, "m2msec:enrReq");
  if (!o) return fail(o.error());
  if (!only(*o, {"cei", "mei", "rmi"})) return fail(errc::invalid_encoding);
  indications out;
  for (auto [name, flag] : {std::pair{"cei", &out.certificate}, {"mei", &out.maf}, {"rmi", &out.remote_management}}) {
    auto it = o->find(name);
    if (it == o->end()) continue;
    if (!it->is_boolean()) return fail(errc::invalid_encoding);
    *flag = it->get<bool>();
  }
  return out;
}

// TS-0003 Tables 8.3.2.1-2…5, and the KeID and lifetime of Ke (decisions: "The Mmef resources").
[[nodiscard]] inline std::string enrolment_answer_body(const enrolment_answer& a) {
  using protocol_detail::json;
  json o{{"keid", a.id.str()},
         {"enr", to_string(a.enrolee)},
         {"nbf", esprim::to_timestamp(a.lifetime.not_before())},
         {"exp", esprim::to_timestamp(a.lifetime.not_after())}};
  json targets = json::array();
  for (const auto& t : a.targets) targets.push_back(to_string(t));
  o["tgts"] = std::move(targets);
  json ins = json::array();
  if (a.certificate_uri) ins.push_back({{"ity", 1}, {"uri", *a.certificate_uri}});
  if (a.maf) {
    json m{{"ity", 2}, {"crt", static_cast<int>(a.maf->credential)}, {"kru", a.maf->key_registration_uri},
           {"kri", a.maf->key_retrieval_uri}};
    if (!a.maf->client_registration_uri.empty()) m["cru"] = a.maf->client_registration_uri;
    if (a.maf->trust_anchors_pem) m["tas"] = *a.maf->trust_anchors_pem;
    if (a.maf->lifetime) m["lft"] = std::chrono::duration_cast<std::chrono::seconds>(*a.maf->lifetime).count();
    ins.push_back(std::move(m));
  }
  if (a.management_uri) ins.push_back({{"ity", 3}, {"uri", *a.management_uri}});
  o["ins"] = std::move(ins);
  return json{{"m2msec:enrRsp", std::move(o)}}.dump();
}

[[nodiscard]] inline result<enrolment_answer> parse_enrolment_answer(std::string_view body) {
  using namespace protocol_detail;
  auto o = object(body, "m2msec:enrRsp");
  if (!o) return fail(o.error());
  if (!only(*o, {"keid", "enr", "nbf", "exp", "tgts", "ins"})) return fail(errc::invalid_encoding);
  auto keid = text(*o, "keid"), enr = text(*o, "enr");
  if (!keid || !enr) return fail(errc::invalid_encoding);
  auto id = ke_id::parse(*keid);
  auto enrolee = parse_entity(*enr);
  auto life = span_of(*o);
  if (!id || !enrolee || !life) return fail(errc::invalid_encoding);
  enrolment_answer a{std::move(*id), std::move(*enrolee), {}, *life, {}, {}, {}};
  auto tg = o->find("tgts");
  if (tg == o->end() || !tg->is_array() || tg->size() > max_targets) return fail(errc::invalid_encoding);
  for (const auto& t : *tg) {
    if (!t.is_string()) return fail(errc::invalid_encoding);
    auto e = parse_entity(t.get<std::string>());
    if (!e) return fail(errc::invalid_encoding);
    a.targets.push_back(std::move(*e));
  }
  auto ins = o->find("ins");
  if (ins == o->end() || !ins->is_array() || ins->size() > 3) return fail(errc::invalid_encoding);
  for (const auto& i : *ins) {
    if (!i.is_object() || !i.contains("ity") || !i["ity"].is_number_integer()) return fail(errc::invalid_encoding);
    const auto type = i["ity"].get<std::int64_t>();
    if (type == 1 || type == 3) {
      auto uri = text(i, "uri");
      if (!uri || !only(i, {"ity", "uri"})) return fail(errc::invalid_encoding);
      (type == 1 ? a.certificate_uri : a.management_uri) = std::move(*uri);
    } else if (type == 2) {
      if (!only(i, {"ity", "crt", "kru", "kri", "cru", "tas", "lft"})) return fail(errc::invalid_encoding);
      auto crt = suid_of(i, "crt");
      auto kru = text(i, "kru"), kri = text(i, "kri");
      if (!crt || !kru || !kri) return fail(errc::invalid_encoding);
      maf_instruction m{*crt, std::move(*kru), std::move(*kri), {}, {}, {}};
      if (i.contains("cru")) {
        auto cru = text(i, "cru");
        if (!cru) return fail(errc::invalid_encoding);
        m.client_registration_uri = std::move(*cru);
      }
      if (i.contains("tas")) {
        auto tas = text(i, "tas");
        if (!tas) return fail(errc::invalid_encoding);
        m.trust_anchors_pem = std::move(*tas);
      }
      if (i.contains("lft")) {
        if (!i["lft"].is_number_unsigned() || i["lft"].get<std::uint64_t>() > (1ull << 32))
          return fail(errc::invalid_encoding);
        m.lifetime = std::chrono::seconds(i["lft"].get<std::uint64_t>());
      }
      a.maf = std::move(m);
    } else {
      return fail(errc::invalid_encoding);
    }
  }
  return a;
}

// ---- fetchCredentials ----------------------------------------------------------------

// TS-0003 §8.3.2.1: RETRIEVE /fetchCredentials/<KeID>/<SUID>, the SUID as two digits.
[[nodiscard]] inline std::string fetch_target(const ke_id& id, suid usage) {
  const int v = static_cast<int>(usage);
  return std::string(resource::fetch_credentials) + id.str() + "/" + char('0' + v / 10) + char('0' + v % 10);
}
// The KeID and SUID a `to` names; not_found for a `to` that is not a fetch,
// invalid_encoding for one whose KeID or SUID does not parse.
[[nodiscard]] inline result<std::pair<ke_id, suid>> parse_fetch_target(std::string_view to) {
  const std::string_view prefix = resource::fetch_credentials;
  if (to.size() < prefix.size() || to.compare(0, prefix.size(), prefix) != 0) return fail(errc::not_found);
  to.remove_prefix(prefix.size());
  const auto slash = to.rfind('/');
  if (slash == std::string_view::npos || to.size() - slash != 3) return fail(errc::invalid_encoding);
  const char a = to[slash + 1], b = to[slash + 2];
  if (a < '0' || a > '9' || b < '0' || b > '9') return fail(errc::invalid_encoding);
  auto usage = suid_from_int((a - '0') * 10 + (b - '0'));
  auto id = ke_id::parse(to.substr(0, slash));
  if (!usage || !id) return fail(errc::invalid_encoding);
  return std::pair{std::move(*id), *usage};
}

// {"m2msec:cred": {"st": true, "keid", "suid", "crd": base64url(key), "enr", "nbf", "exp"}},
// written into wiping memory.
[[nodiscard]] inline jose::wiping_string released_key_body(const released_key& k) {
  using protocol_detail::json;
  // The key is spliced in last, so that only wiping memory ever holds its text.
  const json o{{"st", true},
               {"keid", k.id.str()},
               {"suid", static_cast<int>(k.usage)},
               {"enr", to_string(k.enrolee)},
               {"nbf", esprim::to_timestamp(k.lifetime.not_before())},
               {"exp", esprim::to_timestamp(k.lifetime.not_after())}};
  const std::string head = json{{"m2msec:cred", o}}.dump();  // {"m2msec:cred":{...}}
  jose::wiping_string out;
  out.reserve(head.size() + 16 + base64url_encoded_size(k.key.size()));
  out.append(head, 0, head.size() - 2);
  out.append(",\"crd\":\"");
  const std::size_t at = out.size();
  out.resize(at + base64url_encoded_size(k.key.size()));
  jose::base64url_encode_to(k.key.expose(), out.data() + at);
  out.append("\"}}");
  return out;
}

[[nodiscard]] inline result<released_key> parse_released_key(std::string_view body) {
  using namespace protocol_detail;
  if (body.size() > max_body) return fail(errc::message_too_long);
  // The document holds the key's text: it is built in wiping memory.
  auto o = object<jose::secret_json>(body, "m2msec:cred");
  if (!o) return fail(o.error());
  if (!only(*o, {"st", "keid", "suid", "crd", "enr", "nbf", "exp"})) return fail(errc::invalid_encoding);
  auto st = o->find("st");
  if (st == o->end() || !st->is_boolean() || !st->get<bool>()) return fail(errc::invalid_encoding);
  auto keid = text(*o, "keid"), enr = text(*o, "enr");
  auto usage = suid_of(*o, "suid");
  auto crd = o->find("crd");
  if (!keid || !enr || !usage || crd == o->end() || !crd->is_string()) return fail(errc::invalid_encoding);
  auto id = ke_id::parse(*keid);
  auto enrolee = parse_entity(*enr);
  auto life = span_of(*o);
  if (!id || !enrolee || !life) return fail(errc::invalid_encoding);
  const auto& b64 = crd->get_ref<const jose::wiping_string&>();
  if (b64.size() != base64url_encoded_size(32)) return fail(errc::invalid_key_size);
  auto key = secret::allocate(32);
  if (!key) return fail(key.error());
  auto n = jose::fast_base64url_decode(std::string_view(b64.data(), b64.size()), key->expose());
  if (!n || *n != 32) return fail(errc::invalid_encoding);
  return released_key{std::move(*id), *usage, std::move(*key), std::move(*enrolee), *life};
}

// The body of every refusal: a short debug text (m2m:dbg) that names the code, never the cause.
[[nodiscard]] inline std::string_view refusal_text(rsc code) noexcept {
  switch (code) {
    case rsc::bad_request: return "{\"m2m:dbg\":\"bad request\"}";
    case rsc::originator_has_no_privilege: return "{\"m2m:dbg\":\"no privilege\"}";
    case rsc::originator_not_authenticated: return "{\"m2m:dbg\":\"originator not authenticated\"}";
    case rsc::security_association_required: return "{\"m2m:dbg\":\"security association required\"}";
    case rsc::not_found: return "{\"m2m:dbg\":\"not found\"}";
    case rsc::operation_not_allowed: return "{\"m2m:dbg\":\"operation not allowed\"}";
    case rsc::unsupported_media_type: return "{\"m2m:dbg\":\"unsupported media type\"}";
    default: return "{\"m2m:dbg\":\"internal server error\"}";
  }
}

}  // namespace m2msec::mef
