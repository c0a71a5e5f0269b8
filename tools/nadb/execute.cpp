// Running one parsed nadb command: the store it needs, its output, its exit code.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli.hpp"

namespace nadb::cli {
namespace {

void print(const Globals& g, const Outcome& outcome) {
  if (g.json && outcome.document.is_null()) return;  // printed by the command itself
  if (g.json) {  // keys are bytes: invalid UTF-8 is replaced, never an error
    std::cout << outcome.document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << '\n';
  } else {
    std::fwrite(outcome.text.data(), 1, outcome.text.size(), stdout);
    if (g.shell && !outcome.text.empty() && outcome.text.back() != '\n') std::fputc('\n', stdout);
  }
  std::fflush(stdout);
}

}  // namespace

CLI::Validator at_least(long long minimum) {
  return CLI::Validator(
      [minimum](std::string& text) -> std::string {
        long long value = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size())
          return "must be a whole number, got '" + text + "'";
        if (value < minimum) return "must be at least " + std::to_string(minimum) + ", got " + text;
        return "";
      },
      "");
}

Options options_of(const Globals& g) {
  Options o;
  o.data_folder = g.data;
  o.db = g.db;
  o.ns = g.ns;
  o.backend = g.backend;
  o.redis.url = g.redis;
  return o;
}

void add_commands(CLI::App& app, const Globals& g, Selection& selection) {
  add_key_commands(app, g, selection.on_store);
  add_maintenance_commands(app, g, selection.on_store);
  add_backup_commands(app, selection.on_store);
  add_bench_command(app, g, selection.standalone);
  add_check_commands(app, g, selection.standalone);
}

std::string parse_error_message(const CLI::App& app, const CLI::ParseError& e) {
  if (app.get_subcommands().empty() && !app.remaining().empty())
    return "unknown command '" + app.remaining().front() + "'";
  return e.what();
}

int report_error(int code, const std::string& message, const std::string& hint) {
  std::cerr << "nadb: " << message << (hint.empty() ? "" : " (" + hint + ")") << '\n';
  return code;
}

int setup_logging(const Globals& g) {
  if (g.log_level.empty()) return kOk;
  try {  // parsed and checked like the environment variable
    ::setenv("NADB_LOG_LEVEL", g.log_level.c_str(), 1);
    LoggingConfig::setup(LogConfig::from_environment());
    return kOk;
  } catch (const std::exception& e) {
    return report_error(kUsage, e.what(), "see nadb --help");
  }
}

int execute(const Globals& g, Selection& selection, Session& session) {
  try {
    Outcome outcome;
    if (selection.standalone) {
      outcome = selection.standalone();
    } else {
      prepare_store(g, selection, session);
      outcome = selection.on_store(*session.store);
    }
    print(g, outcome);
    return outcome.code;
  } catch (const NotFound& e) {
    return report_error(kNotFound, e.what(), "");
  } catch (const DataError& e) {
    return report_error(kFailed, e.what(), "");
  } catch (const InvalidArgument& e) {
    return report_error(kUsage, e.what(), "see nadb --help");
  } catch (const Locked& e) {
    return report_error(kFailed, e.what(), "another process has the db open");
  } catch (const BackendUnavailable& e) {
    return report_error(kFailed, e.what(), "is the server up? check --redis");
  } catch (const std::exception& e) {
    return report_error(kFailed, e.what(), "");
  }
}

void configure_app(CLI::App& app, Globals& g, Selection& selection, bool& shell) {
  app.name("nadb");
  app.set_version_flag("--version", std::string("nadb ") + version(), "print nadb's version");
  app.set_help_flag("-h,--help", "print this help (COMMAND --help: that command's)");
  // Global options are taken anywhere on the line: `nadb get k --json` as `nadb --json get k`.
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("--data", g.data, "data folder (fs backend)")->capture_default_str();
  app.add_option("--db", g.db, "database name")->capture_default_str();
  app.add_option("--ns", g.ns, "namespace")->capture_default_str();
  app.add_option("--backend", g.backend, "fs, memory or redis")
      ->check(CLI::IsMember({"fs", "memory", "redis"}))
      ->capture_default_str();
  app.add_option(
      "--redis", g.redis,
      "redis://[user:pass@]host:port/db, or redis+cluster://host:port[,host:port...]/ for a "
      "Redis Cluster (with --backend redis); rediss:// for TLS; ?shards=N for sharded "
      "namespaces");
  app.add_flag("--json", g.json, "print one JSON document per command");
  app.add_option("--log-level", g.log_level, "trace, debug, info, warning, error, off");
  app.add_flag("--read-only", g.read_only,
               "open the db read-only (fs): nothing is written, and a db another process has "
               "open can be read");
  add_commands(app, g, selection);
  app.add_subcommand("shell", "read commands line by line (history on a terminal)")
      ->callback([&shell] { shell = true; });
}

}  // namespace nadb::cli
