// m2msec: who holds a credential, and who a security association is bound to.
#pragma once

#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "m2msec/identity/credential_id.hpp"
#include "m2msec/identity/identifiers.hpp"

namespace m2msec {

// The holder of a credential: a CSE, an AE, an M2M Node, or (for MEF and MAF) an FQDN.
using entity_id = std::variant<cse_id, ae_id, node_id, fqdn>;

[[nodiscard]] inline std::string to_string(const entity_id& e) {
  return std::visit([](const auto& v) -> std::string { return v.str(); }, e);
}

// TS-0003 §8.2.1: after the handshake the Registrar binds the association to a
// single CSE-ID, a single AE-ID, a list of allowed AE-IDs (Device or Node-ID
// certificates only), or, when no identity can be read from the credential, a
// Credential-ID that configuration, the MAF/MEF or <serviceSubscribedAppRule>
// later maps to an identity.
using bound_identity = std::variant<cse_id, ae_id, std::vector<ae_id>, credential_id>;

[[nodiscard]] inline std::string to_string(const bound_identity& b) {
  return std::visit(
      [](const auto& v) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::vector<ae_id>>) {
          std::string s = "[";
          for (const auto& a : v) {
            if (s.size() > 1) s += ',';
            s += a.str();
          }
          return s + "]";
        } else {
          return v.str();
        }
      },
      b);
}

// TS-0003 §8.2.1: whether a credential held by `holder`, known as `id`, vouches
// for binding an association to `peer`: its own Credential-ID, or the very CSE-ID
// or AE-ID that holds it (same kind, same form). A list of AE-IDs comes from
// Device or Node-ID certificates only, never from a symmetric credential.
[[nodiscard]] inline bool vouches_for(const entity_id& holder, const credential_id& id, const bound_identity& peer) {
  if (const auto* c = std::get_if<credential_id>(&peer)) return c->str() == id.str();
  if (const auto* c = std::get_if<cse_id>(&peer)) {
    const auto* h = std::get_if<cse_id>(&holder);
    return h != nullptr && h->str() == c->str();
  }
  if (const auto* a = std::get_if<ae_id>(&peer)) {
    const auto* h = std::get_if<ae_id>(&holder);
    return h != nullptr && h->str() == a->str();
  }
  return false;
}

}  // namespace m2msec
