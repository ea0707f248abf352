#!/usr/bin/env bash
# What the Parquet/Arrow and S3 tests need beyond NuGet: Node.js, npm's apache-arrow (the JavaScript implementation,
# an Arrow IPC reader independent of the Apache.Arrow C# library Sluice writes with) and npm's s3rver (an
# S3-compatible server the S3 tests start on 127.0.0.1), in tools/node.
# Idempotent: a second run finds everything in place and does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup-columnar: installing nodejs and npm (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq nodejs npm >/dev/null
fi

# Both in one install: npm install with one name would prune the other from tools/node.
arrow_version=21.2.0
s3rver_version=3.7.1
has() { [ -f "tools/node/node_modules/$1/package.json" ] && grep -q "\"version\": \"$2\"" "tools/node/node_modules/$1/package.json"; }
if ! has apache-arrow "$arrow_version" || ! has s3rver "$s3rver_version"; then
  echo "setup-columnar: npm install apache-arrow@$arrow_version s3rver@$s3rver_version into tools/node" >&2
  mkdir -p tools/node
  npm install --silent --no-audit --no-fund --prefix tools/node "apache-arrow@$arrow_version" "s3rver@$s3rver_version" >/dev/null
fi
