"""The core: VAR itself, with no model zoo, plotting or tables.

* :mod:`~var.core.protocol` — the paper's settings (t, tau, methods, IG steps, blur, binarisation, threads);
* :mod:`~var.core.checks` — the input checks every entry point shares;
* :mod:`~var.core.model` — the model protocol (:class:`~var.core.model.VarModel`, ``logits_of``, ``eval_mode``);
* :mod:`~var.core.images` — images in, with explicit value ranges;
* :mod:`~var.core.methods` — one class per method, each returning a plan;
* :mod:`~var.core.engine` — ``Plan`` and the batched engine that runs plans;
* :mod:`~var.core.registry` — the one registry of method names (var's own and the libraries');
* :mod:`~var.core.attribution` — step 1 (``attribute``); :mod:`~var.core.relevance` — steps 2-3;
* :mod:`~var.core.class_sets` — class-set strategies; :mod:`~var.core.explanation` — ``explain``.
"""
