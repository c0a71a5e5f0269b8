// Redis replies as owned values, and checked access to their parts. A reply of an unexpected
// shape means the server is not speaking our protocol: Corruption, never a guess.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace nadb::backends::redis {

// The most elements a reply array may announce. hiredis allocates the announced count at once,
// so a broken or hostile server could otherwise make one reply allocate gigabytes; NADB's
// largest replies (pages of at most 100k keys, with metadata) are far below it.
inline constexpr long long kMaxReplyElements = 1 << 24;
// Applies NADB's limits to a connection's reply reader.
void limit_reader(redisReader& reader);

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

bool is_nil(const redisReply& reply);
bool is_error(const redisReply& reply);
// The error text of an error reply ("" otherwise).
std::string_view error_text(const redisReply& reply);

// Checked accessors; `what` names the reply in the Corruption message.
std::int64_t integer_of(const redisReply& reply, std::string_view what);
std::string_view string_of(const redisReply& reply, std::string_view what);
// Element i of an array reply.
const redisReply& element_of(const redisReply& reply, std::size_t i, std::string_view what);
std::size_t array_size(const redisReply& reply, std::string_view what);
// A decimal integer held in a bulk string (hash fields).
std::int64_t decimal_of(const redisReply& reply, std::string_view what);
// The reply of TIME in ms since the epoch (what lua/common.lua's server_ms computes).
std::int64_t time_ms_of(const redisReply& time);
// The exception for an error reply of a command or script (address names the server):
// Corruption when the data is not in NADB's layout (WRONGTYPE, NADBLAYOUT, a script's runtime
// error), BackendUnavailable when the server cannot serve now (LOADING, BUSY, READONLY,
// MASTERDOWN, TRYAGAIN, CLUSTERDOWN), IOError otherwise (OOM, ...).
[[noreturn]] void throw_error_reply(const std::string& address, std::string_view doing,
                                    std::string_view error);

}  // namespace nadb::backends::redis
