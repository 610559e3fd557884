// m2msec: the oneM2M channel profiles (TS-0003 §8.2.2, §8.3, §8.8, §10.2) on top of
// tls::channel: which identity each PSK profile sends, what the exporter gives after
// the MEF and MAF handshakes, and the Target's routing of PSK identities.
#pragma once

#include <algorithm>
#include <concepts>
#include <deque>
#include <map>
#include <memory>

#include "m2msec/channel/channel.hpp"

namespace m2msec::tls {

// Each profile names its psk_identity type and the usage (SUID scope) of its key;
// the certificate SAEF has no identity.
// Thread safety: no state; use it from any thread.
struct psk_saef {        // TS-0003 §8.2.2.1: psk_identity = KpsaID, psk = Kpsa
  using identity_type = kpsa_id;
  static constexpr usage_scope usage = usage_scope::saef;
};
// Thread safety: no state; use it from any thread.
struct mef_handshake {   // TS-0003 §8.3.2.1: psk_identity = KpmID, psk = Kpm
  using identity_type = kpm_id;
  static constexpr usage_scope usage = usage_scope::mef;
};
// Thread safety: no state; use it from any thread.
struct maf_handshake {   // TS-0003 §8.8.2: psk_identity = KmID, psk = Km
  using identity_type = km_id;
  static constexpr usage_scope usage = usage_scope::maf;
};
// Thread safety: no state; use it from any thread.
struct maf_saef {        // TS-0003 §8.2.2.3: psk_identity = HEX(KcID)@MAF-FQDN, psk = Kc
  using identity_type = kc_id;
  static constexpr usage_scope usage = usage_scope::saef;
};
// Thread safety: no state; use it from any thread.
struct certificate_saef {  // TS-0003 §8.2.2.2: ECDHE-ECDSA, exact SAN match
  static constexpr usage_scope usage = usage_scope::saef;
};

template <class P>
concept psk_profile = requires {
  typename P::identity_type;
  { P::usage } -> std::convertible_to<usage_scope>;
};

// The client side of a PSK profile: the identity type of the profile keeps a KmID
// from being sent where a KpsaID belongs, and the profile sets the usage the key
// must have been provisioned for.
template <psk_profile Profile, clock Clock = system_clock, tls_rng_policy Rng = system_rng>
[[nodiscard]] result<std::unique_ptr<channel<Clock, Rng>>> connect(typename channel<Clock, Rng>::options o,
                                                                   const typename Profile::identity_type& id,
                                                                   sa::bound<secret>& psk, const Clock& clk) {
  o.usage = Profile::usage;
  return channel<Clock, Rng>::psk_client(std::move(o), id.str(), psk, clk);
}

// What the exporter gives after a handshake with the MEF or the MAF.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
template <class Id>
struct exported_key {
  Id id;       // KeID = hexBinary(RelativeKeID)@MEF-FQDN, or hexBinary(KcID)@MAF-FQDN
  secret key;  // Ke or Kc, 32 bytes
};

namespace profile_detail {
// The exporter under `label`, split per decision A1, the identifier written as hexBinary@FQDN.
template <class Id, class Channel>
result<exported_key<Id>> export_split(Channel& ch, std::string_view label, const fqdn& domain) {
  auto out = ch.export_key(label);
  if (!out) return fail(out.error());
  auto parts = split_exporter(out->expose());
  if (!parts) return fail(parts.error());
  return exported_key<Id>{Id::from_bytes(parts->relative_id, domain), std::move(parts->key)};
}
}  // namespace profile_detail

// TS-0003 §10.3.1, §10.3.4: after the MEF handshake, "EXPORTER-oneM2M-Bootstrap"
// gives RelativeKeID and Ke (decision A1).
template <class Channel>
[[nodiscard]] result<exported_key<ke_id>> enrolment_key(Channel& ch, const fqdn& mef) {
  return profile_detail::export_split<ke_id>(ch, exporter_label::bootstrap, mef);
}

// TS-0003 §10.3.1, §10.3.5: after the MAF handshake, "EXPORTER-oneM2M-Connection"
// gives KcID and Kc; the key identifier is hexBinary(KcID)@MAF-FQDN (decision A8).
template <class Channel>
[[nodiscard]] result<exported_key<kc_id>> connection_key(Channel& ch, const fqdn& maf) {
  return profile_detail::export_split<kc_id>(ch, exporter_label::connection, maf);
}

// What a Target lets an unauthenticated peer cost the MEF or MAF behind it: an
// identity a function did not know is remembered for a while (negative cache,
// oldest dropped first), and fetches are rate-limited per function (a token
// bucket). A lookup refused by either is errc::not_found, as an unknown one is.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
struct router_limits {
  std::size_t negative_entries = 4096;
  duration negative_for = std::chrono::seconds(60);
  double burst = 32;       // fetches at once, per function
  double per_second = 16;  // and sustained
};

// TS-0003 §8.3.4.3, §8.2.2.3: a Target that sees a PSK identity whose FQDN names a
// known MEF or MAF fetches the key from that function; other identities go to the
// Target's own credentials. The resolvers are the seam to the MEF/MAF clients.
// Copies share one state (resolver() hands out a copy). Not thread-safe.
// Thread safety: one thread at a time per object; distinct objects are independent.
template <clock Clock = system_clock>
class psk_router {
 public:
  explicit psk_router(psk_resolver local, router_limits limits = {})
    requires std::same_as<Clock, system_clock>
      : psk_router(std::move(local), system_clock_, limits) {}
  psk_router(psk_resolver local, const Clock& clk, router_limits limits = {})
      : state_(std::make_shared<state>(std::move(local), &clk, limits)) {}

