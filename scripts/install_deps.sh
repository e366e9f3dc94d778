#!/usr/bin/env bash
# Installs what mcutune needs on Debian 12, skipping what is already there.
# Used by `make demo`, `make test` and `make bench`; safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  flatbuffers-compiler libflatbuffers-dev
  libabsl-dev libspdlog-dev libfmt-dev nlohmann-json3-dev catch2
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
  libsqlite3-dev sqlite3 libeigen3-dev python3-pyocd libssl-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libcpp-httplib-dev
  chromium
  clang libclang-rt-14-dev
)
# Node.js may come from elsewhere (e.g. a nodesource build that bundles npm):
# only ask Debian for it when the commands are missing.
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install_deps: not root and no sudo; install these by hand: ${APT_PACKAGES[*]}" >&2
  fi
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install_deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The real TFLite runtime (WASM) used as the correctness oracle in tests.
if [ ! -f tests/oracle/node_modules/@tensorflow/tfjs-tflite/package.json ] ||
   [ tests/oracle/package-lock.json -nt tests/oracle/node_modules/.package-lock.json ]; then
  echo "install_deps: npm ci (tests/oracle)"
  (cd tests/oracle && npm ci --no-audit --no-fund --loglevel=error)
fi

# The web dashboard's build tools and its browser test driver (web/, pinned
# by web/package-lock.json; Chromium itself is Debian's, above).
if [ ! -f web/node_modules/vite/package.json ] ||
   [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "install_deps: npm ci (web)"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
