// TlsFiles: certificates for TLS tests, made by the openssl command line in a temp folder: a
// CA, a server certificate it signed for 127.0.0.1 and localhost, the same expired, a client
// certificate it signed, and a second CA that signed none of them. Part of nadb_support.
#pragma once

#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace nadb::testing {

class TlsFiles {
 public:
  // Throws std::runtime_error if openssl fails (scripts/bootstrap.sh installs it).
  TlsFiles();

  std::string ca() const { return dir_.sub("ca.crt"); }
  std::string other_ca() const { return dir_.sub("other-ca.crt"); }
  std::string server_cert() const { return dir_.sub("server.crt"); }
  std::string server_key() const { return dir_.sub("server.key"); }
  std::string expired_cert() const { return dir_.sub("expired.crt"); }
  std::string client_cert() const { return dir_.sub("client.crt"); }
  std::string client_key() const { return dir_.sub("client.key"); }

  // redis-server arguments for a TLS port at port with cert (server_cert() or
  // expired_cert()); clients must present a certificate the CA signed when
  // require_client_cert.
  std::vector<std::string> server_args(int port, const std::string& cert,
                                       bool require_client_cert = false) const;

 private:
  TempDir dir_;
};

}  // namespace nadb::testing
