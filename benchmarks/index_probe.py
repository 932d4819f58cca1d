"""Child process for bench_startup: index a pairs file once, print timings as one JSON line.

``python benchmarks/index_probe.py FILE eager|background`` measures, in a fresh interpreter,
what ``index_pairs`` plus reading the first pair to serve costs (wall and CPU of this
process, all threads) and the peak resident set afterwards.
"""

from __future__ import annotations

import os
import sys
import time

import orjson


def main() -> None:
    path, mode = sys.argv[1], sys.argv[2]
    started = time.perf_counter()
    from rankterm.storage.index import index_pairs

    imported, cpu_imported = time.perf_counter(), time.process_time()
    index = index_pairs(path, validate=mode)
    first = index.get(index.serving_order()[0])
    done, cpu_done = time.perf_counter(), time.process_time()
    with open(f"/proc/{os.getpid()}/status") as handle:
        hwm = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM"))
    result = {
        "pairs": len(index),
        "first_id": first.id,
        "import_s": imported - started,
        "index_s": done - imported,
        "index_cpu_s": cpu_done - cpu_imported,
        "peak_rss_mb": hwm / 1024,
        "validated_on_return": index.validated,
    }
    if mode == "background" and "--wait" in sys.argv:
        index.wait_validated()
        result["validation_s"] = time.perf_counter() - imported
    index.close()  # waits for the sidecar write a background index starts with
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
