"""Report parameters: one YAML file per report run, checked completely before any kernel starts.

Example (``parameters/demo.yaml``)::

    run_name: demo
    title: Demo city
    data: {name: demo, source: ../data/demo, timezone: America/Chicago, crs: auto,
           synthetic: {scale: demo, seed: 20261125}}
    privacy: {min_count: 11}
    summary_months: 12
    audience: policy          # or research: pseudonymous person-level pages, reports/demo-research
    notebooks: [00_data_overview]
    notebook_parameters: {00_data_overview: {start: '2020-01-01'}}
    execution: {cell_timeout_s: 600}

Relative paths (``data.source``, ``notebooks_dir``) resolve against the YAML file's own folder.
:func:`load_params` reports *every* problem at once in one :class:`ParameterError`.

Limits (checked before any kernel starts): the file is at most :data:`MAX_PARAMS_BYTES`; YAML
anchors and aliases may not expand the document beyond :data:`MAX_YAML_NODES` nodes (no
"billion laughs"); notebook names are plain file names; every path (``notebooks_dir``,
``data.source``, ``data.study_area``, table files) must resolve inside the allowed roots
(:func:`workbench.report.guard.allowed_roots`: the parameter file's folder, the current folder,
the project folder and its parent, and the folders in ``WORKBENCH_ROOTS``); every value in
``notebook_parameters`` must match the type of the notebook's declared default
(:func:`check_notebook_value`).

Audiences
---------
``audience: policy`` (the default) is the report for policy readers: no person-level rows, ids
or names anywhere. ``audience: research`` runs every notebook whose ``parameters`` cell
declares ``researcher_mode`` with ``researcher_mode=True`` (pseudonymous person-level lists,
exact points), unless ``notebook_parameters`` sets it for that notebook. A policy file that sets
``researcher_mode`` to anything but false is refused at load time, naming the notebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from pydantic import ValidationInfo

from workbench.data import DataSpec

__all__ = [
    "DEFAULT_NOTEBOOKS_DIR",
    "MAX_PARAMS_BYTES",
    "MAX_YAML_NODES",
    "check_notebook_value",
    "notebook_parameter_specs",
    "safe_yaml_load",
    "RESEARCHER_MODE",
    "RESERVED_PARAMETERS",
    "ExecutionParams",
    "NowParams",
    "ParameterError",
    "PrivacyParams",
    "ReportParams",
    "load_params",
    "notebook_parameter_names",
]

#: ``notebooks/`` of the repository (the package is installed editable from ``src/``).
DEFAULT_NOTEBOOKS_DIR = Path(__file__).resolve().parents[3] / "notebooks"

#: Parameters the runner injects into every notebook; they cannot be overridden per notebook.
RESERVED_PARAMETERS: frozenset[str] = frozenset({"data_dir", "run_name", "title", "min_count"})

#: Largest parameter file accepted, bytes.
MAX_PARAMS_BYTES = 256 * 1024
#: Most YAML nodes the document may expand to (aliases counted as many times as they are used).
MAX_YAML_NODES = 20_000

#: A notebook name: a plain file name without ``.ipynb`` (no folder, no ``..``).
_NOTEBOOK_NAME = r"^[A-Za-z0-9][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*$"

#: Notebook parameter that switches person-level content on; the runner sets it to ``True`` in
#: research runs for every notebook that declares it.
RESEARCHER_MODE = "researcher_mode"


class ParameterError(ValueError):
    """The parameter file is unusable. Lists every problem (field path and what is wrong).

    Parameters
    ----------
    source : str
        The parameter file.
    problems : list of (str, str)
        ``(field path, problem)`` pairs, e.g. ``("privacy.min_count", "must be >= 1")``.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        n = len(problems)
        lines = [f"Bad parameters in {source} ({n} problem{'s' if n != 1 else ''}):"]
        lines += [f"  - {loc}: {msg}" for loc, msg in problems]
        super().__init__("\n".join(lines))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrivacyParams(_Strict):
    """Privacy settings.

    Parameters
    ----------
    min_count : int
        Smallest count shown in policy HTML; 1 .. min_count-1 are suppressed (>= 1).
    """

    min_count: int = Field(11, ge=1, le=1000)


