// m2msec: what an M2M Authentication Function keeps (TS-0003 §8.8.2): each key a
// Source End-Point registered, under its RelativeKeyID, with the Targets allowed
// to retrieve it and its expirationTime; and the MAF's client registrations.
// One store concept, kept by memory_maf_store (tests).
#pragma once

#include <concepts>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "m2msec/enrolment/mef_store.hpp"
#include "m2msec/identity/credential_id.hpp"

namespace m2msec {

// TS-0003 §8.8.2.7, MAF Key Registration: one registered key. `lifetime` ends at
// its expirationTime; no Target gets the key after it.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct key_registration {
  std::string relative_id;         // RelativeKeyID: 32 upper-case hex digits (A8: hexBinary(KcID))
  secret key;                      // 32 bytes: Kc from the exporter, or the value the source gave
  entity_id source;                // the source client ID: who registered it
  suid usage = suid::maf_saef;     // 32 SAEF, 33 ESPrim, 34/35 ESData
  std::vector<entity_id> targets;  // targetIDs, absolute CSE-IDs and AE-IDs
  validity lifetime;               // from registration to expirationTime
  std::vector<std::string> labels;
  std::optional<fqdn> admin;       // adminFQDN

  [[nodiscard]] result<key_registration> clone() const {
    auto k = key.clone();
    if (!k) return fail(k.error());
    return key_registration{relative_id, std::move(*k), source, usage, targets, lifetime, labels, admin};
  }
};

// What every MAF store does: the client registrations as an MEF store keeps them,
// found also by their client (find_client_of: a MAF serves registered clients
// only), and the registered keys. find_key() tells an unknown RelativeKeyID
// (not_found) from a key past its expirationTime (expired); the MAF shows both
// alike. put_key() of an ID that exists replaces it; each call happens whole or
// changes nothing.
template <class S>
concept maf_store = requires(S& s, const S& cs, key_registration k, std::string_view id, const entity_id& who,
                             time_point now, client_registration c) {
  { s.put_key(std::move(k)) } -> std::same_as<result<void>>;
  { cs.find_key(id, now) } -> std::same_as<result<key_registration>>;
  { s.erase_key(id) } -> std::same_as<result<bool>>;
  { s.purge(now) } -> std::same_as<result<std::size_t>>;
  { s.put_client(std::move(c)) } -> std::same_as<result<void>>;
  { cs.find_client(id, now) } -> std::same_as<result<client_registration>>;
  { cs.find_client_of(who, now) } -> std::same_as<result<client_registration>>;
  { s.erase_client(id) } -> std::same_as<result<bool>>;
};

// The store of the tests: maps. Not thread-safe.
// Thread safety: one thread at a time per object; distinct objects are independent.
class memory_maf_store : public memory_client_registrations {
 public:
  [[nodiscard]] result<void> put_key(key_registration k) {
    const std::string id = k.relative_id;
    keys_.insert_or_assign(id, std::move(k));
    return {};
  }
  [[nodiscard]] result<key_registration> find_key(std::string_view id, time_point now) const {
    auto it = keys_.find(std::string(id));
    if (it == keys_.end()) return fail(errc::not_found);
    if (auto c = it->second.lifetime.check(now); !c) return fail(c.error());
    return it->second.clone();
  }
  [[nodiscard]] result<bool> erase_key(std::string_view id) { return keys_.erase(std::string(id)) > 0; }
  [[nodiscard]] result<std::size_t> purge(time_point now) {
    return std::erase_if(keys_, [&](const auto& kv) { return now > kv.second.lifetime.not_after(); });
  }
  [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }

 private:
  std::map<std::string, key_registration> keys_;
};
static_assert(maf_store<memory_maf_store>);

}  // namespace m2msec
