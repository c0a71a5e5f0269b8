#include "backends/redis/connection.hpp"

#include "nadb/errors.hpp"

namespace nadb::backends::redis {
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
    : address_(options.host + ":" + std::to_string(options.port)),
      stream_(std::make_unique<Stream>(options, address_)),
      reader_(redisReaderCreate()) {
  if (!reader_) throw BackendUnavailable("redis at " + address_ + ": out of memory");
  limit_reader(*reader_);
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

template <typename F>
void Connection::guarded(F&& fn) {
  if (broken_) {
    throw BackendUnavailable("redis at " + address_ + " unavailable: the connection broke earlier");
  }
  try {
    fn();
  } catch (...) {
    broken_ = true;  // a reply may be half read, or a command half sent
    throw;
  }
}

void Connection::send(const std::vector<const Command*>& commands) {
  output_.clear();
  for (const Command* command : commands) {
    char* formatted = nullptr;
    int length = redisFormatCommandArgv(&formatted, static_cast<int>(command->size()),
                                        const_cast<const char**>(command->argv_.data()),
                                        command->lengths_.data());
    if (length < 0) throw BackendUnavailable("redis: out of memory formatting a command");
    output_.append(formatted, static_cast<std::size_t>(length));
    redisFreeCommand(formatted);
  }
  stream_->write_all(output_.data(), output_.size(), "sending a command");
  if (output_.capacity() > (1 << 20)) std::string().swap(output_);  // keep no big buffer
}

Reply Connection::receive() {
  char buffer[16384];
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
      throw BackendUnavailable("redis at " + address_ +
                               " sent a reply that cannot be parsed: " + reader_->errstr);
    }
    if (raw != nullptr) return Reply(static_cast<redisReply*>(raw));
    std::size_t got = stream_->read_some(buffer, sizeof buffer, "waiting for a reply");
    if (redisReaderFeed(reader_.get(), buffer, got) != REDIS_OK)
      throw BackendUnavailable("redis at " + address_ + ": out of memory reading a reply");
  }
}

Reply Connection::run(const Command& command) {
  Reply reply;
  guarded([&] {
    send({&command});
    reply = receive();
  });
  return reply;
}

std::vector<Reply> Connection::run_pipeline(const std::vector<const Command*>& commands) {
  std::vector<Reply> replies;
  guarded([&] {
    send(commands);
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i)
      replies.push_back(receive());
  });
  return replies;
}

}  // namespace nadb::backends::redis
