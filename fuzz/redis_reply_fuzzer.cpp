// Redis replies: the input is fed to hiredis's reader (limited as the pool's are) as server bytes;
// each reply it yields is walked with the backend's reply helpers and its strings decoded as key
// metadata, as the backend does. Bad replies end in Corruption.
#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "backends/redis/metadata.hpp"
#include "backends/redis/reply.hpp"
#include "nadb/errors.hpp"

namespace {

using namespace nadb::backends::redis;

void walk(const redisReply& reply, int depth) {
  try {
    if (reply.type == REDIS_REPLY_ARRAY) {
      for (std::size_t i = 0; i < array_size(reply, "fuzz") && depth < 8; ++i)
        walk(element_of(reply, i, "fuzz"), depth + 1);
    } else if (reply.type == REDIS_REPLY_INTEGER) {
      integer_of(reply, "fuzz");
    } else if (!is_nil(reply) && !is_error(reply)) {
      decimal_of(reply, "fuzz");
    }
  } catch (const nadb::Corruption&) {
  }
  try {
    if (reply.type == REDIS_REPLY_STRING) unpack_metadata(string_of(reply, "fuzz"), true);
  } catch (const nadb::Corruption&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader(redisReaderCreate(),
                                                                  &redisReaderFree);
  limit_reader(*reader);  // as every connection's reader
  if (redisReaderFeed(reader.get(), reinterpret_cast<const char*>(data), size) != REDIS_OK)
    return 0;
  for (int replies = 0; replies < 64; ++replies) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK || raw == nullptr) break;
    Reply reply(static_cast<redisReply*>(raw));
    walk(*reply, 0);
  }
  return 0;
}
