"""Photo cleaning cost for hostile and normal inputs: wall time and peak memory per image.

    .venv/bin/python bench/bench_photos.py [--repeat 3]

Each case runs in a fresh child process (so its peak RSS is that of one cleaning), bounded to
`--repeat` runs. Cases: a 1 × 1 PNG (baseline: the interpreter and Pillow), a ~6 KiB
1-bit PNG declaring 7,070 × 7,070 pixels (a decompression bomb), a 20 MP PNG (the largest accepted) and a 4000 × 3000 (12 MP) noisy JPEG.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import io, json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from PIL import Image
from bot.photos import NotAnImage, clean_image
data = open(sys.argv[2], "rb").read()
t0 = time.perf_counter()
try:
    out = clean_image(data); result = f"ok {len(out)} bytes"
except NotAnImage as exc:
    result = f"refused: {exc.reason}"
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": dt, "peak_mib": peak / 1024, "result": result}))
"""


def png(side_w: int, side_h: int, mode: str = "RGB") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new(mode, (side_w, side_h), 0).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def jpeg(w: int, h: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.effect_noise((w, h), 40).convert("RGB").save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases = {
        "baseline_png_1x1": png(1, 1),
        "png_bomb_7070x7070_1bit": png(7070, 7070, "1"),
        "png_20mp_4472x4472": png(4472, 4472),
        "jpeg_4000x3000": jpeg(4000, 3000),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in cases.items():
            path = Path(tmp) / name
            path.write_bytes(data)
            runs = []
            for _ in range(max(1, min(args.repeat, 5))):
                proc = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(path)],
                                      capture_output=True, timeout=60, check=True)
                runs.append(json.loads(proc.stdout))
            best = min(r["seconds"] for r in runs)
            worst = max(r["seconds"] for r in runs)
            peak = max(r["peak_mib"] for r in runs)
            print(f"{name}: input {len(data) / 1024:.1f} KiB, {runs[0]['result']}, "
                  f"{best * 1000:.0f}–{worst * 1000:.0f} ms, process peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
