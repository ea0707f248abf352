#!/usr/bin/env bash
# What the Parquet/Arrow tests need beyond NuGet: Node.js and npm's apache-arrow (the JavaScript implementation,
# an Arrow IPC reader independent of the Apache.Arrow C# library Sluice writes with), in tools/node.
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

arrow_version=21.2.0
if [ ! -f tools/node/node_modules/apache-arrow/package.json ] \
   || ! grep -q "\"version\": \"$arrow_version\"" tools/node/node_modules/apache-arrow/package.json; then
  echo "setup-columnar: npm install apache-arrow@$arrow_version into tools/node" >&2
  mkdir -p tools/node
  npm install --silent --no-audit --no-fund --prefix tools/node "apache-arrow@$arrow_version" >/dev/null
fi
