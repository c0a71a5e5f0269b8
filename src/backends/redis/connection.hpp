// One connection to a Redis server (a Stream: TCP, or TLS over it; blocking, with timeouts),
// and the arguments of the commands sent over it. Commands are formatted and replies parsed by
// hiredis's formatter and reader.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "backends/redis/reply.hpp"
#include "backends/redis/stream.hpp"
#include "nadb/options.hpp"

namespace nadb::backends::redis {

// The arguments of one command. Named strings and views are borrowed (they must outlive the
// command); a temporary std::string and a number are kept here, so that
// Command{"SCAN", cursor, "MATCH", pattern + "*"} cannot point at a string that died at the
// end of the declaration (it did, under AddressSanitizer, before arguments were typed).
class Command {
 public:
  Command() = default;
  // Not copyable: the argument list points into the kept strings (a move keeps them).
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;
  Command(Command&&) = default;
  Command& operator=(Command&&) = default;
  template <typename First, typename... Rest>
  requires(!std::is_same_v<std::remove_cvref_t<First>, Command>)
      Command(First&& first, Rest&&... rest) {
    arg(std::forward<First>(first));
    (arg(std::forward<Rest>(rest)), ...);
  }
  Command& arg(std::string_view text);
  Command& arg(const char* text) { return arg(std::string_view(text)); }
  Command& arg(std::string&& text) { return arg_copy(std::move(text)); }
  Command& arg(std::int64_t number);
  // An argument kept here (for text built just for this command).
  Command& arg_copy(std::string text);
  // Appends other's arguments (borrowing other's kept numbers: other must outlive this).
  Command& append(const Command& other);
  std::size_t size() const { return argv_.size(); }
  // The first argument (the command's name), or "".
  std::string_view name() const {
    return argv_.empty() ? std::string_view() : std::string_view(argv_[0], lengths_[0]);
  }
  // The bytes the request takes on the wire (RESP framing included).
  std::uint64_t wire_bytes() const {
    std::uint64_t bytes = 16;
    for (std::size_t n : lengths_)
      bytes += n + 16;
    return bytes;
  }

 private:
  friend class Connection;
  std::vector<const char*> argv_;
  std::vector<std::size_t> lengths_;
  std::deque<std::string> owned_;  // a deque: growing it never moves the kept strings
};

// Not thread-safe: one thread at a time (the pool hands it to one lease holder).
class Connection {
 public:
  // Connects within connect_timeout (TLS when options.tls), then AUTH (when a password is
  // set) and SELECT. Throws BackendUnavailable naming the server and the cause.
  explicit Connection(const RedisOptions& options);

  // Sends command and waits up to socket_timeout for its reply. Error replies are returned;
  // an I/O error or timeout marks the connection broken and throws BackendUnavailable.
  Reply run(const Command& command);
  // Sends every command, then reads every reply: one round trip for all.
  std::vector<Reply> run_pipeline(const std::vector<const Command*>& commands);

  // True once an I/O error has been seen: the connection must be discarded.
  bool broken() const { return broken_; }
  // The server this connection talks to, "host:port", for messages.
  const std::string& address() const { return address_; }

  // Kept by the pool: when it was last returned, and which pool epoch it belongs to.
  std::chrono::steady_clock::time_point idle_since;
  std::uint64_t epoch = 0;

 private:
  struct ReaderDeleter {
    void operator()(redisReader* reader) const { redisReaderFree(reader); }
  };
  // Runs fn, marking the connection broken if it throws.
  template <typename F>
  void guarded(F&& fn);
  void expect_ok(const Command& command, const char* doing);
  // Sends the commands, formatted, in one write.
  void send(const std::vector<const Command*>& commands);
  Reply receive();

  std::string address_;
  std::unique_ptr<Stream> stream_;
  std::unique_ptr<redisReader, ReaderDeleter> reader_;
  std::string output_;  // the formatted commands of a pipeline, reused
  bool broken_ = false;
};

}  // namespace nadb::backends::redis
