// The Redis reference of ../shared/bench/WORKLOAD.md, on hiredis directly: pipelined SET +
// SADD per tag, GET per key (one round trip each), SINTER per query, pipelined DEL + SREM.
// And the floor of NADB's Redis layout (redis-layout, redis-layout-1key): the commands its
// scripts run for the same writes (docs/FORMAT.md), pipelined without a script, for 1000 keys
// at a time — what the layout itself costs, before any Lua. Keys live under "rawbench:" and
// are removed afterwards.
#include <hiredis/hiredis.h>

#include <functional>
#include <map>
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

// b_get: GET of each of the workload's keys (key_of(i)); the value starts `header` bytes in.
void measure_gets(Context& ctx, const Workload& w, RunOutput& out,
                  const std::function<std::string(std::uint32_t)>& key_of, std::size_t header) {
  std::uint64_t found = 0, first_byte_sum = 0;
  out.phases["b_get"] = phase(w.gets.size(), seconds_of([&] {
                                for (std::uint32_t i : w.gets) {
                                  redisReply* r = ctx.command({"GET", key_of(i)});
                                  if (r->type == REDIS_REPLY_STRING) {
                                    ++found;
                                    first_byte_sum += static_cast<unsigned char>(r->str[header]);
                                  }
                                  freeReplyObject(r);
                                }
                              }));
  out.checks["get_found"] = found;
  out.checks["get_first_byte_sum"] = first_byte_sum;
}

// c_query: SINTER of the two tags' sets (tag_set(t)) of each query.
void measure_queries(Context& ctx, const Workload& w, RunOutput& out,
                     const std::function<std::string(std::uint8_t)>& tag_set) {
  std::uint64_t result_sum = 0;
  out.phases["c_query"] = phase(w.queries.size(), seconds_of([&] {
                                  for (auto [a, b] : w.queries) {
                                    redisReply* r = ctx.command({"SINTER", tag_set(a), tag_set(b)});
                                    result_sum += r->elements;
                                    freeReplyObject(r);
                                  }
                                }));
  out.checks["query_result_sum"] = result_sum;
}

// One namespace of NADB's layout, "rawbench:{db:ns}", written as its scripts write it: two keys
// per record (metadata, value) or, one_key, one (the metadata header before the value).
class LayoutWriter {
 public:
  LayoutWriter(Context& ctx, const Workload& w, bool one_key)
      : ctx_(ctx), w_(w), one_key_(one_key) {}
  std::string record_key(std::uint32_t i) const {
    return P + (one_key_ ? ":r:" : ":v:") + w_.key_names[i];
  }
  std::string tag_set(std::uint8_t t) const { return P + ":t:" + w_.tag_names[t]; }
  std::size_t header() const { return one_key_ ? kMeta.size() : 0; }
  // Keys [from, to): the old metadata read (conditions need it), the records, the ordered and
  // change indexes, tombstones cleared, tag sets and counts, the generation.
  void put(std::uint32_t from, std::uint32_t to) {
    std::vector<std::string> mget{"MGET"}, mset{"MSET"}, kadd{"ZADD", P + ":k"},
        uadd{"ZADD", P + ":u"}, drem{"ZREM", P + ":d"};
    std::map<std::uint8_t, std::vector<std::string>> tagged;
    for (std::uint32_t i = from; i < to; ++i) {
      const std::string& key = w_.key_names[i];
      mget.push_back(P + ":m:" + key);
      if (one_key_) {
        mset.insert(mset.end(), {record_key(i), kMeta + std::string(w_.value(i))});
      } else {
        mset.insert(mset.end(), {P + ":m:" + key, kMeta, record_key(i), std::string(w_.value(i))});
      }
      kadd.insert(kadd.end(), {"0", key});
      uadd.insert(uadd.end(), {"1765000000000", key});
      drem.push_back(key);
      tagged[w_.tag_a[i]].push_back(key);
      tagged[w_.tag_b[i]].push_back(key);
    }
    send({mget, mset, kadd, uadd, drem}, tagged, "+", to - from);
  }
  void remove(const std::vector<std::uint32_t>& ids) {
    std::vector<std::string> del{"DEL"}, krem{"ZREM", P + ":k"}, urem{"ZREM", P + ":u"},
        dadd{"ZADD", P + ":d"};
    std::map<std::uint8_t, std::vector<std::string>> tagged;
    for (std::uint32_t i : ids) {
      const std::string& key = w_.key_names[i];
      del.push_back(record_key(i));
      if (!one_key_) del.push_back(P + ":m:" + key);
      krem.push_back(key);
      urem.push_back(key);
      dadd.insert(dadd.end(), {"1765000000000", key});
      tagged[w_.tag_a[i]].push_back(key);
      tagged[w_.tag_b[i]].push_back(key);
    }
    send({del, krem, urem, dadd}, tagged, "-", ids.size());
  }
  std::uint64_t count() {
    redisReply* r = ctx_.command({"ZCARD", P + ":k"});
    std::uint64_t n = static_cast<std::uint64_t>(r->integer);
    freeReplyObject(r);
    return n;
  }

