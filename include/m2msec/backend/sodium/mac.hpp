// m2msec: HMAC-SHA-256 and HMAC-SHA-512 on libsodium.
#pragma once

#include "m2msec/backend/sodium/init.hpp"
#include "m2msec/core/ct.hpp"
#include "m2msec/crypto/concepts.hpp"

namespace m2msec::backend::sodium_detail {

template <class Alg> struct mac_calls {
  static constexpr bool defined = false;
};
template <> struct mac_calls<crypto::hmac_sha256> {
  static constexpr bool defined = true;
  using state = crypto_auth_hmacsha256_state;
  static void init(state* s, const byte* k, std::size_t n) noexcept { crypto_auth_hmacsha256_init(s, k, n); }
  static void update(state* s, const byte* m, std::size_t n) noexcept { crypto_auth_hmacsha256_update(s, m, n); }
  static void final(state* s, byte* out) noexcept { crypto_auth_hmacsha256_final(s, out); }
};
template <> struct mac_calls<crypto::hmac_sha512> {
  static constexpr bool defined = true;
  using state = crypto_auth_hmacsha512_state;
  static void init(state* s, const byte* k, std::size_t n) noexcept { crypto_auth_hmacsha512_init(s, k, n); }
  static void update(state* s, const byte* m, std::size_t n) noexcept { crypto_auth_hmacsha512_update(s, m, n); }
  static void final(state* s, byte* out) noexcept { crypto_auth_hmacsha512_final(s, out); }
};

}  // namespace m2msec::backend::sodium_detail

namespace m2msec::crypto {

// The key is absorbed once: the keyed state is kept and copied for each message,
// which saves the two compression calls of HMAC's key setup on every tag.
template <class Alg>
  requires backend::sodium_detail::mac_calls<Alg>::defined
class mac<Alg, backend::sodium> {
  using calls = backend::sodium_detail::mac_calls<Alg>;
  using state = typename calls::state;

 public:
  static constexpr std::size_t tag_size = Alg::tag_size;

  [[nodiscard]] static result<mac> create(bytes_view key) {
    if (!backend::sodium_detail::ready()) return fail(errc::backend_failure);
    auto s = secret::allocate(2 * sizeof(state));  // [keyed | running]
    if (!s) return fail(s.error());
    mac m(std::move(*s));
    static constexpr byte no_key = 0;  // libsodium takes no null pointer, even for an empty key
    calls::init(m.keyed(), key.empty() ? &no_key : key.data(), key.size());
    std::memcpy(m.running(), m.keyed(), sizeof(state));
    return m;
  }

  [[nodiscard]] result<void> update(bytes_view msg) noexcept {
    calls::update(running(), msg.data(), msg.size());
    return {};
  }
  // Writes the tag and starts over with the same key.
  [[nodiscard]] result<void> finish(mutable_bytes tag) noexcept {
    if (tag.size() < tag_size) return fail(errc::buffer_too_small);
    calls::final(running(), tag.data());
    std::memcpy(running(), keyed(), sizeof(state));
    return {};
  }
  [[nodiscard]] result<void> compute(bytes_view msg, mutable_bytes tag) noexcept {
    if (tag.size() < tag_size) return fail(errc::buffer_too_small);
    state s;
    std::memcpy(&s, keyed(), sizeof(state));
    calls::update(&s, msg.data(), msg.size());
    calls::final(&s, tag.data());
    ct::wipe(&s, sizeof s);
    return {};
  }
  // One message given in parts, keyed for this call only. The state lives on the
  // stack and is wiped: no allocation (the key schedule's derivations use this).
  [[nodiscard]] static result<void> compute_once(bytes_view key, std::span<const bytes_view> parts,
                                                 mutable_bytes tag) noexcept {
    if (tag.size() < tag_size) return fail(errc::buffer_too_small);
    if (!backend::sodium_detail::ready()) return fail(errc::backend_failure);
    static constexpr byte no_key = 0;
    state s;
    calls::init(&s, key.empty() ? &no_key : key.data(), key.size());
    for (bytes_view p : parts) calls::update(&s, p.empty() ? &no_key : p.data(), p.size());
    calls::final(&s, tag.data());
    ct::wipe(&s, sizeof s);
    return {};
  }
  [[nodiscard]] result<void> verify(bytes_view msg, bytes_view tag) noexcept {
    byte expected[tag_size];
    (void)compute(msg, expected);
    const bool ok = ct::equal(expected, tag);
    ct::wipe(expected, sizeof expected);
    if (!ok) return fail(errc::auth_failed);
    return {};
  }

 private:
  explicit mac(secret s) noexcept : state_(std::move(s)) {}
  state* keyed() noexcept { return reinterpret_cast<state*>(state_.expose().data()); }
  state* running() noexcept { return keyed() + 1; }
  secret state_;
};

static_assert(mac_policy<mac<hmac_sha256, backend::sodium>>);
static_assert(mac_policy<mac<hmac_sha512, backend::sodium>>);

}  // namespace m2msec::crypto
