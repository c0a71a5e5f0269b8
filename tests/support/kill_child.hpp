// run_and_kill: runs body(fd) in a forked child that reports fixed-size messages through the
// pipe fd, kills it with SIGKILL after `delay` and returns every whole message it had sent.
// run_and_kill_when: the same, killing it as soon as `enough` says so of the messages so far
// (or after `deadline`, or once the child is gone: it may kill itself). The parent drains the pipe
// while it waits, so a chatty child never blocks on a full pipe.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace nadb::testing {

template <typename Message>
std::vector<Message> run_and_kill_when(
    const std::function<void(int)>& body,
    const std::function<bool(const std::vector<Message>&)>& enough,
    std::chrono::milliseconds deadline_after) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    body(fds[1]);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string bytes;
  char buffer[1 << 16];
  auto messages = [&] {
    std::vector<Message> out(bytes.size() / sizeof(Message));
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(Message));
    return out;
  };
  bool ended = false;  // the pipe's end: the child is gone (it may kill itself)
  auto drain = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n > 0) bytes.append(buffer, static_cast<std::size_t>(n));
    if (n == 0) ended = true;
    return n > 0;
  };
  auto deadline = std::chrono::steady_clock::now() + deadline_after;
  while (!ended && std::chrono::steady_clock::now() < deadline && !enough(messages())) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    drain(static_cast<int>(std::clamp<std::int64_t>(left.count(), 1, 100)));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  while (drain(0)) {
  }
  ::close(fds[0]);
  if (!WIFSIGNALED(status)) throw std::runtime_error("the child ended by itself");
  return messages();
}

template <typename Message>
std::vector<Message> run_and_kill(const std::function<void(int)>& body,
                                  std::chrono::milliseconds delay) {
  return run_and_kill_when<Message>(
      body, [](const std::vector<Message>&) { return false; }, delay);
}

}  // namespace nadb::testing
