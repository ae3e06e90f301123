"""The fifteen measures of ``docs/measures.md``: one module per measure, file name = id.

``REGISTRY`` maps measure id to its ``MEASURE``, in the order of the specification. Discovery
is plain: every public module of this package must declare one ``MEASURE`` whose id is the
module name; a module without one, or two with one id, stop the import loudly.
"""

from __future__ import annotations

import importlib
import pkgutil

from measures._base import DOMAIN_TITLES, DOMAINS, DataInView, Measure
from measures._toolkit import Period

SPEC_VERSION = "1"
_NOT_MEASURES = {"dictionary"}


class RegistryError(RuntimeError):
    pass


def discover() -> dict[str, Measure]:
    found: dict[str, Measure] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name in _NOT_MEASURES:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        measure = getattr(module, "MEASURE", None)
        if not isinstance(measure, Measure):
            raise RegistryError(f"measures/{info.name}.py declares no MEASURE")
        if measure.id != info.name:
            raise RegistryError(f"measures/{info.name}.py declares id {measure.id!r}: the file name must be the id")
        if measure.id in found:
            raise RegistryError(f"duplicate measure id {measure.id!r}")
        found[measure.id] = measure
    orders = [m.order for m in found.values()]
    if len(set(orders)) != len(orders):
        raise RegistryError("two measures share one order number")
    return dict(sorted(found.items(), key=lambda kv: (DOMAINS.index(kv[1].domain), kv[1].order)))


REGISTRY: dict[str, Measure] = discover()

__all__ = ["REGISTRY", "Measure", "DataInView", "Period", "DOMAINS", "DOMAIN_TITLES", "SPEC_VERSION", "discover"]
