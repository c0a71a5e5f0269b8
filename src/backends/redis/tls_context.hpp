// The OpenSSL context (SSL_CTX) of a TLS configuration: trusted CAs, the client certificate,
// verification on. Made once per configuration and version of its files in a process and
// shared by its connections (loading a CA store takes milliseconds; a connection must not pay
// it); a file replaced or rewritten in place (a rotated certificate) makes a new one for the
// connections made after.
#pragma once

#include <openssl/types.h>

#include "nadb/options.hpp"

namespace nadb::backends::redis {

// The context for options' tls_* settings. Throws InvalidArgument naming the setting when a
// CA, certificate or key file cannot be loaded, or the key does not match the certificate.
// Thread-safe; a context lives as long as the process (one per version of the files: rotations
// are rare).
SSL_CTX* tls_context(const RedisOptions& options);

}  // namespace nadb::backends::redis
