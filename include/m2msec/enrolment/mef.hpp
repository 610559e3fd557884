// m2msec: the M2M Enrolment Function and its two clients, with no I/O (TS-0003
// §8.3.2.1, §8.3.4.3). The MEF server reads request primitives from a connection
// its (D)TLS channel authenticated and answers each; the Enrolee and the Enrolment
// Target build their requests and read the answers. enrolment/http_binding.hpp
// carries the primitives over HTTP; tools/m2msec-mef runs the server on sockets.
#pragma once

#include <array>
#include <cctype>
#include <map>
#include <set>

#include "m2msec/backend/random.hpp"
#include "m2msec/channel/profiles.hpp"
#include "m2msec/credential/symmetric.hpp"
#include "m2msec/enrolment/mef_protocol.hpp"
#include "m2msec/enrolment/procedures.hpp"
#include "m2msec/enrolment/mef_store.hpp"
#include "m2msec/enrolment/records.hpp"
#include "m2msec/sa/registry.hpp"

namespace m2msec::mef {

// TS-0003 §8.3.1.2, Bootstrap Instruction Configuration: what the MEF knows of
// one Enrolee before it enrols: its Enrolment Targets, the Enrolment Expiry, and
// the instructions it hands out when asked.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct enrolee_profile {
  std::vector<entity_id> targets;
  time_point expiry;  // Enrolment Expiry: no key from this enrolment outlives it
  std::optional<std::string> certificate_uri;
  std::optional<maf_instruction> maf;
  std::optional<std::string> management_uri;
  // TS-0001 §11.1, §11.2.1: the M2M Node that hosts the Enrolee. When set, the
  // MEF enrols it only while the Node is enrolled in an M2M Service Subscription
  // of the registry it was given (server::authorize_against).
  std::optional<node_id> node = std::nullopt;
};

// One connection the MEF's channel authenticated: whom its association is bound
// to, and Ke/KeID from its handshake's exporter.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct connection {
  bound_identity peer;
  std::optional<entity_id> who;  // whom the MEF serves it as: the CSE or AE bound, or a MAF by its FQDN
  security_association* sa = nullptr;  // the channel's; the channel outlives the connection
  std::optional<tls::exported_key<ke_id>> ke;
  bool enrolled = false;
  std::set<std::string> seen;  // rqi values answered on this connection
};

// TS-0003 §10.3.7: the usage-constrained key for `target`, written as the MEF
// authorized it (decisions: "The Mmef resources").
[[nodiscard]] inline result<secret> usage_key(const secret& ke, suid usage, const entity_id& target) {
  auto out = secret::allocate(derived_key_size);
  if (!out) return fail(out.error());
  if (auto r = derive_usage_constrained(ke.expose(), usage, to_string(target), out->expose()); !r) return fail(r.error());
  return std::move(*out);
}

// The MEF. Holds its bootstrap credentials (Kpm) and profiles in memory, its
// enrolments in `Store`. Not copyable, not movable (its resolver refers to it);
// not thread-safe: one thread serves all connections.
// Thread safety: one thread at a time per object; distinct objects are independent.
template <mef_store Store, clock Clock = system_clock>
class server {
 public:
  using connection_type = connection;
  using store_type = Store;
  struct config {
    fqdn domain;                                              // MEF-FQDN, the domain of every KeID
    duration ke_lifetime = std::chrono::hours(24 * 30);       // Ke's lifetime, before the caps
    std::size_t max_requests = 64;                            // per connection
  };

