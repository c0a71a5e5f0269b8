#include "workload.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <stdexcept>

namespace nadb::bench {
namespace {

class Cursor {
 public:
  explicit Cursor(const std::string& data) : data_(data) {}
  template <typename T>
  T read() {
    need(sizeof(T));
    T v{};
    std::memcpy(&v, data_.data() + pos_, sizeof(T));  // the file is little-endian, like x86
    pos_ += sizeof(T);
    return v;
  }
  std::string bytes(std::size_t n) {
    need(n);
    pos_ += n;
    return data_.substr(pos_ - n, n);
  }

 private:
  void need(std::size_t n) const {
    if (data_.size() - pos_ < n) throw std::runtime_error("workload file is truncated");
  }
  const std::string& data_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string Workload::key(std::uint32_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "user:%08u", i);
  return buf;
}

std::string Workload::tag(std::uint32_t t) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "tag_%02u", t);
  return buf;
}

namespace {

// Names of keys and tags, derived from n and ntags.
void name_everything(Workload& w) {
  for (std::uint32_t i = 0; i < w.n; ++i)
    w.key_names.push_back(Workload::key(i));
  for (std::uint32_t t = 0; t < w.ntags; ++t)
    w.tag_names.push_back(Workload::tag(t));
}

// Two distinct tags of ntags.
std::pair<std::uint8_t, std::uint8_t> tag_pair(std::mt19937_64& random, std::uint32_t ntags) {
  std::uniform_int_distribution<std::uint32_t> pick(0, ntags - 1);
  std::uint32_t a = pick(random), b = pick(random);
  while (b == a)
    b = pick(random);
  return {static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)};
}

// A value of size bytes: random bytes, or log-like text that compresses as real logs do.
void append_value(std::string& out, std::size_t size, bool text, std::mt19937_64& random) {
  std::size_t end = out.size() + size;
  if (!text) {
    while (out.size() < end) {
      std::uint64_t r = random();
      out.append(reinterpret_cast<const char*>(&r), std::min<std::size_t>(8, end - out.size()));
    }
    return;
  }
  static const char* const kWords[] = {"GET",     "POST",   "/api/users", "/api/orders", "200",
                                       "404",     "served", "in",         "ms",          "user",
                                       "session", "cache",  "miss"};
  while (out.size() < end) {
    out += "ts=" + std::to_string(1764000000 + random() % 100000) + " " +
           kWords[random() % std::size(kWords)] + " " + kWords[random() % std::size(kWords)] +
           " id=" + std::to_string(random() % 10000) + "\n";
  }
  out.resize(end);
}

}  // namespace

Workload generate_workload(const WorkloadShape& shape) {
  if (shape.deletes > shape.n) throw std::runtime_error("more deletes than keys");
  if (shape.ntags < 2 || shape.ntags > 256) throw std::runtime_error("ntags must be 2-256");
  Workload w;
  w.n = shape.n;
  w.value_size = shape.value_size;
  w.ntags = shape.ntags;
  w.seed = shape.seed;
  std::mt19937_64 data(shape.seed), gets(shape.seed + 1), queries(shape.seed + 2),
      deletes(shape.seed + 3);
  w.values.reserve(std::size_t{w.n} * w.value_size);
  for (std::uint32_t i = 0; i < w.n; ++i) {
    auto [a, b] = tag_pair(data, w.ntags);
    w.tag_a.push_back(a);
    w.tag_b.push_back(b);
    append_value(w.values, w.value_size, shape.text_values, data);
  }
  std::uniform_int_distribution<std::uint32_t> any_key(0, w.n - 1);
  for (std::uint32_t i = 0; i < shape.gets; ++i)
    w.gets.push_back(any_key(gets));
  for (std::uint32_t i = 0; i < shape.queries; ++i)
    w.queries.push_back(tag_pair(queries, w.ntags));
  std::set<std::uint32_t> chosen;
  while (w.deletes.size() < shape.deletes) {
    std::uint32_t k = any_key(deletes);
    if (chosen.insert(k).second) w.deletes.push_back(k);
  }
  name_everything(w);
  return w;
}

nlohmann::json expected_checks(const Workload& w) {
  std::map<std::pair<std::uint8_t, std::uint8_t>, std::uint64_t> per_pair;
  for (std::uint32_t i = 0; i < w.n; ++i)
    ++per_pair[std::minmax(w.tag_a[i], w.tag_b[i])];
  std::uint64_t query_sum = 0, first_byte_sum = 0;
  for (auto [a, b] : w.queries) {
    auto it = per_pair.find(std::minmax(a, b));
    query_sum += it == per_pair.end() ? 0 : it->second;
  }
  for (std::uint32_t i : w.gets)
    first_byte_sum += w.value_size ? static_cast<unsigned char>(w.value(i)[0]) : 0;
  return {{"get_found", w.gets.size()},
          {"get_first_byte_sum", first_byte_sum},
          {"query_result_sum", query_sum},
          {"final_count", w.n - w.deletes.size()}};
}

Workload load_workload(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open workload " + path);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Cursor c(data);
  if (c.bytes(8) != std::string("NADBWL1\0", 8))
    throw std::runtime_error("not a workload file: " + path);
  Workload w;
  w.n = c.read<std::uint32_t>();
  w.value_size = c.read<std::uint32_t>();
  w.ntags = c.read<std::uint32_t>();
  auto g = c.read<std::uint32_t>(), q = c.read<std::uint32_t>(), d = c.read<std::uint32_t>();
  w.seed = c.read<std::uint64_t>();
  w.values.reserve(std::size_t{w.n} * w.value_size);
  for (std::uint32_t i = 0; i < w.n; ++i) {
    w.tag_a.push_back(c.read<std::uint8_t>());
    w.tag_b.push_back(c.read<std::uint8_t>());
    w.values += c.bytes(w.value_size);
  }
  for (std::uint32_t i = 0; i < g; ++i)
    w.gets.push_back(c.read<std::uint32_t>());
  for (std::uint32_t i = 0; i < q; ++i) {
    auto a = c.read<std::uint8_t>();
    w.queries.emplace_back(a, c.read<std::uint8_t>());
  }
  for (std::uint32_t i = 0; i < d; ++i)
    w.deletes.push_back(c.read<std::uint32_t>());
  name_everything(w);
  return w;
}

}  // namespace nadb::bench
