// The OpenSSL context (SSL_CTX) of a TLS configuration: trusted CAs, the client certificate,
// verification on. Made once per configuration in a process and shared by its connections
// (loading a CA store takes milliseconds; a connection must not pay it).
#pragma once

#include <openssl/types.h>

#include "nadb/options.hpp"

namespace nadb::backends::redis {

// The context for options' tls_* settings. Throws InvalidArgument naming the setting when a
// CA, certificate or key file cannot be loaded, or the key does not match the certificate.
// Thread-safe; the context lives as long as the process.
SSL_CTX* tls_context(const RedisOptions& options);

}  // namespace nadb::backends::redis
