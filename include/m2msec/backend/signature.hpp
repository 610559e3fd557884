// m2msec: ECDSA, Ed25519 and RSA signatures, and RSA-OAEP key encryption.
#pragma once

#include "m2msec/backend/botan/signature.hpp"
#include "m2msec/backend/sodium/signature.hpp"
#include "m2msec/crypto/concepts.hpp"
