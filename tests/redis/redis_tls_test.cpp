// The redis backend over TLS (rediss://) against redis-server's TLS port, with certificates
// the test makes: the server's certificate is verified (CA, name, dates), a client
// certificate is sent when the server asks for one, and nothing ever falls back to plaintext.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "nadb/errors.hpp"
#include "nadb/store.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"
#include "support/tls_files.hpp"

namespace nadb::testing {
namespace {

class RedisTls : public ::testing::Test {
 protected:
  // A server with a plain port (its own) and a TLS port presenting cert.
  std::unique_ptr<RedisServer> server(int tls_port, const std::string& cert,
                                      bool require_client_cert = false) {
    return std::make_unique<RedisServer>(files_.server_args(tls_port, cert, require_client_cert));
  }
  Options tls_options(int port, const std::string& ns = "t") const {
    Options o;
    o.backend = "redis";
    o.db = "db";
    o.ns = ns;
    o.redis.url = "rediss://127.0.0.1:" + std::to_string(port) + "/";
    o.redis.tls_ca_file = files_.ca();
    o.redis.connect_timeout = std::chrono::milliseconds(1000);
    o.redis.socket_timeout = std::chrono::milliseconds(1000);
    return o;
  }
  // The message of the BackendUnavailable the first write of a store of o throws.
  static std::string refusal(const Options& o) {
    try {
      KeyValueStore store(o);
      store.set("k", "v");
    } catch (const BackendUnavailable& e) {
      return e.what();
    }
    return "no error";
  }

