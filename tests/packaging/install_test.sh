#!/usr/bin/env bash
# `cmake --install` into a temporary prefix, then three consumers of the installed files:
# examples/cmake_consumer through find_package(nadb) (shared and static), a compile through
# pkg-config, and the installed nadb command line.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/nadb/nadb.hpp include/nadb/store.hpp bin/nadb; do
  [[ -e $prefix/$f ]] || fail "not installed: $f"
done
libdir=$(dirname "$(find "$prefix" -name libnadb.a)")
[[ -e $libdir/libnadb.so ]] || fail "libnadb.so is not next to libnadb.a in $libdir"
[[ -e $libdir/cmake/nadb/nadbConfig.cmake ]] || fail "no CMake package config"
[[ -e $libdir/pkgconfig/nadb.pc ]] || fail "no pkg-config file"
if find "$prefix/include" -name '*.hpp' | xargs grep -l '#include "\(engine\|util\|store\)/' ; then
  fail "an installed header includes an internal one"
fi

expect_output() {  # program data_dir
  local out
  out=$("$1" "$2")
  [[ $out == *"hello from an installed nadb"* && $out == *"keys tagged demo: 1"* ]] ||
    fail "$1 printed: $out"
}

# find_package(nadb) from a separate project.
cmake -S "$source/examples/cmake_consumer" -B "$work/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/consumer" >/dev/null
expect_output "$work/consumer/consumer" "$work/data-shared"
expect_output "$work/consumer/consumer_static" "$work/data-static"
# (ldd's output is captured first: grep -q may exit before ldd ends, and pipefail would count
# ldd's SIGPIPE as a failure.)
libraries=$(ldd "$work/consumer/consumer")
grep -q "$libdir/libnadb.so" <<<"$libraries" || fail "consumer does not use libnadb.so"
libraries=$(ldd "$work/consumer/consumer_static")
if grep -q libnadb.so <<<"$libraries"; then fail "consumer_static uses libnadb.so"; fi

# pkg-config, against the shared library.
export PKG_CONFIG_PATH=$libdir/pkgconfig
[[ $(pkg-config --modversion nadb) == 0.1.0 ]] || fail "pkg-config version: $(pkg-config --modversion nadb)"
# README's command line, word for word: the program must run as built, without LD_LIBRARY_PATH
# (the rpath names the installed libdir).
cd "$work"
cp "$source/examples/cmake_consumer/main.cpp" app.cpp
# shellcheck disable=SC2046
g++ -std=c++20 app.cpp $(pkg-config --cflags --libs nadb) -Wl,-rpath,$(pkg-config --variable=libdir nadb)
(unset LD_LIBRARY_PATH; expect_output "$work/a.out" "$work/data-pc")
cd - >/dev/null

# The installed command line.
"$prefix/bin/nadb" --data "$work/cli" set k installed >/dev/null
[[ $("$prefix/bin/nadb" --data "$work/cli" get k) == installed ]] || fail "installed nadb get"
echo "install test passed"
