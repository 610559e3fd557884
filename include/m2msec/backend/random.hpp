// m2msec: random bytes. rng<> is libsodium's; rng<backend::botan> is Botan's System_RNG.
#pragma once

#include "m2msec/backend/botan/random.hpp"
#include "m2msec/backend/sodium/random.hpp"
#include "m2msec/crypto/concepts.hpp"
