#include "backends/redis/stream.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "backends/redis/tls_context.hpp"
#include "nadb/errors.hpp"

namespace nadb::backends::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

// False (errno set) when the kernel refuses the timeout.
bool set_timeouts(int fd, std::chrono::milliseconds timeout) {
  timeval value = to_timeval(timeout);
  return ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value) == 0 &&
         ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof value) == 0;
}

bool timed_out(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINPROGRESS;
}

std::string system_error(int error) {
  return timed_out(error) ? "timed out" : std::strerror(error);
}

bool is_ip_address(const std::string& host) {
  unsigned char address[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), address) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), address) == 1;
}

// OpenSSL writes to the socket with write(2), which raises SIGPIPE when the server has gone:
// while one lives, this thread blocks SIGPIPE, and a SIGPIPE raised meanwhile is consumed.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlocked() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      timespec none{0, 0};
      sigtimedwait(&pipe_, nullptr, &none);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

}  // namespace

Stream::Stream(const RedisOptions& options, const std::string& address) : address_(address) {
  try {
    const auto deadline = Clock::now() + options.connect_timeout;
    connect_socket(options, deadline);
    if (options.tls) start_tls(options, deadline);
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
    if (!set_timeouts(fd_, options.socket_timeout))
      fail("setting the socket timeout", system_error(errno));
  } catch (...) {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    throw;
  }
}

Stream::~Stream() {
  if (ssl_) SSL_free(ssl_);  // no close_notify: the server needs none, and it may be gone
  if (fd_ >= 0) ::close(fd_);
}

void Stream::fail(const char* doing, const std::string& cause) const {
  throw BackendUnavailable("redis at " + address_ + " unavailable while " + doing + ": " + cause);
}

void Stream::connect_socket(const RedisOptions& options, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(options.port);
  if (int error = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found); error != 0)
    fail("connecting", std::string("cannot resolve the host: ") + ::gai_strerror(error));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> addresses(found, ::freeaddrinfo);
  std::string cause = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int error = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (error == EINPROGRESS) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd wait{fd, POLLOUT, 0};
      int ready = ::poll(&wait, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
      socklen_t length = sizeof error;
      if (ready <= 0) {
        error = ETIMEDOUT;
      } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        error = errno;
      }
    }
    if (error == 0) {  // still non-blocking: the TLS handshake keeps the deadline too
      int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
      fd_ = fd;
      return;
    }
    ::close(fd);
    cause = error == ETIMEDOUT ? "connect timed out" : std::strerror(error);
  }
  fail("connecting", cause);
}

void Stream::start_tls(const RedisOptions& options, Clock::time_point deadline) {
  ssl_ = SSL_new(tls_context(options));
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) fail("starting TLS", tls_error(0));
  const std::string& name =
      options.tls_server_name.empty() ? options.host : options.tls_server_name;
  if (is_ip_address(name)) {  // a certificate names an IP address as such, without SNI
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), name.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_, name.c_str());
    SSL_set1_host(ssl_, name.c_str());
  }
  SigpipeBlocked quiet;
  for (;;) {  // on the non-blocking socket, so that the whole handshake keeps the deadline
    ERR_clear_error();
    int result = SSL_connect(ssl_);
    if (result == 1) return;
    int kind = SSL_get_error(ssl_, result);
    if (kind != SSL_ERROR_WANT_READ && kind != SSL_ERROR_WANT_WRITE) {
      long verified = SSL_get_verify_result(ssl_);
      if (verified != X509_V_OK) {
        fail("starting TLS", std::string("the server's certificate does not verify: ") +
                                 X509_verify_cert_error_string(verified) +
                                 " (RedisOptions::tls_ca_file names the CA that signed it; "
                                 "tls_server_name the name it is for)");
      }
      fail("starting TLS", tls_error(result) +
                               " (is it a TLS port? does the server want a client certificate: "
                               "RedisOptions::tls_cert_file?)");
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd wait{fd_, static_cast<short>(kind == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
    if (left.count() <= 0 || ::poll(&wait, 1, static_cast<int>(left.count())) <= 0)
      fail("starting TLS", "the handshake did not finish within connect_timeout");
  }
}

std::string Stream::tls_error(int result) const {
  int saved = errno;
  int kind = ssl_ ? SSL_get_error(ssl_, result) : SSL_ERROR_SSL;
  if (kind == SSL_ERROR_ZERO_RETURN) return "the server closed the connection";
  if (kind == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
    if (saved == 0) return "the server closed the connection";
    if (!replied_ && (saved == ECONNRESET || saved == EPIPE)) {
      return system_error(saved) +
             " (a TLS server that wants a client certificate closes the connection after the "
             "handshake: RedisOptions::tls_cert_file)";
    }
    return system_error(saved);
  }
  if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) return "timed out";
  char text[256] = "TLS error";
  if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

void Stream::write_all(const char* data, std::size_t size, const char* doing) {
  if (ssl_) {
    SigpipeBlocked quiet;
    while (size > 0) {
      ERR_clear_error();
      int chunk = static_cast<int>(std::min<std::size_t>(size, 1 << 30));
      int written = SSL_write(ssl_, data, chunk);
      if (written <= 0) fail(doing, tls_error(written));
      data += written;
      size -= static_cast<std::size_t>(written);
    }
    return;
  }
  while (size > 0) {
    ssize_t written = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) fail(doing, system_error(errno));
    data += written;
    size -= static_cast<std::size_t>(written);
  }
}

std::size_t Stream::read_some(char* buffer, std::size_t capacity, const char* doing) {
  if (ssl_) {
    SigpipeBlocked quiet;  // a read may write too (TLS 1.3 key updates)
    ERR_clear_error();
    errno = 0;
    int got = SSL_read(ssl_, buffer, static_cast<int>(std::min<std::size_t>(capacity, 1 << 30)));
    if (got <= 0) fail(doing, tls_error(got));
    replied_ = true;
    return static_cast<std::size_t>(got);
  }
  for (;;) {
    ssize_t got = ::recv(fd_, buffer, capacity, 0);
    if (got > 0) return static_cast<std::size_t>(got);
    if (got == 0) fail(doing, "the server closed the connection");
    if (errno != EINTR) fail(doing, system_error(errno));
  }
}

}  // namespace nadb::backends::redis
