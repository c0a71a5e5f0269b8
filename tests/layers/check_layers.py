"""The layers of DESIGN.md, checked by compiling: a file of each layer of src/ (compiled as the
build compiles it, from compile_commands.json) includes a header of every other layer; the
build must refuse each include that points up the layers or to a layer not linked, and accept
the others. Exits 1 naming every include that was wrongly accepted or refused.

Usage: check_layers.py BUILD_DIR SOURCE_DIR
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

# What each layer may include (itself, and the layers it links): CMakeLists.txt's order.
ALLOWED = {
    "util": {"util"},
    "obs": {"obs", "util"},
    "engine": {"engine", "obs", "util"},
    "index": {"index", "util"},
    "backends": {"backends", "engine", "index", "obs", "util"},
    "txn": {"txn", "obs", "util"},
    "backup": {"backup", "obs", "util"},
    "store": {"store", "txn", "backup", "index", "backends", "engine", "obs", "util"},
}

build, source = sys.argv[1], sys.argv[2]
commands = json.load(open(os.path.join(build, "compile_commands.json")))
src = os.path.join(source, "src")


def header_of(layer):
    """A header of the layer, as an include names it."""
    for name in sorted(os.listdir(os.path.join(src, layer))):
        if name.endswith(".hpp"):
            return f"{layer}/{name}"
    raise SystemExit(f"layer {layer} has no header")


def command_of(layer):
    """How the build compiles a file of the layer (its own library, not a flavour)."""
    prefix = os.path.join(src, layer) + os.sep
    for entry in commands:
        if entry["file"].startswith(prefix) and f"nadb_{layer}.dir" in entry.get("command", ""):
            return entry
    raise SystemExit(f"no compile command for layer {layer} in compile_commands.json")


problems = []
checked = 0
with tempfile.TemporaryDirectory() as work:
    for layer, allowed in ALLOWED.items():
        entry = command_of(layer)
        args = shlex.split(entry["command"])
        for other in ALLOWED:
            probe = os.path.join(work, f"{layer}_includes_{other}.cpp")
            with open(probe, "w") as f:
                f.write(f'#include "{header_of(other)}"\n')
            cmd = []
            skip = False
            for arg in args:
                if skip:
                    skip = False
                    continue
                if arg in ("-o", "-MF", "-MT"):
                    skip = True
                    continue
                if arg in ("-c", "-MD") or arg == entry["file"]:
                    continue
                cmd.append(arg)
            cmd += ["-fsyntax-only", probe]
            result = subprocess.run(cmd, cwd=entry["directory"], capture_output=True, text=True)
            compiled = result.returncode == 0
            checked += 1
            if other in allowed and not compiled:
                problems.append(f"{layer} cannot include {header_of(other)}:\n{result.stderr[-500:]}")
            if other not in allowed and compiled:
                problems.append(f"{layer} includes {header_of(other)} and it compiles")
            if other not in allowed and "No such file" not in result.stderr:
                problems.append(f"{layer} including {header_of(other)} failed otherwise:\n"
                                f"{result.stderr[-500:]}")

for problem in problems:
    print("FAIL:", problem)
print(f"{checked} includes checked, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
