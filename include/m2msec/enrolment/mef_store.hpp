// m2msec: what an M2M Enrolment Function keeps (TS-0003 §8.3.2.1, §8.3.4): each
// enrolment's Ke under its KeID, the Enrolee, the Enrolment Targets allowed to
// fetch keys derived from it, and its lifetime, which the Enrolment Expiry caps.
// One store concept, kept by memory_mef_store (tests) and sqlite_mef_store
// (enrolment/sqlite_mef_store.hpp, the persistent default).
#pragma once

#include <concepts>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "m2msec/core/secret.hpp"
#include "m2msec/core/validity.hpp"
#include "m2msec/identity/entity.hpp"
#include "m2msec/identity/key_id.hpp"

namespace m2msec {

// TS-0003 §8.3.2.1: one enrolment. `lifetime` ends no later than the Enrolment
// Expiry: no key the MEF releases from Ke outlives it.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct enrolment_record {
  ke_id id;                        // hex(RelativeKeID)@MEF-FQDN
  secret ke;                       // 32 bytes, from EXPORTER-oneM2M-Bootstrap
  entity_id enrolee;               // the Enrolee-ID (CSE-ID, AE-ID or Node-ID)
  std::vector<entity_id> targets;  // the Enrolment Targets that may fetch
  validity lifetime;

  [[nodiscard]] result<enrolment_record> clone() const {
    auto k = ke.clone();
    if (!k) return fail(k.error());
    return enrolment_record{id, std::move(*k), enrolee, targets, lifetime};
  }
};

// TS-0003 §8.3.5.2, MEF Client Registration: what the MEF keeps of a registered
// client. One registration per client: registering again replaces it.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct client_registration {
  std::string id;                   // clientRegID: 32 hex digits, random
  entity_id client;                 // the client ID: who its channel authenticated
  fqdn client_fqdn;                 // FQDN
  std::optional<fqdn> admin;        // adminFQDN
  std::vector<std::string> labels;  // labels
  time_point expiration;            // expirationTime
};

// What every MEF store does. find() tells an unknown KeID (not_found) from an
// enrolment past its lifetime (expired); the MEF shows both alike to a caller.
// put() of a KeID that exists replaces it; every call either happens whole or
// changes nothing.
// The client registrations likewise: put_client() replaces the client's earlier
// one; find_client() is not_found or expired as find() is.
template <class S>
concept mef_store = requires(S& s, const S& cs, enrolment_record r, const ke_id& id, time_point now,
                             client_registration c, std::string_view reg_id) {
  { s.put(std::move(r)) } -> std::same_as<result<void>>;
  { cs.find(id, now) } -> std::same_as<result<enrolment_record>>;
  { s.erase(id) } -> std::same_as<result<bool>>;
  { s.purge(now) } -> std::same_as<result<std::size_t>>;
  { s.put_client(std::move(c)) } -> std::same_as<result<void>>;
  { cs.find_client(reg_id, now) } -> std::same_as<result<client_registration>>;
  { s.erase_client(reg_id) } -> std::same_as<result<bool>>;
};

// A client registration's labels as one column: each label, then '\n'. Labels
// are printable text without a line break (the MEF refuses others).
[[nodiscard]] inline std::string joined(const std::vector<std::string>& labels) {
  std::string out;
  for (const auto& l : labels) out += l + "\n";
  return out;
}
[[nodiscard]] inline result<std::vector<std::string>> split_labels(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto end = text.find('\n');
    if (end == std::string_view::npos) return fail(errc::corrupted);
    out.emplace_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  return out;
}

