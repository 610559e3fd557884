// m2msec: JOSE (JWK, JWE, JWS) as TS-0003 §8.4.3 and §8.5.3 use it.
#pragma once

#include "m2msec/jose/jwe.hpp"
#include "m2msec/jose/jws.hpp"
#include "m2msec/jose/jwk.hpp"
#include "m2msec/jose/jwk_set.hpp"
