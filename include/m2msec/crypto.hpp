// m2msec: every primitive on every backend.
#pragma once

#include "m2msec/backend/aead.hpp"
#include "m2msec/kdf/hkdf.hpp"
#include "m2msec/backend/key_agreement.hpp"
#include "m2msec/backend/keywrap.hpp"
#include "m2msec/backend/mac.hpp"
#include "m2msec/backend/public_random.hpp"
#include "m2msec/backend/random.hpp"
#include "m2msec/backend/signature.hpp"
