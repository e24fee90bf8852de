"""Colour-blind-safe colours for every chart, map and report page: the one source of truth.

Categories use the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), whose eight
colours stay distinct under the common colour-vision deficiencies (protanopia, deuteranopia,
tritanopia). :data:`OKABE_ITO` keeps the report's order: blue first (the accent of the HTML
pages, see :data:`workbench.report.export.REPORT_CSS`), yellow and black last (yellow is faint
on white). :func:`qualitative` hands out ``n`` distinct colours and never repeats one silently.

Continuous values use colormaps whose lightness rises monotonically, so that their order
survives any colour-vision deficiency and greyscale printing: :data:`SEQUENTIAL` (cividis,
Nuñez et al. 2018, optimised for red-green deficiencies) by default; the light-background
schemes below (ColorBrewer sequential schemes and magma, all in ColorBrewer's or matplotlib's
colour-blind-safe sets) where a value of zero must look like the paper; :data:`DIVERGING` for
ratios around 1.

Neutral greys (grid lines, suppressed values, outlines) are not listed: they carry no hue.

This module imports nothing from matplotlib at import time (maps and the report import it).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BLACK",
    "BLUE",
    "BLUISH_GREEN",
    "COUNTS",
    "DENSITY",
    "DIVERGING",
    "DIVERGING_6",
    "EXPOSURE",
    "MAX_QUALITATIVE",
    "OKABE_ITO",
    "ORANGE",
    "RATES",
    "REDDISH_PURPLE",
    "SEQUENTIAL",
    "SKY_BLUE",
    "VERMILLION",
    "YELLOW",
    "hatches",
    "legible_on_white",
    "linestyles",
    "matplotlib_rc",
    "mix",
    "qualitative",
    "text_color_on",
]

# -- Okabe-Ito (hex, sRGB) ------------------------------------------------------------------------
BLUE = "#0072B2"
ORANGE = "#E69F00"
BLUISH_GREEN = "#009E73"
VERMILLION = "#D55E00"
SKY_BLUE = "#56B4E9"
REDDISH_PURPLE = "#CC79A7"
YELLOW = "#F0E442"
BLACK = "#000000"

#: The eight Okabe-Ito colours in the report's order.
OKABE_ITO: tuple[str, ...] = (BLUE, ORANGE, BLUISH_GREEN, VERMILLION, SKY_BLUE, REDDISH_PURPLE, YELLOW, BLACK)

# -- colormaps (matplotlib names) -----------------------------------------------------------------
#: Continuous values in general (dark blue to yellow; ``"cividis_r"`` reverses it).
SEQUENTIAL = "cividis"
#: Density surfaces on white paper or a light map: near-white at zero (perceptually uniform).
DENSITY = "magma_r"
#: Classed counts per map cell (ColorBrewer YlOrRd).
COUNTS = "YlOrRd"
#: Rates and indices per area (ColorBrewer OrRd).
RATES = "OrRd"
#: Exposure counts per area (ColorBrewer PuRd: another hue than :data:`COUNTS`, so that the map's
#: layers are told apart).
EXPOSURE = "PuRd"
#: Ratios around a centre of 1 (ColorBrewer RdBu reversed: blue below, red above).
DIVERGING = "RdBu_r"
#: ColorBrewer RdBu with 6 classes, red (high) to blue (low), for classed diverging values
#: (hot and cold spots, dosage balance classes).
DIVERGING_6: tuple[str, ...] = ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac")

# -- more than eight categories -------------------------------------------------------------------
#: Hues of the fallback tiers: the seven chromatic Okabe-Ito colours (black has no darker shade,
#: and its tints are the greys kept for neutral and suppressed marks).
_FALLBACK_HUES: tuple[str, ...] = OKABE_ITO[:7]
#: Fallback tiers after the eight base colours: (mixed with, share of it).
_TIERS: tuple[tuple[str, float], ...] = (("#000000", 0.4), ("#ffffff", 0.5))
#: Most categories :func:`qualitative` can give distinct colours (8 + 7 darker + 7 lighter).
MAX_QUALITATIVE = len(OKABE_ITO) + len(_FALLBACK_HUES) * len(_TIERS)

_LINESTYLES = ("-", "--", ":")
_HATCHES = ("", "///", "...")


def _rgb(color: str) -> tuple[float, float, float]:
    h = color.lstrip("#")
    if len(h) != 6:
        raise ValueError(f"expected a '#rrggbb' colour, got {color!r}")
    return tuple(int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def mix(color: str, other: str, share: float) -> str:
    """Blend two hex colours in sRGB.

    Parameters
    ----------
    color, other : str
        ``'#rrggbb'`` colours.
    share : float
        Share of ``other`` in the blend, 0..1 (``mix(c, '#ffffff', 0.5)`` is a 50 % tint of ``c``).

    Returns
    -------
    str
        ``'#RRGGBB'`` (upper case, like :data:`OKABE_ITO`).
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError("share must be within 0..1")
    a, b = _rgb(color), _rgb(other)
    return "#" + "".join(f"{round(255 * ((1 - share) * x + share * y)):02X}" for x, y in zip(a, b))


