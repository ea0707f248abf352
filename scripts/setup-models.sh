#!/usr/bin/env bash
# Exports the models the image classification workload and its tests use, with Debian's PyTorch
# (python3-torch, python3-torchvision; installed here when missing). Idempotent: an existing model
# is kept. Output: models/resnet18.onnx and models/resnet18.pt (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "error: '$*' needs root, and sudo is not available; run this script as root." >&2; exit 1
  fi
}

missing=()
for pkg in python3-torch python3-torchvision; do
  if dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
    echo "setup-models: $pkg already installed"
  else
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-models: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ -s models/resnet18.onnx ] && [ -s models/resnet18.pt ]; then
  echo "setup-models: models/resnet18.onnx already present"
else
  /usr/bin/python3 scripts/export_resnet18.py models
fi
