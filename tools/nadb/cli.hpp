// The nadb command-line tool: shared state of its commands (docs/CLI.md).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "nadb/nadb.hpp"

namespace nadb::cli {

// Exit codes: 0 ok, 1 key or backup not found, 2 usage error, 3 any other error.
enum ExitCode { kOk = 0, kNotFound = 1, kUsage = 2, kFailed = 3 };

// The global options, shared by every command.
struct Globals {
  std::string data = "./data";
  std::string db = "default";
  std::string ns = "default";
  std::string backend = "fs";
  std::string redis;  // redis://... URL
  bool json = false;
  std::string log_level;
  bool read_only = false;  // --read-only: every command opens the db read-only
  bool shell = false;      // inside `nadb shell`: text output always ends its line
};

// The data a command met is not what it needs (incr of a value that is not an integer): exit
// kFailed, and no hint about the command line, which was right.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a command ends with: its exit code, what it prints (text, binary-safe) and, in
// --json mode instead, its document (null: the command printed its output itself).
struct Outcome {
  int code = kOk;
  nlohmann::json document = nlohmann::json::object();
  std::string text;
};

using Command = std::function<Outcome(KeyValueStore&)>;

// A command that opens what it needs itself (bench): it never opens the store of --data/--db.
using StandaloneCommand = std::function<Outcome()>;

// What a parsed command line selected: one of the two.
struct Selection {
  Command on_store;
  StandaloneCommand standalone;
  std::string command;  // as typed, subcommands included: "get", "backup list"
};

// The store the commands of one invocation, or of one shell session, run against.
struct Session {
  // An empty scratch db beside which the backups of a db whose folder is gone are listed or
  // verified; declared first, so that it is removed after the store closes.
  std::shared_ptr<void> scratch;
  std::unique_ptr<KeyValueStore> store;
  bool read_only = false;  // opened with Options::read_only
};

// The command app parsed, with its subcommands ("backup list").
std::string command_path(const CLI::App& app);
// Whether command only reads the store (get, keys, query, stats, export, ...).
bool is_read_command(const std::string& command);
// Opens session.store for the selected command unless it is open and fits: read commands
// open an fs db read-only (NotFound for a missing db becomes a DataError naming it), saying
// once on stderr when another process has the db open; a write after reads reopens it
// writable; a read on a read-only store refreshes it first; backup list and verify of a db
// whose folder is gone run beside a scratch db, creating nothing in the data folder.
void prepare_store(const Globals& g, const Selection& selection, Session& session);

// Checks that an option is a whole number of at least minimum ("--limit must be at least 1,
// got 0"), for CLI::Option::check.
CLI::Validator at_least(long long minimum);

// The store options the global options describe.
Options options_of(const Globals& g);

// Adds the key commands (set, get, del, exists, ttl, expire, persist, incr, keys, tags,
// query) and the maintenance commands (compact, cleanup-expired, stats, export, import,
// sync) to app; each stores what it runs into `selected`. g must outlive the parse and the run.
void add_key_commands(CLI::App& app, const Globals& g, Command& selected);
void add_maintenance_commands(CLI::App& app, const Globals& g, Command& selected);
// backup create|incremental|list|verify|restore|delete|prune.
void add_backup_commands(CLI::App& app, Command& selected);
// check, repair: an fs db's files (never through an open store).
void add_check_commands(CLI::App& app, const Globals& g, StandaloneCommand& selected);
// bench [--n N] [--backend B]: a short workload on a throwaway store.
void add_bench_command(CLI::App& app, const Globals& g, StandaloneCommand& selected);
// shell: reads commands line by line from standard input (line editing and history on a
// terminal) against one store opened for the whole session, until end of input or `exit`;
// returns 0 when every command succeeded, else the exit code of the last one that failed.
int run_shell(const Globals& g);

// Sets app up as `nadb` parses its command line: the global options into g, every command
// (selected into selection) and shell (which sets shell).
void configure_app(CLI::App& app, Globals& g, Selection& selection, bool& shell);
// Adds every command but shell to app (the functions above).
void add_commands(CLI::App& app, const Globals& g, Selection& selection);
// Runs what selection holds against the session's store (prepare_store), prints its outcome
// and returns its exit code; an error is mapped to its exit code with a one-line message on
// stderr.
int execute(const Globals& g, Selection& selection, Session& session);
// Applies --log-level; a bad level is reported and kUsage returned.
int setup_logging(const Globals& g);
// What went wrong in a failed parse, naming an unknown command as such.
std::string parse_error_message(const CLI::App& app, const CLI::ParseError& e);
// Prints "nadb: message (hint)" on stderr; returns code.
int report_error(int code, const std::string& message, const std::string& hint);

// In the shell, "-" (standard input) would swallow the commands after it: a usage error
// (CLI::ValidationError) for command, saying what to do instead.
[[noreturn]] void refuse_standard_input(const std::string& command, const std::string& instead);
// Reads a file whole (binary); "-" is standard input. Throws IOError.
std::string read_input(const std::string& path);

}  // namespace nadb::cli
