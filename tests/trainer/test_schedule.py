import math

import pytest

from meco.trainer.schedule import Schedule


def test_cosine_warms_up_then_decays_to_the_floor():
    s = Schedule(lr=1.0, steps=100, warmup=0.05, min_lr_ratio=0.1)
    assert [s(i) for i in range(5)] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert s(5) == 1.0 and s(52) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 47 / 95)))
    assert s(99) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 94 / 95)))


def test_wsd_holds_then_decays_linearly():
    s = Schedule(lr=1.0, steps=100, warmup=0.1, min_lr_ratio=0.1, kind="wsd", decay=0.2)
    assert s(0) == 0.1 and s(9) == 1.0 and s(79) == 1.0
    assert s(80) == pytest.approx(1 - 0.9 / 20) and s(99) == pytest.approx(0.1)


def test_warmup_in_steps_is_the_same_at_every_budget():
    """With the warmup in steps, two wsd budgets agree on every step before the shorter one's decay."""
    short, long = (Schedule(lr=1.0, steps=n, warmup_steps=4, kind="wsd", decay=0.1) for n in (40, 100))
    assert [short(i) for i in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert [short(i) for i in range(36)] == [long(i) for i in range(36)] and short(36) < long(36)
    assert Schedule(lr=1.0, steps=100, warmup=0.5, warmup_steps=0)(0) == 1.0  # overrides the fraction


def test_unknown_kind():
    with pytest.raises(ValueError, match="schedule 'linear': choose cosine or wsd"):
        Schedule(lr=1.0, steps=10, kind="linear")
