// One process owns a db: a second process gets Locked naming the holder's pid.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nadb/nadb.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

// Runs fn in a child process; returns its exit code.
template <typename F>
int in_child(F fn) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(fn());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(EngineLock, SecondProcessIsLockedOutWithTheHoldersPid) {
  TempDir dir;
  Options options = test_options(dir.path());
  auto store = std::make_unique<KeyValueStore>(options);
  std::string pid = std::to_string(::getpid());
  int code = in_child([&] {
    try {
      KeyValueStore other(options);
      return 1;
    } catch (const Locked& e) {
      return std::string(e.what()).find("pid " + pid) != std::string::npos ? 0 : 2;
    } catch (...) {
      return 3;
    }
  });
  EXPECT_EQ(code, 0);
  // Another namespace of the same db in this process shares the engine (no self-lock).
  Options other_ns = options;
  other_ns.ns = "other";
  EXPECT_NO_THROW(KeyValueStore same_process(other_ns));
  // Once the holder closes its last store, another process can open the db.
  store.reset();
  EXPECT_EQ(in_child([&] {
              try {
                KeyValueStore other(options);
                return 0;
              } catch (...) {
                return 1;
              }
            }),
            0);
}

}  // namespace
}  // namespace nadb::testing
