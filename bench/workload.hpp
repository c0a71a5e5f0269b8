// The standard workload file (../shared/bench/WORKLOAD.md) and its expected answers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nadb::bench {

struct Workload {
  std::uint32_t n = 0, value_size = 0, ntags = 0;
  std::uint64_t seed = 0;
  std::vector<std::uint8_t> tag_a, tag_b;  // per key
  std::string values;                      // n * value_size bytes
  std::vector<std::uint32_t> gets;
  std::vector<std::pair<std::uint8_t, std::uint8_t>> queries;
  std::vector<std::uint32_t> deletes;
  std::vector<std::string> key_names;  // key i, "user:%08d"
  std::vector<std::string> tag_names;  // tag t, "tag_%02d"

  std::string_view value(std::uint32_t i) const {
    return std::string_view(values).substr(std::size_t{i} * value_size, value_size);
  }
  static std::string key(std::uint32_t i);
  static std::string tag(std::uint32_t t);
};

// Reads a workload file; throws std::runtime_error when it is malformed.
Workload load_workload(const std::string& path);

// What generate_workload makes: the file format's parameters, plus the kind of values.
struct WorkloadShape {
  std::uint32_t n = 100'000;
  std::uint32_t gets = 100'000;
  std::uint32_t queries = 1'000;
  std::uint32_t deletes = 10'000;
  std::uint32_t value_size = 100;
  std::uint32_t ntags = 20;
  std::uint64_t seed = 42;
  bool text_values = false;  // compressible text (log lines) instead of random bytes
};

// A workload of the same structure as gen_workload.py's (two distinct tags per key, uniform
// gets and query pairs, distinct deletes), from C++'s own random streams: the same shape
// without Python or ../shared, for N up to 10M and for other value sizes.
Workload generate_workload(const WorkloadShape& shape);

// The answers every system must reproduce (the fields of gen_workload.py's expected.json).
nlohmann::json expected_checks(const Workload& w);

}  // namespace nadb::bench
