// m2msec: ECDH (P-256/384/521) and X25519.
#pragma once

#include "m2msec/backend/botan/key_agreement.hpp"
#include "m2msec/backend/sodium/key_agreement.hpp"
#include "m2msec/crypto/concepts.hpp"
