// m2msec: the M2M Authentication Function and its clients, with no I/O (TS-0003
// §8.8, §8.2.2.3). The MAF serves Client Registration and the key procedures on
// connections its (D)TLS channel authenticated (the MAF Handshake: Km/KmID or a
// certificate); a Source End-Point registers a key for its Targets, each Target
// retrieves it. enrolment/http_binding.hpp carries the primitives over HTTP.
#pragma once

#include <map>
#include <set>

#include "m2msec/backend/random.hpp"
#include "m2msec/channel/profiles.hpp"
#include "m2msec/credential/symmetric.hpp"
#include "m2msec/e2e/esprim/session.hpp"
#include "m2msec/enrolment/maf_protocol.hpp"
#include "m2msec/enrolment/procedures.hpp"

namespace m2msec::maf {

// One connection the MAF's channel authenticated: whom its association is bound
// to, the KmID it used (assignedSymmKeyID), and Kc/KcID from its handshake.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct connection {
  bound_identity peer;
  std::optional<entity_id> who;        // the CSE or AE the association is bound to
  security_association* sa = nullptr;  // the channel's; the channel outlives the connection
  std::string key_id;                  // the PSK identity; empty for a certificate
  std::optional<tls::exported_key<kc_id>> kc;
  bool kc_registered = false;          // Kc of this handshake was registered
  std::set<std::string> seen;          // rqi values answered on this connection
};

// The MAF. Holds its clients' Km in memory, registrations and keys in `Store`.
// Not copyable, not movable (its resolver refers to it); not thread-safe.
// Thread safety: one thread at a time per object; distinct objects are independent.
template <maf_store Store, clock Clock = system_clock>
class server {
 public:
  using connection_type = connection;
  using store_type = Store;
  struct config {
    fqdn domain;                                            // MAF-FQDN, the domain of every KcID
    sp_id sp;                                               // targets are compared in absolute form under it
    duration max_key_lifetime = std::chrono::hours(24 * 7);  // no registered key lives longer
    std::size_t max_requests = 64;                          // per connection
  };

  server(config c, Store& store, const Clock& clk) : config_(std::move(c)), store_(&store), clock_(&clk) {}
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // TS-0003 §8.8.2.2: a client's Km (pre-provisioned, SUID 11; or provisioned by
  // the MEF, SUID 21) and the identity it authenticates; its KmID is the psk_identity.
  [[nodiscard]] result<void> add_km(symmetric_credential km, bound_identity who) {
    if (km.usage() != suid::preprovisioned_maf && km.usage() != suid::rspf_maf) return fail(errc::wrong_usage);
    if (!vouches_for(km.holder(), km.id(), who)) return fail(errc::name_mismatch);
    const std::string id(km.id().value());
    km_.insert_or_assign(id, km_entry{std::move(km), std::move(who)});
    return {};
  }
  void remove_km(std::string_view km_id) { km_.erase(std::string(km_id)); }

  // The channel's lookup of KmIDs. A MAF whose clients are provisioned by an MEF
  // routes identities naming that MEF to it (tls::psk_router, SUID 21).
  [[nodiscard]] tls::psk_resolver resolver() const {
    return [this](std::string_view identity, std::string_view) -> result<tls::psk_entry> {
      auto it = km_.find(std::string(identity));
      if (it == km_.end()) return fail(errc::not_found);
      return tls::psk_entry{&it->second.km, it->second.who};
    };
  }

  // TS-0003 §8.8.2.2, §10.3.5: after the MAF Handshake, Kc and KcID from the
  // exporter. A channel that is not active, or not a MAF handshake, gives none.
  template <class Channel>
  [[nodiscard]] result<connection> accept(Channel& ch) const {
    auto* sa = ch.association();
    if (!ch.active() || sa == nullptr) return fail(errc::security_association_required);
    auto kc = tls::connection_key(ch, config_.domain);
    if (!kc) return fail(kc.error());
    return connection{sa->who().peer, mef::entity_of(sa->who().peer), sa, ch.peer_identity(), std::move(*kc), false, {}};
  }

