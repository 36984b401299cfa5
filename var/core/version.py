"""The package's version: its one source. ``pyproject.toml`` reads it (``[tool.setuptools.dynamic]``, from the
syntax tree, without importing torch); ``var.__version__`` re-exports it; CHANGELOG.md and CITATION.cff name it
(tests/test_release.py checks both). In the core, so every layer may record it (saved explanations, runs).
"""

__version__ = "0.2.0"