 private:
  void send(const std::vector<std::vector<std::string>>& commands,
            const std::map<std::uint8_t, std::vector<std::string>>& tagged, const char* sign,
            std::size_t n) {
    std::size_t replies = 0;
    auto append = [&](const std::vector<std::string>& args) {
      ctx_.append(std::vector<std::string_view>(args.begin(), args.end()));
      ++replies;
    };
    for (const auto& command : commands)
      append(command);
    for (const auto& [tag, keys] : tagged) {
      std::vector<std::string> set{*sign == '+' ? "SADD" : "SREM", tag_set(tag)};
      set.insert(set.end(), keys.begin(), keys.end());
      append(set);
      append({"HINCRBY", P + ":tags", w_.tag_names[tag], sign + std::to_string(keys.size())});
    }
    append({"INCRBY", P + ":gen", std::to_string(n)});
    ctx_.drain(replies);
  }

  const std::string P = "rawbench:{db:ns}";
  const std::string kMeta = std::string(49, 'm') + std::string(2 * 12, 't');  // header + 2 tags
  Context& ctx_;
  const Workload& w_;
  const bool one_key_;
};

}  // namespace

RunOutput run_redis_layout(const Workload& w, const RunConfig& config, bool one_key) {
  Context ctx(config.redis);
  remove_all(ctx);
  LayoutWriter layout(ctx, w, one_key);
  RunOutput out;
  out.phases["a_set"] = phase(w.n, seconds_of([&] {
                                for (std::uint32_t s = 0; s < w.n; s += kPipeline)
                                  layout.put(s, std::min(w.n, s + kPipeline));
                              }));
  measure_gets(
      ctx, w, out, [&](std::uint32_t i) { return layout.record_key(i); }, layout.header());
  measure_queries(ctx, w, out, [&](std::uint8_t t) { return layout.tag_set(t); });
  out.phases["d_delete"] = phase(w.deletes.size(), seconds_of([&] {
                                   for (std::size_t s = 0; s < w.deletes.size(); s += kPipeline) {
                                     auto end = std::min(w.deletes.size(), s + kPipeline);
                                     layout.remove({w.deletes.begin() + static_cast<long>(s),
                                                    w.deletes.begin() + static_cast<long>(end)});
                                   }
                                 }));
  std::uint64_t final_count = 0;
  out.phases["e_reopen"] = phase(1, seconds_of([&] { final_count = layout.count(); }));
  out.checks["final_count"] = final_count;
  remove_all(ctx);
  return out;
}

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
  measure_gets(
      ctx, w, out, [&](std::uint32_t i) { return keys[i]; }, 0);
  measure_queries(ctx, w, out, [&](std::uint8_t t) { return tags[t]; });
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
