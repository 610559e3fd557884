// m2msec: HMAC. mac<Alg, Backend> for every backend that has Alg, and mac_once.
#pragma once

#include "m2msec/backend/botan/mac.hpp"
#include "m2msec/backend/mac_once.hpp"
#include "m2msec/backend/sodium/mac.hpp"
