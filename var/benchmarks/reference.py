"""The reference runs, declared and run: the benchmarks at a size that supports conclusions (the paper's five,
the 18-method study, the sweep and the choices the paper leaves open), with provenance.

``python -m var.bench reference`` (or ``make reference``) runs each :data:`REFERENCE` configuration on the
embedded EfficientNet-Lite0 into ``results/reference/<name>/``: ``config.json``, ``results.parquet``,
``summary.csv`` and ``provenance.json`` (git commit, date, machine, torch version, threads, wall time and command
of every session that worked on the run). Runs resume where they stopped, so the command can be killed and
started again. Reading and re-running them (reproduction, cost) is :mod:`var.report.reference`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..core.protocol import PAPER_METHODS, STUDY_METHODS
from .config import BenchConfig
from .provenance import CHECKOUT, environment, git
from .runner import atomic_write, check_out, read_json, resolved, run, same_run, summarize, validate

__all__ = ["REFERENCE", "ROOT", "run_reference", "load"]

#: Where the committed reference runs live: ``results/reference`` of the checkout, or $VAR_REFERENCE (an installed
#: package has no checkout around it; point it at a clone's ``results/reference``).
ROOT = Path(os.environ.get("VAR_REFERENCE") or CHECKOUT / "results" / "reference")

#: The reference size of each benchmark: every disjoint grid of the 1,000 sample images (250), every
#: COCO128 image with a usable object, 120 insertion images (PIC skips those the model predicts with
#: p < 0.8: 62 of the first 120 pass for Lite0), 50 sanity images, and 50 images of the Figure 4 intervention.
REFERENCE = {
    "grid": BenchConfig("grid", n=250, options={"cell": "half"}),  # 224 x 224 grids, as the paper's
    "coco": BenchConfig("coco", n=128),
    "insertion": BenchConfig("insertion", n=120),
    "sanity": BenchConfig("sanity", n=50),
    "intervention": BenchConfig("intervention", n=50),  # Figure 4, for the claims page
}
#: "Does it generalise?": the 18 study methods (:data:`~var.core.protocol.STUDY_METHODS`) on smaller runs of
#: grid, COCO, intervention and sanity (measured on 2 cores: ~14 s per grid, ~24 s per COCO image, ~50 s per
#: intervention image, ~170 s per sanity image, which runs every method on six networks). Insertion keeps the
#: paper's five (its PIC curves cost per map).
REFERENCE.update({
    "methods-grid": BenchConfig("grid", n=80, methods=STUDY_METHODS, options={"cell": "half"}),
    "methods-coco": BenchConfig("coco", n=64, methods=STUDY_METHODS),
    "methods-intervention": BenchConfig("intervention", n=30, methods=STUDY_METHODS),
    "methods-sanity": BenchConfig("sanity", n=8, methods=STUDY_METHODS),
})
#: Choices and uncertainty the paper leaves open (ours): the sanity check under three independent random networks
#: per image (one network for every image cannot show the variance between networks), insertion with PAIR's
#: untouched tie rule on the first 40 images of the insertion run (paired with its rows), and the sweep of VAR's
#: settings with its controls on the first 60 grids of the grid run (~27 s per grid on 2 cores), the first 40 COCO
#: images, the first 20 intervention images, the first 12 sanity images and the first 12 insertion images (minutes
#: per image: H of many classes, on sanity on six networks, on insertion PIC per map).
REFERENCE.update({
    "sweep-grid": BenchConfig("sweep", n=60),
    "sweep-coco": BenchConfig("sweep", n=40, options={"on": "coco"}),
    # sanity and intervention score every setting with forward passes or rank correlations, so half the grid
    # (the per-element softmax, the authors') and, on sanity, no CGI (its 100 competitors on every network)
    "sweep-intervention": BenchConfig("sweep", n=20, options={"on": "intervention", "softmaxes": ["element"]}),
    # and, on sanity, no IG either (50 steps x ~11 classes x 6 networks: ~3,300 backward passes per image)
    "sweep-sanity": BenchConfig("sweep", n=12, methods=tuple(m for m in PAPER_METHODS if m != "integrated_gradients"),
                                options={"on": "sanity", "softmaxes": ["element"],
                                         "controls": ["matched", "random_k", "nearest"], "class_sets": [1, 2, 5]}),
    # insertion: PIC costs ~5 s per map on 2 cores (13 restored images, each a Delaunay fill and a model call),
    # so six settings (t x tau, raw scale, per-element softmax), three controls, no class sets, and few images
    # (about half pass PIC's SIC filter; the others cost no attribution): ~55 maps, ~5 min per scored image
    "sweep-insertion": BenchConfig("sweep", n=12, options={
        "on": "insertion", "temperatures": [0.03, 0.1, 0.3], "taus": [0.0, 0.01], "scales": ["raw"],
        "softmaxes": ["element"], "controls": ["matched", "random_k", "cgi"], "class_sets": []}),
    "sanity-networks": BenchConfig("sanity", n=15, options={"networks": 3}),
    "insertion-quantile": BenchConfig("insertion", n=40, options={"ties": "quantile"}),
})


class _Provenance:
    """This session's entry in a run's ``provenance.json``, rewritten after every unit.

    Written before the first unit too, so a killed session still counts (``finished: false``).
    """

    def __init__(self, name: str, out: Path, config: BenchConfig, code: dict):
        self.name, self.out, self.config, self.code = name, out, config, code
        self.path = out / "provenance.json"
        self.done_before = self._parts()
        self.start = time.perf_counter()
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def _parts(self) -> int:
        return len(list((self.out / "parts").glob("*.parquet")))

    def record(self, finished: bool = False) -> dict:
        sessions = read_json(self.path)["sessions"] if self.path.exists() else []
        if sessions and sessions[-1].get("started") == self.started:
            sessions.pop()
        sessions.append({**self.code, "started": self.started, "finished": finished, **environment(),
                         "threads": self.config.threads, "wall_s": round(time.perf_counter() - self.start, 1),
                         "units_run": self._parts() - self.done_before})
        record = {"benchmark": self.name, "wall_s_total": round(sum(s["wall_s"] for s in sessions), 1),
                  "sessions": sessions}
        self.out.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, lambda p: p.write_text(json.dumps(record, indent=1) + "\n"))  # never a cut file
        return record


def _check_summary(out: Path, table: pd.DataFrame, refresh: bool) -> None:
    """Say when ``summary.csv`` is not the summary of the committed table (the summary rule changed).

    With ``refresh``, rewrite it from the unchanged table; never otherwise (no command overwrites committed
    files unasked).
    """
    fresh = summarize(table).to_csv(index=False)
    if (out / "summary.csv").read_text() == fresh:
        return
    if not refresh:
        print(f"  {out / 'summary.csv'} is not the summary of its results.parquet (the summary rule changed); "
              "`var-bench reference --refresh-summaries` rewrites it from the unchanged table")
        return
    atomic_write(out / "summary.csv", lambda p: p.write_text(fresh))
    print(f"  summary.csv rewritten from results.parquet (the table is unchanged) -> {out / 'summary.csv'}")


def run_reference(names: list[str] | None = None, root: Path = ROOT, data: str | None = None,
                  refresh_summaries: bool = False) -> None:
    """Run (or resume) the named reference runs, recording each session in ``provenance.json``.

    ``refresh_summaries``: rewrite a complete run's ``summary.csv`` from its unchanged table when the
    summary rule changed (else that is only reported).
    """
    # the code this process runs: the commit when it started (later commits do not change loaded code)
    from . import BENCHMARKS  # the registry imports every benchmark module: loaded when a run starts

    code = {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--", "var"))}
    for name in names or list(REFERENCE):
        config = resolved(validate(dataclasses.replace(REFERENCE[name], data=data)))
        out = Path(root) / name
        done = load(name, root)
        if (done is not None and same_run(done["config"], config) and done["config"].n >= config.n
                and done["provenance"]["sessions"][-1]["finished"]):
            print(f"{name}: complete ({done['table']['unit'].nunique()} units with rows) -> {out}; nothing to run")
            _check_summary(out, done["table"], refresh_summaries)
            continue
        check_out(config, out)  # a run that cannot continue says so before its provenance records a session
        BENCHMARKS[config.benchmark](config).data_folder()
        provenance = _Provenance(name, out, config, code)
        provenance.record()
        run(config, out, progress=True, on_unit=provenance.record)
        record = provenance.record(finished=True)
        print(f"{name}: {record['sessions'][-1]['units_run']} unit(s) run, "
              f"{record['wall_s_total'] / 60:.1f} min in all -> {out}")


def load(name: str, root: Path = ROOT) -> dict | None:
    """The committed run ``name``: its config, table, summary and provenance; None if it is not there."""
    out = Path(root) / name
    if not (out / "results.parquet").exists():
        return None
    return {"config": BenchConfig.from_json((out / "config.json").read_text()),
            "table": pd.read_parquet(out / "results.parquet"),
            "summary": pd.read_csv(out / "summary.csv"),
            "provenance": read_json(out / "provenance.json")}