  void route(const fqdn& function, psk_resolver fetch) {
    state_->functions.insert_or_assign(function.str(), route_entry{std::move(fetch), state_->limits.burst, {}});
  }

  [[nodiscard]] result<psk_entry> operator()(std::string_view identity, std::string_view sni) const {
    const auto at = identity.rfind('@');
    if (at != std::string_view::npos) {
      if (auto domain = fqdn::parse(identity.substr(at + 1))) {
        if (auto it = state_->functions.find(domain->str()); it != state_->functions.end())
          return state_->fetch(it->second, identity, sni);
      }
    }
    return state_->local(identity, sni);
  }
  [[nodiscard]] psk_resolver resolver() const {
    return [self = *this](std::string_view identity, std::string_view sni) { return self(identity, sni); };
  }
  // Fetches made, and lookups refused without one (cached as unknown, or over the rate).
  [[nodiscard]] std::uint64_t fetches() const noexcept { return state_->fetches; }
  [[nodiscard]] std::uint64_t refused() const noexcept { return state_->refused; }

 private:
  struct route_entry {
    psk_resolver fetch;
    double tokens;
    time_point last;
  };
  struct state {
    state(psk_resolver l, const Clock* c, router_limits lim) : local(std::move(l)), clk(c), limits(lim) {}
    psk_resolver local;
    const Clock* clk;
    router_limits limits;
    std::map<std::string, route_entry> functions;
    std::map<std::string, time_point, std::less<>> unknown;  // identity -> remembered until
    std::deque<std::string> unknown_order;
    std::uint64_t fetches = 0, refused = 0;

    result<psk_entry> fetch(route_entry& r, std::string_view identity, std::string_view sni) {
      const time_point now = clk->now();
      if (auto it = unknown.find(identity); it != unknown.end()) {
        if (now <= it->second) return refuse();
        unknown.erase(it);
      }
      if (r.last != time_point{} && now > r.last) {
        const double seconds = std::chrono::duration<double>(now - r.last).count();
        r.tokens = std::min(limits.burst, r.tokens + seconds * limits.per_second);
      }
      r.last = now;
      if (r.tokens < 1) return refuse();
      r.tokens -= 1;
      ++fetches;
      auto out = r.fetch(identity, sni);
      if (!out && out.error() == errc::not_found) remember(std::string(identity), now);
      return out;
    }
    result<psk_entry> refuse() {
      ++refused;
      return fail(errc::not_found);
    }
    void remember(std::string identity, time_point now) {
      if (limits.negative_entries == 0) return;
      while (unknown.size() >= limits.negative_entries && !unknown_order.empty()) {
        unknown.erase(unknown_order.front());
        unknown_order.pop_front();
      }
      if (unknown.insert_or_assign(identity, saturating_add(now, limits.negative_for)).second)
        unknown_order.push_back(std::move(identity));
      // Entries that expired were left in the order: it stays within twice the cache.
      while (unknown_order.size() > 2 * limits.negative_entries) {
        unknown.erase(unknown_order.front());
        unknown_order.pop_front();
      }
    }
  };
  static inline const system_clock system_clock_{};
  std::shared_ptr<state> state_;
};

}  // namespace m2msec::tls
