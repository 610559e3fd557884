// m2msec: the TS-0003 §10.3.6 end-to-end key chain, with the hash as a policy.
#pragma once

#include "m2msec/backend/mac.hpp"
#include "m2msec/kdf/key_schedule.hpp"

namespace m2msec {

// TS-0003 §10.3.6: the end-to-end key chain. Decision A11: the hash is a policy
// (SHA-256 by default) and the chain is computed as written, not as HKDF-Expand:
//   Ke2e_master = HMAC-Hash(Salt, Kpsa)   (an absent salt is HashLen zero bytes)
//   T(i) = HMAC-Hash(Ke2e_master, T(i-1) | label(i) | i), T(0) empty
// `out` receives master | msg_auth | msg_conf | att_auth | att_conf, Hash::size bytes each.
// Thread safety: a value; threads may read one object at once, a writer needs the caller's lock.
template <class Hash = crypto::sha256, class Backend = crypto::default_backend_t<crypto::hmac<Hash>>>
struct ke2e_chain {
  static constexpr std::size_t key_size = Hash::size, output_size = 5 * Hash::size;
  enum part : std::size_t { master = 0, msg_auth = 1, msg_conf = 2, att_auth = 3, att_conf = 4 };

  [[nodiscard]] static result<void> derive(bytes_view salt, bytes_view kpsa, mutable_bytes out) {
    if (out.size() != output_size) return fail(errc::invalid_argument);
    if (kpsa.empty()) return fail(errc::invalid_key_size);
    static constexpr byte zeros[key_size] = {};
    auto at = [&](std::size_t i) { return out.subspan(i * key_size, key_size); };
    using hmac = crypto::hmac<Hash>;
    auto r = crypto::mac_once<hmac, Backend>(salt.empty() ? bytes_view(zeros) : salt, {kpsa}, at(master));
    static constexpr std::string_view labels[] = {kdf_label::e2e_msg_auth, kdf_label::e2e_msg_conf,
                                                  kdf_label::e2e_att_auth, kdf_label::e2e_att_conf};
    for (std::size_t i = 1; r && i <= 4; ++i) {
      const byte counter = static_cast<byte>(i);
      const bytes_view previous = i == 1 ? bytes_view() : bytes_view(at(i - 1));
      r = crypto::mac_once<hmac, Backend>(at(master), {previous, as_bytes(labels[i - 1]), {&counter, 1}}, at(i));
    }
    if (!r) ct::wipe(out);
    return r;
  }
  [[nodiscard]] static result<secret> derive(bytes_view salt, const secret& kpsa) {
    auto s = secret::allocate(output_size);
    if (!s) return fail(s.error());
    if (auto r = derive(salt, kpsa.expose(), s->expose()); !r) return fail(r.error());
    return std::move(*s);
  }
  [[nodiscard]] static bytes_view key(const secret& chain, part p) noexcept {
    return chain.expose().subspan(p * key_size, key_size);
  }
};

}  // namespace m2msec