def _tier(i: int) -> int:
    return 0 if i < len(OKABE_ITO) else 1 + (i - len(OKABE_ITO)) // len(_FALLBACK_HUES)


def qualitative(n: int) -> list[str]:
    """``n`` distinct colours for categories: the Okabe-Ito colours first, then documented tiers.

    Parameters
    ----------
    n : int
        Number of categories (0 .. :data:`MAX_QUALITATIVE`, i.e. 22).

    Returns
    -------
    list of str
        ``'#rrggbb'`` colours, all different. Colours 1-8 are :data:`OKABE_ITO`; 9-15 are the
        seven chromatic Okabe-Ito hues darkened (40 % black); 16-22 the same hues lightened
        (50 % white). Beyond eight, colour alone no longer separates every pair for every
        reader: draw the tiers with :func:`linestyles` (lines) or :func:`hatches` (areas) too.

    Raises
    ------
    ValueError
        For ``n`` above :data:`MAX_QUALITATIVE` (no colour is ever reused; group the smallest
        categories into "other" instead) or below 0.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if n > MAX_QUALITATIVE:
        raise ValueError(f"{n} categories cannot be told apart by colour (at most {MAX_QUALITATIVE}); "
                         "group the smallest ones into 'other'")
    out = list(OKABE_ITO[:n])
    for mixer, share in _TIERS:
        if len(out) >= n:
            break
        out += [mix(h, mixer, share) for h in _FALLBACK_HUES][: n - len(out)]
    return out


def linestyles(n: int) -> list[str]:
    """Line style per category matching :func:`qualitative` (``'-'``, then ``'--'``, ``':'`` per tier)."""
    qualitative(n)  # same bounds
    return [_LINESTYLES[_tier(i)] for i in range(n)]


def hatches(n: int) -> list[str]:
    """Hatch per category matching :func:`qualitative` (none, then ``'///'``, ``'...'`` per tier)."""
    qualitative(n)
    return [_HATCHES[_tier(i)] for i in range(n)]


def _luminance(color: str) -> float:
    """WCAG 2 relative luminance of a hex colour (0 black .. 1 white)."""

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_color_on(color: str) -> str:
    """``'black'`` or ``'white'``, whichever reads better on ``color`` (WCAG relative luminance).

    Parameters
    ----------
    color : str
        ``'#rrggbb'`` background.
    """
    # contrast with black (L + .05) / .05 equals that with white 1.05 / (L + .05) at L ~ 0.179
    return "black" if _luminance(color) > 0.179 else "white"


def legible_on_white(color: str, min_contrast: float = 3.0) -> str:
    """``color`` darkened (mixed with black) just enough to reach ``min_contrast`` on white.

    For text and thin marks in a category colour: Okabe-Ito yellow (contrast 1.2) and sky blue
    (2.2) are faint on white paper.

    Parameters
    ----------
    color : str
        ``'#rrggbb'``.
    min_contrast : float, default 3
        WCAG contrast ratio with white (3 = large text and graphics, 4.5 = body text).

    Returns
    -------
    str
        ``color`` itself when it already reaches ``min_contrast``.
    """
    for share in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        c = color if share == 0.0 else mix(color, "#000000", share)
        if 1.05 / (_luminance(c) + 0.05) >= min_contrast:
            return c
    return "#000000"  # pragma: no cover - black always reaches any contrast up to 21


def matplotlib_rc() -> dict[str, Any]:
    """matplotlib rc settings for charts drawn outside :mod:`workbench.plots` (e.g. in a notebook).

    ``plt.rcParams.update(matplotlib_rc())`` (or ``with plt.rc_context(matplotlib_rc()):``)
    makes the default colour cycle Okabe-Ito and the default colormap :data:`SEQUENTIAL`.
    Nothing is changed globally by importing this module.
    """
    from cycler import cycler

    return {"axes.prop_cycle": cycler(color=list(OKABE_ITO)), "image.cmap": SEQUENTIAL}
