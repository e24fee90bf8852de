"""The house plan: data flows one way, floor by floor (README "Layout").

Every ``import`` in ``src/workbench`` (module level or inside a function) is read with ``ast``; a
module may import only its own floor and the floors below it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "workbench"

#: floor of each top-level part of the package (lower may not import higher)
FLOORS = {
    "_lazy": 0, "_warnings": 0, "_memory": 0, "redact": 0, "escape": 0, "assets": 0,
    "data": 1, "synth": 2, "privacy": 1, "formatting": 1, "fairness": 1,
    "spatial": 3, "network": 3, "survival": 3, "response": 3, "outreach": 3, "dosage": 3,
    "sections": 4,
    "maps": 5, "plots": 5,
    "report": 6, "explore": 6, "cli": 7, "__main__": 7, "__init__": 7,
}
ANALYSES = ("spatial", "network", "survival", "response", "outreach", "dosage")


def _part(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imported_parts(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = path.relative_to(SRC).parts
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = list(own[:-1])[: len(own) - node.level] if node.level > 1 else list(own[:-1])
                mod = ".".join(base + ([node.module] if node.module else []))
                names = ["workbench." + mod] if mod else [f"workbench.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
                if node.module == "workbench":
                    names = [f"workbench.{a.name}" for a in node.names]
        else:
            continue
        for n in names:
            parts = n.split(".")
            if parts[0] == "workbench" and len(parts) > 1:
                out.add(parts[1])
    return out


MODULES = sorted(p for p in SRC.rglob("*.py") if _part(p) in FLOORS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_a_module_imports_only_its_floor_and_below(path):
    me = _part(path)
    above = sorted(p for p in _imported_parts(path) if p in FLOORS and FLOORS[p] > FLOORS[me] and p != me)
    assert not above, f"{path.relative_to(SRC)} ({me}, floor {FLOORS[me]}) imports {above} from a higher floor"


def test_every_part_of_the_package_has_a_floor():
    parts = {_part(p) for p in SRC.rglob("*.py")}
    assert parts <= set(FLOORS), sorted(parts - set(FLOORS))


def test_analyses_never_import_sections_drawing_or_reporting():
    bad = {}
    for path in MODULES:
        if _part(path) in ANALYSES:
            hit = _imported_parts(path) & {"sections", "maps", "plots", "report", "explore"}
            if hit:
                bad[str(path.relative_to(SRC))] = sorted(hit)
    assert not bad, bad


def test_notebooks_are_calls_and_prose():
    """Report notebooks: under 80 lines of code each, no raw pandas ``Styler`` (text from data goes
    through ``policy_table``/``escape_frame``/``sections.page.show``), no catch-all ``except`` and no
    blanket warning filter (typed warnings reach the page through ``sections.page.cautions``)."""
    import nbformat

    root = SRC.parents[1] / "notebooks"
    for path in sorted(root.glob("0*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert len(code.splitlines()) < 80, (path.name, len(code.splitlines()))
        assert ".style" not in code, path.name
        assert "except Exception" not in code and "simplefilter" not in code, path.name
