// Structured logging: JSON lines that parse whatever the bytes, levels per component,
// rotation, the quiet default, the performance logger, the environment.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "nadb/nadb.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

using Json = nlohmann::json;

class Logging : public ::testing::Test {
 protected:
  void TearDown() override { LoggingConfig::setup(LogConfig{}); }  // the default again
  LogConfig json_file(LogLevel level = LogLevel::Debug) const {
    LogConfig c;
    c.level = level;
    c.format = LogFormat::Json;
    c.to_stderr = false;
    c.file = dir_.sub("nadb.log");
    return c;
  }
  std::vector<Json> lines() const {
    LoggingConfig::flush();
    std::ifstream in(dir_.sub("nadb.log"));
    std::vector<Json> out;
    for (std::string line; std::getline(in, line);) {
      Json j = Json::parse(line, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
      out.push_back(j);
    }
    return out;
  }
  TempDir dir_;
};

TEST_F(Logging, JsonLinesParseWhateverTheBytes) {
  LoggingConfig::setup(json_file());
  std::string hostile("q\"uote\nnew\\line\0nul\xff\xfe", 21);
  LoggingConfig::get_logger("nadb.store")
      .info(hostile, {LogField::key(hostile), {"error", hostile}, {"bytes", 42}, {"ok", true}});
  auto all = lines();
  ASSERT_EQ(all.size(), 1u);
  const Json& j = all[0];
  EXPECT_TRUE(std::regex_match(j["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")));
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["component"], "nadb.store");
  EXPECT_EQ(j["msg"], "q\"uote\nnew\\line" + std::string(1, '\0') + "nul\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(j["key"], "q\"uote\\x0anew\\\\line\\x00nul\\xff\\xfe");  // escaped, never raw
  EXPECT_EQ(j["bytes"], 42);
  EXPECT_EQ(j["ok"], true);
  EXPECT_TRUE(j["thread"].is_number());
  EXPECT_NE(j["src"].get<std::string>().find("logging_test.cpp:"), std::string::npos);
}

TEST_F(Logging, ComponentLevelsFilter) {
  LogConfig c = json_file(LogLevel::Warning);
  c.component_levels["nadb.engine"] = LogLevel::Debug;
  c.component_levels["nadb.txn"] = LogLevel::Off;
  LoggingConfig::setup(c);
  LoggingConfig::get_logger("nadb.engine").debug("engine detail");
  LoggingConfig::get_logger("nadb.store").info("store info");  // below warning: dropped
  LoggingConfig::get_logger("nadb.store").warn("store warning");
  LoggingConfig::get_logger("nadb.txn").error("txn error");  // off
  auto all = lines();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["msg"], "engine detail");
  EXPECT_EQ(all[1]["msg"], "store warning");
  EXPECT_FALSE(LoggingConfig::get_logger("nadb.store").enabled(LogLevel::Info));
}

TEST_F(Logging, RotationKeepsTheConfiguredCount) {
  LogConfig c = json_file();
  c.max_file_bytes = 2000;
  c.max_files = 2;
  LoggingConfig::setup(c);
  for (int i = 0; i < 300; ++i)
    LoggingConfig::get_logger("nadb.engine").info("filler line", {{"i", i}});
  LoggingConfig::flush();
  EXPECT_TRUE(std::filesystem::exists(dir_.sub("nadb.log")));
  EXPECT_TRUE(std::filesystem::exists(dir_.sub("nadb.1.log")));
  EXPECT_TRUE(std::filesystem::exists(dir_.sub("nadb.2.log")));
  EXPECT_FALSE(std::filesystem::exists(dir_.sub("nadb.3.log")));
  EXPECT_LE(std::filesystem::file_size(dir_.sub("nadb.1.log")), 2000u);
}

TEST_F(Logging, TheDefaultIsQuietAndCreatesNoFile) {
  Options o = test_options(dir_.sub("data"));
  {
    KeyValueStore store(o);  // logs "store opened" at info: below the default level
    store.set("k", "v");
  }
  EXPECT_FALSE(LoggingConfig::get_logger("nadb.store").enabled(LogLevel::Info));
  EXPECT_TRUE(LoggingConfig::get_logger("nadb.store").enabled(LogLevel::Warning));
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().string().find(".log"), std::string::npos) << entry.path();
    ++files;
  }
  EXPECT_GT(files, 0u);
}

TEST_F(Logging, StoresLogTheirEventsWhenAsked) {
  LoggingConfig::setup(json_file(LogLevel::Info));
  Options o = test_options(dir_.sub("data"), "logged");
  { KeyValueStore store(o); }
  auto all = lines();
  auto opened = std::find_if(all.begin(), all.end(),
                             [](const Json& j) { return j["msg"] == "store opened"; });
  ASSERT_NE(opened, all.end());
  EXPECT_EQ((*opened)["db"], "logged");
  EXPECT_EQ((*opened)["component"], "nadb.store");
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const Json& j) {
    return j["msg"] == "db opened" && j["component"] == "nadb.engine";
  }));
}

