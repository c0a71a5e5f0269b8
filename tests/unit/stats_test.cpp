#include "nadb/stats.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace nadb {
namespace {

Stats sample() {
  Stats s;
  s.name = "db1:ns\"1";
  s.backend = "fs";
  s.key_count = 3;
  s.operations["set"] = OperationStats{5, 1, 0.2, 0.1, 0.5, 0.9, 1.0};
  s.storage.disk_bytes = 1234;
  return s;
}

TEST(Stats, JsonHasTypedFields) {
  auto j = nlohmann::json::parse(sample().to_json());
  EXPECT_EQ(j["key_count"], 3);
  EXPECT_EQ(j["operations"]["set"]["count"], 5);
  EXPECT_EQ(j["operations"]["set"]["errors"], 1);
  EXPECT_EQ(j["storage"]["disk_bytes"], 1234);
}

TEST(Stats, PrometheusLinesAreLabelledAndEscaped) {
  std::string text = sample().to_prometheus();
  EXPECT_NE(text.find("nadb_keys{db=\"db1\",ns=\"ns\\\"1\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("nadb_operations_total{db=\"db1\",ns=\"ns\\\"1\",op=\"set\"} 5\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE nadb_operation_latency_ms summary"), std::string::npos);
}

}  // namespace
}  // namespace nadb
