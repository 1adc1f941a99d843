"""optimizer.fmt: the one formatter; each case is one of issue 21's item 8 complaints."""

from __future__ import annotations

import math

import pytest

from optimizer import fmt


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (169_046_363_103.19, "$169.05B"),
        (-465_446_422.0, "-$465.45M"),  # was "$-465.45M"
        (999_999_999.0, "$1.00B"),  # was "$1,000.00M" beside "$1.00B"
        (999_995_000.0, "$1.00B"),
        (7_739_575.97, "$7.74M"),
        (12_000.0, "$12.00k"),  # "k", never "K"
        (999.999, "$1.00k"),
        (7.5, "$7.50"),
        (-0.001, "$0.00"),  # no "-$0.00"
        (2.4e13, "$24.00T"),
        (None, "-"),
        (math.nan, "-"),
        (math.inf, "infinite"),
    ],
)
def test_usd(x: float | None, text: str) -> None:
    assert fmt.usd(x) == text


def test_usd_three_significant_digits_for_charts() -> None:
    assert [fmt.usd(x, None) for x in (1.294e9, 3.63e8, 1.2e4, 3.9e6, 12.0, 0.5)] == [
        "$1.29B",
        "$363M",
        "$12k",
        "$3.9M",
        "$12",
        "$0.5",
    ]


def test_token_quantities_never_raw_or_scientific() -> None:
    """2,667,074,234 Mtok reads 2.67B Mtok; 3.6e+11 reads 359.89B."""
    assert fmt.mtok(2_667_074_233.99) == "2.67B Mtok"
    assert fmt.quantity(359_890_007_478.46) == "359.89B"
    assert fmt.quantity(950) == "950"
    assert fmt.count(3668.0) == "3,668"


def test_percentages_and_changes() -> None:
    """A change against a base of zero or less is n/a (was "+5060.3%" over -$3.41B)."""
    assert fmt.pct(0.15) == "15.0%"
    assert fmt.change(169.05, 152.61) == "+10.8%"
    assert fmt.change(169.05, -3.41) == "n/a"
    assert fmt.change(169.05, 0.0) == "n/a"
    assert fmt.pct(0.0, signed=True) == "0.0%"


def test_prices_per_mtok() -> None:
    assert [fmt.price(x) for x in (150.0, 1.8, 0.2, 0.0483, 0.0)] == [
        "$150",
        "$1.80",
        "$0.20",
        "$0.048",
        "$0.00",
    ]


def test_the_formatters_people_read_are_this_one() -> None:
    """The terminal/Markdown report, the HTML report, charts and two-stage text agree."""
    from optimizer.plots import fmt_usd
    from optimizer.report.model import fmt_value

    x = -465_446_422.0
    assert fmt_value(x, "USD") == fmt.usd(x) == "-$465.45M"
    assert fmt_usd(x) == "-$465M"
    assert fmt_value(2_667_074_233.99, "Mtok") == "2.67B"


def test_period_errors_write_integer_labels_as_numbers() -> None:
    """Issue 21 item 9: "no period '2031' (periods: ['2026'])" read as if labels were text."""
    from optimizer import InputError, load_instance
    from optimizer.sweep.spec import base_value, parse_key

    from conftest import base

    doc = base()
    doc["periods"] = [2026, 2027]
    doc["hardware"][0]["available_from"] = 2031
    with pytest.raises(InputError) as exc:
        load_instance(doc)
    assert "hardware[0].available_from: 2031 is not one of periods 2026, 2027" in str(exc.value)
    doc["hardware"][0].pop("available_from")
    inst = load_instance(doc)
    with pytest.raises(InputError, match=r"no period 2031 \(periods: 2026, 2027\)$"):
        base_value(inst.model_dump(), parse_key("site.power_mw[2031]"), list(inst.periods))
