"""Speed benchmark of the multi-class engine; see :mod:`var.benchmarks.speed`.

    python benchmarks/speed.py --model resnet50 --classes 4 16 --memory
"""

import sys

from var.benchmarks.speed import main

if __name__ == "__main__":
    sys.exit(main())
