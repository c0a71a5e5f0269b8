// nadb shell: one store, many commands. On a terminal lines are edited with libedit, Tab
// completes command and option names, Ctrl-C abandons the line being typed, and every line is
// added to ~/.nadb_history at once (so no way of leaving loses it); otherwise (a pipe, a
// script) lines are read plainly, without a prompt.
#include <editline/readline.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "cli.hpp"

namespace nadb::cli {
namespace {

volatile sig_atomic_t interrupted = 0;
void on_interrupt(int) {
  interrupted = 1;
}

// What Tab offers: the command names, and each command's option and subcommand names.
class Completions {
 public:
  explicit Completions(const Globals& g) {
    CLI::App app;
    Selection selection;
    add_commands(app, g, selection);
    for (const CLI::App* command : app.get_subcommands({})) {
      commands_.push_back(command->get_name());
      std::vector<std::string>& words = words_[command->get_name()];
      for (const CLI::App* sub : command->get_subcommands({}))
        words.push_back(sub->get_name());
      for (const CLI::Option* option : command->get_options())
        for (const auto& name : option->get_lnames())
          words.push_back("--" + name);
    }
    for (const char* word : {"help", "use", "exit", "quit"})
      commands_.push_back(word);
  }

  // The candidates for the word being typed: a command first, then that command's words.
  const std::vector<std::string>& candidates(const std::string& line_before_word) const {
    std::istringstream words(line_before_word);
    std::string first;
    if (!(words >> first)) return commands_;
    if (first == "help") return commands_;
    auto it = words_.find(first);
    static const std::vector<std::string> kNone;
    return it == words_.end() ? kNone : it->second;
  }

 private:
  std::vector<std::string> commands_;
  std::map<std::string, std::vector<std::string>> words_;
};

// The running shell's completions, and where the word being completed starts in the line
// (readline takes plain functions).
const Completions* completions = nullptr;
int word_start = 0;

char* next_candidate(const char* text, int state) {
  static std::size_t index;
  static const std::vector<std::string>* list;
  if (state == 0) {
    index = 0;
    list = &completions->candidates(
        std::string(rl_line_buffer, static_cast<std::size_t>(std::max(word_start, 0))));
  }
  while (index < list->size()) {
    const std::string& word = (*list)[index++];
    if (word.compare(0, std::strlen(text), text) == 0) return ::strdup(word.c_str());
  }
  return nullptr;
}

char** complete(const char* text, int start, int) {
  word_start = start;
  rl_attempted_completion_over = 1;  // never fall back to file names
  return rl_completion_matches(text, next_candidate);
}

class LineReader {
 public:
  explicit LineReader(const Globals& g) : terminal_(::isatty(STDIN_FILENO) == 1), words_(g) {
    if (!terminal_) return;
    completions = &words_;
    rl_attempted_completion_function = complete;
    struct sigaction action {};
    action.sa_handler = on_interrupt;  // no SA_RESTART: readline returns, the line is dropped
    ::sigaction(SIGINT, &action, &previous_);
    using_history();
    stifle_history(1000);
    if (const char* home = std::getenv("HOME")) {
      history_file_ = std::string(home) + "/.nadb_history";
      read_history(history_file_.c_str());
    }
  }
  ~LineReader() {
    if (!terminal_) return;
    ::sigaction(SIGINT, &previous_, nullptr);
    completions = nullptr;
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line, or nullopt at end of input (Ctrl-D on a terminal, after a newline).
  std::optional<std::string> next(const std::string& prompt) {
    if (!terminal_) {
      std::string line;
      if (!std::getline(std::cin, line)) return std::nullopt;
      return line;
    }
    for (;;) {
      interrupted = 0;
      char* raw = readline(prompt.c_str());
      if (raw == nullptr) {
        std::cout << std::endl;     // the prompt's line ends: the next output starts clean
        if (interrupted) continue;  // Ctrl-C: a fresh prompt, the shell goes on
        return std::nullopt;
      }
      std::string line(raw);
      std::free(raw);
      if (interrupted) continue;
      if (line.find_first_not_of(" \t") != std::string::npos) {
        add_history(line.c_str());
        // Saved at once: the history survives exit, Ctrl-D, a closed terminal and kill -9.
        if (!history_file_.empty()) write_history(history_file_.c_str());
      }
      return line;
    }
  }
  bool terminal() const { return terminal_; }

 private:
  const bool terminal_;
  Completions words_;
  std::string history_file_;
  struct sigaction previous_ {};
};

// Parses and runs one line; returns its exit code.
int run_line(const Globals& g, const std::string& line, Session& session) {
  CLI::App app{
      "commands: the same as nadb's, without the global options; help COMMAND, "
      "use DB [NS], exit or quit",
      ""};
  app.set_help_flag("-h,--help", "print this help");
  app.require_subcommand(1);
  Selection selection;
  add_commands(app, g, selection);
  try {
    app.parse(line, false);
  } catch (const CLI::Success& e) {  // help, COMMAND --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_error(kUsage, parse_error_message(app, e), "help lists the commands");
  }
  selection.command = command_path(app);
  return execute(g, selection, session);
}

// use DB [NS]: the following commands run on that db and namespace (opened when first used).
int use(Globals& g, Session& session, const std::string& arguments) {
  std::istringstream words(arguments);
  std::string db, ns, extra;
  if (!(words >> db) || (words >> ns && words >> extra))
    return report_error(kUsage, "use takes DB and optionally NS", "help lists the commands");
  g.db = db;
  g.ns = ns.empty() ? "default" : ns;
  session = Session();  // the previous store closes now
  return kOk;
}

}  // namespace

int run_shell(const Globals& globals) {
  Globals g = globals;
  g.shell = true;
  LineReader reader(g);
  Session session;
  int result = kOk;
  while (auto line = reader.next("nadb " + g.db + ":" + g.ns + "> ")) {
    std::size_t start = line->find_first_not_of(" \t");
    if (start == std::string::npos || (*line)[start] == '#') continue;
    std::string command = line->substr(start);
    if (command == "exit" || command == "quit") break;
    int code = kOk;
    if (command == "help") {
      code = run_line(g, "--help", session);
    } else if (command == "help use") {
      std::cout << "use DB [NS]: the following commands run on db DB, namespace NS (default: "
                   "default); the prompt says which\n";
    } else if (command.rfind("help ", 0) == 0) {
      code = run_line(g, command.substr(5) + " --help", session);
    } else if (command.rfind("use ", 0) == 0 || command == "use") {
      code = use(g, session, command.substr(3));
    } else {
      code = run_line(g, command, session);
    }
    if (code != kOk) result = code;
  }
  return result;
}

}  // namespace nadb::cli