class ExecutionParams(_Strict):
    """Notebook execution settings.

    Parameters
    ----------
    cell_timeout_s : float
        Longest a single cell may run, seconds (> 0).
    start_timeout_s : float
        Longest the kernel may take to start, seconds (> 0).
    parallel_max_mb : float
        Largest dataset (its tables in memory, MiB) whose notebooks run several at once with the
        executive summary computed beside them. Above it the run holds one working copy of the data
        at a time: the summary first, then the notebooks one after another (each kernel reads its
        own copy), so a city of two million incidents stays under 4 GB. ``0`` always runs one at a
        time.
    """

    cell_timeout_s: float = Field(600.0, gt=0)
    start_timeout_s: float = Field(60.0, gt=0)
    parallel_max_mb: float = Field(400.0, ge=0)


class NowParams(_Strict):
    """The index's *Now* block (:func:`workbench.sections.now_block`).

    Parameters
    ----------
    enabled : bool
        Show the block (default true).
    short_days, long_days : int
        The two recent periods before the data end, days (1 <= short <= long <= 366).
    history_days : int
        Shootings used for the Knox near-repeat window, days before the data end.
    n_steps : int
        Periods of ``long_days`` in the emerging hot spot analysis (3 .. 60).
    time_window : int
        Earlier periods pooled into each period's hot spot neighbourhood (0 .. 12; ArcGIS's
        neighbourhood time step, default 1).
    permutations : int
        Knox Monte Carlo permutations.
    """

    enabled: bool = True
    short_days: int = Field(7, ge=1, le=366)
    long_days: int = Field(28, ge=1, le=366)
    history_days: int = Field(730, ge=30, le=3660)
    n_steps: int = Field(12, ge=3, le=60)
    time_window: int = Field(1, ge=0, le=12)
    permutations: int = Field(999, ge=19, le=9999)

    @field_validator("long_days")
    @classmethod
    def _long_after_short(cls, v: int, info: ValidationInfo) -> int:
        short = info.data.get("short_days")
        if short is not None and v < short:
            raise ValueError(f"must be at least short_days ({short})")
        return v


def notebook_parameter_names(path: str | Path) -> set[str]:
    """Names defined in the notebook's cell tagged ``parameters`` (papermill's inspection)."""
    return set(notebook_parameter_specs(path))


def notebook_parameter_specs(path: str | Path) -> dict[str, dict[str, str]]:
    """The notebook's declared parameters: ``{name: {"default": source text, "help": comment}}``.

    From papermill's inspection of the cell tagged ``parameters`` (``name = default  # help``).
    """
    from papermill.inspection import inspect_notebook

    return {k: {"default": str(v.get("default", "None")), "help": str(v.get("help") or "")}
            for k, v in inspect_notebook(str(path)).items()}


def _date_ok(value: Any) -> bool:
    from datetime import date

    try:
        date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return len(str(value)) in (10, 19, 25) or "T" in str(value)


