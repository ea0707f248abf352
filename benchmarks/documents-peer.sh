#!/usr/bin/env bash
# PDF text extraction, pages/s: Sluice.Documents (MuPDF shim, and PdfPig) through the ExtractPages pipeline against
# PyMuPDF (python3-fitz, the extractor the published benchmark used; a process pool) and poppler's pdftotext (one
# process a file, N at a time) on the same PDFs, in one run.
#
#   benchmarks/documents-peer.sh [PDF_DIR] [REPS] [WORKERS]
#
# PDF_DIR (default data/pdf/texlive-latex-base-doc, from scripts/setup-documents.sh): every PDF of 100 pages or fewer
# (as the published pipeline skipped longer ones; page counts from pdfinfo, not timed). REPS (default 3) timed runs of
# each after one untimed warm-up (the files in the page cache). Every result line starts with RESULT.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-data/pdf/texlive-latex-base-doc}"
reps="${2:-3}"
workers="${3:-2}"
python=/usr/bin/python3
bash scripts/setup-documents.sh >/dev/null
dotnet build -c Release samples/DocumentEmbedding -v quiet -nologo >/dev/null
app="dotnet samples/DocumentEmbedding/bin/Release/net10.0/DocumentEmbedding.dll"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
manifest="$work/manifest.jsonl"
total=0
while IFS= read -r f; do
  n=$(pdfinfo "$f" 2>/dev/null | awk '/^Pages:/ {print $2}')
  if [[ -n "$n" && "$n" -le 100 ]]; then
    printf '{"url":"%s"}\n' "$(realpath "$f")" >> "$manifest"
    echo "$(realpath "$f")" >> "$work/files"
    total=$((total + n))
  fi
done < <(find "$dir" -name '*.pdf' | sort)
echo "corpus: $(wc -l < "$manifest") PDFs of 100 pages or fewer, $total pages (pdfinfo), $(du -ch $(cat "$work/files") | tail -1 | cut -f1)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

run_pdftotext() {
  local start end
  start=$(date +%s.%N)
  xargs -a "$work/files" -d '\n' -P "$workers" -n 1 sh -c 'pdftotext -q -enc UTF-8 "$0" - > /dev/null'
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" -v p="$total" -v w="$workers" 'BEGIN { printf "RESULT pdftotext x%d: %d pages, %.2f s, %.0f pages/s\n", w, p, e - s, p / (e - s) }'
}

for variant in warmup $(seq 1 "$reps"); do
  for engine in MuPdf PdfPig; do
    out=$($app extract --input "$manifest" --workers "$workers" --engine "$engine" --max-pages 100)
    [[ "$variant" == warmup ]] || echo "RESULT $out"
  done
  out=$($python benchmarks/python/pymupdf_pages.py "$manifest" "$workers")
  [[ "$variant" == warmup ]] || echo "$out"
  out=$(run_pdftotext)
  [[ "$variant" == warmup ]] || echo "$out"
done
