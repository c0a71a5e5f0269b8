"""pip builds a wheel of ./python offline (setuptools driving CMake, Debian's pybind11) and
the installed package works in Debian's CPython and in any other CPython 3.11 on PATH (an
image may put its own python3 first). A separate ctest test (python.install): the wheel
build compiles the whole core."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SMOKE = ("import nadb, tempfile\n"
         "with nadb.KeyValueStore(tempfile.mkdtemp(), 'db', 1, 'ns', None) as kv:\n"
         "    kv.set('k', b'v', ['t'])\n"
         "    assert kv.get('k') == b'v' and kv.query_by_tags_advanced(['t']).keys == ['k']\n"
         "print(nadb.__file__)\n")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    wheels = tmp_path_factory.mktemp("wheels")
    target = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NADB_BUILD_JOBS": os.environ.get("NADB_BUILD_JOBS", "2"), "PIP_NO_INDEX": "1"}
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
                            "-w", str(wheels), os.path.join(ROOT, "python")],
                           env=env, capture_output=True, text=True, timeout=3000)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    wheel = glob.glob(str(wheels / "nadb-*.whl"))
    assert len(wheel) == 1
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target),
                              wheel[0]], env=env, capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    return target


def smoke(interpreter: str, site) -> str:
    out = subprocess.run([interpreter, "-c", SMOKE], env={**os.environ, "PYTHONPATH": str(site)},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_wheel_installs_and_imports_in_debian_python(installed):
    assert smoke(sys.executable, installed).startswith(str(installed))
    assert os.path.exists(os.path.join(installed, "nadb", "_core.pyi"))
    assert os.path.exists(os.path.join(installed, "nadb", "py.typed"))


def other_cpython_311() -> list:
    ours = os.path.realpath(sys.executable)
    found = {}
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        for name in ("python3", "python3.11"):
            candidate = shutil.which(name, path=folder)
            if not candidate or os.path.realpath(candidate) == ours:
                continue
            version = subprocess.run([candidate, "-c", "import sys, platform; print(platform.python_implementation(),"
                                      " sys.version_info[:2] == (3, 11), sys.prefix)"],
                                     capture_output=True, text=True)
            fields = version.stdout.split()
            if version.returncode == 0 and fields[:2] == ["CPython", "True"] and fields[2] != sys.prefix:
                found.setdefault(fields[2], candidate)
    return list(found.values())


def test_the_installed_package_imports_in_every_other_cpython_311_on_path(installed):
    others = other_cpython_311()
    if not others:
        pytest.skip("no CPython 3.11 other than Debian's on PATH")
    for interpreter in others:
        assert smoke(interpreter, installed).startswith(str(installed)), interpreter
