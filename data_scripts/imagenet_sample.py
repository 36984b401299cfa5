"""ImageNet sample: 1,000 JPEGs, one per class (file order = class index).

Uses ../shared/data/imagenet-sample when present; otherwise downloads the
public GitHub repository EliSchwartz/imagenet-sample-images (ImageNet terms:
non-commercial research and education) into data/imagenet-sample.

    python data_scripts/imagenet_sample.py
"""

import sys
import zipfile

from _common import DATA, download, link_shared

URL = "https://github.com/EliSchwartz/imagenet-sample-images/archive/refs/heads/master.zip"


def main() -> int:
    if link_shared("imagenet-sample"):
        return 0
    archive = download(URL, DATA / "downloads" / "imagenet-sample.zip")
    dest = DATA / "imagenet-sample"
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            if name.endswith(".JPEG"):
                (dest / name).write_bytes(z.read(info))
    n = len(list(dest.glob("*.JPEG")))
    print(f"imagenet-sample: {n} images in {dest}")
    return 0 if n == 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
