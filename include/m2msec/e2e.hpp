// m2msec: object-based end-to-end security (TS-0003 §8.4, §8.5, §7.3.2.4): JOSE,
// ESPrim, ESData and oneM2M tokens.
#pragma once

#include "m2msec/e2e/esdata.hpp"
#include "m2msec/e2e/esprim.hpp"
#include "m2msec/e2e/esprim/notify.hpp"
#include "m2msec/jose.hpp"
#include "m2msec/e2e/replay_cache.hpp"
#include "m2msec/e2e/token.hpp"
