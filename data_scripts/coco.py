"""COCO with instance polygons in the layout var.benchmarks.data reads (YOLO-style polygon labels).

    python data_scripts/coco.py --coco128     # COCO128-seg: ../shared/data when present, else download
    python data_scripts/coco.py --val2017     # COCO val2017 images + instances JSON -> data/coco-val2017

Labels: ``labels/<split>/<image>.txt``, one instance per line, ``class x1 y1 x2 y2 ...``
normalised to [0, 1], class ids in the usual 80-category order. val2017's
instances JSON is converted (polygons kept, crowd RLE regions skipped).
"""

import argparse
import json
import sys
import zipfile

from _common import DATA, download, link_shared

COCO128 = "https://github.com/ultralytics/assets/releases/download/v0.0.0/coco128-seg.zip"
VAL_IMAGES = "http://images.cocodataset.org/zips/val2017.zip"
VAL_ANN = "http://images.cocodataset.org/annotations/annotations_trainval2017.zip"


def coco128() -> None:
    if link_shared("coco128-seg"):
        return
    archive = download(COCO128, DATA / "downloads" / "coco128-seg.zip")
    with zipfile.ZipFile(archive) as z:
        z.extractall(DATA)
    print(f"coco128-seg in {DATA / 'coco128-seg'}")


def val2017() -> None:
    dest = DATA / "coco-val2017"
    images = download(VAL_IMAGES, DATA / "downloads" / "val2017.zip")
    ann = download(VAL_ANN, DATA / "downloads" / "annotations_trainval2017.zip")
    (dest / "images").mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(images) as z:
        z.extractall(dest / "images")
    with zipfile.ZipFile(ann) as z:
        data = json.loads(z.read("annotations/instances_val2017.json"))
    cat_index = {c["id"]: i for i, c in enumerate(sorted(data["categories"], key=lambda c: c["id"]))}
    sizes = {im["id"]: (im["file_name"], im["width"], im["height"]) for im in data["images"]}
    lines: dict[int, list[str]] = {}
    for a in data["annotations"]:
        if a.get("iscrowd") or not isinstance(a["segmentation"], list):
            continue
        name, w, h = sizes[a["image_id"]]
        for poly in a["segmentation"]:
            xy = [f"{v / (w if i % 2 == 0 else h):.6f}" for i, v in enumerate(poly)]
            lines.setdefault(a["image_id"], []).append(" ".join([str(cat_index[a["category_id"]])] + xy))
    out = dest / "labels" / "val2017"
    out.mkdir(parents=True, exist_ok=True)
    for image_id, rows in lines.items():
        (out / (sizes[image_id][0].rsplit(".", 1)[0] + ".txt")).write_text("\n".join(rows) + "\n")
    print(f"coco-val2017: {len(lines)} labelled images in {dest}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--coco128", action="store_true")
    p.add_argument("--val2017", action="store_true")
    args = p.parse_args(argv)
    if not (args.coco128 or args.val2017):
        args.coco128 = True
    if args.coco128:
        coco128()
    if args.val2017:
        val2017()
    return 0


if __name__ == "__main__":
    sys.exit(main())
