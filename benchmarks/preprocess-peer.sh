#!/usr/bin/env bash
# Sluice's image preprocessing against PyTorch's DataLoader and NetVips on the same corpus, in one run.
#
#   benchmarks/preprocess-peer.sh [CORPUS_DIR] [REPS]
#
# CORPUS_DIR (default /tmp/sluice-preprocess-corpus) is made with `ImageClassification make-corpus
# --count 400` (seed 42: 400 files, 44 PNG, 4 corrupt) when it has no manifest.jsonl. REPS (default 5)
# timed epochs per variant, each after one untimed warm-up epoch. Both sides use 2 workers and read the
# same manifest; every line they print starts with RESULT, and the ratios come from these lines.
#
# Variants (see benchmarks/RESULTS.md, "Preprocessing vs PyTorch DataLoader"):
#   sluice shrink  the Preprocess pipeline (libjpeg-turbo shrink-on-load), Workers = 2
#   sluice full    PreprocessFullDecode: full-size decode, the same tensors as torchvision's default
#   torch default  Image.open().convert("RGB") + Resize/CenterCrop/ToTensor/Normalize, num_workers=2,
#                  batch_size=100; persistent_workers False (torch's default) and True
#   torch draft    the same with PIL's draft mode (JPEG shrink-on-load), the PIL-tuned variant
#   netvips        NetVips 3.2.0 (libvips 8.18, NetVips.Native.linux-x64): header, Image.Thumbnail to the
#                  shorter side 256 (libvips' own shrink-on-load), centre crop, Linear, HWC->CHW, in a
#                  Parallel.For of 2; libvips' own threads per operation as it sets them, and 1 (c1)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${1:-/tmp/sluice-preprocess-corpus}"
reps="${2:-5}"
workers=2
python=/usr/bin/python3

if [[ ! -f "$corpus/manifest.jsonl" ]]; then
    dotnet run -c Release --project samples/ImageClassification -- make-corpus --count 400 --out "$corpus"
fi
dotnet build -c Release benchmarks/Sluice.Benchmarks -v quiet -nologo >/dev/null
sluice=(dotnet benchmarks/Sluice.Benchmarks/bin/Release/net10.0/Sluice.Benchmarks.dll --preprocess "$corpus" --reps "$reps" --workers "$workers")

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "# $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), corpus $corpus, reps $reps"
{
    "${sluice[@]}"
    "$python" benchmarks/python/torch_preprocess.py "$corpus" --reps "$reps" --workers "$workers"
    "$python" benchmarks/python/torch_preprocess.py "$corpus" --reps "$reps" --workers "$workers" --draft --modes persistent
    "${sluice[@]}" --full-decode
    "${sluice[@]}" --netvips
    "${sluice[@]}" --netvips --vips-concurrency 1
} 2>&1 | tee "$log"
echo "# load at the end $(cut -d' ' -f1-3 /proc/loadavg)"

"$python" - "$log" <<'PY'
import sys
rate, count = {}, {}
for line in open(sys.argv[1]):
    if not line.startswith("RESULT "):
        continue
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    key = (f["peer"], f["variant"], f["mode"])
    rate[key] = float(f["images_per_s"])
    count[key] = (f["images"], f["failed"], f["checksum"])
sluice = rate[("sluice", "shrink", "steady")]
full = rate[("sluice", "full", "steady")]
rows = [
    ("Sluice shrink-on-load / torch default, persistent workers", sluice, ("torch", "default", "persistent")),
    ("Sluice shrink-on-load / torch default, fresh workers per epoch", sluice, ("torch", "default", "default")),
    ("Sluice shrink-on-load / torch + PIL draft, persistent workers", sluice, ("torch", "draft", "persistent")),
    ("Sluice full decode / torch default, persistent (same tensors)", full, ("torch", "default", "persistent")),
    ("Sluice first run (JIT) / torch first epoch (worker start)", rate[("sluice", "shrink", "first")], ("torch", "default", "first")),
    ("Sluice shrink-on-load / NetVips, its default threads", sluice, ("netvips", "default", "steady")),
    ("Sluice shrink-on-load / NetVips, 1 libvips thread per operation", sluice, ("netvips", "c1", "steady")),
]
print("RATIO (images/s over images/s, same run; target >= 3x)")
for name, ours, peer in rows:
    print(f"  {name}: {ours:.1f} / {rate[peer]:.1f} = {ours / rate[peer]:.2f}x")
full_sum, torch_sum = count[("sluice", "full", "steady")][2], count[("torch", "default", "persistent")][2]
print(f"CHECK images/failed: sluice {count[('sluice', 'shrink', 'steady')][:2]}, torch {count[('torch', 'default', 'persistent')][:2]}, "
      f"netvips {count[('netvips', 'default', 'steady')][:2]}; "
      f"checksum sluice full {full_sum} vs torch default {torch_sum}")
PY
