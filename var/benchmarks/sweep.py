"""VAR's settings swept, and the controls that tell VAR from plain sparsification (ours; the paper fixes t and tau).

Per unit the step-1 maps H are computed once per method; every VAR map is cheap tensor work on them. The
option ``on`` says whose units, and how they are scored:

* ``grid``, ``coco``: the localisation metrics (:func:`~var.benchmarks.metrics.localisation_many`, RA and the
  binarised metrics under one rule, :data:`~var.core.protocol.VERDICT_RULE` by default) and ``class_cosine``
  (how alike a class's map is to the other classes' maps of the same variant: class discrimination itself);
* ``sanity``: the target's maps on each randomised network against the trained network's
  (:mod:`~var.benchmarks.sanity`, its options' defaults; H once per method and network);
* ``intervention``: the top pixels of each of the two most probable classes' maps deleted
  (:mod:`~var.benchmarks.intervention`, its defaults);
* ``insertion``: the label's maps scored by SIC and AIC (:mod:`~var.benchmarks.insertion`, its defaults); an
  image PIC's filters skip for SIC gives no rows (nothing is attributed), and AIC is recorded where it is live.
  PIC costs ~13 model calls and image fills per map, so run it on few settings.

Rows by ``variant``:

* ``variant="vanilla"``: the method's map (the baseline every other row is compared with);
* ``variant="var"``: VAR's map under every setting of the grid temperature x tau x scale x softmax (columns
  ``temperature``, ``tau``, ``scale`` = ``raw`` or ``joint_max``, ``softmax`` = ``element`` (the authors') or
  ``pixel`` (one softmax per pixel over the channel sum)); the paper's setting is one row of it;
* controls, at the paper's setting:

  - ``matched``: the vanilla map keeping as many elements (its largest |H|) as VAR's map keeps: does VAR beat
    plain thresholding of the same map at the same sparsity?
  - ``random_k``: VAR with K = the class plus |K| - 1 classes drawn at random (seeded per unit) from those not
    in K: does VAR need the *relevant* competing classes?
  - ``nearest``: Guided GradCAM with its CAM upsampled by nearest neighbour (Captum's ``LayerAttribution``
    default) instead of bilinearly, vanilla and VAR;
  - ``cgi``: Competitive Gradient ⊙ Input (Gupta & Arora 2019, :mod:`var.core.competition`) for the classes of
    K: the closest prior method, recorded as method ``cgi`` with variant ``vanilla`` (a method's own map).

* ``class_set`` (sanity, intervention, insertion): VAR at the paper's setting with K = the N most probable
  classes plus the least probable one (and the target), column ``class_set`` = ``topN``: does VAR need the
  benchmark's K?

Every map also records ``kept`` (the share of its elements that are non-zero) and ``empty``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..core import class_sets
from ..core.attribution import attribute
from ..core.checks import check_choice, check_int
from ..core.methods import make_baseline
from ..core.protocol import TAU, TEMPERATURE, VERDICT_RULE
from ..core.relevance import Relevance, keep_mask, kept_maps, relevance, spatial_softmax
from . import table
from .base import Benchmark, BenchmarkOptions, check_shares, global_rngs_seeded, unit_seed
from .coco import CocoBenchmark, load_item, targets
from .grid import GridBenchmark, make_grid
from .insertion import InsertionBenchmark
from .intervention import InterventionBenchmark, intervene
from .metrics import blur_positive, class_cosine, localisation_many, similarity
from .reproduce import Tolerance
from .sanity import SanityBenchmark, randomised

__all__ = ["SweepBenchmark", "SweepOptions", "CONTROLS", "SCALES", "SOFTMAXES", "PAPER_SETTING", "setting_maps",
           "matched"]

#: The controls a sweep can add (see the module docstring).
CONTROLS = ("matched", "random_k", "nearest", "cgi")
#: ``raw``: the softmax of |H| itself (the authors'); ``joint_max``: of |H| divided by its largest value.
SCALES = ("raw", "joint_max")
#: ``element``: one softmax per channel and pixel (the authors'); ``pixel``: per pixel, over the channel sum.
SOFTMAXES = ("element", "pixel")
#: The paper's setting in the sweep's terms.
PAPER_SETTING = {"temperature": TEMPERATURE, "tau": TAU, "scale": "raw", "softmax": "element"}
#: The same as the value :func:`relevance` takes (no sparse-map warning: the tables count empty maps).
PAPER = Relevance(warn_below=None)
#: What each sweep unit is drawn from: the benchmark whose units and regions it scores, and that benchmark's
#: options (the reference runs').
ON = {"grid": (GridBenchmark, {"cell": "half"}), "coco": (CocoBenchmark, {"dataset": "coco128-seg"}),
      "sanity": (SanityBenchmark, {}), "intervention": (InterventionBenchmark, {}),
      "insertion": (InsertionBenchmark, {})}


@dataclass(frozen=True)
class SweepOptions(BenchmarkOptions):
    """``on`` (of :data:`ON`: whose units and scores), ``temperatures``, ``taus``, ``scales``, ``softmaxes`` (the
    grid of settings), ``controls`` (of :data:`CONTROLS`), ``competitors`` (CGI's), ``binarize`` (one rule, grid
    and COCO), ``class_sets`` (sanity and intervention: the sizes N of the class sets "the N most probable classes
    plus the least probable one" VAR is also run with, at the paper's setting).
    """

    on: str = "grid"
    temperatures: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0)
    taus: tuple[float, ...] = (0.0, 0.003, 0.01, 0.03, 0.1)
    scales: tuple[str, ...] = SCALES
    softmaxes: tuple[str, ...] = SOFTMAXES
    controls: tuple[str, ...] = CONTROLS
    competitors: int = 100
    binarize: str = VERDICT_RULE
    class_sets: tuple[int, ...] = (1, 2, 5, 10)

    def check(self):
        check_choice("on", self.on, tuple(ON))
        check_shares("taus", self.taus)
        if isinstance(self.temperatures, str) or not self.temperatures or any(
                not isinstance(t, (int, float)) or t <= 0 for t in self.temperatures):
            raise ValueError("temperatures must be a non-empty list of numbers > 0.")
        for name, values, choices in (("scales", self.scales, SCALES), ("softmaxes", self.softmaxes, SOFTMAXES),
                                      ("controls", self.controls, CONTROLS)):
            for v in values:
                check_choice(name, v, choices)
        check_int("competitors", self.competitors, 1)
        grid = (self.temperatures, self.taus, self.scales, self.softmaxes)
        for (name, paper), values in zip(PAPER_SETTING.items(), grid):
            if paper not in values:  # the controls, class sets and reports compare at the paper's setting
                raise ValueError(f"The sweep's {name} values must include the paper's {paper!r} (got "
                                 f"{list(values)}): the controls and class sets are computed at the paper's setting.")
        for size in self.class_sets:
            check_int("class_sets", size, 1)
        check_choice("binarize", self.binarize, ("median", "positive", "mean", "otsu"))


class SweepBenchmark(Benchmark):
    """The grid of VAR settings and the controls on grid, COCO, sanity or intervention units. Options: see
    :class:`SweepOptions`.
    """

    name = "sweep"
    Options = SweepOptions
    #: the extreme settings (t = 0.01, tau = 0.1) keep a handful of elements, so one element that rounding
    #: flips moves a row's precision or recall far more than on the paper's setting (as in the sanity check)
    reproduction = Tolerance(row=0.1, group_median=1e-3)

    def __init__(self, config):
        super().__init__(config)
        cls, options = ON[self.options.on]
        self.inner = cls(replace(config, benchmark=cls.name, options=options))

    #: what a unit records, by ``on``: grid and COCO the localisation metrics, sanity the similarities,
    #: intervention the drops, insertion SIC and AIC; every map its kept share
    metrics = ("ra", "iou", "precision", "recall", "f1", "class_cosine", "spearman_abs", "spearman", "pearson",
               "cosine", "own_drop", "other_drop", "selectivity", "sic", "aic", "kept", "empty")

    def data_folder(self):
        return self.inner.data_folder()

    def setup(self):
        self.inner.setup()

    @property
    def model(self):
        return self.inner.model

    def units(self):
        return self.inner.units()

    def settings(self) -> list[dict]:
        """Every (temperature, tau, scale, softmax) of the options, the paper's first."""
        o = self.options
        grid = [dict(zip(PAPER_SETTING, s)) for s in itertools.product(o.temperatures, o.taus, o.scales,
                                                                          o.softmaxes)]
        return sorted(grid, key=lambda s: s != PAPER_SETTING)

    def scored_items(self, unit: int):
        """The unit's input, its class set K and [(item, index in K, region)] of what is scored (grid, COCO)."""
        if self.options.on == "grid":
            spec = self.inner.grid_spec(unit)
            x, quadrants = make_grid(self.model, spec, "half")
            classes = [label for _, label in spec]
            return x, classes, [(q, q, quadrants[q]) for q in range(4)]
        x, objects = load_item(self.model, self.inner.items[unit])
        kept, classes = targets(objects, self.model.predict(x)[0], self.inner.options.min_area,
                                self.inner.options.min_confidence)
        return x, classes, [(cat, i, mask) for i, (cat, _, mask) in enumerate(kept)]

    def run_unit(self, unit):
        own = {"sanity": self._sanity_unit, "intervention": self._intervention_unit,
               "insertion": self._insertion_unit}.get(self.options.on)
        if own:
            return own(unit)
        x, classes, items = self.scored_items(unit)
        if not items:
            return []
        keys = dict(unit=unit, model=self.config.model)
        rows = []
        for method, variant, is_var, maps, settings in self.map_sets(self.model, x, classes, unit):
            rows += localisation_rows(maps, settings, items, classes, self.options.binarize,
                                      method=method, variant=variant, var=is_var, **keys)
        return rows

    def _sanity_unit(self, unit):
        """Each map set on the trained network and on each randomised one: similarity of the target's maps."""
        path, label = self.inner.order[unit]
        x = self.model.prepare(path, exif_orientation=False)
        logits = self.model.logits(x)[0]
        classes = class_sets.top_k(logits, self.inner.options.k, target=label)
        t = classes.index(label)
        sets, rows = {}, []
        fractions = (0.0,) + tuple(f for f in self.inner.options.fractions if f != 0)  # the originals first
        for fraction in fractions:
            model = randomised(self.model, fraction, self.config.seed, self.inner.options.reinit)
            for method, variant, is_var, maps, settings in self.map_sets(model, x, classes, unit, [t], logits,
                                                                         label):
                key = (method, variant, is_var, settings[0].get("class_set"))  # "nearest" has both
                original = sets.setdefault(key, maps)  # the trained network's maps
                for s, setting in enumerate(settings):
                    scores = {**similarity(original[s, t], maps[s, t]), **kept_share(maps[s, t])}
                    rows += table.rows(scores, unit=unit, item=0, model=self.config.model, method=method,
                                       var=is_var, variant=variant, target=label, fraction=float(fraction),
                                       **setting)
        return rows

    def _intervention_unit(self, unit):
        """Each map set's top pixels of the two most probable classes deleted: own and other class's drop."""
        path, label = self.inner.order[unit]
        x = self.model.prepare(path, exif_orientation=False)
        logits = self.model.logits(x)[0]
        classes = class_sets.top_k(logits, 2)
        o = self.inner.options
        blurred = make_baseline(x, "blur", o.blur_sigma)
        rows = []
        for method, variant, is_var, maps, settings in self.map_sets(self.model, x, classes, unit, [0, 1],
                                                                         logits):
            for s, setting in enumerate(settings):
                result = intervene(self.model, x, blurred, maps[s, :2], classes[:2], o.fraction, seed=unit)
                for i, scores in enumerate(result["scores"]):
                    rows += table.rows({**scores, **kept_share(maps[s, i])}, unit=unit, item=i,
                                       model=self.config.model, method=method, var=is_var, variant=variant,
                                       target=classes[i], other=classes[1 - i], label=label, **setting)
        return rows

    def _insertion_unit(self, unit):
        """Each map set's map of the label scored by PIC: SIC (and AIC where PIC's filters keep it)."""
        scene = self.inner.scene(unit)
        if "sic" in self.inner.skipped(scene):
            return []
        t = scene.classes.index(scene.label)
        names, targets = [], []
        for method, variant, is_var, maps, settings in self.map_sets(self.model, scene.x, scene.classes, unit, [t],
                                                                         scene.logits, scene.label):
            for s, setting in enumerate(settings):
                names.append(dict(method=method, variant=variant, var=is_var, **setting))
                targets.append(maps[s, t])
        rows = []
        for keys, (curves, _), target in zip(names, self.inner.curves(scene, targets), targets):
            scores = {**{metric: res.auc for metric, res in curves.items()}, **kept_share(target)}
            rows += table.rows(scores, unit=unit, item=0, model=self.config.model, target=scene.label, **keys)
        return rows

    def map_sets(self, model, x, classes: list[int], unit: int, scored=(), logits=None, label=None):
        """(method, variant, var, maps (S, |K|, C, H, W), settings) of every method, setting and control.

        The step-1 maps H are computed once per method for K, the random classes and (with ``class_sets`` and
        ``logits``) the most probable classes of the largest set; every VAR map is cheap tensor work on them.
        A class-set variant's maps keep K's layout: a class of K outside the set has a zero map, and a set that
        lacks one of the ``scored`` indices of K is left out (it cannot score them).
        """
        rng = np.random.default_rng([self.config.seed, unit, 7])
        labels = len(self.model.class_names)  # one name per logit: no forward pass needed
        others = [int(c) for c in rng.permutation(labels) if c not in classes][:len(classes) - 1]
        larger = [] if logits is None or not self.options.class_sets else [
            c for c in class_sets.top_k(logits, max(self.options.class_sets), target=label)
            if c not in classes + others]
        everything = classes + others + larger
        # the run's own K is its var rows, and a set without the scored classes cannot score them
        sets = [] if logits is None else [
            (size, chosen) for size in self.options.class_sets for chosen in [class_sets.top_k(logits, size,
                                                                                                target=label)]
            if set(chosen) != set(classes) and all(classes[i] in chosen for i in scored)]
        n = len(classes)
        for method in self.config.methods:
            h = self._attribute(model, x, everything, method, unit)
            yield from self.method_sets(method, h[:n], h[n:n + len(others)])
            for size, chosen in sets:
                var = relevance(h[[everything.index(c) for c in chosen]], PAPER)
                maps = torch.zeros_like(h[:n])
                for j, c in enumerate(chosen):
                    if c in classes:
                        maps[classes.index(c)] = var[j]
                yield method, "class_set", True, maps[None], [{**PAPER_SETTING, "class_set": f"top{size}"}]
            if method == "guided_gradcam" and "nearest" in self.options.controls:
                h = self._attribute(model, x, classes, method, unit, interpolate_mode="nearest")
                yield method, "nearest", False, h[None], [{}]
                yield method, "nearest", True, relevance(h, PAPER)[None], [PAPER_SETTING]
        if "cgi" in self.options.controls:
            h = self._attribute(model, x, classes, "cgi", unit, competitors=self.options.competitors)
            yield "cgi", "vanilla", False, h[None], [{}]

    def method_sets(self, method: str, h: torch.Tensor, h_others: torch.Tensor):
        """Map sets of one method: vanilla, every setting, and the controls at the paper's setting."""
        yield method, "vanilla", False, h[None], [{}]
        settings = self.settings()
        maps = setting_maps(h, settings)
        yield method, "var", True, maps, settings
        if "matched" in self.options.controls:
            yield method, "matched", False, matched(h, maps[0])[None], [{}]  # settings[0] is the paper's
        if "random_k" in self.options.controls:
            random = torch.stack([relevance(torch.cat([h[i:i + 1], h_others]), PAPER)[0]
                                  for i in range(len(h))])
            yield method, "random_k", True, random[None], [PAPER_SETTING]

    def _attribute(self, model, x, classes, method, unit, **options):
        if method == "integrated_gradients":
            options["steps"] = self.config.ig_steps
        with global_rngs_seeded(unit_seed(self.config.seed, unit, method)):
            return attribute(model, x, classes, method, **options)


def kept_share(m: torch.Tensor) -> dict[str, float]:
    """``kept`` (the share of a map's elements that are non-zero) and ``empty`` (1 when none is)."""
    kept = float((m != 0).double().mean())
    return {"kept": kept, "empty": float(kept == 0)}


def localisation_rows(maps, settings, items, classes, rule, **keys) -> list[dict]:
    """Rows of a unit's scored items for maps (S, |K|, C, H, W) under S settings: RA and the binarised metrics
    under one rule, class cosine, kept and empty.
    """
    index = [i for _, i, _ in items]
    chosen = maps if index == list(range(maps.shape[1])) else maps[:, index]  # a grid scores every class: no copy
    regions = torch.stack([region for _, _, region in items]).repeat(len(maps), 1, 1)
    scores = localisation_many(blur_positive(chosen.flatten(0, 1)), regions, rule)
    scores["class_cosine"] = class_cosine(chosen).flatten()
    kept = ((chosen != 0).flatten(2).sum(2).double() / chosen[0, 0].numel()).flatten()  # a count over a size
    scores = {name: v.tolist() for name, v in scores.items()}
    rows, n = [], 0
    for setting in settings:
        for item, i, _ in items:
            at = dict(item=item, target=classes[i], **keys, **setting)
            rows += table.rows({"ra": scores["ra"][n], "class_cosine": scores["class_cosine"][n]},
                               binarize=table.NO_RULE, **at)
            rows += table.rows({m: scores[m][n] for m in ("iou", "precision", "recall", "f1")}, binarize=rule,
                               **at)
            rows += table.rows({"kept": kept[n], "empty": float(kept[n] == 0)}, binarize=table.NO_RULE, **at)
            n += 1
    return rows


def setting_maps(h: torch.Tensor, settings: list[dict]) -> torch.Tensor:
    """VAR's maps of H (|K|, C, H, W) under each setting of the sweep: (S, |K|, C, H, W).

    The softmax M is computed once per (temperature, scale, softmax) and masked for each tau.
    """
    out, softmaxes = [], {}
    for s in settings:
        key = (s["temperature"], s["scale"], s["softmax"])
        if key not in softmaxes:
            softmaxes[key] = spatial_softmax(h, s["temperature"],
                                             reduce_channels=None if s["softmax"] == "element" else "sum",
                                             normalize=None if s["scale"] == "raw" else "joint_max")
        m = softmaxes[key]
        out.append(kept_maps(h, m, keep_mask(m, s["tau"])))
    return torch.stack(out)


def matched(h: torch.Tensor, var_maps: torch.Tensor) -> torch.Tensor:
    """The sparsity-matched control: each class's vanilla map keeping only its n largest |H| elements, n = the
    number of elements its VAR map keeps (ties at the cut broken by position, so exactly n are kept).
    """
    out = torch.zeros_like(h)
    for c in range(len(h)):
        n = int((var_maps[c] != 0).sum())
        if n:
            flat, kept = h[c].flatten(), torch.zeros(h[c].numel(), dtype=h.dtype)
            top = flat.abs().topk(n).indices
            kept[top] = flat[top]
            out[c] = kept.view_as(h[c])
    return out
