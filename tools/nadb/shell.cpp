// nadb shell: one store, many commands. On a terminal lines are edited with libedit and kept
// in ~/.nadb_history; otherwise (a pipe, a script) lines are read plainly, without a prompt.
#include <editline/readline.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli.hpp"

namespace nadb::cli {
namespace {

constexpr const char* kPrompt = "nadb> ";

class LineReader {
 public:
  LineReader() : terminal_(::isatty(STDIN_FILENO) == 1) {
    if (!terminal_) return;
    using_history();
    if (const char* home = std::getenv("HOME")) {
      history_file_ = std::string(home) + "/.nadb_history";
      read_history(history_file_.c_str());
    }
  }
  ~LineReader() {
    if (terminal_ && !history_file_.empty()) write_history(history_file_.c_str());
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line, or nullopt at end of input.
  std::optional<std::string> next() {
    if (!terminal_) {
      std::string line;
      if (!std::getline(std::cin, line)) return std::nullopt;
      return line;
    }
    char* raw = readline(kPrompt);
    if (raw == nullptr) return std::nullopt;
    std::string line(raw);
    std::free(raw);
    if (line.find_first_not_of(" \t") != std::string::npos) add_history(line.c_str());
    return line;
  }

 private:
  const bool terminal_;
  std::string history_file_;
};

// Parses and runs one line; returns its exit code.
int run_line(const Globals& g, const std::string& line, Session& session) {
  CLI::App app{"commands: the same as nadb's, without the global options; exit or quit to leave"};
  app.require_subcommand(1);
  Selection selection;
  add_commands(app, g, selection);
  try {
    app.parse(line, false);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return kOk;
  } catch (const CLI::ParseError& e) {
    return report_error(kUsage, parse_error_message(app, e), "help lists the commands");
  }
  selection.reads = is_read_command(app);
  return execute(g, selection, session);
}

}  // namespace

int run_shell(const Globals& globals) {
  Globals g = globals;
  g.shell = true;
  LineReader reader;
  Session session;
  int result = kOk;
  while (auto line = reader.next()) {
    std::size_t start = line->find_first_not_of(" \t");
    if (start == std::string::npos || (*line)[start] == '#') continue;
    std::string command = line->substr(start);
    if (command == "exit" || command == "quit") break;
    if (command == "help") command = "--help";
    int code = run_line(g, command, session);
    if (code != kOk) result = code;
  }
  return result;
}

}  // namespace nadb::cli
