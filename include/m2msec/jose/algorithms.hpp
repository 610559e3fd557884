// m2msec: the JOSE algorithms TS-0003 §8.4.3 and §8.5.3 name (RFC 7518), and
// sets of them. Nothing else parses: no PBES2, no CBC-HS, no zip.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace m2msec::jose {

// TS-0003 §8.5.3: JWE "alg" values and JWS "alg" values; `none` only for
// unsecured oneM2M tokens, and only when the caller asks for one.
enum class alg : std::uint8_t {
  dir, a128kw, a192kw, a256kw, ecdh_es, ecdh_es_a128kw, ecdh_es_a192kw, ecdh_es_a256kw, rsa_oaep_256,
  hs256, hs384, hs512, es256, es384, es512, rs256, rs384, rs512, none,
};
inline constexpr alg all_algs[] = {
    alg::dir,   alg::a128kw, alg::a192kw, alg::a256kw, alg::ecdh_es, alg::ecdh_es_a128kw, alg::ecdh_es_a192kw,
    alg::ecdh_es_a256kw, alg::rsa_oaep_256, alg::hs256, alg::hs384, alg::hs512, alg::es256, alg::es384,
    alg::es512, alg::rs256, alg::rs384, alg::rs512, alg::none,
};

// TS-0003 §8.4.3 (ESPrim) and §8.5.3 (ESData): JWE "enc" values.
enum class enc : std::uint8_t { a128gcm, a192gcm, a256gcm };
inline constexpr enc all_encs[] = {enc::a128gcm, enc::a192gcm, enc::a256gcm};

// The names, at namespace scope: a table local to a constexpr function is
// rebuilt on the stack at each call.
inline constexpr std::string_view alg_names[] = {"dir",   "A128KW", "A192KW", "A256KW", "ECDH-ES", "ECDH-ES+A128KW",
                                                 "ECDH-ES+A192KW", "ECDH-ES+A256KW", "RSA-OAEP-256", "HS256", "HS384",
                                                 "HS512", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "none"};
inline constexpr std::string_view enc_names[] = {"A128GCM", "A192GCM", "A256GCM"};

[[nodiscard]] constexpr std::string_view to_string(alg a) noexcept { return alg_names[static_cast<std::size_t>(a)]; }
[[nodiscard]] constexpr std::string_view to_string(enc e) noexcept { return enc_names[static_cast<std::size_t>(e)]; }
// Exact, case-sensitive names (RFC 7515 §4.1.1).
[[nodiscard]] constexpr std::optional<alg> parse_alg(std::string_view s) noexcept {
  for (alg a : all_algs)
    if (to_string(a) == s) return a;
  return std::nullopt;
}
[[nodiscard]] constexpr std::optional<enc> parse_enc(std::string_view s) noexcept {
  for (enc e : all_encs)
    if (to_string(e) == s) return e;
  return std::nullopt;
}

[[nodiscard]] constexpr std::size_t key_size(enc e) noexcept { return 16 + 8 * static_cast<std::size_t>(e); }

[[nodiscard]] constexpr bool is_signature(alg a) noexcept { return a >= alg::hs256 && a <= alg::rs512; }
[[nodiscard]] constexpr bool is_encryption(alg a) noexcept { return a <= alg::rsa_oaep_256; }
[[nodiscard]] constexpr bool is_key_wrap(alg a) noexcept { return a >= alg::a128kw && a <= alg::a256kw; }
[[nodiscard]] constexpr bool is_ecdh(alg a) noexcept { return a >= alg::ecdh_es && a <= alg::ecdh_es_a256kw; }
[[nodiscard]] constexpr bool is_hmac(alg a) noexcept { return a >= alg::hs256 && a <= alg::hs512; }
[[nodiscard]] constexpr bool is_ecdsa(alg a) noexcept { return a >= alg::es256 && a <= alg::es512; }
[[nodiscard]] constexpr bool is_rsa(alg a) noexcept {
  return a == alg::rsa_oaep_256 || (a >= alg::rs256 && a <= alg::rs512);
}
// The AES key-wrap key size of A*KW and ECDH-ES+A*KW; 0 for the others.
[[nodiscard]] constexpr std::size_t wrap_key_size(alg a) noexcept {
  switch (a) {
    case alg::a128kw: case alg::ecdh_es_a128kw: return 16;
    case alg::a192kw: case alg::ecdh_es_a192kw: return 24;
    case alg::a256kw: case alg::ecdh_es_a256kw: return 32;
    default: return 0;
  }
}

// A set of algorithms: what a key may be used for, or what a decoder accepts.
// Thread safety: one thread at a time per object; distinct objects are independent.
template <class E, std::size_t N>
class basic_set {
 public:
  constexpr basic_set() noexcept = default;
  constexpr basic_set(std::initializer_list<E> l) noexcept {
    for (E e : l) bits_ |= bit(e);
  }
  [[nodiscard]] static constexpr basic_set all() noexcept {
    basic_set s;
    s.bits_ = (std::uint32_t{1} << N) - 1;
    return s;
  }
  [[nodiscard]] constexpr bool contains(E e) const noexcept { return (bits_ & bit(e)) != 0; }
  [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }
  constexpr basic_set& insert(E e) noexcept { bits_ |= bit(e); return *this; }
  constexpr basic_set& erase(E e) noexcept { bits_ &= ~bit(e); return *this; }
  [[nodiscard]] constexpr basic_set operator&(basic_set o) const noexcept { return from(bits_ & o.bits_); }
  [[nodiscard]] constexpr basic_set operator|(basic_set o) const noexcept { return from(bits_ | o.bits_); }
  [[nodiscard]] friend constexpr bool operator==(basic_set, basic_set) noexcept = default;

 private:
  static constexpr std::uint32_t bit(E e) noexcept { return std::uint32_t{1} << static_cast<unsigned>(e); }
  static constexpr basic_set from(std::uint32_t b) noexcept { basic_set s; s.bits_ = b; return s; }
  std::uint32_t bits_ = 0;
};
using alg_set = basic_set<alg, std::size(all_algs)>;
using enc_set = basic_set<enc, std::size(all_encs)>;

// Every secured algorithm (all but `none`).
inline constexpr alg_set secured_algs = alg_set::all().erase(alg::none);

}  // namespace m2msec::jose
