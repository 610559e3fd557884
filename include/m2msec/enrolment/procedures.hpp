// m2msec: what the MEF and the MAF do alike (TS-0003 §8.3.5.2, §8.8.2): admit a
// request on an authenticated connection, refuse one, and serve Client
// Registration, Configuration Retrieval, Registration Update and De-Registration.
// A Connection has `who` (whom the function serves it as), `sa` and `seen`
// (the rqi values it answered); a Store has put_client/find_client/erase_client.
#pragma once

#include <array>
#include <cctype>
#include <optional>
#include <set>
#include <string>

#include "m2msec/backend/random.hpp"
#include "m2msec/enrolment/mef_registration.hpp"
#include "m2msec/sa/security_association.hpp"

namespace m2msec::mef {

// A refusal: the code and its fixed text; `why` is for the server's log only.
[[nodiscard]] inline response refusal(const request& r, errc why, rsc code) {
  const auto text = refusal_text(code);
  return response{code, r.rqi, jose::wiping_string(text.begin(), text.end()), why};
}

// TS-0003 §8.3.2.1: From is the requester's own CSE-ID or AE-ID (an AE may name
// itself by its AE-ID-Stem), the one its association is bound to.
[[nodiscard]] inline bool from_is_peer(const bound_identity& peer, std::string_view from) {
  if (const auto* c = std::get_if<cse_id>(&peer)) {
    auto f = cse_id::parse(from);
    return f && *f == *c;
  }
  if (const auto* a = std::get_if<ae_id>(&peer)) {
    if (auto stem = ae_id_stem::parse(from)) return a->stem() == *stem;
    auto f = ae_id::parse(from);
    return f && *f == *a;
  }
  return false;
}

// From is the requester the function serves the connection as: its CSE-ID or
// AE-ID (or AE-ID-Stem), or a MAF's FQDN (its MAF-ID).
[[nodiscard]] inline bool from_is(const std::optional<entity_id>& who, std::string_view from) {
  if (!who) return false;
  if (const auto* c = std::get_if<cse_id>(&*who)) return from_is_peer(*c, from);
  if (const auto* a = std::get_if<ae_id>(&*who)) return from_is_peer(*a, from);
  if (const auto* f = std::get_if<fqdn>(&*who)) {
    auto named = fqdn::parse(from);
    return named && *named == *f;
  }
  return false;
}

// Whether a request may be served on `c` at `now`: a usable association, From
// whom it serves the connection as, an rqi not seen on this connection, at most
// `max_requests` per connection. A refusal when not; the rqi is remembered when it may.
template <class Connection>
[[nodiscard]] std::optional<response> admit(Connection& c, const request& r, time_point now, std::size_t max_requests) {
  if (r.rqi.empty() || r.rqi.size() > max_rqi) return refusal(r, errc::invalid_argument, rsc::bad_request);
  if (c.sa == nullptr || !c.sa->usable_at(now)) return refusal(r, errc::sa_expired, rsc::originator_not_authenticated);
  if (!from_is(c.who, r.from)) return refusal(r, errc::originator_not_authenticated, rsc::originator_not_authenticated);
  if (c.seen.contains(r.rqi)) return refusal(r, errc::replayed, rsc::bad_request);
  if (c.seen.size() >= max_requests) return refusal(r, errc::limit_reached, rsc::bad_request);
  c.seen.insert(r.rqi);
  return std::nullopt;
}

// A store's failure as a refusal: its own fault is 5000; unknown and expired
// look like no privilege (4103).
[[nodiscard]] inline response store_refusal(const request& r, errc e) {
  if (e == errc::corrupted || e == errc::io_error) return refusal(r, e, rsc::internal_server_error);
  return refusal(r, e, rsc::originator_has_no_privilege);
}

// Stores a registration expiring at `asked`, capped strictly below the client's
// bootstrap credential, in whole seconds; answers it with `code`.
template <class Store, class Connection>
[[nodiscard]] response keep_registration(Store& store, const Connection& c, const request& r, client_registration reg,
                                       time_point asked, time_point now, rsc code,
                                       std::optional<std::string> assigned_key) {
  auto life = validity::make(now, asked).and_then([&](validity v) {
    return v.cap_strictly_below(c.sa->credential_lifetime());
  });
  if (life) life = whole_seconds(*life);
  if (!life || life->not_after() <= now) return refusal(r, errc::invalid_validity, rsc::bad_request);
  reg.expiration = life->not_after();
  const auto body = registration_body(reg, assigned_key);
  if (auto put = store.put_client(std::move(reg)); !put) return refusal(r, put.error(), rsc::internal_server_error);
  return response{code, r.rqi, jose::wiping_string(body.begin(), body.end()), std::nullopt};
}

// TS-0003 §8.3.5.2, §8.8.2.3: Client Registration: the client (as its channel
// authenticated it) gets a clientRegID; its expirationTime ends strictly
// before its bootstrap credential. Registering again replaces the registration.
template <class Store, class Connection>
[[nodiscard]] response register_client(Store& store, const Connection& c, const request& r, time_point now,
                                     std::optional<std::string> assigned_key = std::nullopt) {
  auto q = parse_registration_request(r.body);
  if (!q) return refusal(r, q.error(), rsc::bad_request);
  if (!q->client_fqdn || !q->expiration) return refusal(r, errc::invalid_argument, rsc::bad_request);
  const auto& who = c.who;
  if (!who) return refusal(r, errc::not_authorized, rsc::originator_has_no_privilege);
  std::array<byte, 16> raw{};
  if (auto n = crypto::rng<>::fill(raw); !n) return refusal(r, n.error(), rsc::internal_server_error);
  std::string id = hex_encode(raw);
  for (char& ch : id) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  client_registration reg{std::move(id), *who, std::move(*q->client_fqdn), std::move(q->admin),
                          q->labels.value_or(std::vector<std::string>{}), {}};
  return keep_registration(store, c, r, std::move(reg), *q->expiration, now, rsc::created, std::move(assigned_key));
}

// Configuration Retrieval (RETRIEVE), Registration Update (UPDATE: expirationTime,
// labels), De-Registration (DELETE), each by the client that registered: to any
// other, as for an unknown or expired clientRegID, 4103.
template <class Store, class Connection>
[[nodiscard]] response client_registration_op(Store& store, const Connection& c, const request& r, std::string_view id,
                                            time_point now, std::optional<std::string> assigned_key = std::nullopt) {
  if (id.size() != 32) return refusal(r, errc::invalid_encoding, rsc::bad_request);
  auto found = store.find_client(id, now);
  if (!found) return store_refusal(r, found.error());
  const auto& who = c.who;
  if (!who || who->index() != found->client.index() || to_string(*who) != to_string(found->client))
    return refusal(r, errc::not_authorized, rsc::originator_has_no_privilege);
  switch (r.op) {
    case operation::retrieve: {
      if (!r.body.empty()) return refusal(r, errc::invalid_argument, rsc::bad_request);
      const auto body = registration_body(*found, assigned_key);
      return response{rsc::ok, r.rqi, jose::wiping_string(body.begin(), body.end()), std::nullopt};
    }
    case operation::update: {
      auto q = parse_registration_request(r.body);
      if (!q) return refusal(r, q.error(), rsc::bad_request);
      if (q->client_fqdn || q->admin) return refusal(r, errc::invalid_argument, rsc::bad_request);
      if (q->labels) found->labels = std::move(*q->labels);
      const time_point exp = q->expiration.value_or(found->expiration);
      return keep_registration(store, c, r, std::move(*found), exp, now, rsc::ok, std::move(assigned_key));
    }
    case operation::del: {
      if (auto e = store.erase_client(id); !e) return refusal(r, e.error(), rsc::internal_server_error);
      return response{rsc::deleted, r.rqi, {}, std::nullopt};
    }
    default: return refusal(r, errc::unsupported, rsc::operation_not_allowed);
  }
}

}  // namespace m2msec::mef
