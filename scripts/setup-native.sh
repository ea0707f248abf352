#!/usr/bin/env bash
# Installs the native libraries the media and model stages load (see runtime/Interop/NativeLibraries.cs):
#   libturbojpeg0 and libspng0 (Debian packages), and libonnxruntime.so.1 (from the onnxruntime-node
#   npm package) copied into native/linux-x64/ (git-ignored). Also python3-pil (Pillow for
#   /usr/bin/python3), which the resize reference test (tests/Sluice.Tests/Media/PillowReferenceTests.cs) runs.
#   python3-onnx and python3-numpy build and check the test model of the ONNX Runtime binding.
#   And plasma-workspace-wallpapers (large photographs under /usr/share/wallpapers/*/contents/images/), the
#   source of `ImageClassification make-corpus` (samples/ImageClassification); installed only when missing.
# Idempotent: a second run finds everything in place and only says so.
set -euo pipefail
cd "$(dirname "$0")/.."

ORT_VERSION=1.30.0
NATIVE_DIR=native/linux-x64

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

# 2. ONNX Runtime shared library from the onnxruntime-node npm package.
if [ -f "$NATIVE_DIR/libonnxruntime.so.1" ]; then
  echo "setup-native: $NATIVE_DIR/libonnxruntime.so.1 already present"
else
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is needed to fetch onnxruntime-node@$ORT_VERSION (libonnxruntime.so.1); install Node.js/npm." >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "setup-native: fetching onnxruntime-node@$ORT_VERSION"
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null)
  tarball=$(ls "$tmp"/onnxruntime-node-*.tgz)
  tar -xzf "$tarball" -C "$tmp"
  lib=$(find "$tmp/package/bin" -path '*linux/x64/*' -name 'libonnxruntime.so.1' | head -n 1)
  if [ -z "$lib" ]; then
    # Some versions ship the versioned file (libonnxruntime.so.1.x.y) only.
    lib=$(find "$tmp/package/bin" -path '*linux/x64/*' -name 'libonnxruntime.so.1*' | sort | head -n 1)
  fi
  if [ -z "$lib" ]; then
    echo "error: no linux/x64 libonnxruntime.so.1 inside onnxruntime-node@$ORT_VERSION" >&2
    exit 1
  fi
  mkdir -p "$NATIVE_DIR"
  cp -L "$lib" "$NATIVE_DIR/libonnxruntime.so.1"
  echo "setup-native: copied ${lib#"$tmp"/} to $NATIVE_DIR/libonnxruntime.so.1"
fi
