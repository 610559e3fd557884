// m2msec: what an M2M Enrolment Function keeps (TS-0003 §8.3.2.1, §8.3.4): each
// enrolment's Ke under its KeID, the Enrolee, the Enrolment Targets allowed to
// fetch keys derived from it, and its lifetime, which the Enrolment Expiry caps.
// One store concept, kept by memory_mef_store (tests) and sqlite_mef_store
// (enrolment/sqlite_mef_store.hpp, the persistent default).
#pragma once

#include <concepts>
#include <map>
#include <string>
#include <vector>

#include "m2msec/core/secret.hpp"
#include "m2msec/core/validity.hpp"
#include "m2msec/identity/entity.hpp"
#include "m2msec/identity/key_id.hpp"

namespace m2msec {

// TS-0003 §8.3.2.1: one enrolment. `lifetime` ends no later than the Enrolment
// Expiry: no key the MEF releases from Ke outlives it.
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

// What every MEF store does. find() tells an unknown KeID (not_found) from an
// enrolment past its lifetime (expired); the MEF shows both alike to a caller.
// put() of a KeID that exists replaces it; every call either happens whole or
// changes nothing.
template <class S>
concept mef_store = requires(S& s, const S& cs, enrolment_record r, const ke_id& id, time_point now) {
  { s.put(std::move(r)) } -> std::same_as<result<void>>;
  { cs.find(id, now) } -> std::same_as<result<enrolment_record>>;
  { s.erase(id) } -> std::same_as<result<bool>>;
  { s.purge(now) } -> std::same_as<result<std::size_t>>;
};

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

// The store of the tests: a map. Not thread-safe.
class memory_mef_store {
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
