// nadb: the command line over KeyValueStore. Parses the global options and one command,
// opens the store, runs the command, prints its result (text or one JSON document) and maps
// errors to exit codes with a one-line message on stderr.
#include <cstdlib>

#include "cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"nadb: a key-value store with tags, TTL, transactions and backups"};
  nadb::cli::Globals g;
  nadb::cli::Selection selection;
  bool shell = false;
  nadb::cli::configure_app(app, g, selection, shell);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return nadb::cli::report_error(nadb::cli::kUsage, nadb::cli::parse_error_message(app, e),
                                   "see nadb --help");
  }
  int code = nadb::cli::setup_logging(g);
  if (code != nadb::cli::kOk) return code;
  if (shell) return nadb::cli::run_shell(g);
  selection.command = nadb::cli::command_path(app);
  nadb::cli::Session session;
  return nadb::cli::execute(g, selection, session);
}
