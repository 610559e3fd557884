// m2msec: MEF Client Registration on the wire (TS-0003 §8.3.5.2): the bodies of
// Client Registration, Configuration Retrieval, Registration Update and
// De-Registration, named as docs/decisions.md ("The Mmef resources") says.
#pragma once

#include "m2msec/enrolment/mef_protocol.hpp"

namespace m2msec::mef {

// What a client asks in a registration or its update: FQDN, expirationTime,
// labels, adminFQDN; an update carries expirationTime and labels only.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct registration_request {
  std::optional<fqdn> client_fqdn;
  std::optional<time_point> expiration;
  std::optional<std::vector<std::string>> labels;
  std::optional<fqdn> admin;
};

// {"m2msec:crgReq": {"fqdn", "exp", "lbl": [...], "adm"}}
[[nodiscard]] inline jose::wiping_string registration_request_body(const registration_request& q) {
  protocol_detail::json o = protocol_detail::json::object();
  if (q.client_fqdn) o["fqdn"] = q.client_fqdn->str();
  if (q.expiration) o["exp"] = esprim::to_timestamp(*q.expiration);
  if (q.labels) o["lbl"] = *q.labels;
  if (q.admin) o["adm"] = q.admin->str();
  const auto text = protocol_detail::json{{"m2msec:crgReq", std::move(o)}}.dump();
  return {text.begin(), text.end()};
}

namespace protocol_detail {
// Labels: at most 16, each 1 to 128 bytes of printable ASCII.
template <class Json>
inline result<std::vector<std::string>> labels_of(const Json& o) {
  auto it = o.find("lbl");
  if (it == o.end() || !it->is_array() || it->size() > max_labels) return fail(errc::invalid_encoding);
  std::vector<std::string> out;
  for (const auto& l : *it) {
    if (!l.is_string()) return fail(errc::invalid_encoding);
    auto s = l.template get<std::string>();
    if (s.empty() || s.size() > max_label ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7E; }))
      return fail(errc::invalid_encoding);
    out.push_back(std::move(s));
  }
  return out;
}
template <class Json>
inline result<fqdn> fqdn_of(const Json& o, std::string_view name) {
  auto t = text(o, name);
  if (!t) return fail(errc::invalid_encoding);
  auto f = fqdn::parse(*t);
  if (!f) return fail(errc::invalid_encoding);
  return f;
}
}  // namespace protocol_detail

[[nodiscard]] inline result<registration_request> parse_registration_request(std::string_view body) {
  using namespace protocol_detail;
  auto o = object(body, "m2msec:crgReq");
  if (!o) return fail(o.error());
  if (!only(*o, {"fqdn", "exp", "lbl", "adm"})) return fail(errc::invalid_encoding);
  registration_request q;
  if (o->contains("fqdn")) {
    auto f = fqdn_of(*o, "fqdn");
    if (!f) return fail(f.error());
    q.client_fqdn = std::move(*f);
  }
  if (o->contains("adm")) {
    auto f = fqdn_of(*o, "adm");
    if (!f) return fail(f.error());
    q.admin = std::move(*f);
  }
  if (o->contains("exp")) {
    auto t = text(*o, "exp");
    auto e = t ? esprim::parse_timestamp(*t) : result<time_point>(fail(errc::invalid_encoding));
    if (!e) return fail(errc::invalid_encoding);
    q.expiration = *e;
  }
  if (o->contains("lbl")) {
    auto l = labels_of(*o);
    if (!l) return fail(l.error());
    q.labels = std::move(*l);
  }
  return q;
}

// {"m2msec:crg": {"crid", "cid", "fqdn", "exp", "lbl", "adm"}}: the registration
// (clientRegID, client ID, ...), also what Configuration Retrieval answers (clientCfg).
// A MAF adds assignedSymmKeyID ("asid"): the KmID the client uses with it.
[[nodiscard]] inline std::string registration_body(const client_registration& c,
                                                   const std::optional<std::string>& assigned_key = std::nullopt) {
  protocol_detail::json o{{"crid", c.id},
                          {"cid", to_string(c.client)},
                          {"fqdn", c.client_fqdn.str()},
                          {"exp", esprim::to_timestamp(c.expiration)},
                          {"lbl", c.labels}};
  if (c.admin) o["adm"] = c.admin->str();
  if (assigned_key) o["asid"] = *assigned_key;
  return protocol_detail::json{{"m2msec:crg", std::move(o)}}.dump();
}
[[nodiscard]] inline result<client_registration> parse_registration(std::string_view body) {
  using namespace protocol_detail;
  auto o = object(body, "m2msec:crg");
  if (!o) return fail(o.error());
  if (!only(*o, {"crid", "cid", "fqdn", "exp", "lbl", "adm", "asid"})) return fail(errc::invalid_encoding);
  auto id = text(*o, "crid"), cid = text(*o, "cid"), exp = text(*o, "exp");
  auto name = fqdn_of(*o, "fqdn");
  if (!id || !cid || !exp || !name || !o->contains("lbl")) return fail(errc::invalid_encoding);
  auto who = parse_entity(*cid);
  auto t = esprim::parse_timestamp(*exp);
  auto labels = labels_of(*o);
  if (!who || !t || !labels || id->size() != 32) return fail(errc::invalid_encoding);
  client_registration c{std::move(*id), std::move(*who), std::move(*name), std::nullopt, std::move(*labels), *t};
  if (o->contains("adm")) {
    auto a = fqdn_of(*o, "adm");
    if (!a) return fail(a.error());
    c.admin = std::move(*a);
  }
  return c;
}

// The registration an answer (2001 or 2000) carries.
[[nodiscard]] inline result<client_registration> read_registration(const response& r) {
  if (r.code != rsc::created && r.code != rsc::ok) return fail(errc::not_authorized);
  return parse_registration({r.body.data(), r.body.size()});
}

}  // namespace m2msec::mef
