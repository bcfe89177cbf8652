"""Shared-meter allocation (公摊): for any total and any areas the parts sum exactly to the
total and each part is within one cent of its exact share."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.fees.ledger import allocate

totals = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("9999999.99"), places=2,
                     allow_nan=False, allow_infinity=False)
areas = st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2,
                             allow_nan=False, allow_infinity=False), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(totals, areas)
def test_parts_sum_to_total_and_stay_within_a_cent(total, weights):
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts, Decimal("0.00")) == total
    weight_sum = sum(weights, Decimal(0))
    for part, w in zip(parts, weights, strict=True):
        assert part == part.quantize(Decimal("0.01"))
        assert abs(part - total * w / weight_sum) < Decimal("0.01")


@settings(max_examples=100, deadline=None)
@given(totals, st.integers(min_value=1, max_value=500))
def test_equal_split_differs_by_at_most_a_cent(total, n):
    parts = allocate(total, [Decimal(1)] * n)
    assert sum(parts, Decimal("0.00")) == total
    assert max(parts) - min(parts) <= Decimal("0.01")