  server(config c, Store& store, const Clock& clk) : config_(std::move(c)), store_(&store), clock_(&clk) {}
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // PSK RSPF (TS-0003 §8.3.2.1): a Kpm (pre-provisioned, SUID 10) and the identity
  // it authenticates; its KpmID is the psk_identity. The Kpm must vouch for it.
  [[nodiscard]] result<void> add_kpm(symmetric_credential kpm, bound_identity who) {
    if (kpm.usage() != suid::preprovisioned_mef) return fail(errc::wrong_usage);
    if (!vouches_for(kpm.holder(), kpm.id(), who)) return fail(errc::name_mismatch);
    const std::string kpm_id(kpm.id().value());
    kpm_.insert_or_assign(kpm_id, kpm_entry{std::move(kpm), std::move(who)});
    return {};
  }
  void remove_kpm(std::string_view kpm_id) { kpm_.erase(std::string(kpm_id)); }
  // Certificate RSPF by raw public key (TS-0003 §8.3.2.2, §10.1.2): an Enrolee's
  // raw key (trusted for SUID 40, with the lifetime configuration gives it) and the
  // identity it authenticates. Its Credential-ID (type 30) finds it.
  [[nodiscard]] result<void> add_raw_key(raw_public_key key, bound_identity who) {
    if (key.usage() != suid::certificate_mef) return fail(errc::wrong_usage);
    if (!entity_of(who)) return fail(errc::invalid_argument);
    const std::string id(key.id().value());
    raw_keys_.insert_or_assign(id, raw_key_entry{std::move(key), std::move(who)});
    return {};
  }
  void remove_raw_key(const credential_id& id) { raw_keys_.erase(std::string(id.value())); }
  // Bootstrap Instruction Configuration for one Enrolee (a CSE or AE).
  void instruct(const entity_id& enrolee, enrolee_profile p) { profiles_.insert_or_assign(key(enrolee), std::move(p)); }

  // TS-0001 §11.2.1: remote provisioning for the Nodes of an M2M Service
  // Subscription. An Enrolee whose profile names its Node enrols only while that
  // Node is enrolled in one of `subscriptions` (kept by the caller, who may
  // withdraw the Node at any time); without a registry such an Enrolee is refused.
  void authorize_against(const subscription_registry& subscriptions) { subscriptions_ = &subscriptions; }

  // Whether `who` has an Enrolee profile: the certificate RSPF accepts the AE-ID
  // certificates of those (tls::registered_ae).
  [[nodiscard]] bool knows(const entity_id& who) const { return profiles_.contains(key(who)); }

  // Whom the certificate RSPF accepts: the raw keys added, then the AE-ID
  // certificates of Enrolees that have a profile.
  [[nodiscard]] tls::registered_peers enrolees() const {
    return {[this](const ae_id& a) { return knows(a); },
            [this](const credential_id& id) -> result<tls::raw_key_entry> {
              auto it = raw_keys_.find(std::string(id.value()));
              if (it == raw_keys_.end()) return fail(errc::not_found);
              return tls::raw_key_entry{&it->second.key, it->second.who};
            }};
  }

  // The channel's lookup of KpmIDs.
  [[nodiscard]] tls::psk_resolver resolver() const {
    return [this](std::string_view identity, std::string_view) -> result<tls::psk_entry> {
      auto it = kpm_.find(std::string(identity));
      if (it == kpm_.end()) return fail(errc::not_found);
      return tls::psk_entry{&it->second.kpm, it->second.who};
    };
  }

  // TS-0003 §8.3.2.1, Enrolment Key Generation: after the MEF Handshake, Ke and KeID
  // from the exporter. A channel that is not active, or not an MEF handshake, gives
  // no connection.
  template <class Channel>
  [[nodiscard]] result<connection> accept(Channel& ch) const {
    auto* sa = ch.association();
    if (!ch.active() || sa == nullptr) return fail(errc::security_association_required);
    auto ke = tls::enrolment_key(ch, config_.domain);
    if (!ke) return fail(ke.error());
    return connection{sa->who().peer, who_is(sa->who().peer), sa, std::move(*ke), false, {}};
  }

