// m2msec: every primitive on every backend.
#pragma once

#include "m2msec/crypto/aead.hpp"
#include "m2msec/crypto/kdf.hpp"
#include "m2msec/crypto/key_agreement.hpp"
#include "m2msec/crypto/keywrap.hpp"
#include "m2msec/crypto/mac.hpp"
#include "m2msec/crypto/public_random.hpp"
#include "m2msec/crypto/random.hpp"
#include "m2msec/crypto/signature.hpp"
