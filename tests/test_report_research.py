"""Research-audience report runs: researcher mode, restricted banner, own folder, audience scan.

One tiny research run (01_places, 02_people, 04_past_victims on the tiny city, light
parameters) is shared by the module; every other test is a load-time check or a run of the
small fixture notebook.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
import yaml
from conftest import html_text

from workbench.privacy import PrivacyError, check_export, forbidden_ids, forbidden_names
from workbench.report import ParameterError, load_params, run_report
from workbench.report.commands import _batch_plan
from workbench.report.export import RESEARCH_BANNER, export_html
from workbench.report.runner import AUDIENCE_FILE, default_out, report_audience

NOTEBOOKS = ["01_places", "02_people", "04_past_victims"]
LIGHT = {
    "01_places": {"permutations": 99, "kde_cell_m": 100},
    "02_people": {"horizon_days": 60, "n_cutoffs": 4, "refit_months": 2, "n_boot": 3, "min_group_size": 10},
}


def _tokens(page: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9_\-]+", page))


def _params_file(folder: Path, source: Path, audience: str | None = "research", name: str = "tiny",
                 notebooks=NOTEBOOKS, notebook_parameters=None, **extra) -> Path:
    data = {"run_name": name, "title": "Tiny city",
            "data": {"name": "tiny", "source": str(source), "timezone": "America/Chicago"},
            "notebooks": list(notebooks),
            "notebook_parameters": LIGHT if notebook_parameters is None else notebook_parameters,
            "execution": {"cell_timeout_s": 300}, **extra}
    if audience is not None:
        data["audience"] = audience
    path = folder / f"{name}-{audience or 'default'}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def research_report(tiny_city, tmp_path_factory):
    """The research run, published from the default folder (``reports/tiny-research``)."""
    work = tmp_path_factory.mktemp("research")
    params = _params_file(work, tiny_city)
    with contextlib.chdir(work):  # default_out is relative to the current directory
        result = run_report(params, progress=False)
    return result, work


# -- the research run -----------------------------------------------------------------------
def test_research_run_publishes_under_research_folder(research_report):
    result, work = research_report
    assert result.out == (work / "reports" / "tiny-research").absolute()
    assert result.audience == "research"
    assert [r.status for r in result.notebooks] == ["ok"] * len(NOTEBOOKS)
    assert sorted(p.name for p in (work / "reports").iterdir()) == ["tiny-research"]  # no policy folder
    assert report_audience(result.out) == "research"
    assert (result.out / AUDIENCE_FILE).read_text().splitlines()[0] == "research"
    executed = (result.out / "notebooks" / "02_people.ipynb").read_text()
    assert "researcher_mode = True" in executed  # injected by the runner, not by the file


def test_person_pages_show_pseudonymous_ids_and_no_names(research_report, tiny_dataset):
    result, _ = research_report
    people_ids = set(tiny_dataset["people"]["person_id"].astype(str))
    names = forbidden_names(tiny_dataset)
    for name in ("02_people", "04_past_victims"):
        page = (result.out / f"{name}.html").read_text(encoding="utf-8")
        shown = people_ids & _tokens(page)
        assert len(shown) >= 5, (name, len(shown))  # a person-level list is on the page
        assert "researcher mode is off" not in html_text(page)
        assert not any(n.lower() in page.lower() for n in names)
        check_export(page, tiny_dataset, where=f"{name}.html", audience="research")  # passes
        with pytest.raises(PrivacyError) as err:  # ... and the policy scan would refuse it
            check_export(page, tiny_dataset, where=f"{name}.html", audience="policy")
        assert {f.kind for f in err.value.findings} == {"person_id"}
        assert "Policy HTML must not show" in str(err.value)


def test_places_page_is_the_researcher_view(research_report):
    result, _ = research_report
    text = html_text((result.out / "01_places.html").read_text(encoding="utf-8"))
    assert "View: researcher" in " ".join(text.split())
    assert "Not shown in the policy view" not in text


def test_every_page_carries_the_banner_first(research_report, tiny_dataset):
    result, _ = research_report
    pages = sorted(result.out.glob("*.html"))
    assert [p.stem for p in pages] == sorted(["index", *NOTEBOOKS])
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert html.count(RESEARCH_BANNER) == 1, page.name
        body = html[html.index("<body"):]
        assert body.index(RESEARCH_BANNER) < body.index("<h1" if page.stem == "index" else "jp-Cell"), page.name
    index = (result.out / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<th>Audience</th><td>research ", index)
    check_export(index, tiny_dataset, where="index.html")  # the index itself shows no person id
    assert "audience: research" in index  # the parameters block records it too


# -- parameters -----------------------------------------------------------------------------
def test_policy_file_with_researcher_mode_is_refused_at_load(tmp_path, tiny_city):
    params = _params_file(tmp_path, tiny_city, audience=None,
                          notebook_parameters={"02_people": {"horizon_days": 60, "researcher_mode": True},
                                               "04_past_victims": {"researcher_mode": False}})
    with pytest.raises(ParameterError) as err:
        load_params(params)
    problems = dict(err.value.problems)
    assert list(problems) == ["notebook_parameters"]
    msg = problems["notebook_parameters"]
    assert "02_people" in msg and "04_past_victims" not in msg  # false is fine in a policy file
    assert "audience: research" in msg
    # explicitly policy: the same refusal; research: accepted
    with pytest.raises(ParameterError, match="02_people"):
        load_params(_params_file(tmp_path, tiny_city, audience="policy",
                                 notebook_parameters={"02_people": {"researcher_mode": True}}))
    assert load_params(_params_file(tmp_path, tiny_city, notebook_parameters={
        "02_people": {"researcher_mode": True}})).audience == "research"


def test_unknown_audience_is_a_parameter_error(tmp_path, tiny_city):
    with pytest.raises(ParameterError) as err:
        load_params(_params_file(tmp_path, tiny_city, audience="researchers"))
    assert list(dict(err.value.problems)) == ["audience"]


def test_researcher_mode_injection(tmp_path, tiny_city):
    nbs = ["00_data_overview", *NOTEBOOKS]
    research = load_params(_params_file(tmp_path, tiny_city, notebooks=nbs,
                                        notebook_parameters={"04_past_victims": {"researcher_mode": False}}))
    injected = {n: research.parameters_for(n, "/data").get("researcher_mode") for n in nbs}
    # 00 has no researcher_mode; an explicit setting in the file wins
    assert injected == {"00_data_overview": None, "01_places": True, "02_people": True,
                        "04_past_victims": False}
    assert [research.researcher_mode(n) for n in nbs] == [False, True, True, False]
    policy = load_params(_params_file(tmp_path, tiny_city, audience=None, notebooks=nbs, notebook_parameters={}))
    assert all("researcher_mode" not in policy.parameters_for(n, "/data") for n in nbs)
    assert not any(policy.researcher_mode(n) for n in nbs)
    assert default_out(research) == Path("reports/tiny-research") and default_out(policy) == Path("reports/tiny")


def test_batch_puts_research_beside_policy(tmp_path, tiny_city):
    files = [str(_params_file(tmp_path, tiny_city, audience=a, notebooks=["00_data_overview"],
                              notebook_parameters={})) for a in (None, "research")]
    plan, refused = _batch_plan(files, str(tmp_path / "out"))
    assert refused == []
    assert [Path(o).name for _, o in plan] == ["tiny", "tiny-research"]


# -- output folder ----------------------------------------------------------------------------
def test_research_never_replaces_or_enters_a_policy_report(write_params, tmp_path, fixture_notebooks):
    policy = tmp_path / "reports" / "t"
    run_report(write_params("t"), out=policy, progress=False)
    assert report_audience(policy) == "policy"
    before = {p.name: p.read_bytes() for p in policy.iterdir() if p.is_file()}
    research = write_params("t", name="t-research.yaml", audience="research")
    for out in (policy, policy / "inner"):
        with pytest.raises(ParameterError) as err:
            run_report(research, out=out, progress=False)
        assert dict(err.value.problems)["out"].startswith(f"the report folder {out.absolute()}")
        assert "policy report" in str(err.value)
    assert {p.name: p.read_bytes() for p in policy.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in policy.parent.iterdir()) == ["t"]  # nothing else was written
    # the policy report has no banner and no marker; a research report may be replaced by research
    assert RESEARCH_BANNER not in before["index.html"].decode() and AUDIENCE_FILE not in before
    again = policy.parent / "t-research"
    for _ in range(2):
        result = run_report(research, out=again, progress=False)
    assert result.audience == "research" and report_audience(again) == "research"
    assert RESEARCH_BANNER in (again / "ok.html").read_text(encoding="utf-8")
    # and a policy run never replaces the research report
    kept = (again / "index.html").read_bytes()
    with pytest.raises(ParameterError) as err:
        run_report(write_params("t"), out=again, progress=False)
    assert "is a research report" in dict(err.value.problems)["out"]
    assert (again / "index.html").read_bytes() == kept


# -- the privacy rules and the policy pages -------------------------------------------------------
def test_research_scan_still_refuses_names(tiny_dataset):
    from workbench.data.dataset import Dataset

    people = tiny_dataset["people"].copy()
    people["full_name"] = "Zebediah Quarrington"
    named = Dataset(tables={**tiny_dataset.tables, "people": people}, timezone=tiny_dataset.timezone,
                    crs=tiny_dataset.crs, name="named")
    pid = sorted(forbidden_ids(named))[0]
    check_export(f"<td>{pid}</td>", named, audience="research")
    with pytest.raises(PrivacyError) as err:
        check_export(f"<td>{pid}</td><td>zebediah quarrington</td>", named, audience="research")
    assert [f.kind for f in err.value.findings] == ["name"] and err.value.audience == "research"
    assert "never names" in str(err.value)
    with pytest.raises(ValueError, match="audience"):
        check_export("<p>x</p>", named, audience="public")


def test_policy_export_has_no_banner():
    from nbformat.v4 import new_markdown_cell, new_notebook

    nb = new_notebook(cells=[new_markdown_cell("# A page\n\nSome text.")])
    policy = export_html(nb, title="T")
    assert export_html(nb, title="T", audience="policy") == policy
    assert RESEARCH_BANNER not in policy and "wb-restricted" not in policy
    research = export_html(nb, title="T", audience="research")
    assert research.replace(research[research.index('<div class="wb-restricted"'):
                                      research.index("</div>", research.index("wb-restricted")) + 6], "") == policy
