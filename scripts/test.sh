#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: checks the toolchain, restores, builds, tests.
# Idempotent; safe to run again. Prints one closing line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
bash scripts/setup-native.sh
bash scripts/setup-models.sh
bash scripts/setup-columnar.sh
bash scripts/setup-aot.sh
bash scripts/setup-documents.sh

log=$(mktemp)
status=0
dotnet test Pipelines.sln -c Release --blame-hang-timeout 5m 2>&1 | tee "$log" || status=$?

# Sum the per-project results into one line that any CI can read.
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
projects=$(grep -c -E '^(Passed|Failed)!' "$log" || true)
rm -f "$log"
echo
echo "test projects: $projects"
echo "$passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
