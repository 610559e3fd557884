// m2msec: the core types; no backend headers.
#pragma once

#include "m2msec/core/bytes.hpp"
#include "m2msec/core/clock.hpp"
#include "m2msec/core/ct.hpp"
#include "m2msec/core/encoding.hpp"
#include "m2msec/core/errc.hpp"
#include "m2msec/core/result.hpp"
#include "m2msec/core/secret.hpp"
#include "m2msec/core/validity.hpp"
