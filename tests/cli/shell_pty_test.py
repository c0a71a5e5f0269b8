#!/usr/bin/env python3
"""The nadb shell on a terminal (a pty): Ctrl-C abandons the line, Tab completes, the prompt
names db:ns, use switches store, help COMMAND, Ctrl-D ends with a newline, and the history is
saved whatever way the shell ends.   shell_pty_test.py /path/to/nadb WORKDIR"""
import os
import re
import pty
import select
import signal
import sys
import time

nadb, work = sys.argv[1], sys.argv[2]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


class Shell:
    def __init__(self, *args):
        env = dict(os.environ, HOME=work, TERM="xterm")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(work)
            os.execve(nadb, [nadb, *args, "shell"], env)
        self.seen = b""

    def read_until(self, wanted, timeout=10.0):
        """Reads until `wanted` (bytes) appears after what was already consumed."""
        deadline = time.time() + timeout
        while wanted not in self.seen:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError(f"waited for {wanted!r}, the terminal shows {self.seen[-300:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise EOFError(f"the shell ended; it showed {self.seen[-300:]!r}")
                self.seen += chunk
        at = self.seen.index(wanted) + len(wanted)
        before, self.seen = self.seen[:at], self.seen[at:]
        return before

    def send(self, data):
        os.write(self.fd, data)

    def wait(self, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                try:  # what the shell printed last
                    while select.select([self.fd], [], [], 0.2)[0]:
                        chunk = os.read(self.fd, 4096)
                        if not chunk:
                            break
                        self.seen += chunk
                except OSError:
                    pass
                return status
            time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        raise TimeoutError("the shell did not end")


def history():
    """The history file's lines as typed (libedit escapes spaces and the like as \\ooo)."""
    path = os.path.join(work, ".nadb_history")
    if not os.path.exists(path):
        return ""
    text = open(path, encoding="utf-8", errors="replace").read()
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


shell = Shell("--data", "ptydata")
shell.read_until(b"nadb default:default> ")
shell.send(b"set greeting hello\r")
shell.read_until(b"nadb default:default> ")
# Ctrl-C abandons the half-typed line; the shell goes on with a fresh prompt.
shell.send(b"set abandoned value")
shell.read_until(b"value")
shell.send(b"\x03")
shell.read_until(b"nadb default:default> ")
shell.send(b"exists abandoned\r")
shell.read_until(b"not found")
shell.read_until(b"nadb default:default> ")
# Tab completes a command name, then an option name.
shell.send(b"gree\t")  # nothing starts with gree: nothing happens
shell.send(b"\x15")  # Ctrl-U: clear the line
shell.send(b"ge\t")  # the terminal redraws only what changed: judge by what the line does
time.sleep(0.2)
shell.send(b"greeting --me\t")
time.sleep(0.2)
shell.send(b"\r")
shell.read_until(b"size     5 bytes")
shell.read_until(b"nadb default:default> ")
# help COMMAND prints that command's help.
shell.send(b"help expire\r")
out = shell.read_until(b"nadb default:default> ")
check(b"Usage: expire" in out and b"SECONDS" in out, f"help expire printed {out!r}")
# use DB NS switches store; the prompt says which.
shell.send(b"use other stuff\r")
shell.read_until(b"nadb other:stuff> ")
shell.send(b"set k v\r")
shell.read_until(b"nadb other:stuff> ")
# Ctrl-D on an empty line ends the shell with a newline.
shell.send(b"\x04")
status = shell.wait()
check(os.WIFEXITED(status), f"Ctrl-D: the shell ended with status {status}")
check(shell.seen.endswith(b"\n"), f"Ctrl-D left no newline: {shell.seen[-40:]!r}")
saved = history()
for line in ("set greeting hello", "exists abandoned", "use other stuff", "set k v"):
    check(line in saved, f"history after Ctrl-D lacks {line!r}: {saved!r}")
check("set abandoned value" not in saved, "an abandoned line went into the history")

# The history survives the shell being killed (there is no exit path that loses it).
shell = Shell("--data", "ptydata")
shell.read_until(b"> ")
shell.send(b"get greeting\r")
shell.read_until(b"hello")
shell.read_until(b"> ")
os.kill(shell.pid, signal.SIGKILL)
shell.wait()
check("get greeting" in history(), "history lost when the shell was killed")
# ... and exit.
shell = Shell("--data", "ptydata", "--db", "other", "--ns", "stuff")
shell.read_until(b"nadb other:stuff> ")
shell.send(b"get k\r")
shell.read_until(b"v")
shell.send(b"exit\r")
check(os.WIFEXITED(shell.wait()), "exit did not end the shell")
check("\nget k\n" in history(), f"history after exit: {history()[-60:]!r}")

if failures:
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    sys.exit(1)
print("shell on a terminal: all checks passed")
