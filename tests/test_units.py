"""Number parsing and formatting: the forms the issue lists, errors, and round trips."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scaling_cli.core.errors import ScaleError
from scaling_cli.core.units import format_count, format_percent, format_sci, parse_number


@pytest.mark.parametrize(
    "text, value",
    [
        ("1e23", 1e23),
        ("7e9", 7e9),
        ("7B", 7e9),
        ("7b", 7e9),
        ("1.4T", 1.4e12),
        ("300M", 300e6),
        ("125m", 125e6),
        ("2.5k", 2500.0),
        ("1_000_000", 1e6),
        (" 70B ", 70e9),
        ("5.76e23", 5.76e23),
        ("1P", 1e15),
        ("0.5", 0.5),
    ],
)
def test_parse_accepts_the_documented_forms(text, value):
    assert parse_number(text) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text", ["banana", "", "7X", "nan", "inf", "-inf", "1e400", "1__0", "1_", "7BB", "1.2.3", "B"])
def test_parse_rejects_garbage_naming_the_text(text):
    with pytest.raises(ValueError) as raised:
        parse_number(text)
    assert repr(text) in str(raised.value)


@pytest.mark.parametrize(
    "value, text",
    [(70e9, "70.0B"), (1.4e12, "1.40T"), (300e6, "300M"), (2500, "2.50k"), (999.6e9, "1.00T"), (12, "12.0"), (3e15, "3.00e15")],
)
def test_format_count(value, text):
    assert format_count(value) == text


def test_format_sci_and_percent():
    assert format_sci(5.76e23) == "5.76e23"
    assert format_sci(1e-3) == "1.00e-3"
    assert format_percent(0.025) == "+2.5%"
    assert format_percent(None) == "-"


@given(st.floats(min_value=1e-2, max_value=1e30, allow_nan=False, allow_infinity=False))
def test_format_then_parse_round_trips_to_three_digits(value):
    # format_count keeps 3 significant digits: parsing it back is within half a unit of the last.
    assert parse_number(format_count(value)) == pytest.approx(value, rel=5e-3)


@given(st.floats(min_value=1.0, max_value=1e14, allow_nan=False), st.sampled_from(["", "k", "M", "B", "T"]))
def test_parse_then_format_round_trips(mantissa, suffix):
    text = f"{mantissa:.6g}{suffix}"
    value = parse_number(text)
    assert math.isfinite(value)
    assert parse_number(format_count(value)) == pytest.approx(value, rel=5e-3)


def test_docstring_examples_run():
    import doctest

    import scaling_cli
    import scaling_cli.core.units

    for module in (scaling_cli, scaling_cli.core.units):
        failures, tried = doctest.testmod(module)
        assert tried > 0 and failures == 0, module.__name__


def test_articles_and_plurals_read_as_spoken():
    from scaling_cli.core.units import article, plural

    assert [article(t) for t in ("8.00B", "11.5B", "18.0M", "80.0B", "1.00T", "110B", "7.00B")] == [
        "an 8.00B",
        "an 11.5B",
        "an 18.0M",
        "an 80.0B",
        "a 1.00T",
        "a 110B",
        "a 7.00B",
    ]
    assert plural(1, "GPU") == "1 GPU" and plural(1024, "GPU") == "1,024 GPUs"


def test_thousands_separators_are_whole_groups_of_three(cli):
    """#29: `5,000,000,000` was refused while `350 M` was accepted."""
    from scaling_cli.core.units import parse_number

    assert parse_number("5,000,000,000") == 5e9 and parse_number("1,000.5") == 1000.5 and parse_number("1,000k") == 1e6
    for text in ("5,00", "1,0000", ",000", "1_000,000", "1,,000"):
        with pytest.raises(ScaleError):
            parse_number(text)
    assert cli.json("overtrain", "--params", "7,000,000,000")["params"] == 7e9
    assert [row["tokens_per_param"] for row in cli.json("overtrain", "--params", "7e9", "--ratios", "20,50")["rows"]] == [20, 50]
