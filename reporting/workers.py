"""Work spread over processes: the one helper behind computing periods and printing PDFs on every core.

Workers are forked from the process that has already read what they need (measure inputs, a report's HTML)
and touch no database connection; with one job, or one core, the work runs in this process."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

MAX_WORKERS = 4


def in_processes(fn, items: list) -> list:
    """``[fn(item) for item in items]``, on up to ``MAX_WORKERS`` forked processes when that helps."""
    workers = min(len(items), os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2:
        return [fn(item) for item in items]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(fn, items))
