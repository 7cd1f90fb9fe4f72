"""The review's hierarchies from the members' declarations, its criteria, and the segment
builder's rules: what a reviewer or analyst gets wrong is refused with a reason."""

from __future__ import annotations

import pytest

from samgak.analytics.errors import AnalyticsError
from samgak.analytics.review import MISSING, Criteria, hierarchy
from samgak.analytics.segments import rule_of


def test_interval_hierarchy_bands_each_level_within_the_one_above() -> None:
    ages = hierarchy({"name": "age", "hierarchy": {"interval": [5, 10, 20]}}, ["23", "27", "41", MISSING])
    assert ages.height == 5  # the value, three bands, *
    assert [ages.labels[level][ages.maps[level][0]] for level in range(5)] == [
        "23",
        "20–24",
        "20–29",
        "20–39",
        "*",
    ]
    assert ages.labels[1][ages.maps[1][3]] == MISSING and ages.labels[4] == ["*"]
    money = hierarchy({"name": "bill", "hierarchy": {"interval": [50_000]}}, ["120000"])
    assert money.labels[1] == ["100,000–149,999"]


def test_map_hierarchy_and_a_value_it_does_not_know() -> None:
    regions = hierarchy(
        {"name": "region", "hierarchy": {"map": [{"서울": "수도권", "부산": "영남권"}]}}, ["부산", "서울"]
    )
    assert regions.labels == [["부산", "서울"], ["영남권", "수도권"], ["*"]]
    with pytest.raises(AnalyticsError, match="제주"):
        hierarchy({"name": "region", "hierarchy": {"map": [{"서울": "수도권"}]}}, ["제주"])
    with pytest.raises(AnalyticsError, match="배수"):
        hierarchy({"name": "age", "hierarchy": {"interval": [5, 7]}}, ["20"])
    assert hierarchy({"name": "sex"}, ["F", "M"]).labels == [["F", "M"], ["*"]]


@pytest.mark.parametrize(
    "criteria",
    [Criteria(k=1), Criteria(suppression=0.5), Criteria(min_l=1), Criteria(max_t=0.0), Criteria(max_t=1.5)],
)
def test_criteria_out_of_range_are_refused(criteria: Criteria) -> None:
    with pytest.raises(AnalyticsError):
        criteria.check()


def test_segment_rule_from_the_builder_form() -> None:
    columns = {
        "age": {"kind": "values", "values": ["20–29", "30–39", "40–49"]},
        "card_spend": {"kind": "range", "min": 0, "max": 3_000_000},
        "sex": {"kind": "values", "values": ["F", "M"]},
    }
    form = {"in:age": ["20–29", "30–39", "99–99"], "min:card_spend": ["300,000"], "in:sex": ["F", "M"]}
    assert rule_of(form, columns) == {"age": {"in": ["20–29", "30–39"]}, "card_spend": {"min": 300_000}}
    with pytest.raises(AnalyticsError, match="숫자"):
        rule_of({"max:card_spend": ["많이"]}, columns)
