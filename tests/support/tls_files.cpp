#include "support/tls_files.hpp"

#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace nadb::testing {
namespace {

void openssl(const std::string& folder, const std::string& args) {
  std::string command = "cd '" + folder + "' && openssl " + args + " >>openssl.log 2>&1";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("openssl " + args + " failed; see " + folder + "/openssl.log");
}

}  // namespace

TlsFiles::TlsFiles() {
  const std::string& d = dir_.path();
  auto self_signed = [&](const std::string& name, const std::string& subject) {
    openssl(d, "req -x509 -newkey rsa:2048 -nodes -keyout " + name + ".key -out " + name +
                   ".crt -days 3650 -subj '/CN=" + subject + "'");
  };
  auto signed_by_ca = [&](const std::string& name, const std::string& key,
                          const std::string& subject, int days) {
    openssl(d, "req -new -key " + key + " -out " + name + ".csr -subj '/CN=" + subject + "'");
    openssl(d, "x509 -req -in " + name + ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -out " +
                   name + ".crt -days " + std::to_string(days) + " -extfile san.ext");
  };
  self_signed("ca", "nadb test CA");
  self_signed("other-ca", "another CA");
  if (std::system(("printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > '" + d + "/san.ext'")
                      .c_str()) != 0) {
    throw std::runtime_error("cannot write " + d + "/san.ext");
  }
  openssl(d, "genrsa -out server.key 2048");
  openssl(d, "genrsa -out client.key 2048");
  signed_by_ca("server", "server.key", "localhost", 365);
  signed_by_ca("expired", "server.key", "localhost", -1);  // ends before it starts
  signed_by_ca("client", "client.key", "nadb client", 365);
}

std::vector<std::string> TlsFiles::server_args(int port, const std::string& cert,
                                               bool require_client_cert) const {
  return {"--tls-port",         std::to_string(port),
          "--tls-cert-file",    cert,
          "--tls-key-file",     server_key(),
          "--tls-ca-cert-file", ca(),
          "--tls-auth-clients", require_client_cert ? "yes" : "no"};
}

}  // namespace nadb::testing
