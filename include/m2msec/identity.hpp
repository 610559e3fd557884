// m2msec: oneM2M identifiers, SUIDs, Credential-IDs and key identifiers.
#pragma once

#include "m2msec/identity/credential_id.hpp"
#include "m2msec/identity/fqdn.hpp"
#include "m2msec/identity/identifiers.hpp"
#include "m2msec/identity/key_id.hpp"
