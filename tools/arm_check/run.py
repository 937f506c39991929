"""ARM build check of the firmware_stubs C kernels: ``python tools/arm_check/run.py --help``.

Computes expected results on the x86 host through the Python wrappers, cross-compiles the
kernels with a C harness for aarch64 and armhf, runs them under qemu-user and compares
(docs/bench.md, "ARM build check").
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arm_check.cli import main

if __name__ == "__main__":
    sys.exit(main())
