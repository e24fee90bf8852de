"""The synthetic city with known truth.

A fictional city on real coordinates (near Chicago, ``America/Chicago``, ``EPSG:32616``) with
areas, places, a co-arrest network and shootings from a multivariate Hawkes process (seasonal
background, near-repeat and network contagion), plus police and co-responder responses,
referrals and follow-ups whose time to engagement follows a known Weibull proportional-hazards
model. Every generating parameter is kept in :attr:`SyntheticCity.truth`. See
``docs/synthetic-city.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:  # the names below are imported on first use (workbench._lazy)
    from .city import (
        GENERATOR_VERSION,
        ID_PREFIXES,
        SyntheticCity,
        generate_city,
        synthetic_meta,
        write_city,
    )
    from .params import Params
    from .scales import SCALES, Scale

__all__ = [
    "GENERATOR_VERSION",
    "ID_PREFIXES",
    "SCALES",
    "Params",
    "Scale",
    "SyntheticCity",
    "generate_city",
    "synthetic_meta",
    "write_city",
]


__getattr__, __dir__ = lazy_exports(__name__)
