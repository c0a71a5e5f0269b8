// Command-line parsing of `nadb`: the input, split at NUL bytes, is an argument vector. It
// parses (selecting a command, which is not run) or fails with a CLI11 parse error that
// parse_error_message turns into a message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args = {"nadb"};
  std::string current;
  for (std::size_t i = 0; i < size && args.size() < 64; ++i) {
    if (data[i] == '\0') {
      args.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  args.push_back(current);
  std::vector<char*> argv;
  for (auto& arg : args)
    argv.push_back(arg.data());
  CLI::App app{"nadb"};
  nadb::cli::Globals g;
  nadb::cli::Selection selection;
  bool shell = false;
  nadb::cli::configure_app(app, g, selection, shell);
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    nadb::cli::parse_error_message(app, e);
  }
  return 0;
}
