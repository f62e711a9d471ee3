"""``bench.interleave``: variants measured in alternating turns, in processes of
their own. Steps here sleep instead of touching a store: what is under test is
the harness's arithmetic and its fairness to a drift, not a backend."""

from __future__ import annotations

import time

import pytest

from bench import interleave


def _sleeper(step_s: float, limit: int = 1_000_000):
    """A step that takes ``step_s`` seconds; ``limit`` steps in all."""
    left = [limit]

    def step() -> bool:
        if not left[0]:
            return False
        left[0] -= 1
        time.sleep(step_s)
        return True

    return step, lambda: None


def _drifting(epoch: float, step_s: float):
    """A step that gets slower with the wall clock (``step_s`` at ``epoch``, three
    times that 1.5 s later): a machine whose disk slows down during the run."""

    def step() -> bool:
        time.sleep(step_s * (1 + 2 * min(1.0, max(0.0, time.monotonic() - epoch) / 1.5)))
        return True

    return step, lambda: None


@pytest.mark.timeout(60)
def test_rates_count_each_variants_own_turns():
    measured = interleave.run({"fast": (_sleeper, [(0.001,)]), "slow": (_sleeper, [(0.002,)] * 2)}, 4, 0.15)
    fast, slow = measured["fast"], measured["slow"]
    # Each variant's time is its own turns only: about 4 x 0.15 s each.
    assert 0.55 < fast.seconds < 0.9 and 0.55 < slow.seconds < 0.9, measured
    # Two processes at 2 ms a step do as much as one at 1 ms (sleeping costs
    # some overhead per step, the same in each).
    assert 0.75 < slow.rate / fast.rate < 1.3, measured
    assert fast.count > 200 and fast.cpu_us_per_unit >= 0


@pytest.mark.timeout(60)
def test_a_drift_falls_on_every_variant_alike():
    """Back to back, the second of two identical runs would be about 1.7 x slower;
    in turns they come out even."""
    epoch = time.monotonic()
    measured = interleave.run({"a": (_drifting, [(epoch, 0.002)]), "b": (_drifting, [(epoch, 0.002)])}, 6, 0.2)
    assert 0.85 < measured["a"].rate / measured["b"].rate < 1.15, measured


@pytest.mark.timeout(60)
def test_running_out_of_work_in_a_turn_is_an_error():
    with pytest.raises(RuntimeError, match="ran out of work"):
        interleave.run({"a": (_sleeper, [(0.001,)]), "short": (_sleeper, [(0.001, 20)])}, 4, 0.1)
