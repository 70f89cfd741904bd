"""Peak memory of checking one uploaded photo: a 40 MP solid-colour PNG (a ~150 KB decompression bomb)
and a 48 MP phone-sized JPEG, each cleaned in a fresh subprocess. The peak is the child's VmHWM (its own
high-water mark; ru_maxrss would carry the parent's over fork and exec) minus the peak before the photo.

    .venv/bin/python bench/bench_photo_bombs.py

Prints one line per case and, last, one JSON object.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
sys.path.insert(0, {root!r})
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
from buurt.incidents.photos import PhotoRejected, clean_photo
data = open({path!r}, "rb").read() if {path!r} else b""
before = hwm()
start = time.perf_counter()
outcome = "baseline"
if data:
    try:
        clean = clean_photo(data, max_pixels={max_pixels})
        outcome = f"accepted {{len(clean.data)}} bytes"
    except PhotoRejected as error:
        outcome = "refused: " + error.message
seconds = time.perf_counter() - start
after = hwm()
print(before, after, round(seconds, 3), outcome, sep="\t")
"""


def make_png(path: Path, size: tuple[int, int]) -> None:
    from PIL import Image

    Image.new("RGB", size, (90, 140, 60)).save(path, "PNG")


def make_jpeg(path: Path, size: tuple[int, int]) -> None:
    """A phone-like JPEG: noise-free but not flat (a gradient), quality 90, 4:2:0."""
    from PIL import Image

    small = Image.linear_gradient("L").resize((size[0] // 8, size[1] // 8))
    image = Image.merge("RGB", (small, small.rotate(90), small.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    image.resize(size).save(path, "JPEG", quality=90)


def measure(path: Path | None, max_pixels: int) -> dict:
    code = CHILD.format(root=str(ROOT), path=str(path) if path else "", max_pixels=max_pixels)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    before, after, seconds, outcome = out.strip().split("\t", 3)
    return {"before_kb": int(before), "peak_kb": int(after), "seconds": float(seconds), "outcome": outcome}


def main() -> None:
    from buurt.config import Defaults

    max_pixels = Defaults.UPLOAD_MAX_PIXELS
    tmp = Path(tempfile.mkdtemp(prefix="buurt-photo-bench-"))
    cases = {
        "png_40mp": (make_png, (8000, 5000)),
        "jpeg_48mp": (make_jpeg, (8000, 6000)),
        "jpeg_12mp": (make_jpeg, (4000, 3000)),
    }
    result = {"max_pixels": max_pixels}
    for name, (make, size) in cases.items():
        path = tmp / f"{name}.img"
        make(path, size)
        started = time.perf_counter()
        row = measure(path, max_pixels)
        row["wall_seconds"] = round(time.perf_counter() - started, 2)
        row["file_kb"] = round(path.stat().st_size / 1024, 1)
        row["extra_mb"] = round((row["peak_kb"] - row["before_kb"]) / 1024, 1)
        result[name] = {k: row[k] for k in ("file_kb", "extra_mb", "seconds", "outcome")}
        print(f"{name:10} {row['file_kb']:>9} KB  +{row['extra_mb']:>7} MB  {row['seconds']:>6} s  {row['outcome']}")
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
