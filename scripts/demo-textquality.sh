#!/usr/bin/env bash
# The TextQuality demo, end to end on a fresh machine: builds Sluice, makes a reproducible corpus of 200,000 web
# documents, and runs the TextQuality pipeline over it (Gopher quality rules + MinHash signatures)
# with live progress and a summary. Output: data/textquality/output.jsonl and report.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

count="${COUNT:-200000}"
dotnet build samples/TextQuality -c Release -v quiet -nologo
app="dotnet samples/TextQuality/bin/Release/net10.0/TextQuality.dll"
input="data/textquality/input-$count.jsonl"
[ -s "$input" ] || $app make-corpus --count "$count" --out "$input" --seed 42
$app --input "$input" --output data/textquality/output.jsonl \
     --dead-letter data/textquality/dead-letter.jsonl --report data/textquality/report.json \
     --memory-limit 256MB "$@"
echo "kept documents: data/textquality/output.jsonl; run report: data/textquality/report.json"
