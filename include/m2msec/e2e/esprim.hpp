// m2msec: ESPrim, end-to-end security of primitives (TS-0003 §8.4, TS-0001
// §11.4.2, TS-0004 §7.6.2). An Originator and a Receiver share a
// pairwiseESPrimKey; with two rand objects they derive a sessionESPrimKey
// (TS-0003 §10.3.8) that lives in a security association ending no later than
// either rand object and strictly before the pairwise key. Each request and
// response primitive travels as a JWE compact ("dir", A128/192/256GCM) inside
// a NOTIFY whose content is m2m:securityInfo with sit = 5: that NOTIFY, as an
// nlohmann-json document, is esprim/notify.hpp, included on its own.
#pragma once

#include "m2msec/e2e/esprim/common.hpp"       // identifiers, refusals
#include "m2msec/e2e/esprim/originator.hpp"   // the Originator
#include "m2msec/e2e/esprim/rand_object.hpp"  // rand objects
#include "m2msec/e2e/esprim/receiver.hpp"     // the Receiver
#include "m2msec/e2e/esprim/session.hpp"      // the session key, headers, the inner From
#include "m2msec/e2e/esprim/timestamp.hpp"    // m2m:timestamp
