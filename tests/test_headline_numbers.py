"""One definition of each headline number across pages (issue 12 section 4).

The index's *Past victims still unserved* (workbench.sections.summary) and the past-victims page
(notebook 04, ``outreach.still_unserved``) count the same people: shot before the program start,
alive, no referral by the date.
"""

from __future__ import annotations

from workbench import outreach
from workbench.response import infer_program_start
from workbench.sections.summary import key_numbers, summary_period


def test_index_and_past_victims_page_agree(tiny_dataset):
    ds = tiny_dataset
    p = summary_period(ds, 12)
    unserved = next(k for k in key_numbers(ds, min_count=1, period=p) if k.key == "past_victims_unserved")
    start = infer_program_start(ds)
    past = outreach.past_victims(ds, start, as_of=p.end)
    n = outreach.still_unserved(past)
    assert unserved.current == n
    # by hand: shot before the start, never referred
    assert n == int((past["before_program"] & ~past["referred"]).sum()) > 0
    # the trend's last period counts the same people when it ends at the same date
    trend = outreach.unserved_trend(ds, past)
    assert trend["past_victims"].iloc[-1] == int(past["before_program"].sum())
    # the page's tables count a wider group (never referred, including after the start): said in the text
    wide = outreach.past_victim_counts(past, "area")["unserved"].sum()
    assert wide >= n
