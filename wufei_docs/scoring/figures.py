"""The computed figures the documents print (产生强度 and its growth, 安全处理率, 电子化率), as exact decimals.

One place computes them so the 申报书, 附件1, `wufei score` and the check of the enterprise's own narrative
agree. A printed figure is consistent with the printed numbers it comes from: the growth rate is computed
from the 产生强度 as rounded for print (0.1312 → 0.1207 is −8.0 %, not the −8.05 % of the unrounded values),
and the 产生强度 get more decimals when four would print two different values as equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from wufei_docs.model import Enterprise

TONNE_TOLERANCE = Decimal("0.001")
INTENSITY_PLACES = 4  # 吨/万元, as the seed's form prints it
MAX_PLACES = 10
HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")


def dec(value: float | int | Decimal) -> Decimal:
    """A float as the decimal the user typed (str round trip)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Intensity:
    """产生强度 (t per 万元) of the two latest years as printed, and the growth rate computed from them."""

    previous: int
    latest: int
    exact_before: Decimal
    exact_now: Decimal
    places: int  # decimals printed for both intensities
    before: Decimal  # rounded to `places`
    now: Decimal
    growth: Decimal | None  # percent, one decimal, from the rounded intensities; None when the year before is 0
    exact_growth: Decimal | None  # percent, unrounded

    @property
    def met(self) -> bool:
        """零增长或负增长 (the exact values decide; the printed ones never say otherwise)."""
        return self.exact_now <= self.exact_before


def intensity(e: Enterprise, year: int) -> Decimal:
    d = e.waste.years[year]
    return (dec(d.general_t) + dec(d.hazardous_t)) / dec(d.output_value)


def intensity_figures(e: Enterprise) -> Intensity | None:
    """The two latest years' intensities and growth, or None with fewer than two years."""
    years = sorted(e.waste.years)
    if len(years) < 2:
        return None
    previous, latest = years[-2], years[-1]
    before, now = intensity(e, previous), intensity(e, latest)
    places = INTENSITY_PLACES
    while places < MAX_PLACES and _hides_difference(before, now, places):
        places += 1
    b, n = rounded(before, places), rounded(now, places)
    growth = rounded((n - b) / b * HUNDRED, 1) if b > 0 else None
    exact = (now - before) / before * HUNDRED if before > 0 else None
    if growth is None and exact is not None:  # the rounded value of the year before is 0: use the exact one
        growth = rounded(exact, 1)
    return Intensity(previous, latest, before, now, places, b, n, growth, exact)


def _hides_difference(before: Decimal, now: Decimal, places: int) -> bool:
    """Would `places` decimals print two different intensities alike, or a non-zero one as 0?"""
    b, n = rounded(before, places), rounded(now, places)
    return (b == n and before != now) or (b == 0 and before != 0) or (n == 0 and now != 0)


def safe_rate(e: Enterprise) -> Decimal | None:
    """安全处理率 in percent: Σ(利用+处置+贮存) ÷ Σ产生 over the ledger; 100 within 0.001 t; None without waste."""
    streams = e.waste.streams
    generated = sum((dec(s.generated_t) for s in streams), Decimal(0))
    if generated <= 0:
        return None
    handled = sum((dec(s.utilized_t) + dec(s.disposed_t) + dec(s.stored_t) for s in streams), Decimal(0))
    return rate(handled / generated, full=handled >= generated - TONNE_TOLERANCE)


def manifest_rate(e: Enterprise) -> Decimal | None:
    """电子化率 of the transfer manifests in percent; None without manifests."""
    m = e.waste.manifests
    if not m.total:
        return None
    return rate(Decimal(m.electronic) / Decimal(m.total), full=m.electronic >= m.total)


def rate(ratio: Decimal, *, full: bool) -> Decimal:
    """A share in percent with one decimal; never 100 unless `full` (99.96 % short of full prints 99.9 %)."""
    if full:
        return HUNDRED
    return min(rounded(ratio * HUNDRED, 1), HUNDRED - ONE_DECIMAL)