  TlsFiles files_;
};

TEST_F(RedisTls, AVerifiedServerServesTheStore) {
  int port = RedisServer::free_port();
  auto s = server(port, files_.server_cert());
  KeyValueStore store(tls_options(port));
  store.set("k", std::string(100000, 'x'), {"big"});  // more than one TLS record
  EXPECT_EQ(store.get("k"), std::string(100000, 'x'));
  EXPECT_EQ(store.query_by_tags({"big"}), std::vector<std::string>{"k"});
  Options by_name = tls_options(port, "named");  // verified by DNS name, with SNI
  by_name.redis.url = "rediss://localhost:" + std::to_string(port) + "/";
  KeyValueStore named(by_name);
  named.set("k", "v");
  EXPECT_EQ(named.get("k"), "v");
}

TEST_F(RedisTls, ACertificateThatDoesNotVerifyIsRefusedSayingWhy) {
  int port = RedisServer::free_port(), expired_port = RedisServer::free_port();
  auto good = server(port, files_.server_cert());
  auto expired = server(expired_port, files_.expired_cert());
  Options wrong_ca = tls_options(port, "a");
  wrong_ca.redis.tls_ca_file = files_.other_ca();
  EXPECT_NE(refusal(wrong_ca).find("certificate does not verify: self-signed certificate in"),
            std::string::npos)
      << refusal(wrong_ca);
  EXPECT_NE(refusal(tls_options(expired_port, "b")).find("certificate has expired"),
            std::string::npos)
      << refusal(tls_options(expired_port, "b"));
  Options wrong_name = tls_options(port, "c");
  wrong_name.redis.tls_server_name = "cache.example";
  EXPECT_NE(refusal(wrong_name).find("does not verify: hostname mismatch"), std::string::npos)
      << refusal(wrong_name);
}

// No plaintext fallback: TLS to a plain port fails, and so does plaintext to a TLS port.
TEST_F(RedisTls, NothingFallsBackToPlaintext) {
  int port = RedisServer::free_port();
  auto s = server(port, files_.server_cert());
  Options to_plain_port = tls_options(s->port(), "a");
  EXPECT_NE(refusal(to_plain_port).find("starting TLS"), std::string::npos)
      << refusal(to_plain_port);
  Options plain_to_tls = tls_options(port, "b");
  plain_to_tls.redis.url = "redis://127.0.0.1:" + std::to_string(port) + "/";
  plain_to_tls.redis.tls_ca_file.clear();
  EXPECT_NE(refusal(plain_to_tls), "no error");
}

TEST_F(RedisTls, AServerThatAsksForAClientCertificateGetsOne) {
  int port = RedisServer::free_port();
  auto s = server(port, files_.server_cert(), true);
  EXPECT_NE(refusal(tls_options(port, "anonymous")), "no error");
  Options o = tls_options(port, "client");
  o.redis.tls_cert_file = files_.client_cert();
  o.redis.tls_key_file = files_.client_key();
  KeyValueStore store(o);
  store.set("k", "v");
  EXPECT_EQ(store.get("k"), "v");
}

// Found by review: the handshake is bounded by connect_timeout as a whole, not per read: a
// peer that trickles a TLS record forever does not hold the caller.
TEST_F(RedisTls, AHandshakeThatDoesNotFinishEndsAtTheConnectTimeout) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::atomic<bool> stop{false};
  std::thread trickler([&] {
    int peer = ::accept(listener, nullptr, nullptr);
    const char header[] = {0x16, 0x03, 0x03, 0x40, 0x00};  // a 16 KiB handshake record
    ::send(peer, header, sizeof header, MSG_NOSIGNAL);
    while (!stop.load() && ::send(peer, "x", 1, MSG_NOSIGNAL) == 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::close(peer);
  });
  Options o = tls_options(ntohs(address.sin_port));
  o.redis.connect_timeout = std::chrono::milliseconds(500);
  std::string refused = refusal(o);
  stop = true;
  trickler.join();
  ::close(listener);
  EXPECT_NE(refused.find("did not finish within connect_timeout"), std::string::npos) << refused;
}

// Found by review: a CA file replaced in place (a rotation) is read again by the connections
// made after it.
TEST_F(RedisTls, ARotatedCaFileIsReadAgain) {
  int port = RedisServer::free_port();
  auto s = server(port, files_.server_cert());
  TempDir dir;
  std::string ca = dir.sub("ca.pem");
  std::filesystem::copy_file(files_.other_ca(), ca);
  Options o = tls_options(port, "before");
  o.redis.tls_ca_file = ca;
  EXPECT_NE(refusal(o).find("does not verify"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a newer modification time
  std::filesystem::copy_file(files_.ca(), ca, std::filesystem::copy_options::overwrite_existing);
  o.ns = "after";
  KeyValueStore store(o);
  store.set("k", "v");
  EXPECT_EQ(store.get("k"), "v");
}

TEST_F(RedisTls, FilesThatCannotBeLoadedAreRefusedAtOpen) {
  Options o = tls_options(1);
  o.redis.tls_ca_file = files_.ca() + ".missing";
  EXPECT_THROW(KeyValueStore{o}, InvalidArgument);
  o = tls_options(1);
  o.redis.tls_cert_file = files_.client_cert();  // without its key
  EXPECT_THROW(KeyValueStore{o}, InvalidArgument);
  o = tls_options(1);
  o.redis.tls_cert_file = files_.client_cert();
  o.redis.tls_key_file = files_.server_key();  // not its key
  EXPECT_THROW(KeyValueStore{o}, InvalidArgument);
  o = tls_options(1);
  o.redis.url = "redis://127.0.0.1:1/";  // a CA without TLS: plaintext is refused
  EXPECT_THROW(KeyValueStore{o}, InvalidArgument);
  o = tls_options(1);  // found by review: TLS asked for, but a plaintext URL
  o.redis.tls_ca_file.clear();
  o.redis.tls = true;
  o.redis.url = "redis://127.0.0.1:1/";
  EXPECT_THROW(KeyValueStore{o}, InvalidArgument);
  o = tls_options(1);
  o.redis.socket_timeout = std::chrono::milliseconds(-1);  // found by review: would never end
  EXPECT_THROW(KeyValueStore{o}, InvalidArgument);
}

}  // namespace
}  // namespace nadb::testing
