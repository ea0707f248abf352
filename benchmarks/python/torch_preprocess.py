#!/usr/bin/python3
"""The PyTorch peer for Sluice's image preprocessing (benchmarks/Sluice.Benchmarks/Preprocess.cs).

ImageNet evaluation preprocessing written the way a PyTorch user writes it: a map-style Dataset over
the corpus manifest (DIR/manifest.jsonl, one {"url", "label"} per line, as `ImageClassification
make-corpus` writes it), PIL to open and decode (Image.open(...).convert("RGB")), torchvision's
Compose([Resize(256), CenterCrop(224), ToTensor(), Normalize(ImageNet mean/std)]), and a DataLoader
with num_workers=2, batch_size=100.

Choices (stated, so the numbers can be judged):
- Corrupt files: __getitem__ catches the exception PIL raises (OSError, which covers
  UnidentifiedImageError and "image file is truncated", plus ValueError/SyntaxError) and returns None;
  the collate_fn drops the Nones and collates the rest with default_collate. The count of dropped
  files is reported. No pre-filtering: a user's loader meets the corrupt files at load time, as Sluice does.
- Consumption: the main process computes each image's float64 sum (tensor.sum over C,H,W in float64),
  the same per-image checksum Sluice's pipeline computes; their total is printed, so two runs with the
  same decode path can be compared.
- Threads: DataLoader workers run torch.set_num_threads(1) themselves (torch/utils/data/_utils/worker.py);
  worker_init_fn sets it again explicitly. The main process keeps torch's default (printed).
- --draft: PIL's draft mode, img.draft("RGB", (256, 256)) before convert: libjpeg's DCT scaling by 1/2,
  1/4 or 1/8 while the shorter side stays >= 256 (PIL's shrink-on-load; Sluice's shrinkTo: 256 can also
  use libjpeg-turbo's M/8 scales). torchvision's Resize does not do this; it is the PIL-tuned variant.
- Timing (time.perf_counter, whole epochs: every batch loaded and consumed):
    default:    persistent_workers=False (torch's default): every epoch forks fresh workers; the
                mean over --reps epochs after one untimed warm-up epoch.
    persistent: persistent_workers=True: the first epoch (worker start included) is reported as
                "first"; then the mean of --reps epochs after it.
  One machine-readable line per mode:
    RESULT peer=torch variant=<default|draft> mode=<default|persistent|first> images=N failed=F
           epochs=R seconds=S images_per_s=X checksum=C
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torchvision
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.dataloader import default_collate
from torchvision import transforms

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


class ManifestImages(Dataset):
    """The corpus files in manifest order; None for a file PIL cannot decode."""

    def __init__(self, root, draft=False, limit=0):
        self.root = root
        self.draft = draft
        with open(os.path.join(root, "manifest.jsonl"), encoding="utf-8") as f:
            self.items = [json.loads(line) for line in f if line.strip()]
        if limit > 0:
            self.items = self.items[:limit]
        self.transform = transforms.Compose([
            transforms.Resize(256),
            transforms.CenterCrop(224),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ])

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        item = self.items[index]
        try:
            img = Image.open(os.path.join(self.root, item["url"]))
            if self.draft:
                img.draft("RGB", (256, 256))
            img = img.convert("RGB")
        except (OSError, ValueError, SyntaxError):
            return None
        return self.transform(img), item["label"]


def drop_none(batch):
    kept = [b for b in batch if b is not None]
    dropped = len(batch) - len(kept)
    if not kept:
        return None, dropped
    return default_collate(kept), dropped


def one_thread(_worker_id):
    torch.set_num_threads(1)


def epoch(loader):
    """Loads and consumes every batch; returns (images, failed, checksum, seconds)."""
    images = failed = 0
    checksum = 0.0
    start = time.perf_counter()
    for batch, dropped in loader:
        failed += dropped
        if batch is None:
            continue
        tensors, _labels = batch
        images += tensors.shape[0]
        checksum += float(tensors.sum(dim=(1, 2, 3), dtype=torch.float64).sum())
    return images, failed, checksum, time.perf_counter() - start


def report(variant, mode, images, failed, seconds, epochs, checksum):
    print(f"RESULT peer=torch variant={variant} mode={mode} images={images} failed={failed} "
          f"epochs={epochs} seconds={seconds:.4f} images_per_s={images / seconds:.1f} checksum={checksum:.6f}",
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", help="folder with manifest.jsonl (ImageClassification make-corpus)")
    ap.add_argument("--reps", type=int, default=5, help="timed epochs per mode (default 5)")
    ap.add_argument("--workers", type=int, default=2, help="DataLoader num_workers (default 2)")
    ap.add_argument("--batch", type=int, default=100, help="batch_size (default 100)")
    ap.add_argument("--draft", action="store_true", help="PIL draft mode (JPEG shrink-on-load)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N manifest entries")
    ap.add_argument("--modes", default="default,persistent", help="comma list of default,persistent")
    args = ap.parse_args()

    variant = "draft" if args.draft else "default"
    dataset = ManifestImages(args.corpus, draft=args.draft, limit=args.limit)
    print(f"# torch {torch.__version__}, torchvision {torchvision.__version__}, PIL {Image.__version__}; main-process threads "
          f"{torch.get_num_threads()}; {len(dataset)} manifest entries; workers {args.workers}, "
          f"batch {args.batch}, variant {variant}", file=sys.stderr, flush=True)

    def loader(persistent):
        return DataLoader(dataset, batch_size=args.batch, shuffle=False, num_workers=args.workers,
                          collate_fn=drop_none, worker_init_fn=one_thread,
                          persistent_workers=persistent and args.workers > 0)

    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if "default" in modes:
        plain = loader(persistent=False)
        epoch(plain)  # warm-up: page cache, imports in the forked workers
        runs = [epoch(plain) for _ in range(args.reps)]
        images, failed, checksum, _ = runs[-1]
        report(variant, "default", images, failed, statistics.mean(r[3] for r in runs), args.reps, checksum)
    if "persistent" in modes:
        kept = loader(persistent=True)
        images, failed, checksum, seconds = epoch(kept)
        report(variant, "first", images, failed, seconds, 1, checksum)
        runs = [epoch(kept) for _ in range(args.reps)]
        images, failed, checksum, _ = runs[-1]
        report(variant, "persistent", images, failed, statistics.mean(r[3] for r in runs), args.reps, checksum)


if __name__ == "__main__":
    main()
