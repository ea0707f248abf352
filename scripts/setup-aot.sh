#!/usr/bin/env bash
# What a NativeAOT publish needs on Linux beyond the SDK: clang (the ILCompiler package links with it) and
# zlib1g-dev (the runtime's compression links against libz). Used by the NativeAOT test of samples/ArrowAot
# (tests/Sluice.Parquet.Tests/ArrowAotTests.cs). The ILCompiler itself comes from NuGet at restore.
# Idempotent: a second run finds everything in place and does nothing.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: '$*' needs root, and sudo is not available; run this script as root." >&2
    exit 1
  fi
}

missing=()
# The package "clang" is what puts a plain `clang` on PATH (clang-14 alone does not).
if ! command -v clang >/dev/null 2>&1; then missing+=(clang); fi
if ! dpkg -s zlib1g-dev 2>/dev/null | grep -q '^Status: install ok installed'; then missing+=(zlib1g-dev); fi
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: ${missing[*]} missing and apt-get is not available; install them with your package manager." >&2
    exit 1
  fi
  echo "setup-aot: installing ${missing[*]} (apt-get)" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
