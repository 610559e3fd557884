// m2msec: AES key wrap (RFC 3394).
#pragma once

#include "m2msec/backend/botan/keywrap.hpp"
#include "m2msec/crypto/concepts.hpp"