def check_notebook_value(name: str, spec: dict[str, str], value: Any) -> str | None:
    """What is wrong with ``value`` for a notebook parameter, or ``None`` when it fits.

    The declaration is the notebook's own ``parameters`` cell: the default's type is the
    parameter's type (``None`` and ``"auto"`` defaults accept numbers too); numbers must be
    finite and not negative (every numeric notebook parameter is a count, a length, a duration,
    a share or a seed); a parameter whose name says *share* or *probability* lies in
    [0, 1]; a comment naming ``YYYY-MM-DD`` asks for ISO dates; a comment ``range a..b`` bounds
    the value explicitly.

    Parameters
    ----------
    name : str
        Parameter name.
    spec : dict
        ``{"default": source text of the default, "help": comment}``
        (:func:`notebook_parameter_specs`).
    value : object
        The value from ``notebook_parameters``.
    """
    import ast
    import math
    import re

    try:
        default = ast.literal_eval(spec.get("default", "None"))
    except (ValueError, SyntaxError):
        default = None
    help_text = spec.get("help", "")
    numeric = (int, float)

    def typename(v: Any) -> str:
        return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
                dict: "a mapping", type(None): "null"}.get(type(v), type(v).__name__)

    if value is None:
        return None  # every notebook treats None as "the default behaviour" or refuses it itself
    if isinstance(default, bool):
        if not isinstance(value, bool):
            return f"must be true or false, got {value!r}"
    elif isinstance(default, numeric):
        if isinstance(value, bool) or not isinstance(value, numeric):
            return f"must be a number (default {default!r}), got {typename(value)} {value!r}"
    elif isinstance(default, str) and default != "auto":
        if not isinstance(value, str):
            return f"must be text (default {default!r}), got {typename(value)} {value!r}"
    elif isinstance(default, str):  # "auto" or a number
        if not isinstance(value, (str, *numeric)) or isinstance(value, bool):
            return f"must be 'auto' or a number, got {typename(value)} {value!r}"
    elif isinstance(default, (list, tuple)):
        if not isinstance(value, (list, tuple)):
            return f"must be a list (default {list(default)!r}), got {typename(value)} {value!r}"
        if default and all(isinstance(d, numeric) for d in default) and not all(
            isinstance(x, numeric) and not isinstance(x, bool) for x in value
        ):
            return f"must be a list of numbers, got {value!r}"
    elif isinstance(default, dict) and not isinstance(value, dict):
        return f"must be a mapping, got {typename(value)} {value!r}"

    values = list(value) if isinstance(value, (list, tuple)) else [value]
    nums = [v for v in values if isinstance(v, numeric) and not isinstance(v, bool)]
    for v in nums:
        if not math.isfinite(v):
            return f"must be a finite number, got {value!r}"
        if v < 0:
            return f"must not be negative, got {value!r}"
    bounded = re.search(r"\brange\s+(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)", help_text)
    if bounded:
        lo, hi = float(bounded[1]), float(bounded[2])
        if any(not lo <= v <= hi for v in nums):
            return f"must lie in [{lo:g}, {hi:g}], got {value!r}"
    elif re.search(r"share|probability", name) and not isinstance(default, (list, dict)):
        if any(v > 1 for v in nums):
            return f"is a share, between 0 and 1, got {value!r}"
    if "YYYY-MM-DD" in help_text:
        texts = [v for v in values if isinstance(v, str)]
        bad = [v for v in texts if not _date_ok(v)]
        if bad:
            return f"must be a date as YYYY-MM-DD, got {bad[0]!r}"
    return None


