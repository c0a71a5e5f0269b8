#include "backends/redis/connection.hpp"

#include <sys/time.h>

#include "nadb/errors.hpp"

namespace nadb::backends::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

}  // namespace

Command& Command::arg(std::string_view text) {
  argv_.push_back(text.data());
  lengths_.push_back(text.size());
  return *this;
}

Command& Command::arg(std::int64_t number) {
  return arg_copy(std::to_string(number));
}

Command& Command::arg_copy(std::string text) {
  return arg(std::string_view(owned_.emplace_back(std::move(text))));
}

Command& Command::append(const Command& other) {
  argv_.insert(argv_.end(), other.argv_.begin(), other.argv_.end());
  lengths_.insert(lengths_.end(), other.lengths_.begin(), other.lengths_.end());
  return *this;
}

Connection::Connection(const RedisOptions& options)
    : address_(options.host + ":" + std::to_string(options.port)) {
  context_.reset(redisConnectWithTimeout(options.host.c_str(), options.port,
                                         to_timeval(options.connect_timeout)));
  if (!context_) throw BackendUnavailable("redis at " + address_ + ": out of memory");
  if (context_->err) fail("connecting");
  limit_reader(*context_->reader);
  timeval socket_timeout = to_timeval(options.socket_timeout);
  if (redisSetTimeout(context_.get(), socket_timeout) != REDIS_OK) fail("setting the timeout");
  redisEnableKeepAlive(context_.get());
  if (!options.password.empty()) {
    Command auth{"AUTH"};
    if (!options.username.empty()) auth.arg(options.username);
    auth.arg(options.password);
    expect_ok(auth, "authenticating (AUTH)");
  }
  if (options.database != 0) {
    Command select{"SELECT"};
    select.arg(std::int64_t{options.database});
    expect_ok(select, "selecting the database");
  }
}

void Connection::expect_ok(const Command& command, const char* doing) {
  Reply reply = run(command);
  if (is_error(*reply)) {
    broken_ = true;
    throw BackendUnavailable("redis at " + address_ + " refused " + doing + ": " +
                             std::string(error_text(*reply)));
  }
}

void Connection::fail(const char* doing) {
  broken_ = true;
  std::string cause = context_ && context_->err ? context_->errstr : "unknown error";
  if (cause.empty() || context_->err == REDIS_ERR_EOF) cause = "the server closed the connection";
  throw BackendUnavailable("redis at " + address_ + " unavailable while " + doing + ": " + cause);
}

Reply Connection::run(const Command& command) {
  if (broken_) fail("sending a command");
  void* raw =
      redisCommandArgv(context_.get(), static_cast<int>(command.size()),
                       const_cast<const char**>(command.argv_.data()), command.lengths_.data());
  if (raw == nullptr) fail("waiting for a reply");
  return Reply(static_cast<redisReply*>(raw));
}

std::vector<Reply> Connection::run_pipeline(const std::vector<const Command*>& commands) {
  if (broken_) fail("sending a command");
  for (const Command* command : commands) {
    if (redisAppendCommandArgv(context_.get(), static_cast<int>(command->size()),
                               const_cast<const char**>(command->argv_.data()),
                               command->lengths_.data()) != REDIS_OK) {
      fail("queueing a command");
    }
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr)
      fail("waiting for a reply");
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

}  // namespace nadb::backends::redis
