// nadb: the command line over KeyValueStore. Parses the global options and one command,
// opens the store, runs the command, prints its result (text or one JSON document) and maps
// errors to exit codes with a one-line message on stderr.
#include <cstdlib>

#include "cli.hpp"

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
  nadb::cli::Selection selection;
  nadb::cli::add_commands(app, g, selection);
  bool shell = false;
  app.add_subcommand("shell", "read commands line by line (history on a terminal)")
      ->callback([&shell] { shell = true; });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return nadb::cli::report_error(nadb::cli::kUsage, nadb::cli::parse_error_message(app, e),
                                   "see nadb --help");
  }
  int code = nadb::cli::setup_logging(g);
  if (code != nadb::cli::kOk) return code;
  if (shell) return nadb::cli::run_shell(g);
  std::unique_ptr<nadb::KeyValueStore> store;
  return nadb::cli::execute(g, selection, store);
}
