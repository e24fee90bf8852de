"""One definition of each headline number across pages (issue 12 section 4).

The index's *Past victims still unserved* (the summary) and the past-victims page (notebook 04,
:func:`workbench.sections.past_victims.past_victims_section`) count the same people with the one
function :func:`workbench.outreach.unserved_past_victims`: shot before the program start, alive,
no referral by the date.
"""

from __future__ import annotations

from workbench import outreach
from workbench.response import infer_program_start
from workbench.sections.summary import key_numbers, summary_period


def test_index_and_past_victims_page_agree(tiny_dataset):
    ds = tiny_dataset
    p = summary_period(ds, 12)
    unserved = next(k for k in key_numbers(ds, min_count=1, period=p) if k.key == "past_victims_unserved")
    u = outreach.unserved_past_victims(ds)  # the page's default: program start inferred, at the data end
    assert u.as_of == p.end and u.program_start == infer_program_start(ds) and u.program_start_inferred
    past = u.past
    n = outreach.still_unserved(past)
    assert unserved.current == n == u.n
    # by hand: shot before the start, never referred
    assert n == int((past["before_program"] & ~past["referred"]).sum()) > 0
    # the trend's last period counts the same people when it ends at the same date
    trend = outreach.unserved_trend(ds, past)
    assert trend["past_victims"].iloc[-1] == int(past["before_program"].sum())
    assert trend["unserved"].iloc[-1] == n
    # the page's tables count a wider group (never referred, including after the start): said in the text
    wide = outreach.past_victim_counts(past, "area")["unserved"].sum()
    assert wide >= n
