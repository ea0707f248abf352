# The extraction benchmark's PyMuPDF side: page.get_text() on every page of the PDFs a manifest names (JSON Lines of
# {"url": path}), in a pool of N processes (the published pipeline's extractor, as Ray Data or Daft would run it).
# Prints one RESULT line: pages, characters, seconds, pages/s.
import json, sys, time
from multiprocessing import Pool
import fitz

def pages_of(path):
    doc = fitz.open(path)
    n = c = 0
    for page in doc:
        c += len(page.get_text())
        n += 1
    return n, c

if __name__ == "__main__":
    manifest, workers = sys.argv[1], int(sys.argv[2])
    paths = [json.loads(line)["url"] for line in open(manifest)]
    start = time.perf_counter()
    with Pool(workers) as pool:
        results = pool.map(pages_of, paths, chunksize=2)
    elapsed = time.perf_counter() - start
    pages = sum(r[0] for r in results)
    print(f"RESULT pymupdf {fitz.VersionBind} x{workers}: {pages} pages, {sum(r[1] for r in results)} chars, {elapsed:.2f} s, {pages / elapsed:.0f} pages/s")
