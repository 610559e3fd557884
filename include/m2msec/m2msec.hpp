// m2msec: everything.
#pragma once

#include "m2msec/core.hpp"
#include "m2msec/crypto.hpp"