  // One request on one connection. Every refusal has its errc (for the log) and
  // its RSC; an unknown RelativeKeyID, a retriever not among the targets and a key
  // past its expirationTime all answer 4103 with the same body.
  [[nodiscard]] response handle(connection& c, const request& r) {
    const time_point now = clock_->now();
    if (auto no = mef::admit(c, r, now, config_.max_requests)) return std::move(*no);
    const auto assigned = c.key_id.empty() ? std::nullopt : std::optional<std::string>(c.key_id);
    if (r.to == resource::client_registration) {
      if (r.op != operation::create) return mef::refusal(r, errc::unsupported, rsc::operation_not_allowed);
      return mef::register_client(*store_, c, r, now, assigned);
    }
    if (r.to.starts_with(std::string(resource::client_registration) + "/"))
      return mef::client_registration_op(*store_, c, r, std::string_view(r.to).substr(resource::client_registration.size() + 1),
                                         now, assigned);
    if (r.to == resource::key_registration) {
      if (r.op != operation::create) return mef::refusal(r, errc::unsupported, rsc::operation_not_allowed);
      return register_key(c, r, now);
    }
    if (!r.to.starts_with(std::string(resource::key_registration) + "/"))
      return mef::refusal(r, errc::not_found, rsc::not_found);
    const std::string_view id = std::string_view(r.to).substr(resource::key_registration.size() + 1);
    if (!relative_id_ok(id)) return mef::refusal(r, errc::invalid_encoding, rsc::bad_request);
    switch (r.op) {
      case operation::retrieve: return retrieve_key(c, r, id, now);
      case operation::update: return update_key(c, r, id, now);
      case operation::del: return deregister_key(c, r, id, now);
      default: return mef::refusal(r, errc::unsupported, rsc::operation_not_allowed);
    }
  }

  [[nodiscard]] const config& settings() const noexcept { return config_; }
  [[nodiscard]] Store& store() noexcept { return *store_; }

 private:
  struct km_entry {
    symmetric_credential km;
    bound_identity who;
  };