TEST_F(Logging, PerformanceLoggerTimesAndRecordsFailures) {
  LoggingConfig::setup(json_file());
  PerformanceLogger& perf = LoggingConfig::get_performance_logger("nadb.backup");
  perf.measure("step", {{"backup_id", "b1"}}, [] { return 1; });
  EXPECT_THROW(perf.measure("step", {}, []() -> int { throw IOError("disk on fire"); }), IOError);
  try {
    auto scope = perf.start("unwound");
    throw std::runtime_error("x");
  } catch (const std::runtime_error&) {
  }
  perf.log_metric("bytes_copied", 1234.5, {{"backup_id", "b1"}});
  auto all = lines();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0]["msg"], "step done");
  EXPECT_EQ(all[0]["success"], true);
  EXPECT_EQ(all[0]["backup_id"], "b1");
  EXPECT_GE(all[0]["duration_ms"].get<double>(), 0.0);
  EXPECT_EQ(all[1]["success"], false);
  EXPECT_EQ(all[1]["error"], "disk on fire");
  EXPECT_NE(all[0]["op_id"], all[1]["op_id"]);
  EXPECT_EQ(all[2]["success"], false);  // an exception left the scope
  EXPECT_EQ(all[3]["metric"], "bytes_copied");
  EXPECT_EQ(all[3]["value"], 1234.5);
}

TEST_F(Logging, AsyncLinesArriveInOrderAfterFlush) {
  LogConfig c = json_file();
  c.async = true;
  LoggingConfig::setup(c);
  for (int i = 0; i < 500; ++i)
    LoggingConfig::get_logger("nadb.sync").info("tick", {{"i", i}});
  LoggingConfig::setup(LogConfig{});  // a new configuration drains the old queue
  auto all = lines();
  ASSERT_EQ(all.size(), 500u);
  for (int i = 0; i < 500; ++i)
    EXPECT_EQ(all[static_cast<std::size_t>(i)]["i"], i);
}

TEST_F(Logging, TextFormatIsOneLinePerEvent) {
  LogConfig c = json_file();
  c.format = LogFormat::Text;
  LoggingConfig::setup(c);
  LoggingConfig::get_logger("nadb.pool").warn("two\nlines", {{"server", "h:1"}});
  LoggingConfig::flush();
  std::ifstream in(dir_.sub("nadb.log"));
  std::string line, extra;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_FALSE(std::getline(in, extra));
  EXPECT_NE(line.find(" WARNING nadb.pool: two\\nlines server=\"h:1\""), std::string::npos) << line;
  EXPECT_EQ(line.find(".cpp:"), std::string::npos) << "a warning names a source file: " << line;
}

TEST_F(Logging, TextLinesNameTheirSourceOnlyAtDebugAndTrace) {
  LogConfig c = json_file();
  c.format = LogFormat::Text;
  c.level = LogLevel::Trace;
  LoggingConfig::setup(c);
  LoggingConfig::get_logger("nadb.pool").debug("looked", {});
  LoggingConfig::get_logger("nadb.pool").error("failed", {});
  LoggingConfig::flush();
  std::ifstream in(dir_.sub("nadb.log"));
  std::string debug, error;
  ASSERT_TRUE(std::getline(in, debug));
  ASSERT_TRUE(std::getline(in, error));
  EXPECT_NE(debug.find("looked (logging_test.cpp:"), std::string::npos) << debug;
  EXPECT_EQ(error.find(".cpp:"), std::string::npos) << error;
}

TEST_F(Logging, EnvironmentAndBadSettings) {
  ::setenv("NADB_LOG_LEVEL", "debug", 1);
  ::setenv("NADB_LOG_FORMAT", "json", 1);
  ::setenv("NADB_LOG_FILE", "/tmp/x.log", 1);
  LogConfig c = LogConfig::from_environment();
  EXPECT_EQ(c.level, LogLevel::Debug);
  EXPECT_EQ(c.format, LogFormat::Json);
  EXPECT_EQ(c.file, "/tmp/x.log");
  ::setenv("NADB_LOG_LEVEL", "loud", 1);
  EXPECT_THROW(LogConfig::from_environment(), InvalidArgument);
  ::unsetenv("NADB_LOG_LEVEL");
  ::unsetenv("NADB_LOG_FORMAT");
  ::unsetenv("NADB_LOG_FILE");
  LogConfig bad = json_file();
  std::ofstream(dir_.sub("a-file")) << "not a folder";
  bad.file = dir_.sub("a-file/x.log");
  EXPECT_THROW(LoggingConfig::setup(bad), IOError);
  LoggingConfig::get_logger("nadb.store").warn("still works");  // the old config stays
  EXPECT_EQ(lines().size(), 0u);
}

}  // namespace
}  // namespace nadb::testing
