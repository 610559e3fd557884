// m2msec: a symmetric credential (Kpm, Ke, Km, Kpsa, Kc, pairwiseESPrimKey, ESData keys).
#pragma once

#include <utility>

#include "m2msec/core/secret.hpp"
#include "m2msec/core/validity.hpp"
#include "m2msec/identity/entity.hpp"
#include "m2msec/kdf/key_schedule.hpp"

namespace m2msec {

// A secret key with its identifier, its usage (SUID), its holder and its
// lifetime. TS-0001 §11.2.1: provisioned credentials are stored with a lifetime.
// Thread safety: immutable once made; any number of threads may use one object.
class symmetric_credential {
 public:
  static constexpr std::size_t min_key_size = 16;

  [[nodiscard]] static result<symmetric_credential> make(secret key, credential_id id, suid usage, entity_id holder,
                                                         validity lifetime) {
    if (key.size() < min_key_size) return fail(errc::invalid_key_size);
    if (!is_symmetric(usage)) return fail(errc::invalid_argument);
    return symmetric_credential(std::move(key), std::move(id), usage, std::move(holder), lifetime);
  }

  [[nodiscard]] const secret& key() const noexcept { return key_; }
  [[nodiscard]] const credential_id& id() const noexcept { return id_; }
  [[nodiscard]] suid usage() const noexcept { return usage_; }
  [[nodiscard]] const entity_id& holder() const noexcept { return holder_; }
  [[nodiscard]] const validity& lifetime() const noexcept { return lifetime_; }

  [[nodiscard]] result<symmetric_credential> clone() const {
    auto k = key_.clone();
    if (!k) return fail(k.error());
    return symmetric_credential(std::move(*k), id_, usage_, holder_, lifetime_);
  }

 private:
  symmetric_credential(secret k, credential_id id, suid u, entity_id h, validity v)
      : key_(std::move(k)), id_(std::move(id)), usage_(u), holder_(std::move(h)), lifetime_(v) {}
  secret key_;
  credential_id id_;
  suid usage_;
  entity_id holder_;
  validity lifetime_;
};

// TS-0003 §8.3.5.1, §8.8.1 (decision A10): how a protocol takes a key an MEF or
// a MAF distributed. One that names the key itself (psk = Kc or Kpsa, a
// pairwiseESPrimKey, an ESData key) needs one key: all of it. One that needs two
// (encryption and integrity) takes the first half and the second half.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct key_halves {
  secret first, second;
};
[[nodiscard]] inline result<secret> one_key(const secret& distributed) { return distributed.clone(); }
[[nodiscard]] inline result<key_halves> two_keys(const secret& distributed) {
  if (distributed.size() < 2 || distributed.size() % 2 != 0) return fail(errc::invalid_key_size);
  const auto k = distributed.expose();
  auto a = secret::copy_of(k.first(k.size() / 2));
  auto b = secret::copy_of(k.subspan(k.size() / 2));
  if (!a || !b) return fail(!a ? a.error() : b.error());
  return key_halves{std::move(*a), std::move(*b)};
}

// TS-0003 §10.7 (Enrolment Expiry): a key derived from Ke never outlives Ke. The
// requested lifetime is cut to end strictly before Ke's; Ke must be valid at `now`.
[[nodiscard]] inline result<validity> derived_lifetime(const validity& parent, const validity& requested,
                                                       time_point now) {
  if (auto r = parent.check(now); !r) return fail(r.error());
  return requested.cap_strictly_below(parent);
}

// TS-0003 §10.3.3: a Kpsa credential derived from an enrolment key Ke, for PSK-SAEF with Enrolee B.
template <class Id>
  requires std::same_as<Id, cse_id> || std::same_as<Id, ae_id>
[[nodiscard]] result<symmetric_credential> derive_kpsa_credential(const symmetric_credential& ke, const Id& enrolee_b,
                                                                  const kpsa_id& id, entity_id holder,
                                                                  const validity& requested, time_point now) {
  auto life = derived_lifetime(ke.lifetime(), requested, now);
  if (!life) return fail(life.error());
  auto key = derive_kpsa(ke.key(), enrolee_b);
  if (!key) return fail(key.error());
  auto cid = credential_id::make(credential_id_type::kpsa_or_kc_id, id.str());
  if (!cid) return fail(cid.error());
  return symmetric_credential::make(std::move(*key), std::move(*cid), suid::rspf_saef, std::move(holder), *life);
}

// TS-0003 §10.3.2: a Km credential derived from Ke, for the MAF handshake.
[[nodiscard]] inline result<symmetric_credential> derive_km_credential(const symmetric_credential& ke, const km_id& id,
                                                                       entity_id holder, const validity& requested,
                                                                       time_point now) {
  auto life = derived_lifetime(ke.lifetime(), requested, now);
  if (!life) return fail(life.error());
  auto key = derive_km(ke.key(), id.domain());
  if (!key) return fail(key.error());
  auto cid = credential_id::make(credential_id_type::km_id, id.str());
  if (!cid) return fail(cid.error());
  return symmetric_credential::make(std::move(*key), std::move(*cid), suid::rspf_maf, std::move(holder), *life);
}

// TS-0003 §10.3.7 and A13: the usage-constrained key an MEF releases to an
// Enrolment Target for `usage` (an RSPF SUID, 21-25), as a credential whose
// lifetime ends strictly before Ke's, so that the key never outlives Ke.
[[nodiscard]] inline result<symmetric_credential> derive_usage_constrained_credential(
    const symmetric_credential& ke, suid usage, const fqdn& target, credential_id id, entity_id holder,
    const validity& requested, time_point now) {
  if (type_of(usage) != credential_type::rspf_symmetric) return fail(errc::invalid_argument);
  auto life = derived_lifetime(ke.lifetime(), requested, now);
  if (!life) return fail(life.error());
  auto key = derive_usage_constrained(ke.key(), usage, target);
  if (!key) return fail(key.error());
  return symmetric_credential::make(std::move(*key), std::move(id), usage, std::move(holder), *life);
}

}  // namespace m2msec
