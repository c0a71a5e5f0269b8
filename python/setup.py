"""Builds the nadb package with CMake (the extension nadb._core from the C++ core in the
parent folder) and setuptools. Offline: pip install --no-build-isolation ./python (Debian's
python3-setuptools, python3-wheel, pybind11-dev, python3-dev). With a package index, plain
pip install ./python fetches setuptools, wheel and pybind11 itself (pyproject.toml).

NADB_CMAKE_BUILD_DIR=<dir> reuses (or keeps) a CMake build tree; NADB_BUILD_JOBS sets the
parallelism (default: every core)."""

import os
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def project_version() -> str:
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        match = re.search(r"project\(nadb VERSION ([0-9.]+)", f.read())
    if not match:
        raise SystemExit("setup.py: cannot read the version from ../CMakeLists.txt")
    return match.group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        if not os.path.exists(os.path.join(ROOT, "src")):
            raise SystemExit(f"setup.py: the C++ sources are not at {ROOT}; build from a NADB checkout")
        build = os.environ.get("NADB_CMAKE_BUILD_DIR") or os.path.join(os.path.abspath(self.build_temp), "cmake")
        configure = ["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DNADB_PYTHON=ON",
                     "-DNADB_BUILD_TESTS=OFF", f"-DPython_EXECUTABLE={sys.executable}"]
        if not os.path.exists(os.path.join(build, "CMakeCache.txt")) and shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        try:  # pybind11 from a package index (build isolation) ships its own CMake files
            import pybind11

            configure.append(f"-Dpybind11_DIR={pybind11.get_cmake_dir()}")
        except ImportError:
            pass  # Debian's pybind11-dev: found by CMake in /usr/lib/cmake
        jobs = os.environ.get("NADB_BUILD_JOBS") or str(os.cpu_count() or 2)
        subprocess.check_call(configure)
        subprocess.check_call(["cmake", "--build", build, "--target", "nadb_python_core", "-j", jobs])
        built = os.path.join(build, "python", "nadb", os.path.basename(self.get_ext_filename(ext.name)))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built, target)


setup(
    name="nadb",
    version=project_version(),
    description="A key-value store with tags, tag queries, TTL, transactions and backups, on a C++ core",
    license="MIT",
    python_requires=">=3.11",
    packages=["nadb", "nadb.storage_backends"],
    package_data={"nadb": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("nadb._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
