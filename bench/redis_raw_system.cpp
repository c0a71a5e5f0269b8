// The Redis reference of ../shared/bench/WORKLOAD.md, on hiredis directly: pipelined SET +
// SADD per tag, GET per key (one round trip each), SINTER per query, pipelined DEL + SREM.
// Keys live under "rawbench:" and are removed afterwards.
#include <hiredis/hiredis.h>

#include <memory>
#include <stdexcept>

#include "system.hpp"

namespace nadb::bench {
namespace {

constexpr std::uint32_t kPipeline = 1000;

struct Context {
  explicit Context(const RedisTarget& target)
      : c(redisConnect(target.host.c_str(), target.port), redisFree) {
    if (!c || c->err) throw std::runtime_error("redis-raw: cannot connect to " + target.host);
  }
  redisReply* command(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    return static_cast<redisReply*>(
        redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()));
  }
  void append(const std::vector<std::string_view>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (auto a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    redisAppendCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lengths.data());
  }
  void drain(std::size_t replies) {
    for (std::size_t i = 0; i < replies; ++i) {
      void* reply = nullptr;
      if (redisGetReply(c.get(), &reply) != REDIS_OK) throw std::runtime_error("redis-raw: I/O");
      freeReplyObject(reply);
    }
  }
  std::unique_ptr<redisContext, void (*)(redisContext*)> c;
};

std::string key_of(const Workload& w, std::uint32_t i) {
  return "rawbench:k:" + w.key_names[i];
}
std::string tag_of(const Workload& w, std::uint8_t t) {
  return "rawbench:t:" + w.tag_names[t];
}

// Pipelines fn(i) for i in [0, count), kPipeline at a time; fn appends `per` commands.
void pipelined(Context& ctx, std::size_t count, std::size_t per,
               const std::function<void(std::size_t)>& fn) {
  for (std::size_t start = 0; start < count; start += kPipeline) {
    std::size_t end = std::min<std::size_t>(count, start + kPipeline);
    for (std::size_t i = start; i < end; ++i)
      fn(i);
    ctx.drain((end - start) * per);
  }
}

std::uint64_t count_keys(Context& ctx) {
  std::uint64_t n = 0;
  std::string cursor = "0";
  do {
    redisReply* r = ctx.command({"SCAN", cursor, "MATCH", "rawbench:k:*", "COUNT", "10000"});
    cursor = r->element[0]->str;
    n += r->element[1]->elements;
    freeReplyObject(r);
  } while (cursor != "0");
  return n;
}

void remove_all(Context& ctx) {
  std::string cursor = "0";
  do {
    redisReply* r = ctx.command({"SCAN", cursor, "MATCH", "rawbench:*", "COUNT", "10000"});
    cursor = r->element[0]->str;
    std::vector<std::string> args{"UNLINK"};
    for (std::size_t i = 0; i < r->element[1]->elements; ++i)
      args.emplace_back(r->element[1]->element[i]->str);
    freeReplyObject(r);
    if (args.size() > 1) freeReplyObject(ctx.command(args));
  } while (cursor != "0");
}

}  // namespace

RunOutput run_redis_raw(const Workload& w, const RunConfig& config) {
  Context ctx(config.redis);
  remove_all(ctx);
  RunOutput out;
  std::vector<std::string> keys(w.n);
  for (std::uint32_t i = 0; i < w.n; ++i)
    keys[i] = key_of(w, i);
  std::vector<std::string> tags;
  for (std::uint8_t t = 0; t < w.ntags; ++t)
    tags.push_back(tag_of(w, t));

  out.phases["a_set"] = phase(w.n, seconds_of([&] {
                                pipelined(ctx, w.n, 3, [&](std::size_t i) {
                                  ctx.append({"SET", keys[i], w.value(i)});
                                  ctx.append({"SADD", tags[w.tag_a[i]], keys[i]});
                                  ctx.append({"SADD", tags[w.tag_b[i]], keys[i]});
                                });
                              }));
  std::uint64_t found = 0, first_byte_sum = 0;
  out.phases["b_get"] = phase(w.gets.size(), seconds_of([&] {
                                for (std::uint32_t i : w.gets) {
                                  redisReply* r = ctx.command({"GET", keys[i]});
                                  if (r->type == REDIS_REPLY_STRING) {
                                    ++found;
                                    first_byte_sum += static_cast<unsigned char>(r->str[0]);
                                  }
                                  freeReplyObject(r);
                                }
                              }));
  out.checks["get_found"] = found;
  out.checks["get_first_byte_sum"] = first_byte_sum;
  std::uint64_t result_sum = 0;
  out.phases["c_query"] = phase(w.queries.size(), seconds_of([&] {
                                  for (auto [a, b] : w.queries) {
                                    redisReply* r = ctx.command({"SINTER", tags[a], tags[b]});
                                    result_sum += r->elements;
                                    freeReplyObject(r);
                                  }
                                }));
  out.checks["query_result_sum"] = result_sum;
  out.phases["d_delete"] = phase(w.deletes.size(), seconds_of([&] {
                                   pipelined(ctx, w.deletes.size(), 3, [&](std::size_t j) {
                                     std::uint32_t i = w.deletes[j];
                                     ctx.append({"DEL", keys[i]});
                                     ctx.append({"SREM", tags[w.tag_a[i]], keys[i]});
                                     ctx.append({"SREM", tags[w.tag_b[i]], keys[i]});
                                   });
                                 }));
  std::uint64_t final_count = 0;
  out.phases["e_reopen"] = phase(1, seconds_of([&] {
                                   Context fresh(config.redis);
                                   final_count = count_keys(fresh);
                                 }));
  out.checks["final_count"] = final_count;
  double ping = seconds_of([&] {
    for (int i = 0; i < 10000; ++i)
      freeReplyObject(ctx.command({"PING"}));
  });
  out.extra["round_trip_us"] = ping * 1e6 / 10000;
  remove_all(ctx);
  return out;
}

}  // namespace nadb::bench
