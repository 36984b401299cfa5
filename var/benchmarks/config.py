"""What a benchmark run is: :class:`BenchConfig`, plain data. The runner checks and resolves it
(:func:`var.benchmarks.runner.validate`, :func:`~var.benchmarks.runner.resolved`) before anything loads.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from ..core.protocol import IG_STEPS, PAPER_METHODS, TAU, TEMPERATURE, THREADS
from ..core.relevance import Relevance
from ..models.zoo import MODEL_NAMES

__all__ = ["BenchConfig"]


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