class ReportParams(_Strict):
    """One report run, as read from a parameters YAML file.

    Parameters
    ----------
    run_name : str
        Report folder name (``reports/<run_name>``); letters, digits, ``_ . -``.
    title : str
        Title of the report (index page and every HTML page).
    data : DataSpec
        Where the data come from (:class:`workbench.data.DataSpec`).
    privacy : PrivacyParams
        Small-count threshold.
    summary_months : int, default 12
        Length of the index page's executive-summary period, months (1 to 60): the last
        ``summary_months`` months of data are compared with the equal period before
        (:func:`workbench.sections.summary.summarize`).
    now : NowParams
        The index's *Now* block: its two recent periods (``short_days`` 7, ``long_days`` 28)
        and method settings.
    audience : {"policy", "research"}, default "policy"
        Who the report is for. ``research`` passes ``researcher_mode=True`` to every notebook
        that declares it (unless ``notebook_parameters`` sets it), publishes under
        ``reports/<run_name>-research`` and marks every page as restricted; ``policy`` refuses
        ``researcher_mode`` set to anything but false.
    notebooks : list of str
        Notebook names run in order, from ``<notebooks_dir>/<name>.ipynb``.
    notebook_parameters : dict
        Per-notebook parameter overrides; every key must be a notebook of this run and every
        parameter a name of that notebook's ``parameters`` cell.
    execution : ExecutionParams
        Timeouts.
    notebooks_dir : path, optional
        Folder of the notebooks (default: the repository's ``notebooks/``).
    keep_runs : int, default 10
        Summaries of the last ``keep_runs`` runs kept in the report's ``history/`` folder (1 to
        1000; see :mod:`workbench.report.history`).
    compare_with : str, default "previous"
        The earlier run the index's "What changed" part compares with: ``previous``, a number
        ``n`` (``n`` runs back, at most ``keep_runs``) or an ISO date ``YYYY-MM-DD`` (the last
        run finished on or before that day).
    """

    run_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=100)
    title: str = Field(min_length=1)
    data: DataSpec
    privacy: PrivacyParams = PrivacyParams()
    summary_months: int = Field(12, ge=1, le=60)
    now: NowParams = NowParams()
    audience: Literal["policy", "research"] = "policy"  # workbench.privacy.AUDIENCES
    notebooks_dir: Path = DEFAULT_NOTEBOOKS_DIR
    notebooks: list[str] = Field(default_factory=lambda: ["00_data_overview"], min_length=1)
    notebook_parameters: dict[str, dict[str, Any]] = Field(default_factory=dict)
    execution: ExecutionParams = ExecutionParams()
    keep_runs: int = Field(10, ge=1, le=1000)
    compare_with: str = "previous"

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: str = PrivateAttr(default="<parameters>")

    @field_validator("notebooks_dir")
    @classmethod
    def _dir_exists(cls, v: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir")
        if not v.is_absolute() and base is not None:
            v = Path(base) / v
        v = v.resolve()
        if not v.is_dir():
            raise ValueError(f"folder {v} does not exist")
        return v

    @field_validator("notebooks")
    @classmethod
    def _notebooks_exist(cls, v: list[str], info: ValidationInfo) -> list[str]:
        import re

        folder = info.data.get("notebooks_dir")
        problems = []
        bad = [n for n in v if not re.match(_NOTEBOOK_NAME, n)]
        if bad:
            raise ValueError(
                f"notebook name(s) {', '.join(map(repr, bad))} are not plain names (letters, digits, "
                "'_', '-', '.'; no folder, no '..'); put the notebooks in notebooks_dir instead"
            )
        if len(set(v)) != len(v):
            problems.append("a notebook is listed twice")
        if folder is not None:
            missing = [n for n in v if not (folder / f"{n}.ipynb").is_file()]
            if missing:
                problems.append(
                    f"no notebook {', '.join(missing)} in {folder} "
                    f"(available: {', '.join(sorted(p.stem for p in folder.glob('*.ipynb'))) or 'none'})"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return v

    @field_validator("notebook_parameters")
    @classmethod
    def _known_parameters(
        cls, v: dict[str, dict[str, Any]], info: ValidationInfo
    ) -> dict[str, dict[str, Any]]:
        folder = info.data.get("notebooks_dir")
        notebooks = info.data.get("notebooks")
        audience = info.data.get("audience")  # None when the audience itself is invalid
        problems = []
        research_in: list[str] = []
        for nb, overrides in v.items():
            if notebooks is not None and nb not in notebooks:
                problems.append(f"'{nb}' is not one of the notebooks of this run")
                continue
            mode = overrides.get(RESEARCHER_MODE)
            if audience == "policy" and not (mode is None or mode is False):
                research_in.append(nb)
            reserved = sorted(set(overrides) & RESERVED_PARAMETERS)
            if reserved:
                problems.append(f"{nb}: {', '.join(reserved)} are set by the runner")
            if folder is None or not (folder / f"{nb}.ipynb").is_file():
                continue
            specs = notebook_parameter_specs(folder / f"{nb}.ipynb")
            known = set(specs)
            unknown = sorted(set(overrides) - known - RESERVED_PARAMETERS)
            if unknown:
                problems.append(
                    f"{nb}: unknown parameter(s) {', '.join(unknown)} "
                    f"(known: {', '.join(sorted(known - RESERVED_PARAMETERS)) or 'none'})"
                )
            for key in sorted(set(overrides) & known - RESERVED_PARAMETERS):
                bad_value = check_notebook_value(key, specs[key], overrides[key])
                if bad_value:
                    problems.append(f"{nb}.{key}: {bad_value}")
        if research_in:
            problems.append(
                f"{', '.join(research_in)}: {RESEARCHER_MODE} is on, but this is a policy report "
                "(audience: policy, the default), which never shows person-level rows or exact "
                "points. For the research version add 'audience: research' to the file (it turns "
                f"{RESEARCHER_MODE} on in every notebook that has it and publishes under "
                f"reports/<run_name>-research); otherwise remove {RESEARCHER_MODE}"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return v

    @field_validator("compare_with", mode="before")
    @classmethod
    def _compare_with(cls, v: Any, info: ValidationInfo) -> str:
        from datetime import date

        if isinstance(v, date):  # YAML reads 2026-11-01 as a date
            return v.isoformat()[:10]
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise ValueError(f"must be 'previous', a number of runs back or a date YYYY-MM-DD, got {v!r}")
        text = str(v).strip()
        if text == "previous":
            return text
        if text.isdigit():
            n, keep = int(text), info.data.get("keep_runs")
            if n < 1:
                raise ValueError("a number of runs back must be at least 1 (1 is the previous run)")
            if keep is not None and n > keep:
                raise ValueError(f"{n} runs back, but only keep_runs={keep} runs are kept; raise keep_runs")
            return str(n)
        try:
            date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"must be 'previous', a number of runs back or a date YYYY-MM-DD, got {v!r}") from None
        return text

    # -- derived -------------------------------------------------------------------------
    @property
    def base_dir(self) -> Path:
        """Folder of the parameter file; relative paths resolve against it."""
        return self._base_dir

    @property
    def source(self) -> str:
        """The parameter file this came from."""
        return self._source

    def notebook_path(self, name: str) -> Path:
        """Path of the notebook ``name``."""
        return self.notebooks_dir / f"{name}.ipynb"

    def researcher_mode(self, name: str) -> bool:
        """Whether notebook ``name`` runs with person-level content (``researcher_mode``).

        True only in a research run, for a notebook whose ``parameters`` cell declares
        ``researcher_mode``, unless ``notebook_parameters`` sets it (then that value decides).
        """
        overrides = self.notebook_parameters.get(name, {})
        if RESEARCHER_MODE in overrides:
            return self.audience == "research" and bool(overrides[RESEARCHER_MODE])
        if self.audience != "research":
            return False
        return RESEARCHER_MODE in notebook_parameter_names(self.notebook_path(name))

    def parameters_for(self, name: str, data_dir: str | Path) -> dict[str, Any]:
        """Everything injected into notebook ``name`` (runner parameters + overrides).

        In a research run, ``researcher_mode=True`` is added for every notebook that declares
        it and whose ``notebook_parameters`` do not set it (:meth:`researcher_mode`).
        """
        injected: dict[str, Any] = {
            "data_dir": str(data_dir),
            "run_name": self.run_name,
            "title": self.title,
            "min_count": self.privacy.min_count,
        }
        overrides = self.notebook_parameters.get(name, {})
        if self.audience == "research" and RESEARCHER_MODE not in overrides and self.researcher_mode(name):
            injected[RESEARCHER_MODE] = True
        injected.update(overrides)
        return injected


def _loc(parts: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in parts) or "(file)"


def load_params(path: str | Path) -> ReportParams:
    """Read and check a parameters YAML file.

    Parameters
    ----------
    path : path
        The YAML file. Relative paths inside it resolve against its folder.

    Returns
    -------
    ReportParams

    Raises
    ------
    ParameterError
        Listing every problem (unknown keys, wrong types, impossible values, missing
        notebooks, unknown notebook parameters) before anything runs.
    """
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PARAMS_BYTES:
            raise ParameterError(source, [("(file)", f"{size:,} bytes; a parameter file may have at most "
                                           f"{MAX_PARAMS_BYTES:,} (is this the right file?)")])
        raw = safe_yaml_load(path.read_text())
    except FileNotFoundError:
        raise ParameterError(source, [("(file)", "file not found")]) from None
    except OSError as e:
        raise ParameterError(source, [("(file)", f"cannot read: {e}")]) from None
    except yaml.YAMLError as e:
        raise ParameterError(source, [("(file)", f"not valid YAML: {e}")]) from None
    except _YamlTooLarge as e:
        raise ParameterError(source, [("(file)", str(e))]) from None
    if not isinstance(raw, dict):
        raise ParameterError(source, [("(file)", "must be a mapping of keys to values")])
    base_dir = path.resolve().parent
    try:
        params = ReportParams.model_validate(raw, context={"base_dir": base_dir})
    except ValidationError as e:
        problems = [(_loc(err["loc"]), err["msg"]) for err in e.errors()]
        raise ParameterError(source, problems) from None
    params._base_dir = base_dir
    params._source = source
    problems = path_problems(params)
    if problems:
        raise ParameterError(source, problems)
    return params


def path_problems(params: ReportParams) -> list[tuple[str, str]]:
    """Paths of the parameter file that resolve outside the allowed roots.

    Checked: ``notebooks_dir``, ``data.source`` (a folder or SQLite file), ``data.study_area``
    and every table's ``files``. A relative path may use ``..`` only as long as it stays inside
    a root. Returns ``(field, problem)`` pairs.
    """
    from .guard import FolderError, allowed_roots, check_within_roots

    base = params.base_dir
    roots = allowed_roots(base)
    spec = params.data
    checks: list[tuple[str, Path]] = [("notebooks_dir", params.notebooks_dir)]
    if "://" not in spec.source:
        checks.append(("data.source", spec.source_path(base)))
    elif spec.source.startswith("sqlite:///") and spec.sql_url(base) != "sqlite:///:memory:":
        checks.append(("data.source", Path(spec.sql_url(base)[len("sqlite:///"):])))
    if spec.study_area:
        checks.append(("data.study_area", spec.resolve_path(spec.study_area, base)))
    for table, mapping in spec.tables.items():
        for f in mapping.files or []:
            checks.append((f"data.tables.{table}.files", spec.resolve_path(f, base)))
    problems = []
    for where, p in checks:
        try:
            check_within_roots(p, roots, where)
        except FolderError as e:
            problems.append((where, str(e).split(": ", 1)[1]))
    return problems


class _YamlTooLarge(ValueError):
    pass


def safe_yaml_load(text: str, max_nodes: int = MAX_YAML_NODES) -> Any:
    """``yaml.safe_load`` with a bound on what anchors and aliases may expand to.

    The document is composed first (aliases are shared nodes there, cheap); its size with every
    alias expanded is counted (memoized per node) and a recursive alias or more than
    ``max_nodes`` nodes is refused before anything is built.

    Raises
    ------
    yaml.YAMLError
        Not valid YAML.
    ValueError
        The expanded document would be too large or is recursive.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        sizes: dict[int, int] = {}
        active: set[int] = set()

        def size(n: yaml.Node) -> int:
            key = id(n)
            if key in sizes:
                return sizes[key]
            if key in active:
                raise _YamlTooLarge("a YAML alias refers to itself (recursive anchor); not allowed")
            active.add(key)
            total = 1
            if isinstance(n, yaml.SequenceNode):
                total += sum(size(c) for c in n.value)
            elif isinstance(n, yaml.MappingNode):
                total += sum(size(k) + size(v) for k, v in n.value)
            active.discard(key)
            sizes[key] = total
            if total > max_nodes:
                raise _YamlTooLarge(
                    f"the document expands to more than {max_nodes:,} values (YAML anchors and "
                    "aliases repeat their content); a parameter file this large is refused"
                )
            return total

        size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
