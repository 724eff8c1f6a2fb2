"""Contact sheet of the built-in animator's look: one row per bundled portrait, one column per pose.

Columns: rest, half open, wide open, rounded (o/u), spread (i/e), pressed (m/b/p), blink (lids shut).
Each cell is the face region of the rendered frame, so mouth interiors and lids are large enough to judge.

    python benchmarks/builtin_look.py [--out builtin_look.png] [--cell 256]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deepstory.engines.base import ClipSpeech  # noqa: E402
from deepstory.engines.builtin import BuiltinAnimator  # noqa: E402
from deepstory.portraits import BUNDLED_DIR, load_portrait  # noqa: E402
from modules.facewarp import CHANNELS  # noqa: E402

# pose name -> {channel: value}; every other channel stays at rest
POSES: dict[str, dict[str, float]] = {
    "rest": {},
    "half open": {"open": 0.5},
    "wide open": {"open": 1.0},
    "round": {"open": 0.35, "round": 1.0, "wide": -0.6},
    "spread": {"open": 0.3, "wide": 1.0},
    "pressed m": {"open": 0.0, "press": 1.0},
    "tuck f": {"open": 0.12, "tuck": 1.0, "wide": 0.1},
    "tongue t": {"open": 0.3, "tongue": 1.0, "wide": 0.1},
    "blink": {"blink": 1.0},
}


def pose_rows() -> np.ndarray:
    """One motion row per pose, channels by name (so added channels keep working)."""
    rows = np.zeros((len(POSES), len(CHANNELS)), np.float32)
    for i, values in enumerate(POSES.values()):
        for name, v in values.items():
            rows[i, CHANNELS.index(name)] = v
    return rows


def face_cells(portrait: np.ndarray, cell: int) -> list[np.ndarray]:
    """Rendered poses of one portrait, each cropped around the face and resized to cell x cell."""
    import cv2
    from modules.facewarp.locate import find_face
    from modules.landmarks import face_box
    anim = BuiltinAnimator(max_side=768)
    session = anim.speaker(portrait)
    rows = pose_rows()
    frames = list(session.render(rows, ClipSpeech(np.zeros(1, np.float32), 16000, None, len(rows), 25, 0)))
    mesh = find_face(frames[0])
    x0, y0, x1, y1 = face_box(mesh)
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2 + 0.1 * (y1 - y0), 0.62 * max(x1 - x0, y1 - y0)
    h, w = frames[0].shape[:2]
    a, b = int(max(cx - half, 0)), int(max(cy - half, 0))
    c, d = int(min(cx + half, w)), int(min(cy + half, h))
    return [cv2.resize(f[b:d, a:c], (cell, cell), interpolation=cv2.INTER_AREA) for f in frames]


def labelled(img: np.ndarray, text: str) -> np.ndarray:
    import cv2
    out = img.copy()
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("builtin_look.png"))
    ap.add_argument("--cell", type=int, default=256)
    ap.add_argument("--portrait", type=Path, action="append", help="portrait(s) instead of the bundled ones")
    args = ap.parse_args()
    from PIL import Image
    paths = args.portrait or sorted(p for p in BUNDLED_DIR.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    grid = []
    for path in paths:
        portrait = load_portrait(path, label=path.name).image
        cells = face_cells(portrait, args.cell)
        grid.append(np.concatenate([labelled(c, n) for c, n in zip(cells, POSES)], axis=1))
    Image.fromarray(np.concatenate(grid, axis=0)).save(args.out)
    print(f"wrote {args.out} ({len(paths)} portraits x {len(POSES)} poses)")


if __name__ == "__main__":
    main()
