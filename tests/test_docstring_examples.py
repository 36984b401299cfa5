"""Every ``Example:`` in var's docstrings runs, as a doctest, with the names the examples use.

The examples share a few names instead of repeating their set-up: ``model`` (EfficientNet-Lite0 with its
ImageNet weights), ``x`` (the Chelsea photo, a tabby cat, prepared for it), ``tmp_path`` (a scratch folder),
and ``var``, ``torch``, ``np``. A doctest's printed output is compared as usual.
"""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest
import torch

import var


def _examples():
    finder = doctest.DocTestFinder(exclude_empty=True)
    for info in pkgutil.walk_packages(var.__path__, "var."):
        if info.name == "var.__main__":
            continue
        module = importlib.import_module(info.name)
        for test in finder.find(module, info.name):
            if test.examples and not test.name.rsplit(".", 1)[-1].startswith("_"):
                yield test


EXAMPLES = sorted(_examples(), key=lambda t: t.name)


def test_the_examples_are_found():
    names = {t.name for t in EXAMPLES}
    assert {"var.core.explanation.explain", "var.core.attribution.attribute", "var.interop.attributor.VAR"} <= names


@pytest.mark.integration
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda t: t.name)
def test_docstring_example(example, lite0, chelsea, tmp_path):
    example.globs.update(var=var, torch=torch, np=np, model=lite0, x=chelsea.clone(), tmp_path=tmp_path)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []  # the runner swaps sys.stdout while it runs: its failure report is collected, not printed
    result = runner.run(example, out=report.append)
    assert result.failed == 0, "".join(report)
