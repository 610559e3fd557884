// m2msec: every AEAD Botan 2 provides to m2msec.
#pragma once

#include "m2msec/backend/botan/ccm.hpp"
#include "m2msec/backend/botan/chacha20_poly1305.hpp"
#include "m2msec/backend/botan/gcm.hpp"