  // One request on one connection. Every refusal has its errc (refused, for the
  // log) and its RSC; an unknown KeID, a Target not authorized and an enrolment
  // past its expiry all answer 4103 with the same body.
  [[nodiscard]] response handle(connection& c, const request& r) {
    const time_point now = clock_->now();
    if (auto no = admit(c, r, now, config_.max_requests)) return std::move(*no);
    if (r.to == resource::enrolment) {
      if (r.op != operation::create) return refuse(r, errc::unsupported, rsc::operation_not_allowed);
      return enrol(c, r, now);
    }
    if (r.to == resource::client_registration) {
      if (r.op != operation::create) return refuse(r, errc::unsupported, rsc::operation_not_allowed);
      return register_client(*store_, c, r, now);
    }
    if (r.to.starts_with(std::string(resource::client_registration) + "/"))
      return client_registration_op(*store_, c, r, std::string_view(r.to).substr(resource::client_registration.size() + 1),
                                    now);
    auto fetch = parse_fetch_target(r.to);
    if (!fetch && fetch.error() == errc::not_found) return refuse(r, errc::not_found, rsc::not_found);
    if (!fetch) return refuse(r, fetch.error(), rsc::bad_request);
    if (r.op != operation::retrieve) return refuse(r, errc::unsupported, rsc::operation_not_allowed);
    if (!r.body.empty()) return refuse(r, errc::invalid_argument, rsc::bad_request);
    return release(c, r, fetch->first, fetch->second, now);
  }

  [[nodiscard]] const config& settings() const noexcept { return config_; }
  [[nodiscard]] Store& store() noexcept { return *store_; }

 private:
  struct kpm_entry {
    symmetric_credential kpm;
    bound_identity who;
  };
  struct raw_key_entry {
    raw_public_key key;
    bound_identity who;
  };
  static std::string key(const entity_id& e) { return entity_text(e); }
  // The CSE or AE an association is bound to; or, bound to the Credential-ID of
  // a Kpm that a MAF holds (its FQDN), that MAF (TS-0003 §8.3.4.3: it fetches SUID 21 keys).
  std::optional<entity_id> who_is(const bound_identity& peer) const {
    if (auto e = entity_of(peer)) return e;
    const auto* id = std::get_if<credential_id>(&peer);
    if (id == nullptr) return std::nullopt;
    auto it = kpm_.find(std::string(id->value()));
    if (it == kpm_.end() || !std::holds_alternative<fqdn>(it->second.kpm.holder())) return std::nullopt;
    return it->second.kpm.holder();
  }

  static response refuse(const request& r, errc why, rsc code) { return refusal(r, why, code); }

  // TS-0003 §8.3.2.1, the Enrolment Exchange: Ke is recorded under KeID for the
  // Enrolee's Targets, with a lifetime that ends by the Enrolment Expiry and
  // strictly before the bootstrap credential does; then the answer.
  response enrol(connection& c, const request& r, time_point now) {
    auto asked = parse_enrolment_request(r.body);
    if (!asked) return refuse(r, asked.error(), rsc::bad_request);
    if (!c.ke) return refuse(r, errc::wrong_usage, rsc::originator_not_authenticated);
    if (c.enrolled) return refuse(r, errc::replayed, rsc::bad_request);
    const auto& who = c.who;
    const auto* p = who ? find_profile(*who) : nullptr;
    if (p == nullptr) return refuse(r, errc::not_authorized, rsc::originator_has_no_privilege);
    if (p->node && (subscriptions_ == nullptr || subscriptions_->of_node(*p->node) == nullptr))
      return refuse(r, errc::not_authorized, rsc::originator_has_no_privilege);
    if (p->expiry == time_point::min()) return refuse(r, errc::expired, rsc::originator_has_no_privilege);
    auto wanted = validity::make(now, std::min(p->expiry - duration{1}, saturating_add(now, config_.ke_lifetime)));
    if (!wanted) return refuse(r, errc::expired, rsc::originator_has_no_privilege);
    auto capped = wanted->cap_strictly_below(c.sa->credential_lifetime());
    auto life = capped ? whole_seconds(*capped) : capped;
    if (!life) return refuse(r, errc::expired, rsc::originator_has_no_privilege);
    auto ke = c.ke->key.clone();
    if (!ke) return refuse(r, ke.error(), rsc::internal_server_error);
    if (auto put = store_->put(enrolment_record{c.ke->id, std::move(*ke), *who, p->targets, *life}); !put)
      return refuse(r, put.error(), rsc::internal_server_error);
    c.enrolled = true;
    const enrolment_answer a{c.ke->id, *who, p->targets, *life, asked->certificate ? p->certificate_uri : std::nullopt,
                             asked->maf ? p->maf : std::nullopt, asked->remote_management ? p->management_uri : std::nullopt};
    const auto body = enrolment_answer_body(a);
    return response{rsc::created, r.rqi, jose::wiping_string(body.begin(), body.end()), std::nullopt};
  }

