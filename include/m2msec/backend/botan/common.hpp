// m2msec: what every Botan 2 adapter shares. Botan reports errors with
// exceptions; guard() turns each into an errc so none leaves a policy.
#pragma once

#include <botan/exceptn.h>
#include <botan/system_rng.h>

#include <new>
#include <string>

#include "m2msec/core/result.hpp"
#include "m2msec/crypto/algorithms.hpp"

namespace m2msec::backend::botan_detail {

// Runs f() and maps any exception to an errc. Authentication failures never
// say more than errc::auth_failed.
template <class F>
[[nodiscard]] auto guard(F&& f, errc on_decoding = errc::invalid_encoding) noexcept -> decltype(f()) {
  try {
    return f();
  } catch (const Botan::Invalid_Authentication_Tag&) {
    return fail(errc::auth_failed);
  } catch (const Botan::Decoding_Error&) {
    return fail(on_decoding);
  } catch (const Botan::Invalid_Key_Length&) {
    return fail(errc::invalid_key_size);
  } catch (const Botan::Invalid_IV_Length&) {
    return fail(errc::invalid_nonce_size);
  } catch (const Botan::Lookup_Error&) {
    return fail(errc::unsupported);
  } catch (const std::bad_alloc&) {
    return fail(errc::out_of_memory);
  } catch (...) {
    return fail(errc::backend_failure);
  }
}

// The operating system's RNG (getrandom): no per-object DRBG state to seed.
[[nodiscard]] inline Botan::RandomNumberGenerator& rng() noexcept { return Botan::system_rng(); }

}  // namespace m2msec::backend::botan_detail

namespace m2msec::backend {
// Public: the channel's engine and the certificate layer run their Botan calls through it too.
using botan_detail::guard;
}  // namespace m2msec::backend
