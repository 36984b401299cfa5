"""Where the benchmark data lives and how it is read.

A ``data`` argument (the CLI's ``--data``) is the only place looked at when
given. Otherwise folders are looked up in this order: ``$VAR_DATA``, the
repository's ``data/`` (what ``data_scripts`` prepare), then ``../shared/data``
beside the repository or the working directory. Layouts:

* ``imagenet-sample/``: one JPEG per class, ``nXXXXXXXX_name.JPEG``; sorted file
  order is the class index (``data_scripts/imagenet_sample.py``).
* ``imagenet-val/``: ``images/*.JPEG`` and ``labels.csv`` (file, label)
  (``data_scripts/imagenet_val.py``).
* ``coco128-seg/`` or ``coco-val2017/``: ``images/<split>/*.jpg`` and YOLO
  polygon labels ``labels/<split>/*.txt`` (``class x1 y1 x2 y2 ...``, normalised),
  class ids in the usual 80-category order (``data_scripts/coco.py``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .provenance import CHECKOUT

__all__ = ["find_data", "data_roots", "imagenet_items", "seeded_order", "coco_items", "CocoImage", "polygon_mask",
           "COCO_NAMES"]


COCO_NAMES = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
)


def data_roots(data=None) -> list[Path]:
    """The folders searched for data sets: ``data`` alone when given, else $VAR_DATA, data/, ../shared/data."""
    if data is not None:
        return [Path(data)]
    roots = []
    if os.environ.get("VAR_DATA"):  # set but wrong must not fall back to another folder unnoticed
        if not Path(os.environ["VAR_DATA"]).is_dir():
            raise FileNotFoundError(f"$VAR_DATA={os.environ['VAR_DATA']} is not a folder; point it at the data "
                                    "folder (the one holding imagenet-sample/) or unset it.")
        roots = [Path(os.environ["VAR_DATA"])]
    return roots + [CHECKOUT / "data", CHECKOUT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]


def find_data(name: str, data=None) -> Path:
    """The folder of data set ``name`` (e.g. ``imagenet-sample``), or a clear error saying how to get it.

    ``data`` may be the data set's own folder or a folder holding it.
    """
    for root in data_roots(data):
        path = root if root.name == name else root / name
        if path.is_dir():
            return path
    script = {"imagenet-sample": "imagenet_sample.py", "coco128-seg": "coco.py --coco128",
              "coco-val2017": "coco.py --val2017", "imagenet-val": "imagenet_val.py"}.get(name, "")
    where = f"--data {data}" if data is not None else "$VAR_DATA, data/, ../shared/data"
    raise FileNotFoundError(f"Data set {name!r} not found (looked in {where}). "
                            f"Prepare it with `python data_scripts/{script}` or pass its folder with --data.")


def seeded_order(items: list, seed: int = 0) -> list:
    """``items`` in the benchmarks' seeded random order: its first n are a random subset, the same in every run."""
    return [items[i] for i in np.random.default_rng(seed).permutation(len(items))]


def imagenet_items(folder: Path) -> list[tuple[Path, int]]:
    """(image path, label) pairs of an ImageNet folder (sample set or prepared val set)."""
    folder = Path(folder)
    labels = folder / "labels.csv"
    if labels.exists():
        import pandas as pd

        frame = pd.read_csv(labels)
        return [(folder / "images" / f, int(y)) for f, y in zip(frame["file"], frame["label"])]
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpeg", ".jpg", ".png"))
    if len(files) != 1000:
        raise ValueError(f"{folder}: expected 1000 images, one per class, or a labels.csv; found {len(files)}.")
    return [(p, i) for i, p in enumerate(files)]


@dataclass
class CocoImage:
    """One COCO image with its instance polygons (normalised coordinates)."""

    path: Path
    instances: list[tuple[int, np.ndarray]]  # (COCO class id 0..79, (n, 2) polygon in [0, 1])

    def category_mask(self, category: int, size: tuple[int, int]) -> np.ndarray:
        """Union of the category's instance masks at (width, height) = size."""
        mask = np.zeros(size[::-1], dtype=bool)
        for cls, poly in self.instances:
            if cls == category:
                mask |= polygon_mask(poly, size)
        return mask


def polygon_mask(polygon: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Boolean (height, width) mask of a normalised (n, 2) polygon drawn at (width, height) = size."""
    w, h = size
    img = Image.new("1", (w, h), 0)
    pts = [(float(x) * w, float(y) * h) for x, y in polygon]
    if len(pts) >= 3:
        ImageDraw.Draw(img).polygon(pts, fill=1, outline=1)
    return np.array(img, dtype=bool)


def coco_items(folder: Path) -> list[CocoImage]:
    """Images with polygon labels from a YOLO-format COCO folder, sorted by file name."""
    folder = Path(folder)
    items = []
    for label in sorted((folder / "labels").rglob("*.txt")):
        split = label.parent.name
        image = folder / "images" / split / (label.stem + ".jpg")
        if not image.exists():
            continue
        instances = []
        for line in label.read_text().splitlines():
            values = line.split()
            if len(values) >= 7:
                instances.append((int(values[0]), np.array(values[1:], dtype=float).reshape(-1, 2)))
        items.append(CocoImage(image, instances))
    if not items:
        raise ValueError(f"{folder}: no images with labels found under images/ and labels/.")
    return items
