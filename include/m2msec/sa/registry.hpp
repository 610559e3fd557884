// m2msec: the security associations a CSE holds, by peer, and the Registrar's
// per-request check of the originator against them (TS-0004 §7.3.2.1).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "m2msec/core/rsc.hpp"
#include "m2msec/sa/security_association.hpp"

namespace m2msec {

// How the request arrived, for an originator outside any association.
struct request_context {
  bool create_ae = false;     // the request is CREATE <AE> (a registration)
  bool ae_registered = false; // the originating AE is registered with this CSE
};

namespace sa_detail {

// TS-0004 §7.3.2.1: does the request's From name the identity bound to the
// association? An AE sends its AE-ID-Stem or AE-ID, a CSE its SP-relative or
// absolute CSE-ID. SP-relative and absolute forms of one identity match.
template <class Id>
inline bool same_entity(const Id& bound, const Id& from) {
  if (bound.is_absolute() && from.is_absolute()) return bound == from;
  return bound.sp_relative() == from.sp_relative();
}
inline bool ae_matches(const ae_id& bound, std::string_view from) {
  if (auto stem = ae_id_stem::parse(from)) return bound.stem() == *stem;
  if (auto id = ae_id::parse(from)) return same_entity(bound, *id);
  return false;
}

}  // namespace sa_detail

// The binding check alone. 4106 when From is not who the association was bound to
// (or the association is over), 4107 when a CSE speaks outside any association.
[[nodiscard]] inline result<void> check_originator(security_association* sa, std::string_view from,
                                                   time_point now, request_context ctx = {}) {
  if (!sa) {
    // TS-0004 §7.3.2.1: a CSE-ID originator outside an SA is refused with 4107; an
    // AE-ID only for CREATE <AE> or a registered AE.
    if (ae_id_stem::parse(from) || (ae_id::parse(from) && !cse_id::parse(from))) {
      if (ctx.create_ae || ctx.ae_registered) return {};
      return fail(errc::originator_not_authenticated);
    }
    return fail(errc::security_association_required);
  }
  if (!sa->usable_at(now)) return fail(errc::originator_not_authenticated);
  const bool ok = std::visit(
      [&](const auto& b) -> bool {
        using B = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<B, cse_id>) {
          auto id = cse_id::parse(from);
          return id && sa_detail::same_entity(b, *id);
        } else if constexpr (std::is_same_v<B, ae_id>) {
          return sa_detail::ae_matches(b, from);
        } else if constexpr (std::is_same_v<B, std::vector<ae_id>>) {
          for (const auto& a : b)
            if (sa_detail::ae_matches(a, from)) return true;
          return false;
        } else {
          return false;  // a Credential-ID not yet mapped to an identity authenticates no From
        }
      },
      sa->who().peer);
  if (!ok) return fail(errc::originator_not_authenticated);
  return {};
}

// The response status code for the same check: 2000, 4106 or 4107.
[[nodiscard]] inline rsc originator_rsc(security_association* sa, std::string_view from, time_point now,
                                        request_context ctx = {}) {
  auto r = check_originator(sa, from, now, ctx);
  return r ? rsc::ok : to_rsc(r.error());
}

// The associations of one CSE, one per peer: a new association with a peer
// replaces the old one (a rekey).
class sa_registry {
 public:
  security_association& insert(security_association sa) {
    const std::string key = to_string(sa.who().peer);
    auto [it, fresh] = by_peer_.insert_or_assign(key, std::move(sa));
    (void)fresh;
    return it->second;
  }
  [[nodiscard]] security_association* find(const bound_identity& peer) noexcept {
    auto it = by_peer_.find(to_string(peer));
    return it == by_peer_.end() ? nullptr : &it->second;
  }
  bool erase(const bound_identity& peer) { return by_peer_.erase(to_string(peer)) > 0; }
  // Drops every association that can no longer be used at `now`; returns how many.
  std::size_t purge(time_point now) {
    return std::erase_if(by_peer_, [&](const auto& kv) { return !kv.second.usable_at(now); });
  }
  // Closes every association made with a credential (revoked, or re-provisioned).
  std::size_t close_all(const credential_id& cred) noexcept {
    std::size_t n = 0;
    for (auto& [k, sa] : by_peer_)
      if (sa.credential() == cred) {
        sa.close();
        ++n;
      }
    return n;
  }
  [[nodiscard]] std::size_t size() const noexcept { return by_peer_.size(); }

  // The per-request check for a request that arrived over the association with `peer`.
  [[nodiscard]] result<void> check_request(const bound_identity& peer, std::string_view from, time_point now) {
    return check_originator(find(peer), from, now);
  }

 private:
  std::map<std::string, security_association> by_peer_;
};

}  // namespace m2msec
