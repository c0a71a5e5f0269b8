// nadb: the command line over KeyValueStore. Parses the global options and one command,
// opens the store, runs the command, prints its result (text or one JSON document) and maps
// errors to exit codes with a one-line message on stderr.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli.hpp"

namespace {

using nadb::cli::ExitCode;

nadb::Options options_of(const nadb::cli::Globals& g) {
  nadb::Options o;
  o.data_folder = g.data;
  o.db = g.db;
  o.ns = g.ns;
  o.backend = g.backend;
  o.redis.url = g.redis;
  return o;
}

int fail(int code, const std::string& message, const std::string& hint) {
  std::cerr << "nadb: " << message << (hint.empty() ? "" : " (" + hint + ")") << '\n';
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nadb: a key-value store with tags, TTL, transactions and backups"};
  app.require_subcommand(1);
  nadb::cli::Globals g;
  app.add_option("--data", g.data, "data folder (fs backend)")->capture_default_str();
  app.add_option("--db", g.db, "database name")->capture_default_str();
  app.add_option("--ns", g.ns, "namespace")->capture_default_str();
  app.add_option("--backend", g.backend, "fs, memory or redis")
      ->check(CLI::IsMember({"fs", "memory", "redis"}))
      ->capture_default_str();
  app.add_option("--redis", g.redis, "redis://[user:pass@]host:port/db (with --backend redis)");
  app.add_flag("--json", g.json, "print one JSON document per command");
  app.add_option("--log-level", g.log_level, "trace, debug, info, warning, error, off");
  nadb::cli::Command command;
  nadb::cli::add_key_commands(app, command);
  nadb::cli::add_maintenance_commands(app, command);
  nadb::cli::add_backup_commands(app, command);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(ExitCode::kUsage, e.what(), "see nadb --help");
  }
  try {
    if (!g.log_level.empty()) {  // parsed and checked like the environment variable
      ::setenv("NADB_LOG_LEVEL", g.log_level.c_str(), 1);
      nadb::LoggingConfig::setup(nadb::LogConfig::from_environment());
    }
    nadb::KeyValueStore store(options_of(g));
    nadb::cli::Outcome outcome = command(store);
    if (g.json) {  // keys are bytes: invalid UTF-8 is replaced, never an error
      std::cout << outcome.document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << '\n';
    } else {
      std::fwrite(outcome.text.data(), 1, outcome.text.size(), stdout);
    }
    return outcome.code;
  } catch (const nadb::NotFound& e) {
    return fail(ExitCode::kNotFound, e.what(), "");
  } catch (const nadb::InvalidArgument& e) {
    return fail(ExitCode::kUsage, e.what(), "see nadb --help");
  } catch (const nadb::Locked& e) {
    return fail(ExitCode::kFailed, e.what(), "another process has the db open");
  } catch (const nadb::BackendUnavailable& e) {
    return fail(ExitCode::kFailed, e.what(), "is the server up? check --redis");
  } catch (const std::exception& e) {
    return fail(ExitCode::kFailed, e.what(), "");
  }
}
