"""The survival estimators against R itself, on the same tables through ``Rscript``:
``cmprsk::crr`` (Fine-Gray), ``survival::finegray`` + ``coxph`` (the same weighted Cox with the
robust variance), ``cmprsk::cuminc`` (Aalen-Johansen, with ties and time-0 events) and
``survival::coxph`` (the Cox wrapper). Skipped where R or its packages are absent
(``.ci/run`` installs Debian's r-base-core, r-cran-survival and r-cran-cmprsk)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench import survival as S
from workbench.survival.finegray import FineGrayFitter, simulate_fine_gray

RSCRIPT = shutil.which("Rscript")


def _r_has(pkgs: tuple[str, ...]) -> bool:
    if RSCRIPT is None:
        return False
    code = "q(status = as.integer(!all(sapply(c(%s), requireNamespace, quietly = TRUE))))" % ", ".join(
        f'"{p}"' for p in pkgs)
    return subprocess.run([RSCRIPT, "-e", code], capture_output=True, timeout=120).returncode == 0


pytestmark = pytest.mark.skipif(not _r_has(("survival", "cmprsk")),
                                reason="R with the survival and cmprsk packages is not installed")


def run_r(script: str, tmp: Path) -> None:
    path = tmp / "script.R"
    path.write_text(script)
    res = subprocess.run([RSCRIPT, "--vanilla", str(path)], capture_output=True, text=True, timeout=300, cwd=tmp)
    assert res.returncode == 0, res.stderr


def test_fine_gray_matches_crr_and_finegray_coxph(tmp_path):
    d = simulate_fine_gray(800, beta1=(0.5, -0.5), seed=11)
    d.to_csv(tmp_path / "d.csv", index=False)
    run_r("""
suppressMessages({library(cmprsk); library(survival)})
d <- read.csv("d.csv")
f <- crr(d$time, d$status, cbind(x1 = d$x1, x2 = d$x2), failcode = 1, cencode = 0)
p <- predict(f, rbind(c(0, 0), c(1, -1)))
write.csv(data.frame(coef = f$coef, se = sqrt(diag(f$var))), "crr.csv", row.names = FALSE)
write.csv(data.frame(time = p[, 1], cif0 = p[, 2], cif1 = p[, 3]), "crr_pred.csv", row.names = FALSE)
d$id <- seq_len(nrow(d))
d$fstatus <- factor(d$status, 0:2, labels = c("cens", "c1", "c2"))
fg <- finegray(Surv(time, fstatus) ~ x1 + x2 + id, data = d, etype = "c1")
m <- coxph(Surv(fgstart, fgstop, fgstatus) ~ x1 + x2 + cluster(id), weights = fgwt, data = fg)
write.csv(data.frame(coef = coef(m), se = sqrt(diag(vcov(m)))), "fgcox.csv", row.names = FALSE)
""", tmp_path)
    crr = pd.read_csv(tmp_path / "crr.csv")
    fgcox = pd.read_csv(tmp_path / "fgcox.csv")
    fg = FineGrayFitter().fit(d, "time", "status", event_of_interest=1)
    b, se = fg.params_.to_numpy(), fg.standard_errors_.to_numpy()
    # the same estimating equation: coefficients agree to the optimizers' tolerance
    np.testing.assert_allclose(b, crr["coef"], atol=2e-5)
    np.testing.assert_allclose(b, fgcox["coef"], atol=2e-5)
    # the robust variance with G treated as known is coxph's on finegray data; crr adds a term for G
    np.testing.assert_allclose(se, fgcox["se"], rtol=1e-4)
    np.testing.assert_allclose(se, crr["se"], rtol=0.01)
    pred = pd.read_csv(tmp_path / "crr_pred.csv")
    ours = fg.predict_cumulative_incidence(pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.0, -1.0]}),
                                          pred["time"].to_numpy() + 1e-9)  # R's csv rounds the times
    np.testing.assert_allclose(ours.to_numpy(), pred[["cif0", "cif1"]].to_numpy(), atol=1e-5)


def test_cumulative_incidence_matches_cuminc_with_ties_and_zero_times(tmp_path):
    rng = np.random.default_rng(4)
    n = 300
    t = np.round(rng.exponential(15, n))  # whole days: ties across causes and zeros
    t[:100] = 0.0
    e = rng.choice([0, 1, 2], n, p=[0.2, 0.5, 0.3])
    e[:100] = 1
    pd.DataFrame({"t": t, "e": e}).to_csv(tmp_path / "d.csv", index=False)
    times = np.array([0.0, 5.0, 20.0, 60.0])
    run_r(f"""
suppressMessages(library(cmprsk))
d <- read.csv("d.csv")
ci <- cuminc(d$t, d$e, cencode = 0)
tp <- timepoints(ci, c({", ".join(map(str, times))}))
write.csv(data.frame(est1 = tp$est[1, ], est2 = tp$est[2, ]), "cuminc.csv", row.names = FALSE)
""", tmp_path)
    ref = pd.read_csv(tmp_path / "cuminc.csv")
    tab = pd.DataFrame({"outcome_days": t, "outcome": np.array(["censored", "engaged", "declined"])[e]})
    at = S.incidence_at(S.cumulative_incidence(tab, causes=["engaged", "declined"]), times)
    for cause, col in (("engaged", "est1"), ("declined", "est2")):
        np.testing.assert_allclose(at.loc[at["cause"] == cause, "cif"].to_numpy(), ref[col].to_numpy(), atol=1e-10)


def test_cox_wrapper_matches_coxph(synthetic_tiny, tmp_path):
    table = S.engagement_table(synthetic_tiny.dataset)
    res = S.fit_cox(table, covariates=["responder_type", "age", "on_scene_min"], check=False)
    assert res.fitted and res.penalizer == 0
    design, cols, _, _ = S.cox_design(table, ["responder_type", "age", "on_scene_min"])
    x = design[list(cols)].rename(columns=lambda c: "c" + str(list(cols).index(c)))
    x.assign(days=design["days"], engaged=design["engaged"].astype(int)).to_csv(tmp_path / "d.csv", index=False)
    run_r("""
suppressMessages(library(survival))
d <- read.csv("d.csv")
m <- coxph(Surv(days, engaged) ~ ., data = d, ties = "efron")
write.csv(data.frame(coef = coef(m), se = sqrt(diag(vcov(m)))), "cox.csv", row.names = FALSE)
""", tmp_path)
    ref = pd.read_csv(tmp_path / "cox.csv")
    np.testing.assert_allclose(res.summary["coef"], ref["coef"], atol=1e-4)
    np.testing.assert_allclose(res.summary["se"], ref["se"], rtol=1e-3)
