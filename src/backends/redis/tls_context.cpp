#include "backends/redis/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "nadb/errors.hpp"

namespace nadb::backends::redis {
namespace {

std::string openssl_error() {
  char text[256] = "unknown error";
  if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

std::shared_ptr<SSL_CTX> make_context(const RedisOptions& o) {
  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!context) throw IOError("TLS: cannot make an OpenSSL context: " + openssl_error());
  SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  bool trusted = o.tls_ca_file.empty() ? SSL_CTX_set_default_verify_paths(context.get()) == 1
                                       : SSL_CTX_load_verify_locations(
                                             context.get(), o.tls_ca_file.c_str(), nullptr) == 1;
  if (!trusted) {
    throw InvalidArgument("RedisOptions::tls_ca_file '" + o.tls_ca_file +
                          "' cannot be loaded: " + openssl_error());
  }
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    throw InvalidArgument(
        "RedisOptions::tls_cert_file and tls_key_file go together: a client certificate "
        "needs its key");
  }
  if (!o.tls_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(context.get(), o.tls_cert_file.c_str()) != 1) {
      throw InvalidArgument("RedisOptions::tls_cert_file '" + o.tls_cert_file +
                            "' cannot be loaded: " + openssl_error());
    }
    if (SSL_CTX_use_PrivateKey_file(context.get(), o.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(context.get()) != 1) {
      throw InvalidArgument(
          "RedisOptions::tls_key_file '" + o.tls_key_file +
          "' cannot be loaded or does not match tls_cert_file: " + openssl_error());
    }
  }
  return context;
}

// A file's name and what identifies its content's version (inode, size, modification time):
// a certificate rotated in place gets a new context.
std::string version_of(const std::string& path) {
  struct stat info {};
  if (path.empty() || ::stat(path.c_str(), &info) != 0) return path;
  return path + '|' + std::to_string(info.st_ino) + '|' + std::to_string(info.st_size) + '|' +
         std::to_string(info.st_mtim.tv_sec) + '.' + std::to_string(info.st_mtim.tv_nsec);
}

}  // namespace

SSL_CTX* tls_context(const RedisOptions& options) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<SSL_CTX>> contexts;
  std::string key = version_of(options.tls_ca_file) + '\n' + version_of(options.tls_cert_file) +
                    '\n' + version_of(options.tls_key_file);
  std::lock_guard lock(mutex);
  std::shared_ptr<SSL_CTX>& context = contexts[key];
  if (!context) context = make_context(options);
  return context.get();
}

}  // namespace nadb::backends::redis
