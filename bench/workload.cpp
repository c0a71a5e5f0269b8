#include "workload.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
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
  for (std::uint32_t i = 0; i < w.n; ++i)
    w.key_names.push_back(Workload::key(i));
  for (std::uint32_t t = 0; t < w.ntags; ++t)
    w.tag_names.push_back(Workload::tag(t));
  return w;
}

}  // namespace nadb::bench
