"""ImageNet validation set for the full-size runs: data/imagenet-val/{images/, labels.csv}.

ImageNet cannot be downloaded without an account. Pass the official files you
obtained from image-net.org:

    python data_scripts/imagenet_val.py --images ILSVRC2012_img_val.tar \
        --labels ILSVRC2012_validation_ground_truth.txt --devkit-map map_clsloc.txt

``labels`` holds one ILSVRC id (1..1000) per image in file order; ``map_clsloc``
maps ILSVRC ids to WordNet ids, which sorted give the usual 0..999 index. A
folder of images plus a CSV (file,label with 0..999 labels) also works:
``--images DIR --labels-csv labels.csv``.
"""

import argparse
import csv
import shutil
import sys
import tarfile
from pathlib import Path

from _common import DATA


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=Path, required=True, help="ILSVRC2012_img_val.tar or a folder of JPEGs")
    p.add_argument("--labels", type=Path, help="ILSVRC2012_validation_ground_truth.txt")
    p.add_argument("--devkit-map", type=Path, help="map_clsloc.txt (ILSVRC id -> WordNet id)")
    p.add_argument("--labels-csv", type=Path, help="CSV with columns file,label (0..999)")
    args = p.parse_args(argv)
    dest = DATA / "imagenet-val"
    (dest / "images").mkdir(parents=True, exist_ok=True)
    if args.images.is_file():
        with tarfile.open(args.images) as tar:
            tar.extractall(dest / "images", filter="data")
    else:
        for f in sorted(args.images.glob("*.JPEG")):
            shutil.copy(f, dest / "images" / f.name)
    files = sorted(f.name for f in (dest / "images").glob("*.JPEG"))
    if args.labels_csv:
        shutil.copy(args.labels_csv, dest / "labels.csv")
    elif args.labels and args.devkit_map:
        wnid = {int(line.split()[1]): line.split()[0] for line in args.devkit_map.read_text().splitlines()}
        index = {w: i for i, w in enumerate(sorted(wnid.values()))}
        ids = [int(v) for v in args.labels.read_text().split()]
        if len(ids) != len(files):
            raise SystemExit(f"{len(ids)} labels for {len(files)} images.")
        with open(dest / "labels.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["file", "label"])
            w.writerows((name, index[wnid[i]]) for name, i in zip(files, ids))
    else:
        raise SystemExit("Pass --labels and --devkit-map, or --labels-csv.")
    print(f"imagenet-val: {len(files)} images in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
