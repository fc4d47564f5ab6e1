#pragma once
// The secret core: Secret buffers, AES-256-GCM, sealed fields, master and data keys.
#include "harvest_connect/crypto/aes_gcm.hpp"
#include "harvest_connect/crypto/core_dumps.hpp"
#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/envelope.hpp"
#include "harvest_connect/crypto/key_file.hpp"
#include "harvest_connect/crypto/mac.hpp"
#include "harvest_connect/crypto/master_key.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/crypto/scrypt.hpp"
#include "harvest_connect/crypto/sealed_field.hpp"
#include "harvest_connect/crypto/secret.hpp"
