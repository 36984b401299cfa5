"""Shared helpers of the data scripts: where data goes and how the shared copies are found."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
SHARED = REPO.parent / "shared" / "data"


def link_shared(name: str) -> Path | None:
    """Use ../shared/data/<name> when present: link it into data/ (never copied into the repo)."""
    src = SHARED / name
    if not src.is_dir():
        return None
    DATA.mkdir(exist_ok=True)
    dest = DATA / name
    if not dest.exists():
        dest.symlink_to(src.resolve(), target_is_directory=True)
    print(f"{name}: using {src} (linked as {dest})")
    return dest


def download(url: str, dest: Path) -> Path:
    """Download once (for users online); a clear error offline."""
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    try:
        with urllib.request.urlopen(url) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f)
    except OSError as err:
        raise SystemExit(f"Could not download {url} ({err}). "
                         f"Offline: fetch it elsewhere and place it at {dest}.") from None
    tmp.rename(dest)
    return dest
