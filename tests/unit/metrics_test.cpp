// Metrics: counts equal the operations done, component latencies appear, and the Prometheus
// text is a valid exposition (a small checker of the text format).
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "nadb/nadb.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

// Checks the Prometheus text exposition format: HELP/TYPE lines, then samples
// `name{label="value",...} number` whose family was declared by a TYPE line before them.
// Returns the problems found.
std::vector<std::string> prometheus_problems(const std::string& text) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)");
  static const std::regex type(
      R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary|histogram|untyped))");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\} (\S+))");
  std::vector<std::string> problems;
  std::set<std::string> typed;
  std::istringstream in(text);
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_match(line, m, type)) {
      if (!typed.insert(m[1]).second) problems.push_back("TYPE twice: " + line);
    } else if (std::regex_match(line, m, help)) {
    } else if (std::regex_match(line, m, sample)) {
      std::string family = m[1];
      for (const char* suffix : {"_sum", "_count"}) {
        if (!typed.count(family) && family.ends_with(suffix))
          family.resize(family.size() - std::string(suffix).size());
      }
      if (!typed.count(family)) problems.push_back("no TYPE before: " + line);
      if (!family.starts_with("nadb_")) problems.push_back("not nadb_*: " + line);
      try {
        std::size_t used = 0;
        std::stod(m[3].str(), &used);
        if (used != m[3].str().size()) problems.push_back("bad value: " + line);
      } catch (...) {
        problems.push_back("bad value: " + line);
      }
    } else {
      problems.push_back("unparsable: " + line);
    }
  }
  return problems;
}

TEST(Metrics, CountsEqualTheOperationsDone) {
  TempDir dir;
  Options o = test_options(dir.path());
  KeyValueStore store(o);
  for (int i = 0; i < 100; ++i)
    store.set("k" + std::to_string(i), "v", {"t"});
  for (int i = 0; i < 50; ++i)
    store.get("k" + std::to_string(i));
  for (int i = 0; i < 10; ++i)
    store.remove("k" + std::to_string(i));
  for (int i = 0; i < 3; ++i)
    store.query_by_tags({"t"});
  EXPECT_THROW(store.set("", "empty key"), InvalidArgument);
  store.flush();
  Stats s = store.get_stats();
  EXPECT_EQ(s.operations["set"].count, 101u);
  EXPECT_EQ(s.operations["set"].errors, 1u);
  EXPECT_EQ(s.operations["get"].count, 50u);
  EXPECT_EQ(s.operations["remove"].count, 10u);
  EXPECT_EQ(s.operations["query_by_tags"].count, 3u);
  EXPECT_EQ(s.key_count, 90u);
  // Component operations are process-wide: at least what this store caused.
  EXPECT_GE(s.components["engine.fsync"].count, 1u);
  EXPECT_GE(s.components["engine.write"].count, 1u);
  EXPECT_GE(s.components["engine.recover"].count, 1u);
  EXPECT_GT(s.components["engine.fsync"].max_ms, 0.0);
}

TEST(Metrics, PrometheusTextIsAValidExposition) {
  TempDir dir;
  Options o = test_options(dir.path(), "weird.db-name", "ns_1");
  KeyValueStore store(o);
  store.set("a", "1", {"t"});
  store.get("a");
  store.query_by_tags({"t"});
  store.flush();
  std::string text = store.get_stats().to_prometheus();
  EXPECT_EQ(prometheus_problems(text), std::vector<std::string>{});
  EXPECT_NE(text.find("nadb_operations_total{db=\"weird.db-name\",ns=\"ns_1\",op=\"set\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("nadb_component_operation_latency_ms_count{db=\"weird.db-name\",ns=\"ns_1\","
                      "op=\"engine.fsync\"}"),
            std::string::npos);
  // The checker itself catches a bad exposition.
  EXPECT_FALSE(prometheus_problems("nadb_x{a=\"1\"} 1\n").empty());
  EXPECT_FALSE(prometheus_problems("# TYPE nadb_x gauge\nnadb_x{a=1} 1\n").empty());
  EXPECT_FALSE(prometheus_problems("# TYPE nadb_x gauge\nnadb_x{a=\"1\"} one\n").empty());
}

}  // namespace
}  // namespace nadb::testing
