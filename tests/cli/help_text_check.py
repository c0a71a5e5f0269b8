#!/usr/bin/env python3
"""Prints every option or positional of a CLI11 help text (stdin) that has no help text."""
import re
import sys

lines = sys.stdin.read().splitlines()
section = False
for i, line in enumerate(lines):
    if line in ("Options:", "Positionals:"):
        section = True
        continue
    if not line.strip() or not line.startswith("  ") or line.startswith("   "):
        section = section and bool(line.strip())
        continue
    if not section:
        continue
    words = line.split()
    rest = words[1:]  # after the name: its type, flags like REQUIRED, Excludes: X, then help
    while rest and (re.fullmatch(r"[A-Z]+(:.*)?|\.\.\.|REQUIRED|(TEXT|UINT|INT)?:?\{.*\}", rest[0])
                    or rest[0].startswith("=")):
        rest = rest[1:]
    while rest and rest[0] in ("Excludes:", "Needs:"):
        rest = rest[2:]
    continued = i + 1 < len(lines) and re.match(r" {10,}\S", lines[i + 1])
    if not rest and not continued:
        print(line.strip())
