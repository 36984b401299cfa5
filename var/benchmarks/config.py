"""What a benchmark run is: :class:`BenchConfig`, plain data. The runner checks and resolves it
(:func:`var.benchmarks.runner.validate`, :func:`~var.benchmarks.runner.resolved`) before anything loads.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from ..core.protocol import IG_STEPS, PAPER_METHODS, STUDY_METHODS, TAU, TEMPERATURE, THREADS
from ..core.relevance import Relevance
from ..models.zoo import MODEL_NAMES

__all__ = ["BenchConfig", "REFERENCE"]


def _field(default, help: str, **cli):
    """A config field with its command-line help (``var-bench`` builds its options from these)."""
    return field(default=default, metadata={"help": help, **cli})


@dataclass
class BenchConfig:
    """What to run, as plain data (``config.json`` holds it); identical configs give identical tables.

    Attributes:
        benchmark: a name of :data:`var.benchmarks.BENCHMARKS` (``grid``, ``coco``, ``insertion``, ``sanity``,
            ``intervention``, ``sweep``).
        model: a :data:`var.MODEL_NAMES` entry.
        methods: attribution methods (:data:`~var.core.protocol.PAPER_METHODS` by default).
        n: number of units (grids / images); the paper's full sizes are 12,500 grids,
            COCO val2017 (5k images), 1k insertion images, 10k sanity images. A
            finished run can be extended to a larger n in the same folder.
        data: data folder (see ``data_scripts``); default: found automatically.
        seed: seeds grid composition, random masks and re-initialisations.
        ig_steps: Integrated-Gradients steps (the paper's :data:`~var.core.protocol.IG_STEPS` by default).
        temperature, tau: VAR parameters.
        options: benchmark-specific options (each benchmark's ``Options``; a dict here, as ``config.json`` keeps it).
        threads: torch threads per process. Fixed, because the thread count changes
            the order of float reductions: with it, shards, resumed runs and dask
            workers give bit-identical tables.
        internal_batch_size: (point, class) gradient maps per backward chunk (see
            :func:`var.attribute`). Small chunks are fastest on CPU (IG at 50 steps on a
            448 x 448 grid: 4 maps ~10-15 s, 64 maps ~30-40 s on 2 cores); raise it on a
            GPU. Recorded because the chunk size may change float rounding.
    """

    benchmark: str
    model: str = _field("efficientnet_lite0", "one of the model zoo's names (var.MODEL_NAMES)", choices=MODEL_NAMES)
    methods: tuple[str, ...] = _field(PAPER_METHODS, "var's own (gradcam, integrated_gradients, occlusion, ...), a "
                                      "library's (captum:DeepLift, gradcam:LayerCAM, zennit:EpsilonPlusFlat, ...) or "
                                      "module:function; 'var-bench methods' lists them")
    n: int = _field(8, "number of units (grids / images)")
    data: str | None = _field(None, "data folder (None: $VAR_DATA, data/, ../shared/data)")
    seed: int = _field(0, "seeds grids, masks, re-initialisations")
    ig_steps: int = _field(IG_STEPS, "Integrated Gradients steps")
    temperature: float = _field(TEMPERATURE, "VAR's t")
    tau: float = _field(TAU, "VAR's tau")
    options: dict = field(default_factory=dict, metadata={"help": "benchmark option (--option KEY=VALUE)"})
    threads: int = _field(THREADS, "torch threads per process (fixed for identical results across shards and workers)")
    internal_batch_size: int = _field(4, "gradient maps per backward chunk (small is fastest on CPU; raise it on a "
                                         "GPU)")

    @property
    def var_settings(self) -> Relevance:
        """VAR steps 2-3 as this run applies them (no sparse-map warning: the tables count empty maps)."""
        return Relevance(self.temperature, self.tau, warn_below=None)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True, default=list)

    @classmethod
    def from_json(cls, text: str) -> BenchConfig:
        """The config a run recorded; a missing or unknown field is an error (never filled with today's default)."""
        d = json.loads(text)
        if not isinstance(d, dict):
            raise ValueError("a run configuration is a JSON object.")
        fields = {f.name for f in dataclasses.fields(cls)}
        missing, unknown = sorted(fields - set(d)), sorted(set(d) - fields)
        if missing or unknown:
            raise ValueError("it " + " and ".join(
                ([f"lacks {', '.join(missing)}"] if missing else []) + ([f"has unknown {', '.join(unknown)}"]
                                                                        if unknown else [])) + ".")
        d["methods"] = tuple(d["methods"])
        return cls(**d)


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
