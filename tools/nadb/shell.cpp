// nadb shell: one store, many commands. On a terminal lines are edited with libedit, Tab
// completes command and option names, Ctrl-C abandons the line being typed, and every line is
// added to ~/.nadb_history at once (so no way of leaving loses it); otherwise (a pipe, a
// script) lines are read plainly, without a prompt.
#include <editline/readline.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <cwchar>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "cli.hpp"

namespace nadb::cli {
namespace {

// Ctrl-C. SIGINT may be handled on any of the shell's threads (the store's threads take it too:
// libedit's handler re-raises it with kill(0, SIGINT) while the main thread blocks it), and it
// may come when libedit is not inside read(): so the handler sets a flag and wakes read_key
// through a pipe, and read_key checks the flag before every wait.
std::atomic<int> interrupted{0};
static_assert(std::atomic<int>::is_always_lock_free, "the flag is set in a signal handler");
int wake_pipe[2] = {-1, -1};

void on_interrupt(int) {
  const int saved = errno;
  interrupted.store(1);
  if (wake_pipe[1] >= 0) {
    const char byte = 1;
    [[maybe_unused]] ssize_t ignored = ::write(wake_pipe[1], &byte, 1);
  }
  errno = saved;
}

void drain_wake_pipe() {
  char bytes[64];
  while (wake_pipe[0] >= 0 && ::read(wake_pipe[0], bytes, sizeof bytes) > 0) {
  }
}

// libedit's key reader (rl_getc_function): waits for a key or a Ctrl-C, then reads and decodes
// one character as libedit's own reader does. -1 (for libedit the end of input: readline
// returns NULL) on a Ctrl-C and at the end of input.
int read_key(FILE* in) {
  const int fd = ::fileno(in);
  char bytes[MB_LEN_MAX];
  std::size_t have = 0;
  for (;;) {
    if (interrupted.load()) return -1;
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_pipe[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (fds[1].revents != 0) {  // the flag was set before the byte was written
      drain_wake_pipe();
      continue;
    }
    const ssize_t n = ::read(fd, bytes + have, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return -1;  // the terminal closed, or an error
    ++have;
    for (;;) {
      std::mbstate_t state{};
      wchar_t c = 0;
      const std::size_t used = std::mbrtowc(&c, bytes, have, &state);
      if (used == static_cast<std::size_t>(-2)) break;  // incomplete: read another byte
      if (used != static_cast<std::size_t>(-1)) return static_cast<int>(c);
      if (have == 1) {  // an invalid byte is dropped
        have = 0;
        break;
      }
      bytes[0] = bytes[have - 1];  // an invalid sequence: its last byte may start a character
      have = 1;
    }
    if (have == sizeof bytes) have = 0;
  }
}

// readline() draws the prompt first and puts the terminal into its editing mode only before its
// first read: keys typed as soon as the prompt shows would meet the terminal's line mode (echoed
// twice; a Ctrl-D turned into a byte 0, which libedit takes for a quoted insert, waiting for one
// more key). The editing mode is set before the prompt is drawn instead.
int prepare_terminal() {
  rl_prep_terminal(1);
  return 0;
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
    if (::pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) wake_pipe[0] = wake_pipe[1] = -1;
    completions = &words_;
    rl_attempted_completion_function = complete;
    rl_getc_function = read_key;  // before libedit starts (using_history starts it)
    rl_pre_input_hook = prepare_terminal;
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
    rl_pre_input_hook = nullptr;
    for (int& end : wake_pipe) {
      if (end >= 0) ::close(end);
      end = -1;
    }
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
      interrupted.store(0);
      drain_wake_pipe();
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
