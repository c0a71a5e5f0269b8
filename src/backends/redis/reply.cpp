#include "backends/redis/reply.hpp"

#include <charconv>
#include <mutex>

#include "nadb/errors.hpp"

namespace nadb::backends::redis {
namespace {

[[noreturn]] void unexpected(const redisReply& reply, std::string_view what) {
  throw Corruption("redis: unexpected reply type " + std::to_string(reply.type) + " for " +
                   std::string(what));
}

// hiredis 0.14 (Debian 12) has no element limit of its own: the reader's createArray is
// wrapped to refuse larger arrays (the reader then fails the reply as out of memory).
decltype(redisReplyObjectFunctions::createArray) default_create_array = nullptr;
redisReplyObjectFunctions limited_functions;

template <typename Count>
void* limited_create_array(const redisReadTask* task, Count elements) {
  if (static_cast<long long>(elements) > kMaxReplyElements) return nullptr;
  return default_create_array(task, elements);
}

template <typename Count>
void use_limited_create_array(redisReplyObjectFunctions& functions,
                              void* (*)(const redisReadTask*, Count)) {
  functions.createArray = &limited_create_array<Count>;
}

}  // namespace

void limit_reader(redisReader& reader) {
  static std::once_flag once;
  std::call_once(once, [&reader] {
    default_create_array = reader.fn->createArray;
    limited_functions = *reader.fn;
    use_limited_create_array(limited_functions, limited_functions.createArray);
  });
  reader.fn = &limited_functions;
}

bool is_nil(const redisReply& reply) {
  return reply.type == REDIS_REPLY_NIL;
}

bool is_error(const redisReply& reply) {
  return reply.type == REDIS_REPLY_ERROR;
}

std::string_view error_text(const redisReply& reply) {
  return is_error(reply) ? std::string_view(reply.str, reply.len) : std::string_view();
}

std::int64_t integer_of(const redisReply& reply, std::string_view what) {
  if (reply.type != REDIS_REPLY_INTEGER) unexpected(reply, what);
  return reply.integer;
}

std::string_view string_of(const redisReply& reply, std::string_view what) {
  if (reply.type != REDIS_REPLY_STRING && reply.type != REDIS_REPLY_STATUS) unexpected(reply, what);
  return {reply.str, reply.len};
}

std::size_t array_size(const redisReply& reply, std::string_view what) {
  if (reply.type != REDIS_REPLY_ARRAY) unexpected(reply, what);
  return reply.elements;
}

const redisReply& element_of(const redisReply& reply, std::size_t i, std::string_view what) {
  if (array_size(reply, what) <= i || reply.element[i] == nullptr) {
    throw Corruption("redis: reply for " + std::string(what) + " has no element " +
                     std::to_string(i));
  }
  return *reply.element[i];
}

std::int64_t decimal_of(const redisReply& reply, std::string_view what) {
  if (reply.type == REDIS_REPLY_INTEGER) return reply.integer;
  std::string_view text = string_of(reply, what);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw Corruption("redis: " + std::string(what) + " is not a number: '" + std::string(text) +
                     "'");
  }
  return value;
}

std::int64_t time_ms_of(const redisReply& time) {
  return decimal_of(element_of(time, 0, "TIME"), "seconds") * 1000 +
         decimal_of(element_of(time, 1, "TIME"), "microseconds") / 1000;
}

void throw_error_reply(const std::string& address, std::string_view doing, std::string_view error) {
  std::string text = "redis at " + address + " " + std::string(doing) + ": " + std::string(error);
  auto starts = [&](std::string_view code) { return error.substr(0, code.size()) == code; };
  for (std::string_view busy :
       {"LOADING", "BUSY", "READONLY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "NOAUTH"}) {
    if (starts(busy)) throw BackendUnavailable(text);
  }
  // A cluster's refusal of a key inside a script (its slot moved or is down): nothing NADB's
  // scripts write first, and the next try finds the new owner.
  if (error.find("non local key") != std::string_view::npos ||
      error.find("while the cluster is down") != std::string_view::npos) {
    throw BackendUnavailable(text);
  }
  // A runtime error of one of our scripts means it met data it did not write.
  if (starts("NADBLAYOUT") || starts("WRONGTYPE") || starts("ERR user_script")) {
    throw Corruption(text +
                     " (a key of this namespace is not in NADB's layout: was it written "
                     "by something else?)");
  }
  throw IOError(text);
}

}  // namespace nadb::backends::redis
