"""The README's Python example and examples/python/features.py, run as they are."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import nadb

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(nadb.__file__)))


def run(args, cwd):
    env = {**os.environ, "PYTHONPATH": PACKAGE_ROOT}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_readme_python_example_runs(tmp_path):
    readme = open(os.path.join(ROOT, "README.md")).read()
    section = readme.split("## Use it from Python", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(code) == 1
    out = run(["-c", code[0]], tmp_path)
    assert out.returncode == 0, out.stderr
    assert list(tmp_path.iterdir()) == []  # nothing in the working directory


def test_the_features_example_runs(tmp_path):
    out = run([os.path.join(ROOT, "examples", "python", "features.py"), str(tmp_path)], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].startswith(f"nadb {nadb.__version__}: all features ok")