  // TS-0003 §8.3.2.1, fetchCredentials: the Target named for the Enrolee gets the
  // usage-constrained key for itself, living strictly inside Ke's lifetime.
  response release(connection& c, const request& r, const ke_id& id, suid usage, time_point now) {
    if (type_of(usage) != credential_type::rspf_symmetric) return refuse(r, errc::wrong_usage, rsc::bad_request);
    const auto& target = c.who;
    if (!target) return refuse(r, errc::not_authorized, rsc::originator_has_no_privilege);
    auto rec = store_->find(id, now);
    if (!rec) return store_refusal(r, rec.error());  // unknown or expired: as unauthorized
    const bool named = std::any_of(rec->targets.begin(), rec->targets.end(), [&](const entity_id& t) {
      return t.index() == target->index() && to_string(t) == to_string(*target);
    });
    if (!named) return refuse(r, errc::not_authorized, rsc::originator_has_no_privilege);
    auto life = validity::make(now, rec->lifetime.not_after()).and_then([&](validity v) {
      return v.cap_strictly_below(rec->lifetime);
    });
    if (life) life = whole_seconds(*life);
    if (!life) return refuse(r, errc::expired, rsc::originator_has_no_privilege);
    auto key = usage_key(rec->ke, usage, *target);
    if (!key) return refuse(r, key.error(), rsc::internal_server_error);
    return response{rsc::ok, r.rqi, released_key_body({id, usage, std::move(*key), rec->enrolee, *life}), std::nullopt};
  }

  const enrolee_profile* find_profile(const entity_id& e) const {
    auto it = profiles_.find(key(e));
    return it == profiles_.end() ? nullptr : &it->second;
  }

  config config_;
  Store* store_;
  const Clock* clock_;
  std::map<std::string, kpm_entry> kpm_;
  std::map<std::string, raw_key_entry> raw_keys_;
  std::map<std::string, enrolee_profile> profiles_;
  const subscription_registry* subscriptions_ = nullptr;
};

// ---- the clients ---------------------------------------------------------------------

// What an Enrolee holds after the Enrolment Exchange: Ke under its KeID, and what the MEF answered.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct enrolment {
  enrolment_answer answer;
  secret ke;

  // TS-0003 §10.3.7 (A13): the key this Enrolee shares with `target` for `usage`,
  // as a credential named by the KeID (the psk_identity it presents), held by
  // `self`, living strictly inside Ke's lifetime. The Target gets the same key from
  // fetchCredentials.
  [[nodiscard]] result<symmetric_credential> key_for(suid usage, const entity_id& target, const entity_id& self) const {
    if (type_of(usage) != credential_type::rspf_symmetric) return fail(errc::wrong_usage);
    auto life = answer.lifetime.cap_strictly_below(answer.lifetime).and_then([](validity v) { return whole_seconds(v); });
    if (!life) return fail(errc::expired);
    auto key = usage_key(ke, usage, target);
    if (!key) return fail(key.error());
    auto id = credential_id::make(credential_id_type::kpsa_or_kc_id, answer.id.str());
    if (!id) return fail(id.error());
    return symmetric_credential::make(std::move(*key), std::move(*id), usage, self, *life);
  }
};

