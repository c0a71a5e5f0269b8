// Reads through each of the engine's three paths — the write buffer, the segment mapping and
// pread for large records — return exactly the value written.
#include <gtest/gtest.h>

#include "support/engine_helpers.hpp"
#include "support/temp_dir.hpp"

namespace nadb::testing {
namespace {

// A value whose every byte depends on its position, so a value read from the wrong offset
// (a header byte kept, a byte lost) cannot compare equal.
std::string patterned(std::size_t size, char seed) {
  std::string value(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    value[i] = static_cast<char>(seed + i * 31 + i / 251);
  return value;
}

TEST(EngineRead, EveryPathReturnsTheExactValue) {
  TempDir dir;
  // 100 B: mapped once written; 20 KiB and 1 MiB: read with pread (above the mapping limit).
  const std::vector<std::pair<std::string, std::string>> values = {
      {"small", patterned(100, 'a')},
      {"medium", patterned(20 << 10, 'b')},
      {"large", patterned(1 << 20, 'c')},
  };
  auto e = engine::Engine::open(dir.path(), small_segments(8 << 20));
  for (const auto& [key, value] : values)
    apply(*e, {put_op(key, value, {"t"})});
  for (const auto& [key, value] : values)  // still in the write buffer
    EXPECT_EQ(value_of(*e, key), value) << key;
  e->flush();
  for (int round = 0; round < 2; ++round) {  // from the file; twice: reads must not consume
    for (const auto& [key, value] : values)
      EXPECT_EQ(value_of(*e, key), value) << key;
  }
  e.reset();
  e = engine::Engine::open(dir.path(), small_segments(8 << 20));
  for (const auto& [key, value] : values)
    EXPECT_EQ(value_of(*e, key), value) << key << " after reopening";
}

}  // namespace
}  // namespace nadb::testing