// Kind and text of an entity, as stored: "cse:/in-cse", "ae:C0042", "node:...", "fqdn:...".
[[nodiscard]] inline std::string entity_text(const entity_id& e) {
  static constexpr const char* kinds[] = {"cse:", "ae:", "node:", "fqdn:"};
  return kinds[e.index()] + to_string(e);
}
[[nodiscard]] inline result<entity_id> parse_entity_text(std::string_view s) {
  auto as = [](auto parsed) -> result<entity_id> {
    if (!parsed) return fail(errc::corrupted);
    return entity_id{std::move(*parsed)};
  };
  if (s.starts_with("cse:")) return as(cse_id::parse(s.substr(4)));
  if (s.starts_with("ae:")) return as(ae_id::parse(s.substr(3)));
  if (s.starts_with("node:")) return as(node_id::parse(s.substr(5)));
  if (s.starts_with("fqdn:")) return as(fqdn::parse(s.substr(5)));
  return fail(errc::corrupted);
}

// A client registration from a database row's columns (no secret in it: stored in clear).
[[nodiscard]] inline result<client_registration> client_row(std::string_view id, std::string_view client,
                                                           std::string_view client_fqdn, std::string_view admin,
                                                           std::string_view labels, std::int64_t expiration,
                                                           time_point now) {
  auto who = parse_entity_text(client);
  auto name = fqdn::parse(client_fqdn);
  auto l = split_labels(labels);
  if (!who || !name || !l) return fail(errc::corrupted);
  client_registration c{std::string(id), std::move(*who), std::move(*name), std::nullopt, std::move(*l),
                        time_point(duration(expiration))};
  if (!admin.empty()) {
    auto a = fqdn::parse(admin);
    if (!a) return fail(errc::corrupted);
    c.admin = std::move(*a);
  }
  if (now > c.expiration) return fail(errc::expired);
  return c;
}

// Client registrations in memory, for the stores of the tests: one per client.
// Thread safety: one thread at a time per object; distinct objects are independent.
class memory_client_registrations {
 public:
  [[nodiscard]] result<void> put_client(client_registration c) {
    const std::string owner = entity_text(c.client);
    if (auto old = owners_.find(owner); old != owners_.end()) clients_.erase(old->second);
    owners_[owner] = c.id;
    const std::string id = c.id;
    clients_.insert_or_assign(id, std::move(c));
    return {};
  }
  [[nodiscard]] result<client_registration> find_client(std::string_view id, time_point now) const {
    auto it = clients_.find(std::string(id));
    if (it == clients_.end()) return fail(errc::not_found);
    if (now > it->second.expiration) return fail(errc::expired);
    return it->second;
  }
  [[nodiscard]] result<client_registration> find_client_of(const entity_id& who, time_point now) const {
    auto owner = owners_.find(entity_text(who));
    if (owner == owners_.end()) return fail(errc::not_found);
    return find_client(owner->second, now);
  }
  [[nodiscard]] result<bool> erase_client(std::string_view id) {
    auto it = clients_.find(std::string(id));
    if (it == clients_.end()) return false;
    owners_.erase(entity_text(it->second.client));
    clients_.erase(it);
    return true;
  }

 private:
  std::map<std::string, client_registration> clients_;  // by clientRegID
  std::map<std::string, std::string> owners_;           // client -> clientRegID
};

// The store of the tests: a map. Not thread-safe.
// Thread safety: one thread at a time per object; distinct objects are independent.
class memory_mef_store : public memory_client_registrations {
 public:
  [[nodiscard]] result<void> put(enrolment_record r) {
    const std::string key = r.id.str();
    records_.insert_or_assign(key, std::move(r));
    return {};
  }
  [[nodiscard]] result<enrolment_record> find(const ke_id& id, time_point now) const {
    auto it = records_.find(id.str());
    if (it == records_.end()) return fail(errc::not_found);
    if (auto c = it->second.lifetime.check(now); !c) return fail(c.error());
    return it->second.clone();
  }
  [[nodiscard]] result<bool> erase(const ke_id& id) { return records_.erase(id.str()) > 0; }
  [[nodiscard]] result<std::size_t> purge(time_point now) {
    return std::erase_if(records_, [&](const auto& kv) { return now > kv.second.lifetime.not_after(); });
  }
  [[nodiscard]] std::size_t size() const noexcept { return records_.size(); }

 private:
  std::map<std::string, enrolment_record> records_;
};
static_assert(mef_store<memory_mef_store>);

}  // namespace m2msec