// The Enrolee's requests and its reading of the answers.
[[nodiscard]] inline request enrolment_request(const entity_id& self, std::string rqi, const indications& asked = {}) {
  return request{operation::create, std::string(resource::enrolment), to_string(self), std::move(rqi),
                 enrolment_request_body(asked)};
}
// The answer must name the KeID the Enrolee's own handshake exported (`own`),
// and the Enrolee itself.
[[nodiscard]] inline result<enrolment> read_enrolment(const response& r, tls::exported_key<ke_id> own,
                                                      const entity_id& self) {
  if (r.code != rsc::created)
    return fail(r.code == rsc::internal_server_error ? errc::backend_failure : errc::not_authorized, "the MEF answered",
                to_string(r.code));
  auto a = parse_enrolment_answer({r.body.data(), r.body.size()});
  if (!a) return fail(a.error());
  if (!(a->id == own.id) || to_string(a->enrolee) != to_string(self) || a->enrolee.index() != self.index())
    return fail(errc::auth_failed, "the MEF's answer", "names another KeID or Enrolee than this handshake's");
  return enrolment{std::move(*a), std::move(own.key)};
}

// The Enrolment Target's request and its reading of the answer.
[[nodiscard]] inline request fetch_request(const entity_id& self, std::string rqi, const ke_id& id, suid usage) {
  return request{operation::retrieve, fetch_target(id, usage), to_string(self), std::move(rqi), {}};
}
// The released key as a credential: named by the KeID, for the SUID asked, held
// by the Enrolee the MEF named, for the lifetime the MEF gave (strictly inside Ke's).
[[nodiscard]] inline result<symmetric_credential> read_released(const response& r, const ke_id& id, suid usage) {
  if (r.code != rsc::ok)
    return fail(r.code == rsc::internal_server_error ? errc::backend_failure : errc::not_found, "the MEF answered",
                to_string(r.code));
  auto k = parse_released_key({r.body.data(), r.body.size()});
  if (!k) return fail(k.error());
  if (!(k->id == id) || k->usage != usage)
    return fail(errc::auth_failed, "the MEF's answer", "a key for another KeID or usage than asked");
  auto cid = credential_id::make(credential_id_type::kpsa_or_kc_id, id.str());
  if (!cid) return fail(cid.error());
  return symmetric_credential::make(std::move(k->key), std::move(*cid), usage, std::move(k->enrolee), k->lifetime);
}

// MEF Client Registration, the client's side (TS-0003 §8.3.5.2).
[[nodiscard]] inline request registration_request(const entity_id& self, std::string rqi, const fqdn& own,
                                                  time_point expiration, std::vector<std::string> labels = {},
                                                  std::optional<fqdn> admin = std::nullopt) {
  return request{operation::create, std::string(resource::client_registration), to_string(self), std::move(rqi),
                 registration_request_body({own, expiration, std::move(labels), std::move(admin)})};
}
[[nodiscard]] inline request registration_update(const entity_id& self, std::string rqi, std::string_view reg_id,
                                                 std::optional<time_point> expiration,
                                                 std::optional<std::vector<std::string>> labels) {
  return request{operation::update, std::string(resource::client_registration) + "/" + std::string(reg_id),
                 to_string(self), std::move(rqi), registration_request_body({std::nullopt, expiration, std::move(labels), std::nullopt})};
}
[[nodiscard]] inline request registration_retrieve(const entity_id& self, std::string rqi, std::string_view reg_id) {
  return request{operation::retrieve, std::string(resource::client_registration) + "/" + std::string(reg_id),
                 to_string(self), std::move(rqi), {}};
}
[[nodiscard]] inline request registration_delete(const entity_id& self, std::string rqi, std::string_view reg_id) {
  return request{operation::del, std::string(resource::client_registration) + "/" + std::string(reg_id), to_string(self),
                 std::move(rqi), {}};
}

}  // namespace m2msec::mef
