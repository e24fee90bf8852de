"""The report's ``index.html``: links to every notebook page plus the run metadata."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # pragma: no cover
    from .params import ReportParams
    from .runner import NotebookRun

__all__ = ["SECRET_KEYS", "render_index", "rendered_parameters"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#1f2933;line-height:1.5}
h1{font-size:1.8rem;margin-bottom:.2rem}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #cbd2d9;padding:.3rem .7rem;text-align:left;vertical-align:top}
th{background:#f0f4f8}pre{background:#f5f7fa;padding:.8rem;overflow-x:auto;font-size:.85rem}
.ok{color:#1b7e3c}.failed{color:#b42318}code{font-size:.85rem}
"""


def _hide_password(source: str) -> str:
    if "://" not in source:
        return source
    try:
        from sqlalchemy.engine import make_url

        return make_url(source).render_as_string(hide_password=True)
    except Exception:  # not a SQLAlchemy URL: show as is
        return source


#: Parameter keys whose values are secrets (pseudonymisation salts, passwords): never shown.
SECRET_KEYS = ("salt", "password", "secret", "token")


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("***" if any(s in str(k).lower() for s in SECRET_KEYS) else _mask(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def rendered_parameters(params: "ReportParams") -> str:
    """The run's parameters as YAML: what the file set, plus the privacy threshold.

    Secrets are masked: salts of pseudonymous ids (knowing one lets anyone with the source
    rows recompute the pseudonyms) and database passwords.
    """
    data: dict[str, Any] = params.model_dump(mode="json", exclude_unset=True)
    data.pop("notebooks_dir", None)
    data.setdefault("privacy", {})["min_count"] = params.privacy.min_count
    data["notebooks"] = list(params.notebooks)
    src = data.get("data", {}).get("source")
    if isinstance(src, str):
        data["data"]["source"] = _hide_password(src)
    return yaml.safe_dump(_mask(data), sort_keys=False, default_flow_style=False)


def render_index(
    params: "ReportParams",
    runs: Sequence["NotebookRun"],
    *,
    fingerprint: str,
    version: str,
    started: str,
    finished: str,
) -> str:
    """HTML of the index page.

    Parameters
    ----------
    params : ReportParams
        The run's parameters.
    runs : sequence of NotebookRun
        Notebooks in run order (name, status, duration, html file name).
    fingerprint : str
        SHA-256 of the data (:meth:`workbench.data.Dataset.fingerprint`).
    version : str
        ``workbench`` package version.
    started, finished : str
        Time-zone-aware ISO 8601 times of the run.
    """
    e = html.escape
    rows = "\n".join(
        f"<tr><td><a href=\"{e(r.html.name if r.html else '')}\">{e(r.name)}</a></td>"
        f"<td class=\"{e(r.status)}\">{e(r.status)}</td><td>{r.duration_s:.1f} s</td>"
        f"<td><a href=\"notebooks/{e(r.name)}.ipynb\">notebook</a></td></tr>"
        for r in runs
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(params.title)}</title><style>{_CSS}</style></head>
<body>
<h1>{e(params.title)}</h1>
<p>Violence Response Workbench report <code>{e(params.run_name)}</code>.
Counts below {params.privacy.min_count} are suppressed in every page.</p>
<h2>Pages</h2>
<table><tr><th>Page</th><th>Status</th><th>Run time</th><th>For researchers</th></tr>
{rows}
</table>
<h2>Run</h2>
<table>
<tr><th>Started</th><td>{e(started)}</td></tr>
<tr><th>Finished</th><td>{e(finished)}</td></tr>
<tr><th>Data fingerprint (SHA-256)</th><td><code>{e(fingerprint)}</code></td></tr>
<tr><th>workbench version</th><td>{e(version)}</td></tr>
<tr><th>Parameter file</th><td><code>{e(params.source)}</code></td></tr>
</table>
<h2>Parameters</h2>
<pre>{e(rendered_parameters(params))}</pre>
</body></html>
"""
