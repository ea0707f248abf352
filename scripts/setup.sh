#!/usr/bin/env bash
# Shared set-up, sourced by demo.sh and test.sh: checks what the build needs and installs what is
# missing. Idempotent: a second run finds everything in place and does nothing.
set -euo pipefail

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET 10 SDK is required (https://dotnet.microsoft.com/download); 'dotnet' is not on PATH." >&2
  exit 1
fi
if ! dotnet --list-sdks | grep -q '^10\.'; then
  echo "error: the .NET 10 SDK is required; found: $(dotnet --list-sdks | tr '\n' ' ')" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
