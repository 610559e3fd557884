// m2msec: everything.
#pragma once

#include "m2msec/core.hpp"
#include "m2msec/core/rsc.hpp"
#include "m2msec/credential/certificate.hpp"
#include "m2msec/credential/store.hpp"
#include "m2msec/credential/symmetric.hpp"
#include "m2msec/crypto.hpp"
#include "m2msec/e2e.hpp"
#include "m2msec/enrolment/records.hpp"
#include "m2msec/identity.hpp"
#include "m2msec/kdf/hkdf.hpp"
#include "m2msec/kdf/ke2e.hpp"
#include "m2msec/kdf/key_schedule.hpp"
#include "m2msec/sa/bound.hpp"
#include "m2msec/sa/registry.hpp"
#include "m2msec/sa/security_association.hpp"