  static bool relative_id_ok(std::string_view id) {
    return id.size() == relative_id_size &&
           std::all_of(id.begin(), id.end(), [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F'); });
  }
  // The same CSE or AE, compared in absolute form under the MAF's SP-ID.
  bool same(const entity_id& a, const entity_id& b) const {
    auto absolute = [&](const entity_id& e) -> std::string {
      if (const auto* c = std::get_if<cse_id>(&e)) return "cse:" + c->absolute(config_.sp).str();
      if (const auto* x = std::get_if<ae_id>(&e)) return "ae:" + x->absolute(config_.sp).str();
      return entity_text(e);
    };
    return absolute(a) == absolute(b);
  }
  // The source's own key: found, and registered by `who`; otherwise as unknown.
  result<key_registration> own_key(const entity_id& who, std::string_view id, time_point now) const {
    auto k = store_->find_key(id, now);
    if (!k) return fail(k.error());
    if (!same(k->source, who)) return fail(errc::not_authorized);
    return k;
  }
  // expirationTime as asked, at most max_key_lifetime away, strictly before the
  // client's MAF credential ends and no later than its registration: whole seconds.
  result<validity> key_lifetime(const connection& c, const client_registration& reg, time_point asked,
                                time_point now) const {
    const auto end = std::min({asked, saturating_add(now, config_.max_key_lifetime), reg.expiration});
    auto life = validity::make(now, end).and_then([&](validity v) { return v.cap_strictly_below(c.sa->credential_lifetime()); });
    if (life) life = mef::whole_seconds(*life);
    if (!life || life->not_after() <= now) return fail(errc::invalid_validity);
    return life;
  }

  // TS-0003 §8.8.2.7, MAF Key Registration, by a registered client: the key is Kc
  // of this connection's handshake (RelativeKeyID = hexBinary(KcID), A8) or the
  // Key Value it sends (a new random RelativeKeyID).
  response register_key(connection& c, const request& r, time_point now) {
    auto q = parse_key_request(r.body);
    if (!q) return mef::refusal(r, q.error(), rsc::bad_request);
    auto& a = q->asked;
    if (!a.usage || !maf_usage(*a.usage) || !a.targets || !a.expiration)
      return mef::refusal(r, errc::invalid_argument, rsc::bad_request);
    if (!targets_fit(*a.usage, *a.targets)) return mef::refusal(r, errc::invalid_argument, rsc::bad_request);
    const auto& who = c.who;
    if (!who) return mef::refusal(r, errc::not_authorized, rsc::originator_has_no_privilege);
    auto reg = store_->find_client_of(*who, now);
    if (!reg) return mef::store_refusal(r, reg.error());  // an unregistered client: 4103
    auto life = key_lifetime(c, *reg, *a.expiration, now);
    if (!life) return mef::refusal(r, life.error(), rsc::bad_request);
    std::string id;
    result<secret> key = fail(errc::invalid_argument);
    if (q->key) {
      std::array<byte, 16> raw{};
      if (auto n = crypto::rng<>::fill(raw); !n) return mef::refusal(r, n.error(), rsc::internal_server_error);
      id = kc_id::from_bytes(raw, config_.domain).relative();
      key = std::move(*q->key);
    } else {
      if (!c.kc || c.kc_registered) return mef::refusal(r, errc::replayed, rsc::bad_request);
      id = c.kc->id.relative();
      key = c.kc->key.clone();
    }
    if (!key) return mef::refusal(r, key.error(), rsc::internal_server_error);
    key_registration k{std::move(id), std::move(*key), *who, *a.usage, std::move(*a.targets), *life,
                       a.labels.value_or(std::vector<std::string>{}), std::move(a.admin)};
    auto body = key_answer_body(k, false);
    if (auto put = store_->put_key(std::move(k)); !put) return mef::refusal(r, put.error(), rsc::internal_server_error);
    if (!q->key) c.kc_registered = true;
    return response{rsc::created, r.rqi, std::move(body), std::nullopt};
  }

  // TS-0003 §8.8.2.8, MAF Key Retrieval: a target of the key gets it, with its
  // expirationTime, SUID and source client ID.
  response retrieve_key(connection& c, const request& r, std::string_view id, time_point now) {
    if (!r.body.empty()) return mef::refusal(r, errc::invalid_argument, rsc::bad_request);
    const auto& who = c.who;
    if (!who) return mef::refusal(r, errc::not_authorized, rsc::originator_has_no_privilege);
    auto k = store_->find_key(id, now);
    if (!k) return mef::store_refusal(r, k.error());
    const bool named = std::any_of(k->targets.begin(), k->targets.end(), [&](const entity_id& t) { return same(t, *who); });
    if (!named) return mef::refusal(r, errc::not_authorized, rsc::originator_has_no_privilege);
    return response{rsc::ok, r.rqi, key_answer_body(*k, true), std::nullopt};
  }

  // TS-0003 §8.8.2.9, Key Registration Update, by its source: expirationTime,
  // labels, targetIDs (under the same rule as at registration).
  response update_key(connection& c, const request& r, std::string_view id, time_point now) {
    auto q = parse_key_request(r.body);
    if (!q) return mef::refusal(r, q.error(), rsc::bad_request);
    auto& a = q->asked;
    if (a.usage || a.admin || q->key) return mef::refusal(r, errc::invalid_argument, rsc::bad_request);
    const auto& who = c.who;
    if (!who) return mef::refusal(r, errc::not_authorized, rsc::originator_has_no_privilege);
    auto k = own_key(*who, id, now);
    if (!k) return mef::store_refusal(r, k.error());
    auto reg = store_->find_client_of(*who, now);
    if (!reg) return mef::store_refusal(r, reg.error());
    if (a.targets) {
      if (!targets_fit(k->usage, *a.targets)) return mef::refusal(r, errc::invalid_argument, rsc::bad_request);
      k->targets = std::move(*a.targets);
    }
    if (a.labels) k->labels = std::move(*a.labels);
    if (a.expiration) {
      auto life = key_lifetime(c, *reg, *a.expiration, now);
      if (!life) return mef::refusal(r, life.error(), rsc::bad_request);
      k->lifetime = *life;
    }
    auto body = key_answer_body(*k, false);
    if (auto put = store_->put_key(std::move(*k)); !put) return mef::refusal(r, put.error(), rsc::internal_server_error);
    return response{rsc::ok, r.rqi, std::move(body), std::nullopt};
  }

  // TS-0003 §8.8.2.10, Key De-Registration, by its source: no target gets it again.
  response deregister_key(connection& c, const request& r, std::string_view id, time_point now) {
    if (!r.body.empty()) return mef::refusal(r, errc::invalid_argument, rsc::bad_request);
    const auto& who = c.who;
    if (!who) return mef::refusal(r, errc::not_authorized, rsc::originator_has_no_privilege);
    auto k = own_key(*who, id, now);
    if (!k) return mef::store_refusal(r, k.error());
    if (auto e = store_->erase_key(id); !e) return mef::refusal(r, e.error(), rsc::internal_server_error);
    return response{rsc::deleted, r.rqi, {}, std::nullopt};
  }

  config config_;
  Store* store_;
  const Clock* clock_;
  std::map<std::string, km_entry> km_;
};

// ---- the clients ---------------------------------------------------------------------

// MAF Client Registration, the client's side: the MEF's body, to the MAF's resource.
[[nodiscard]] inline request registration_request(const entity_id& self, std::string rqi, const fqdn& own,
                                                  time_point expiration, std::vector<std::string> labels = {}) {
  return request{operation::create, std::string(resource::client_registration), to_string(self), std::move(rqi),
                 mef::registration_request_body({own, expiration, std::move(labels), std::nullopt})};
}

// A key the Source End-Point registered: its identifier (RelativeKeyID@MAF-FQDN,
// the psk_identity or pairwiseESPrimKeyID it presents), the key and what the MAF
// recorded.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct registered_key {
  kc_id id;
  secret key;
  key_answer answer;

  // The key as the source's credential for `usage`'s protocol, held by `self`,
  // living strictly inside the key's expirationTime.
  [[nodiscard]] result<symmetric_credential> credential(const entity_id& self) const {
    auto life = answer.lifetime.cap_strictly_below(answer.lifetime);
    if (!life) return fail(errc::expired);
    auto k = one_key(key);  // A10: the protocol names the key itself
    auto cid = credential_id::make(credential_id_type::kpsa_or_kc_id, id.str());
    if (!k || !cid) return fail(!k ? k.error() : cid.error());
    return symmetric_credential::make(std::move(*k), std::move(*cid), answer.usage, self, *life);
  }
};

// TS-0003 §8.8.2.7: register Kc of this connection (`kc`, from tls::connection_key)
// for `targets`, or a Key Value of the source's own choosing.
[[nodiscard]] inline request key_registration_request(const entity_id& self, std::string rqi, suid usage,
                                                      std::vector<entity_id> targets, time_point expiration,
                                                      const secret* value = nullptr,
                                                      std::vector<std::string> labels = {}) {
  key_request q{usage, std::move(targets), expiration, std::move(labels), std::nullopt, value};
  auto body = key_request_body(q);
  return request{operation::create, std::string(resource::key_registration), to_string(self), std::move(rqi),
                 std::move(body)};
}
// The answer names Kc's RelativeKeyID when Kc was registered (`own`), and the source itself.
[[nodiscard]] inline result<registered_key> read_key_registration(const response& r, const entity_id& self,
                                                                  const fqdn& maf, secret key,
                                                                  const std::optional<kc_id>& own = std::nullopt) {
  if (r.code != rsc::created)
    return fail(r.code == rsc::internal_server_error ? errc::backend_failure : errc::not_authorized, "the MAF answered",
                to_string(r.code));
  auto a = parse_key_answer({r.body.data(), r.body.size()});
  if (!a) return fail(a.error());
  auto id = kc_id::parse(a->relative_id + "@" + maf.str());
  if (!id || a->key || to_string(a->source) != to_string(self))
    return fail(errc::auth_failed, "the MAF's answer", "names another source, or carries a key");
  if (own && !(*id == *own)) return fail(errc::auth_failed, "the MAF's answer", "names another key than this handshake's Kc");
  return registered_key{std::move(*id), std::move(key), std::move(*a)};
}

// TS-0003 §8.8.2.8: retrieve the key `id` names.
[[nodiscard]] inline request key_retrieval_request(const entity_id& self, std::string rqi, const kc_id& id) {
  return request{operation::retrieve, std::string(resource::key_registration) + "/" + id.relative(), to_string(self),
                 std::move(rqi), {}};
}
// TS-0003 §8.8.2.9/10: update or de-register it (its source only).
[[nodiscard]] inline request key_update_request(const entity_id& self, std::string rqi, const kc_id& id,
                                                std::optional<time_point> expiration,
                                                std::optional<std::vector<entity_id>> targets = std::nullopt) {
  key_request q{std::nullopt, std::move(targets), expiration, std::nullopt, std::nullopt, nullptr};
  auto body = key_request_body(q);
  return request{operation::update, std::string(resource::key_registration) + "/" + id.relative(), to_string(self),
                 std::move(rqi), std::move(body)};
}
[[nodiscard]] inline request key_deregistration_request(const entity_id& self, std::string rqi, const kc_id& id) {
  return request{operation::del, std::string(resource::key_registration) + "/" + id.relative(), to_string(self),
                 std::move(rqi), {}};
}

// The retrieved key as the Target's credential: named by `id`, for the SUID the
// MAF gave, held by the source client the MAF named (TS-0003 §8.2.2.3: the Target
// binds to it), for the key's lifetime.
[[nodiscard]] inline result<symmetric_credential> read_retrieved(const response& r, const kc_id& id) {
  if (r.code != rsc::ok)
    return fail(r.code == rsc::internal_server_error ? errc::backend_failure : errc::not_found, "the MAF answered",
                to_string(r.code));
  auto a = parse_key_answer({r.body.data(), r.body.size()});
  if (!a) return fail(a.error());
  if (a->relative_id != id.relative() || !a->key)
    return fail(errc::auth_failed, "the MAF's answer", "another key than asked, or none");
  auto cid = credential_id::make(credential_id_type::kpsa_or_kc_id, id.str());
  auto k = one_key(*a->key);  // A10: the protocol names the key itself
  if (!cid || !k) return fail(!cid ? cid.error() : k.error());
  return symmetric_credential::make(std::move(*k), std::move(*cid), a->usage, std::move(a->source), a->lifetime);
}

// TS-0003 §8.4.2 C.6a.4 (A7): the pairwiseESPrimKey from a MAF key for ESPrim
// (SUID 33), as the source (`key.credential`) or the Target (`read_retrieved`)
// holds it: derived from Kc, named pairwiseESPrimKeyID = the key identifier,
// living as Kc does; `originator` is the From it authenticates.
[[nodiscard]] inline result<esprim::pairwise_key> esprim_key(const symmetric_credential& kc, const kc_id& id,
                                                             entity_id holder, std::string originator) {
  if (kc.usage() != suid::maf_esprim) return fail(errc::wrong_usage);
  auto key = derive_maf_pairwise_esprim_key(kc.key(), id);
  auto cid = credential_id::make(credential_id_type::pairwise_esprim_key_id, id.str());
  if (!key || !cid) return fail(!key ? key.error() : cid.error());
  auto cred = symmetric_credential::make(std::move(*key), std::move(*cid), suid::maf_esprim, std::move(holder), kc.lifetime());
  if (!cred) return fail(cred.error());
  return esprim::pairwise_key{std::move(*cred), std::move(originator)};
}

}  // namespace m2msec::maf
