#!/usr/bin/env bash
# The demo, end to end on a fresh machine: installs the native libraries (libjpeg-turbo, libspng,
# libdeflate; ONNX Runtime comes with its NuGet package) and exports ResNet-18, builds Sluice, makes an ImageNet-like corpus of crops of real
# photographs (about 1% of the files corrupt on purpose), and classifies it: read, decode with
# shrink-on-load, resize the shorter side to 256, center crop 224, ImageNet normalization, ResNet-18
# in batches of 100, top-5 classes. Live progress, a summary, and:
#   data/demo/predictions.jsonl   one line per image: url, label, top5, top5Scores
#   data/demo/dead-letter.jsonl   the images that could not be read or decoded, with the reason
#   data/demo/report.json         the run report
# COUNT=N sets the corpus size (default 1000); extra arguments go to the pipeline (docs/cli.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
bash scripts/setup-native.sh
bash scripts/setup-models.sh

count="${COUNT:-1000}"
dotnet build samples/ImageClassification -c Release -v quiet -nologo
app="dotnet samples/ImageClassification/bin/Release/net10.0/ImageClassification.dll"
corpus="data/demo/images-$count"
[ -s "$corpus/manifest.jsonl" ] || $app make-corpus --count "$count" --out "$corpus" --seed 42
$app --input "$corpus/manifest.jsonl" --set root="$corpus" \
     --output data/demo/predictions.jsonl --dead-letter data/demo/dead-letter.jsonl \
     --report data/demo/report.json --memory-limit 512MB "$@"
echo "predictions: data/demo/predictions.jsonl; dead letters: data/demo/dead-letter.jsonl; run report: data/demo/report.json"
