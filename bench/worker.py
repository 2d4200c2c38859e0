"""One pipeline run in a fresh process, reporting its timings and peak memory as JSON on the last line of stdout."""

from __future__ import annotations

import time

T0 = time.perf_counter()

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from datetime import date  # noqa: E402

import flows  # noqa: E402,F401


def main() -> None:
    kind, *args = sys.argv[1:]
    from flows.nightly import backfill, nightly

    if kind == "nightly":
        result = nightly(as_of=date.fromisoformat(args[0]))
    else:
        result = backfill(start=date.fromisoformat(args[0]), end=date.fromisoformat(args[1]))
    total = time.perf_counter() - T0
    # Everything the flow body did is in its step timings; the rest of the
    # wall time before it is imports plus Prefect's start-up (temporary server, flow run).
    result["process_seconds"] = round(total, 3)
    result["flow_body_seconds"] = round(result["flow_body_seconds"], 3)
    result["startup_seconds"] = round(result["flow_started"] - T0, 3)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
