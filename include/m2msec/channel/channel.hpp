// m2msec: the oneM2M secure channel (TS-0001 §11.3.2, TS-0003 §8.2, §10.2): TLS 1.2
// or DTLS 1.2 with no I/O of its own, bound to a security association.
//
// The TLS engine is a seam: tls::channel names the engine m2msec uses, Botan 2's
// today (engine/botan_channel.hpp). Callers name tls::channel, its options, its
// factories and its members only, so a second engine can take its place without
// touching them. Botan's headers appear only under channel/engine/.
#pragma once

#include "m2msec/channel/engine/botan_channel.hpp"

namespace m2msec::tls {

template <clock Clock = system_clock, tls_rng_policy Rng = system_rng>
using channel = botan_channel<Clock, Rng>;

}  // namespace m2msec::tls
