"""Kernel density of incidents on a grid in the projected CRS, per resident, and the top cells.

The surface is computed by *linear binning* (each point's unit mass is shared between the four
nearest cell centers, ``np.bincount``) followed by one FFT convolution
(``scipy.signal.fftconvolve``) with the discretized kernel. Cost is O(n + G log G) for G grid cells,
independent of the bandwidth.

Edge mass. By default the grid is the bounding box of the points padded by the kernel's support
radius (quartic: 1 bandwidth; Gaussian: ``truncate`` = 4 bandwidths), so no kernel mass falls off the
grid and ``density_.sum() * cell_area_ == n`` (the discrete kernel is renormalized to sum to 1, which
also removes the discretization error of coarse cells). With user ``bounds`` (a city's box) the mass
falling outside is lost and reported as ``edge_mass_``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.signal import fftconvolve

from workbench.data.errors import DataError

from ._inputs import as_xy, check_projected, resolve_points

KERNELS = ("quartic", "gaussian")


def kernel_weights(kernel: str, bandwidth: float, cell_size: float, truncate: float = 4.0) -> np.ndarray:
    """The discretized kernel on a square stencil of cells, normalized to sum to 1.

    Parameters
    ----------
    kernel : {'quartic', 'gaussian'}
        Quartic (biweight): ``3 / (pi h^2) (1 - r^2/h^2)^2`` for ``r < h``. Gaussian: standard
        deviation ``h`` per axis, truncated at ``truncate * h``.
    bandwidth : float
        ``h``, meters.
    cell_size : float
        Grid cell side, meters.
    truncate : float
        Gaussian support radius in bandwidths.
    """
    radius = support_radius(kernel, bandwidth, truncate)
    m = max(1, int(np.ceil(radius / cell_size)))
    off = np.arange(-m, m + 1) * cell_size
    r2 = off[None, :] ** 2 + off[:, None] ** 2
    if kernel == "quartic":
        w = np.where(r2 < bandwidth**2, (1 - r2 / bandwidth**2) ** 2, 0.0)
    else:
        w = np.where(r2 <= radius**2, np.exp(-r2 / (2 * bandwidth**2)), 0.0)
    if w.sum() == 0:  # bandwidth far below the cell size: all mass in the own cell
        w[m, m] = 1.0
    return w / w.sum()


def support_radius(kernel: str, bandwidth: float, truncate: float = 4.0) -> float:
    """Distance (meters) beyond which the kernel is zero."""
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    return float(bandwidth if kernel == "quartic" else truncate * bandwidth)


class KernelDensity:
    """Kernel density of points on a regular grid (incidents per square meter).

    Parameters
    ----------
    bandwidth : float, default 200
        Kernel bandwidth ``h`` in meters (quartic: radius; Gaussian: standard deviation).
    cell_size : float, default 50
        Grid cell side in meters.
    kernel : {'quartic', 'gaussian'}, default 'quartic'
    bounds : (xmin, ymin, xmax, ymax), optional
        Fixed grid extent in meters. Default: the points' bounding box padded by the support radius,
        so the surface integrates to the number (or total weight) of points.
    truncate : float, default 4
        Gaussian support radius in bandwidths.

    Attributes
    ----------
    density_ : ndarray of shape (ny, nx)
        Intensity at cell centers, incidents per m^2 (row 0 = southernmost row).
    x_, y_ : ndarray
        Cell-center coordinates (meters).
    cell_area_ : float
        m^2 per cell; ``density_ * cell_area_`` is the expected count per cell.
    n_ : float
        Number (total weight) of points.
    edge_mass_ : float
        Fraction of the mass outside the grid (0 with the default padded grid).
    crs_ : pyproj.CRS or None
        CRS of the input GeoDataFrame.

    Examples
    --------
    The shootings of the tiny synthetic city on 100 m cells; the surface integrates to the count:

    >>> from workbench.synth import generate_city
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> from workbench.spatial import KernelDensity
    >>> kde = KernelDensity(bandwidth=300.0, cell_size=100.0).fit(ds)
    >>> kde.density_.shape == (len(kde.y_), len(kde.x_))
    True
    >>> round(float((kde.density_ * kde.cell_area_).sum() / kde.n_), 6)
    1.0
    """

    def __init__(
        self,
        bandwidth: float = 200.0,
        cell_size: float = 50.0,
        kernel: str = "quartic",
        bounds: tuple[float, float, float, float] | None = None,
        truncate: float = 4.0,
    ) -> None:
        self.bandwidth = bandwidth
        self.cell_size = cell_size
        self.kernel = kernel
        self.bounds = bounds
        self.truncate = truncate

    def fit(self, points: Any, weights: Any = None) -> "KernelDensity":
        """Compute the surface.

        Parameters
        ----------
        points : (n, 2) array, DataFrame with ``x``/``y``, GeoDataFrame of points (projected CRS),
            or a Dataset (its incidents)
        weights : array-like of shape (n,), optional
            Mass per point (e.g. victims per incident); default 1.
        """
        if self.bandwidth <= 0 or self.cell_size <= 0:
            raise ValueError("bandwidth and cell_size must be positive (meters)")
        points = resolve_points(points)
        xy = as_xy(points)
        self.crs_ = points.crs if isinstance(points, gpd.GeoDataFrame) else None
        w = np.ones(len(xy)) if weights is None else np.asarray(weights, float)
        if w.shape != (len(xy),) or not np.isfinite(w).all():
            raise DataError.single("incidents", "weights", "weights must be finite, one per point")
        h, c = float(self.bandwidth), float(self.cell_size)
        radius = support_radius(self.kernel, h, self.truncate)
        if self.bounds is None:
            if len(xy) == 0:
                raise DataError.single("incidents", None, "no points to estimate a density from")
            pad = radius + c
            lo = xy.min(axis=0) - pad
            hi = xy.max(axis=0) + pad
        else:
            lo = np.asarray(self.bounds[:2], float)
            hi = np.asarray(self.bounds[2:], float)
        shape = np.maximum(np.ceil((hi - lo) / c).astype(int), 2)  # (nx, ny)
        nx, ny = int(shape[0]), int(shape[1])
        self.x_ = lo[0] + (np.arange(nx) + 0.5) * c
        self.y_ = lo[1] + (np.arange(ny) + 0.5) * c
        self.cell_area_ = c * c
        self.n_ = float(w.sum())

        # linear binning to cell centers
        u = (xy - lo) / c - 0.5
        k = np.floor(u).astype(np.int64)
        f = u - k
        counts = np.zeros(ny * nx)
        for dx in (0, 1):
            for dy in (0, 1):
                kx, ky = k[:, 0] + dx, k[:, 1] + dy
                share = w * (f[:, 0] if dx else 1 - f[:, 0]) * (f[:, 1] if dy else 1 - f[:, 1])
                ok = (kx >= 0) & (kx < nx) & (ky >= 0) & (ky < ny)
                counts += np.bincount(ky[ok] * nx + kx[ok], weights=share[ok], minlength=ny * nx)
        counts = counts.reshape(ny, nx)
        kern = kernel_weights(self.kernel, h, c, self.truncate)
        dens = fftconvolve(counts, kern, mode="same")
        np.maximum(dens, 0.0, out=dens)  # FFT round-off
        self.density_ = dens / self.cell_area_
        total = self.density_.sum() * self.cell_area_
        self.edge_mass_ = float(max(0.0, 1 - total / self.n_)) if self.n_ > 0 else 0.0
        if self.bounds is None:
            self.edge_mass_ = 0.0
        return self

    def to_frame(self) -> pd.DataFrame:
        """One row per cell: ``row``, ``col``, ``x``, ``y`` (center, m), ``density`` (per m^2),
        ``expected`` (incidents in the cell = density x cell area)."""
        ny, nx = self.density_.shape
        rows, cols = np.divmod(np.arange(ny * nx), nx)
        dens = self.density_.ravel()
        return pd.DataFrame(
            {
                "row": rows,
                "col": cols,
                "x": self.x_[cols],
                "y": self.y_[rows],
                "density": dens,
                "expected": dens * self.cell_area_,
            }
        )

    def per_resident(
        self, areas: gpd.GeoDataFrame, population: str = "population", id_column: str = "area_id"
    ) -> pd.DataFrame:
        """Density per resident, areal: cell density / population density of the covering area.

        Parameters
        ----------
        areas : GeoDataFrame
            Areas with ``population``; reprojected to the points' CRS when that is known, else must
            already be projected.
        population, id_column : str
            Column names.

        Returns
        -------
        DataFrame
            :meth:`to_frame` plus ``area_id``, ``residents_per_m2`` and ``per_1000_residents``
            (density / residents per m^2 x 1000: expected incidents per 1,000 residents of that
            place; NaN outside areas or where the population is 0).
        """
        areas = _project_areas(areas, self.crs_)
        for col in (population, id_column):
            if col not in areas.columns:
                raise DataError.single("areas", col, "column is missing")
        frame = self.to_frame()
        cells = gpd.GeoDataFrame(frame[["x", "y"]], geometry=gpd.points_from_xy(frame.x, frame.y), crs=areas.crs)
        pop_density = areas[population].to_numpy(float) / areas.geometry.area.to_numpy()
        hit = gpd.sjoin(cells, areas[[id_column, "geometry"]].assign(_pd=pop_density), predicate="within")
        hit = hit[~hit.index.duplicated()]
        frame[id_column] = hit[id_column].reindex(frame.index)
        frame["residents_per_m2"] = hit["_pd"].reindex(frame.index).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = frame["density"] / frame["residents_per_m2"] * 1000
        frame["per_1000_residents"] = rate.where(frame["residents_per_m2"] > 0)
        return frame

    def hot_spots(self, top: float = 0.05, column: str = "density") -> pd.DataFrame:
        """The top ``top`` share of cells (see :func:`hot_spots`)."""
        return hot_spots(self.to_frame(), top=top, column=column)


def _project_areas(areas: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    if crs is not None:
        if areas.crs is None:
            raise DataError.single("areas", "geometry", "has no CRS")
        return areas.to_crs(crs)
    check_projected(areas, "areas")
    return areas


def kde_grid(
    points: Any,
    bandwidth: float = 200.0,
    cell_size: float = 50.0,
    kernel: str = "quartic",
    bounds: tuple[float, float, float, float] | None = None,
    weights: Any = None,
) -> pd.DataFrame:
    """Kernel density on a grid as a DataFrame (see :class:`KernelDensity`).

    Returns
    -------
    DataFrame
        ``row``, ``col``, ``x``, ``y`` (meters), ``density`` (incidents per m^2), ``expected``
        (incidents per cell); ``expected`` sums to the number of points.
    """
    kd = KernelDensity(bandwidth=bandwidth, cell_size=cell_size, kernel=kernel, bounds=bounds)
    return kd.fit(points, weights=weights).to_frame()


def hot_spots(surface: pd.DataFrame | KernelDensity, top: float = 0.05, column: str = "density") -> pd.DataFrame:
    """The top ``top`` share of cells by ``column`` (cells where it is NaN are not candidates).

    Parameters
    ----------
    surface : DataFrame or fitted KernelDensity
        Output of :func:`kde_grid` or :meth:`KernelDensity.per_resident`.
    top : float, default 0.05
        Share of cells (0 < top <= 1) to keep: the 5% densest by default.
    column : str
        Ranking column (``density`` or ``per_1000_residents``).

    Returns
    -------
    DataFrame
        The hot cells, densest first, with ``rank`` (1 = densest) and ``cumulative_share`` (their
        share of all expected incidents, when ``expected`` is present).
    """
    if isinstance(surface, KernelDensity):
        surface = surface.to_frame()
    if not 0 < top <= 1:
        raise ValueError("top must be a share in (0, 1]")
    cand = surface[surface[column].notna() & (surface[column] > 0)]
    n_keep = int(np.ceil(top * len(cand)))
    out = cand.nlargest(n_keep, column).copy()
    out["rank"] = np.arange(1, len(out) + 1)
    if "expected" in surface.columns and surface["expected"].sum() > 0:
        out["cumulative_share"] = out["expected"].cumsum() / surface["expected"].sum()
    return out.reset_index(drop=True)
