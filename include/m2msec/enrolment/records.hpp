// m2msec: enrolment records. M2M Service Subscriptions and the Nodes enrolled in
// them (TS-0001 §11.1, §11.2.1), application enrolment (§11.2.2), and the
// registrations a Registrar CSE retains (§11.3.2).
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <variant>

#include "m2msec/identity/credential_id.hpp"
#include "m2msec/identity/identifiers.hpp"
#include "m2msec/sa/registry.hpp"

namespace m2msec {

// TS-0001 §11.1: the contract under which an owner enrols Nodes with an M2M
// Service Provider; it lists the Nodes, the services and the App-IDs allowed.
// Thread safety: one thread at a time per object; distinct objects are independent.
class service_subscription {
 public:
  explicit service_subscription(sub_id id) : id_(std::move(id)) {}

  [[nodiscard]] const sub_id& id() const noexcept { return id_; }
  void enrol(node_id node) { nodes_.insert(std::move(node)); }
  bool withdraw(const node_id& node) { return nodes_.erase(node) > 0; }
  void allow_service(std::string service) { services_.insert(std::move(service)); }
  void allow_app(app_id app) { apps_.insert(std::move(app)); }

  [[nodiscard]] bool enrolled(const node_id& node) const { return nodes_.contains(node); }
  [[nodiscard]] bool allows_service(std::string_view service) const { return services_.contains(std::string(service)); }
  [[nodiscard]] bool allows_app(const app_id& app) const { return apps_.contains(app); }
  [[nodiscard]] const std::set<node_id>& nodes() const noexcept { return nodes_; }

  // errc::not_found for a Node outside the subscription, errc::not_authorized for a
  // service or App-ID it does not allow.
  [[nodiscard]] result<void> authorize(const node_id& node, std::string_view service,
                                       const std::optional<app_id>& app = std::nullopt) const {
    if (!enrolled(node)) return fail(errc::not_found);
    if (!allows_service(service)) return fail(errc::not_authorized);
    if (app && !allows_app(*app)) return fail(errc::not_authorized);
    return {};
  }

 private:
  sub_id id_;
  std::set<node_id> nodes_;
  std::set<std::string> services_;
  std::set<app_id> apps_;
};

// The subscriptions an M2M Service Provider holds, and which one enrols a Node.
// Thread safety: one thread at a time per object; distinct objects are independent.
class subscription_registry {
 public:
  service_subscription& add(service_subscription s) {
    auto key = s.id().reveal();
    return subs_.insert_or_assign(std::move(key), std::move(s)).first->second;
  }
  [[nodiscard]] const service_subscription* find(const sub_id& id) const {
    auto it = subs_.find(id.reveal());
    return it == subs_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] service_subscription* find(const sub_id& id) {
    auto it = subs_.find(id.reveal());
    return it == subs_.end() ? nullptr : &it->second;
  }
  [[nodiscard]] const service_subscription* of_node(const node_id& node) const {
    for (const auto& [k, s] : subs_)
      if (s.enrolled(node)) return &s;
    return nullptr;
  }

 private:
  std::map<std::string, service_subscription> subs_;
};

// TS-0001 §11.2.2: each App-ID is associated with a credential that grants its
// instances an approved list of services; revoking the App-ID revokes every
// instance at once.
// Thread safety: one thread at a time per object; distinct objects are independent.
class application_enrolment {
 public:
  struct record {
    credential_id credential;
    std::set<std::string> services;
    std::set<ae_id> instances;
    bool revoked = false;
  };

  void enrol(const app_id& app, credential_id cred, std::set<std::string> services) {
    apps_.insert_or_assign(app.str(), record{std::move(cred), std::move(services), {}, false});
  }
  [[nodiscard]] const record* find(const app_id& app) const {
    auto it = apps_.find(app.str());
    return it == apps_.end() ? nullptr : &it->second;
  }

  // An instance of `app`, authenticated with `cred`, asks for `service`.
  // errc::not_found (App-ID not enrolled), errc::revoked, errc::auth_failed (a
  // credential other than the App-ID's), errc::not_authorized (service not approved).
  [[nodiscard]] result<void> authorize(const app_id& app, const credential_id& cred, const ae_id& instance,
                                       std::string_view service) {
    auto it = apps_.find(app.str());
    if (it == apps_.end()) return fail(errc::not_found);
    record& r = it->second;
    if (r.revoked) return fail(errc::revoked);
    if (r.credential != cred) return fail(errc::auth_failed);
    if (!r.services.contains(std::string(service))) return fail(errc::not_authorized);
    r.instances.insert(instance);
    return {};
  }

  // Revokes the App-ID: later requests of any instance fail with errc::revoked,
  // every association made with the App-ID's credential is closed now, and
  // any made with it later is closed as it is inserted.
  // Returns the instances known so far.
  std::set<ae_id> revoke(const app_id& app, sa_registry* associations = nullptr) {
    auto it = apps_.find(app.str());
    if (it == apps_.end()) return {};
    it->second.revoked = true;
    if (associations) associations->revoke(it->second.credential);
    return it->second.instances;
  }

 private:
  std::map<std::string, record> apps_;
};

// TS-0001 §11.3.2: a Registrar that retained a Registree's subscription and
// CSE-ID or AE-ID from an earlier registration uses them again; otherwise it
// determines them (TS-0001 §10.1.1.2), and retains the result.
// Thread safety: one thread at a time per object; distinct objects are independent.
class retained_registrations {
 public:
  struct registration {
    sub_id subscription;
    std::variant<cse_id, ae_id> id;
  };
  using determine_fn = std::function<result<registration>(const credential_id&)>;

  // The registration for the Registree authenticated with `cred`, and whether it was retained.
  [[nodiscard]] result<std::pair<registration, bool>> registration_for(const credential_id& cred,
                                                                       const determine_fn& determine) {
    if (auto it = retained_.find(cred.str()); it != retained_.end()) return std::pair{it->second, true};
    auto fresh = determine(cred);
    if (!fresh) return fail(fresh.error());
    retained_.insert_or_assign(cred.str(), *fresh);
    return std::pair{std::move(*fresh), false};
  }
  bool forget(const credential_id& cred) { return retained_.erase(cred.str()) > 0; }
  [[nodiscard]] std::size_t size() const noexcept { return retained_.size(); }

 private:
  std::map<std::string, registration> retained_;
};

}  // namespace m2msec
