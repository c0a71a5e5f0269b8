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

TEST(Stats, PrometheusValuesAreExact) {
  Stats s = sample();
  s.storage.disk_bytes = 419445877;
  s.key_count = 12345678901234567ull;  // beyond a double's 53 bits
  s.operations["set"] = OperationStats{3, 0, 1.0 / 3, 0.1, 13.0, 41.7, 41.7};
  std::string text = s.to_prometheus();
  EXPECT_NE(text.find("nadb_disk_bytes{db=\"db1\",ns=\"ns\\\"1\"} 419445877\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("} 12345678901234567\n"), std::string::npos) << text;
  EXPECT_NE(text.find("quantile=\"0.99\"} 41.7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("quantile=\"0.95\"} 13\n"), std::string::npos) << text;
  // The sum is count × average: 1, printed as such, not 1.0000000000000000 or 1e+00.
  EXPECT_NE(text.find("nadb_operation_latency_ms_sum{db=\"db1\",ns=\"ns\\\"1\",op=\"set\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("e+"), std::string::npos) << text;
}

}  // namespace
}  // namespace nadb
