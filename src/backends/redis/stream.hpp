// Stream: the bytes of one connection to a Redis server — a TCP socket, with TLS over it when
// RedisOptions::tls asks (OpenSSL; the server's certificate verified, never a plaintext
// fallback). Connection formats commands and parses replies with hiredis's formatter and
// reader on top of it, so there is one protocol implementation whatever the transport.
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "nadb/options.hpp"

namespace nadb::backends::redis {

class Stream {
 public:
  // Connects to options.host:options.port within connect_timeout (and completes the TLS
  // handshake, verifying the server's certificate and name); later reads and writes wait up
  // to socket_timeout. Throws BackendUnavailable naming address and cause (a refused
  // connection, a timeout, a certificate that does not verify, and why).
  Stream(const RedisOptions& options, const std::string& address);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Writes all of data. Throws BackendUnavailable (doing names the step) on an error or a
  // timeout.
  void write_all(const char* data, std::size_t size, const char* doing);
  // Reads what has arrived (at least one byte) into buffer. Throws BackendUnavailable on an
  // error, a timeout or the server closing the connection.
  std::size_t read_some(char* buffer, std::size_t capacity, const char* doing);

 private:
  [[noreturn]] void fail(const char* doing, const std::string& cause) const;
  using Clock = std::chrono::steady_clock;
  // Both leave the socket non-blocking and end by deadline.
  void connect_socket(const RedisOptions& options, Clock::time_point deadline);
  void start_tls(const RedisOptions& options, Clock::time_point deadline);
  // The cause of the last failed OpenSSL call on ssl_ (result: its return value).
  std::string tls_error(int result) const;

  const std::string address_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool replied_ = false;  // the server has sent data after the TLS handshake
};

}  // namespace nadb::backends::redis
