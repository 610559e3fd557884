// m2msec: authenticated encryption. aead<Alg, Backend> for every backend that has
// Alg; aead<Alg> picks the default backend (crypto/algorithms.hpp).
#pragma once

#include "m2msec/backend/botan/aead.hpp"
#include "m2msec/backend/sodium/aead.hpp"
#include "m2msec/crypto/concepts.hpp"
