// m2msec: HMAC. mac<Alg, Backend> for every backend that has Alg.
#pragma once

#include "m2msec/backend/botan/mac.hpp"
#include "m2msec/backend/sodium/mac.hpp"
#include "m2msec/crypto/concepts.hpp"
