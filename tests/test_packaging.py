"""The install story: pyproject.toml, environment.yml, constraints.txt and .ci/run agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
_NAME = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _split(requirement: str) -> tuple[str, str]:
    match = _NAME.match(requirement)
    assert match, requirement
    name, spec = match.groups()
    spec = re.sub(r"^\[[^\]]*\]", "", spec.strip())  # extras: psycopg[binary] is conda's psycopg
    return re.sub(r"[-_.]+", "-", name).lower(), spec.replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["test"]
    return dict(_split(r) for r in reqs)


def _environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    listed = conda + [d for d in pip if not d.startswith("-")]
    return dict(_split(d) for d in listed if _split(d)[0] not in {"python", "pip"})


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    assert _environment_requirements() == _pyproject_requirements()


def test_environment_yml_installs_the_package_and_uses_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    pip_section = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert "-e ." in pip_section
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert python == ["python>=3.11"]


def test_constraints_pin_every_direct_dependency_at_or_above_its_lower_bound():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#") and "==" in line:
            name, version = line.split("==")
            pins[_split(name)[0]] = version
    for name, spec in _pyproject_requirements().items():
        assert name in pins, f"{name} is not pinned in constraints.txt"
        lower = re.search(r">=([0-9][0-9.]*)", spec)
        if lower:
            have = tuple(int(x) for x in pins[name].split(".") if x.isdigit())
            want = tuple(int(x) for x in lower.group(1).strip(".").split("."))
            assert have >= want, f"{name}: pinned {pins[name]} below the lower bound {spec}"


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", readme, flags=re.S)
    first_two = [c.strip() for c in commands[:2]]
    assert first_two[0] == "make report"
    assert first_two[1] == "make test"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "\nmake test\n" in ci


def test_python_floor_is_3_11():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"]["workbench"] == "workbench.cli:main"
