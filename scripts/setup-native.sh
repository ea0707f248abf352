#!/usr/bin/env bash
# Installs the native libraries Sluice.Media loads (runtime/Sluice.Media/Interop/MediaLibraries.cs):
#   libturbojpeg0, libspng0 and libdeflate0 (Debian packages). ONNX Runtime is not installed here: it comes
#   with the Microsoft.ML.OnnxRuntime NuGet package (runtime/Sluice.Onnx, docs/onnx.md). Also python3-pil
#   (Pillow for /usr/bin/python3), which the resize reference test (tests/Sluice.Media.Tests/PillowReferenceTests.cs)
#   runs; python3-onnx and python3-numpy build and check the test models of tests/Sluice.Onnx.Tests.
#   And plasma-workspace-wallpapers (large photographs under /usr/share/wallpapers/*/contents/images/), the
#   source of `ImageClassification make-corpus` (samples/ImageClassification); installed only when missing.
# Idempotent: a second run finds everything in place and only says so.
set -euo pipefail
cd "$(dirname "$0")/.."

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

# 1. Debian packages.
missing=()
for pkg in libturbojpeg0 libspng0 libdeflate0 python3-pil plasma-workspace-wallpapers python3-onnx python3-numpy; do
  if dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
    echo "setup-native: $pkg already installed"
  else
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: ${missing[*]} missing and apt-get is not available; install them with your package manager." >&2
    exit 1
  fi
  echo "setup-native: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  echo "setup-native: installed ${missing[*]}"
fi
