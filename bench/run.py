"""Run the benchmarks (all, or those named) and write their results to bench/results.json, keyed by benchmark."""

from __future__ import annotations

import importlib
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
# Benchmarks that take long (hours at full size): run only when named, e.g. `python -m bench.run scale`.
ON_REQUEST = frozenset({"scale"})


def main(argv: list[str]) -> int:
    names = argv or sorted(
        name for p in HERE.glob("bench_*.py") if (name := p.stem.removeprefix("bench_")) not in ON_REQUEST
    )
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        out = module.run()
        out["_measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        out["_wall_seconds"] = round(time.perf_counter() - start, 2)
        out["_machine"] = f"{platform.machine()}, {platform.python_version()}"
        results[name] = out
        print(json.dumps(out, indent=1), flush=True)
        RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    print(f"results written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
