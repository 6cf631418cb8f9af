"""Numbers as people write them (``7B``, ``1.4T``, ``1e23``) and as the tool prints them.

Suffixes count in powers of a thousand, the way model and dataset sizes are quoted:
k = 1e3, M = 1e6, B (or G) = 1e9, T = 1e12, P = 1e15. Lower case works too: ``7b``,
``125m`` (in this field ``m`` on a count means million, never milli).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from .errors import NumberError

SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}

_NUMBER = re.compile(
    r"""^\s*
    (?P<mantissa>[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d[\d_]*)(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)
    \s*(?P<suffix>[kKmMbBgGtTpP]?)\s*$""",
    re.VERBOSE | re.ASCII,  # ASCII digits only: '١e23' and '１e23' are not numbers here
)
SMALLEST = 1e-300
"""Non-zero magnitudes below this (denormals such as 4e-324) are refused: no quantity here is that small."""

EXAMPLES = "like 1e23, 7e9, 7B, 1.4T, 300M, 2.5k or 1_000_000"


def parse_number(text: str) -> float:
    """Parse ``text`` as a finite number, with an optional size suffix.

    >>> parse_number("1.4T"), parse_number("2.5k"), parse_number("1_000_000"), parse_number("5,000,000")
    (1400000000000.0, 2500.0, 1000000.0, 5000000.0)

    Thousands separators are whole groups of three (``5,000,000``; ``5,00`` is refused); in a
    list option (``--ratios 20,50``) the comma separates the items instead.

    Raises :class:`~scaling_cli.core.errors.NumberError` (a ``ScaleError`` and a ``ValueError``)
    with a message naming the text for anything else (NaN and infinity included).
    """
    shown = shorten(text)
    if str(text).strip().lower().lstrip("+-") in {"nan", "inf", "infinity"}:
        raise NumberError(f"expected a finite number, got {shown}")
    match = _NUMBER.match(str(text)) if len(str(text)) <= 100 else None
    if match is None:
        raise NumberError(f"expected a number {EXAMPLES}, got {shown}")
    mantissa = match["mantissa"]
    if "__" in mantissa or mantissa.endswith("_") or "_." in mantissa or "._" in mantissa:
        raise NumberError(f"expected a number {EXAMPLES}, got {shown}")
    value = float(mantissa.replace("_", "").replace(",", "")) * SUFFIXES.get(match["suffix"].lower(), 1.0)
    if not math.isfinite(value):
        raise NumberError(f"expected a finite number, got {shown}")
    if value != 0 and abs(value) < SMALLEST:
        raise NumberError(f"expected a number of sensible size, got {shown} (below {SMALLEST:g})")
    return value


BYTE_UNITS = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_bytes(text: str) -> float:
    """Bytes as a number ("8e10") or with a byte unit: "80GB" (1e9 bytes, the datasheets'),
    "80GiB" (2^30). A bare "B" suffix is refused: elsewhere it means billions ("7B"
    parameters), and "80B" bytes would be read as 80e9 without a word."""
    match = re.fullmatch(r"\s*([0-9.eE+_-]+)\s*([KMGT]i?B)\s*", str(text), re.IGNORECASE | re.ASCII)
    if match:
        return parse_number(match[1]) * BYTE_UNITS[match[2].lower()]
    if str(text).strip()[-1:] in ("B", "b"):
        raise NumberError(f'expected bytes with a byte unit such as "80GB" or "80GiB" (B alone means billions), got {shorten(text)}')
    return parse_number(text)


def did_you_mean(name: object, choices: list[str]) -> str:
    """' (did you mean ...?)' naming the choices ``name`` is a prefix of or a near miss of, or ''."""
    import difflib

    text = str(name).strip().lower()
    if not text or len(text) > 100:
        return ""
    close = [choice for choice in choices if choice.startswith(text)] or difflib.get_close_matches(text, choices, n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close[:3])}?)" if close else ""


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: an error line stays one readable line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def format_count(value: float | None, digits: int = 3) -> str:
    """A count with a size suffix and ``digits`` significant digits: 70.0B, 1.40T, 300M."""
    if value is None:
        return "-"
    value, digits = _printable(value, digits)
    if not math.isfinite(value):
        return "inf" if value > 0 else "-inf" if value < 0 else "nan"
    rounded = float(format_sci(value, digits))  # round first, so 999.6B prints as 1.00T
    magnitude = abs(rounded)
    if magnitude >= 1e15 or 0 < magnitude < 1e-3:
        return format_sci(value, digits)
    for suffix, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if magnitude >= scale:
            return _sig(rounded / scale, digits) + suffix
    return _sig(rounded, digits)


def _printable(value: object, digits: object) -> tuple[float, int]:
    """A library caller's (value, digits) checked: a real number (NaN and infinities print as
    such) and 1 to 15 significant digits; else one ``ScaleError``."""
    import numbers

    from .errors import ScaleError, whole

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ScaleError(f"value: expected a number, got {value!r}"[:200])
    try:
        number = float(value)
    except OverflowError:
        number = math.inf if value > 0 else -math.inf  # type: ignore[operator]
    return number, whole("digits", digits, 1, 15)


def format_sci(value: float | None, digits: int = 3) -> str:
    """Scientific notation without a padded exponent: 5.76e23, 1.00e-03."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return "inf" if value > 0 else "-inf" if value < 0 else "nan"
    text = f"{value:.{digits - 1}e}"
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


def format_percent(fraction: float | None, digits: int = 1) -> str:
    """A fraction as a signed percentage: 0.025 -> '+2.5%'."""
    if fraction is None or not math.isfinite(fraction):
        return "-"
    return f"{fraction * 100:+.{digits}f}%"


def format_money(usd: float | None) -> str:
    """US dollars with a size suffix: $1.23M."""
    if usd is None:
        return "-"
    return "$" + format_count(usd)


def _sig(value: float, digits: int) -> str:
    """``value`` (already rounded to ``digits`` significant digits) in fixed-point notation."""
    if value == 0:
        return "0"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    return f"{value:.{decimals}f}"


FORMATS: dict[str, Callable[[float], str]] = {
    "count": format_count,
    "sci": format_sci,
    "money": format_money,
    "bytes": lambda value: f"{value / 1e9:,.1f} GB",
    "loss": lambda value: f"{value:.3f}",
    "ratio": lambda value: f"{value:.1f}",
    "plain": lambda value: f"{value:.4g}",
}
"""How each kind of quantity prints: counts with a suffix, FLOPs in scientific notation, bytes
in decimal GB (the datasheets' unit)."""


def format_value(value: float | None, kind: str = "plain") -> str:
    """``value`` printed as its ``kind`` (a key of :data:`FORMATS`); None as '-'."""
    return "-" if value is None else FORMATS[kind](value)


def article(text: str) -> str:
    """'a' or 'an' before a number as it is read aloud: an 8.00B-, an 11.5B-, a 1.00T-parameter model."""
    spoken_vowel = text.startswith("8") or (text[:2] in ("11", "18") and not text[2:3].isdigit())
    return f"{'an' if spoken_vowel else 'a'} {text}"


def plural(count: float, noun: str) -> str:
    """'1 GPU', '1,024 GPUs'."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
