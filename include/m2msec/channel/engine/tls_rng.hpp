// m2msec: random numbers for Botan's TLS engine, as a policy. Botan's TLS asks its
// RNG for every handshake and every CBC record IV; a per-object seeded DRBG
// (AutoSeeded_RNG) costs up to 75 % of small-record time (toolchain notes §10), so
// m2msec hands it the operating system's RNG or libsodium's.
#pragma once

#include <botan/exceptn.h>
#include <botan/rng.h>
#include <botan/system_rng.h>

#include "m2msec/backend/random.hpp"

namespace m2msec::tls {

// getrandom(2) through Botan's System_RNG: no state of its own.
// Thread safety: no state; use it from any thread.
struct system_rng {
  [[nodiscard]] static Botan::RandomNumberGenerator& get() noexcept { return Botan::system_rng(); }
};

// libsodium's random policy behind Botan's interface.
// Thread safety: no state; use it from any thread.
struct sodium_rng {
  using policy = crypto::rng<backend::sodium>;
  class engine final : public Botan::RandomNumberGenerator {
   public:
    void randomize(uint8_t output[], size_t length) override {
      if (!policy::fill({output, length})) throw Botan::PRNG_Unseeded("libsodium");
    }
    bool accepts_input() const override { return false; }
    void add_entropy(const uint8_t[], size_t) override {}
    std::string name() const override { return "libsodium"; }
    void clear() override {}
    bool is_seeded() const override { return policy::fill({}).has_value(); }
  };
  [[nodiscard]] static Botan::RandomNumberGenerator& get() noexcept {
    static engine e;
    return e;
  }
};

template <class R>
concept tls_rng_policy = requires {
  { R::get() } -> std::same_as<Botan::RandomNumberGenerator&>;
};
static_assert(tls_rng_policy<system_rng>);
static_assert(tls_rng_policy<sodium_rng>);

}  // namespace m2msec::tls
