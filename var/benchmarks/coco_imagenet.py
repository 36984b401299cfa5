"""COCO category -> ImageNet classes, for localising COCO objects with ImageNet classifiers.

Each of the 80 COCO categories maps to the ImageNet-1k classes that depict it
(e.g. ``dog`` -> the 118 dog breeds 151-268, ``cat`` -> 281-285). Categories
without an ImageNet counterpart (person, giraffe, fork, ...) map to nothing and
their objects are skipped. The target class of an object is the most probable
ImageNet class of its category's set. ``mapping_table()`` prints the table
with class names; the book shows it.
"""

from __future__ import annotations

from .data import COCO_NAMES

__all__ = ["COCO_TO_IMAGENET", "mapping_table"]

_r = lambda a, b: list(range(a, b + 1))

COCO_TO_IMAGENET: dict[str, list[int]] = {
    "bicycle": [444, 671],
    "car": [407, 436, 468, 511, 609, 627, 656, 661, 717, 751, 817],
    "motorcycle": [665, 670],
    "airplane": [404, 895],
    "bus": [654, 779, 874],
    "train": [466, 547, 565, 705, 820],
    "truck": [555, 569, 675, 734, 864, 867],
    "boat": [472, 484, 510, 554, 576, 625, 628, 724, 780, 814, 833, 871, 914],
    "traffic light": [920],
    "stop sign": [919],
    "parking meter": [704],
    "bench": [703],
    "bird": _r(7, 24) + _r(80, 100) + _r(127, 146),
    "cat": _r(281, 285),
    "dog": _r(151, 268),
    "horse": [339, 603],
    "sheep": [348, 349],
    "cow": [345, 346, 347],
    "elephant": [101, 385, 386],
    "bear": _r(294, 297),
    "zebra": [340],
    "backpack": [414],
    "umbrella": [879],
    "handbag": [748],
    "tie": [457, 906],
    "skis": [795],
    "sports ball": [430, 522, 574, 722, 768, 805, 852, 890],
    "tennis racket": [752],
    "bottle": [440, 720, 737, 898, 907],
    "wine glass": [966],
    "cup": [504, 968],
    "spoon": [910],
    "bowl": [659, 809],
    "banana": [954],
    "apple": [948],
    "orange": [950],
    "broccoli": [937],
    "hot dog": [934],
    "pizza": [963],
    "chair": [423, 559, 765, 857],
    "couch": [831],
    "potted plant": [738],
    "bed": [564],
    "dining table": [532],
    "toilet": [861],
    "tv": [851, 664, 782],
    "laptop": [620, 681],
    "mouse": [673],
    "remote": [761],
    "keyboard": [508],
    "cell phone": [487],
    "microwave": [651],
    "toaster": [859],
    "sink": [896],
    "refrigerator": [760],
    "book": [921],
    "clock": [409, 530, 892],
    "vase": [883],
    "teddy bear": [850],
    "hair drier": [589],
}


def mapping_table():
    """Pandas DataFrame: COCO id, COCO name, ImageNet ids and names (empty where unmapped)."""
    import pandas as pd

    from ..models.preprocessing import imagenet_classes

    names = imagenet_classes()
    rows = []
    for cid, cname in enumerate(COCO_NAMES):
        ids = COCO_TO_IMAGENET.get(cname, [])
        rows.append({"coco_id": cid, "coco_name": cname, "n_imagenet": len(ids),
                     "imagenet": ", ".join(f"{i} {names[i]}" for i in ids[:6]) + (" ..." if len(ids) > 6 else "")})
    return pd.DataFrame(rows)
