// m2msec: the security associations a CSE holds, by peer, and the Registrar's
// per-request check of the originator against them (TS-0004 §7.3.2.1).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "m2msec/core/rsc.hpp"
#include "m2msec/sa/security_association.hpp"

namespace m2msec {

// How the request arrived, and who checks it.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct request_context {
  bool create_ae = false;     // the request is CREATE <AE> (a registration)
  bool ae_registered = false; // the originating AE is registered with this CSE
  // The checking CSE's own SP-ID: SP-relative identifiers are read as in this
  // SP, so that /cse1 and //sp.example.com/cse1 match and //other-sp/cse1
  // does not. Without it an SP-relative and an absolute identifier never match.
  std::optional<sp_id> own_sp{};
};

namespace sa_detail {

// TS-0004 §7.3.2.1: are two identifiers, each SP-relative or absolute, one
// entity? Compared in absolute form in the checker's SP.
template <class Id>
inline bool same_entity(const Id& bound, const Id& from, const std::optional<sp_id>& own_sp) {
  if (own_sp) return bound.absolute(*own_sp) == from.absolute(*own_sp);
  return bound == from;
}

}  // namespace sa_detail

// The binding check alone (TS-0004 §7.3.2.1, TS-0003 §7.2.2). Over an
// association bound to a Registree AE, From is that AE's AE-ID-Stem (its
// SP-relative or absolute AE-ID there is a malformed From: 4000). Over one
// bound to a CSE, From is that CSE's CSE-ID, or the AE-ID of an AE whose
// request the CSE forwards (a transit CSE speaks for others' AEs, never as
// another CSE). 4106 when From is not who the association was bound to (or the
// association is over), 4107 when a CSE speaks outside any association.
[[nodiscard]] inline result<void> check_originator(security_association* sa, std::string_view from,
                                                   time_point now, const request_context& ctx = {}) {
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
  // A Registree AE names itself by its stem.
  auto registree = [&](const ae_id& bound) -> result<void> {
    if (auto stem = ae_id_stem::parse(from)) {
      if (bound.stem() == *stem) return {};
      return fail(errc::originator_not_authenticated);
    }
    if (ae_id::parse(from)) return fail(errc::invalid_encoding);
    return fail(errc::originator_not_authenticated);
  };
  return std::visit(
      [&](const auto& b) -> result<void> {
        using B = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<B, cse_id>) {
          if (auto id = cse_id::parse(from); id && sa_detail::same_entity(b, *id, ctx.own_sp)) return {};
          // Forwarded for an AE: an AE-ID, not a stem. ("/Sabc" reads both as an
          // S-AE-ID and as a CSE-ID; as the From of a forwarded request it is the AE.)
          if (ae_id::parse(from)) return {};
          return fail(errc::originator_not_authenticated);
        } else if constexpr (std::is_same_v<B, ae_id>) {
          return registree(b);
        } else if constexpr (std::is_same_v<B, std::vector<ae_id>>) {
          auto stem = ae_id_stem::parse(from);
          if (!stem) return fail(ae_id::parse(from) ? errc::invalid_encoding : errc::originator_not_authenticated);
          for (const auto& a : b)
            if (a.stem() == *stem) return {};
          return fail(errc::originator_not_authenticated);
        } else {
          return fail(errc::originator_not_authenticated);  // a Credential-ID not yet mapped authenticates no From
        }
      },
      sa->who().peer);
}

// The response status code for the same check: 2000, 4106 or 4107.
[[nodiscard]] inline rsc originator_rsc(security_association* sa, std::string_view from, time_point now,
                                        const request_context& ctx = {}) {
  auto r = check_originator(sa, from, now, ctx);
  return r ? rsc::ok : to_rsc(r.error());
}

// The associations of one CSE, one per peer: a new association with a peer
// replaces the old one (a rekey). Peers of different kinds never share a slot
// (the CSE /Sabc and the AE /Sabc are two peers). A revoked credential stays
// revoked: an association made with it later is closed as it is inserted.
// Thread safety: one thread at a time per object; distinct objects are independent.
class sa_registry {
 public:
  // `own_sp`: this CSE's SP-ID, for the From check (see request_context).
  explicit sa_registry(std::optional<sp_id> own_sp = {}) : own_sp_(std::move(own_sp)) {}

  security_association& insert(security_association sa) {
    if (revoked_.contains(sa.credential().str())) sa.close();
    auto [it, fresh] = by_peer_.insert_or_assign(key(sa.who().peer), std::move(sa));
    (void)fresh;
    return it->second;
  }
  [[nodiscard]] security_association* find(const bound_identity& peer) noexcept {
    auto it = by_peer_.find(key(peer));
    return it == by_peer_.end() ? nullptr : &it->second;
  }
  bool erase(const bound_identity& peer) { return by_peer_.erase(key(peer)) > 0; }
  // TS-0003 §8.2.1: maps the association known as `from` (a Credential-ID
  // binding) to the identity `to`, under which it is found from then on.
  // errc::not_found without such an association; one already under `to` is replaced.
  [[nodiscard]] result<void> rebind(const bound_identity& from, bound_identity to) {
    auto node = by_peer_.extract(key(from));
    if (node.empty()) return fail(errc::not_found);
    node.mapped().rebind(std::move(to));
    node.key() = key(node.mapped().who().peer);
    by_peer_.erase(node.key());
    by_peer_.insert(std::move(node));
    return {};
  }
  // Drops every association that can no longer be used at `now`; returns how many.
  std::size_t purge(time_point now) {
    return std::erase_if(by_peer_, [&](const auto& kv) { return !kv.second.usable_at(now); });
  }
  // Closes every association made with a credential (re-provisioned); returns how many.
  std::size_t close_all(const credential_id& cred) noexcept {
    std::size_t n = 0;
    for (auto& [k, sa] : by_peer_)
      if (sa.credential() == cred) {
        sa.close();
        ++n;
      }
    return n;
  }
  // Revokes a credential: closes its associations now and every one made with it later.
  std::size_t revoke(const credential_id& cred) {
    revoked_.insert(cred.str());
    return close_all(cred);
  }
  [[nodiscard]] bool revoked(const credential_id& cred) const { return revoked_.contains(cred.str()); }
  [[nodiscard]] std::size_t size() const noexcept { return by_peer_.size(); }

  // The per-request check for a request that arrived over the association with `peer`.
  [[nodiscard]] result<void> check_request(const bound_identity& peer, std::string_view from, time_point now) {
    return check_originator(find(peer), from, now, {.own_sp = own_sp_});
  }

 private:
  // The kind of identity, then its text.
  static std::string key(const bound_identity& peer) {
    std::string k = std::to_string(peer.index());
    k += ':';
    k += to_string(peer);
    return k;
  }
  std::optional<sp_id> own_sp_;
  std::map<std::string, security_association> by_peer_;
  std::set<std::string> revoked_;
};

}  // namespace m2msec
