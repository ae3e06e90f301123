"""Work spread over processes: the one helper behind computing periods and printing PDFs on every core.

Workers are forked from the process that has already read what they need (measure inputs, a report's HTML)
and touch no database connection; with one job, or one core, the work runs in this process."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

MAX_WORKERS = 4
_ITEMS: list | None = None  # what the forked workers inherit: the items are not pickled to them


def cores() -> int:
    return min(os.cpu_count() or 1, MAX_WORKERS)


def in_processes(fn, items: list) -> list:
    """``[fn(item) for item in items]``, on up to ``MAX_WORKERS`` forked processes when that helps.
    The workers inherit the items when they are forked; only the answers travel back."""
    global _ITEMS
    workers = min(len(items), cores())
    if workers < 2:
        return [fn(item) for item in items]
    _ITEMS = items
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_call, [(fn, i) for i in range(len(items))]))
    finally:
        _ITEMS = None


def _call(job):
    fn, index = job
    return fn(_ITEMS[index])
