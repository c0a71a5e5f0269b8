#!/usr/bin/env bash
# Installs every Debian package NADB builds, tests or benchmarks with. Idempotent: when every
# package is present it does nothing (no apt-get update, no root needed).
#   scripts/bootstrap.sh          build + test dependencies (clang-16: the libFuzzer targets;
#                                 clang 14 cannot compile std::source_location)
#   scripts/bootstrap.sh --bench  also the peer systems of the comparison benchmarks (C++ and
#                                 Python: make compare, make compare-python)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config python3 clang-format
  libzstd-dev zlib1g-dev libxxhash-dev libroaring-dev libssl-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  libhiredis-dev redis-server redis-tools openssl libspdlog-dev libcli11-dev libedit-dev
  clang-16 libclang-rt-16-dev
  python3-dev pybind11-dev python3-pytest python3-setuptools python3-wheel python3-pip python3-flask
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(liblmdb-dev libsqlite3-dev librocksdb-dev python3-lmdb python3-plyvel python3-diskcache)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
