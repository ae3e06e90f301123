"""Turning paths given on the command line into package files."""

from __future__ import annotations

from pathlib import Path

from reporting.errors import ReportingError
from reporting.ingest import PackageFile


def files_from_paths(paths) -> list[PackageFile]:
    files = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files += [PackageFile(f.name, f.read_bytes()) for f in sorted(path.iterdir()) if f.is_file()]
        elif path.is_file():
            files.append(PackageFile(path.name, path.read_bytes()))
        else:
            raise ReportingError(f"{p} does not exist.")
    return files
