# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import time

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASTimeoutError
from ansible_collections.nasops.truenas.plugins.module_utils._waiter import Waiter


def states(*values):
    """A fetch function returning ``values`` one per call (the last one repeats)."""
    seen = []

    def fetch():
        value = values[min(len(seen), len(values) - 1)]
        seen.append(value)
        return value

    fetch.seen = seen
    return fetch


def test_returns_as_soon_as_the_predicate_holds(clock):
    fetch = states("STOPPED", "STOPPED", "RUNNING")
    waiter = Waiter(clock=clock, sleep=clock.sleep)
    assert waiter.wait(fetch, lambda s: s == "RUNNING", timeout=60, interval=2) == "RUNNING"
    assert fetch.seen == ["STOPPED", "STOPPED", "RUNNING"]
    assert clock.sleeps == [2, 2]


def test_no_sleep_when_already_true(clock):
    fetch = states("RUNNING")
    assert Waiter(clock=clock, sleep=clock.sleep).wait(fetch, lambda s: s == "RUNNING", timeout=5) == "RUNNING"
    assert clock.sleeps == []


def test_times_out_with_last_value_and_never_sleeps_past_the_deadline(clock):
    fetch = states("STOPPED")
    waiter = Waiter(clock=clock, sleep=clock.sleep)
    with pytest.raises(TrueNASTimeoutError) as info:
        waiter.wait(fetch, lambda s: s == "RUNNING", timeout=5, interval=2, what="VM 'web' to be RUNNING")
    assert str(info.value) == "Timed out after 5 seconds waiting for VM 'web' to be RUNNING (last seen: 'STOPPED')"
    assert clock.sleeps == [2, 2, 1]
    assert len(fetch.seen) == 4
    assert clock.now == 1005.0


def test_zero_timeout_checks_once(clock):
    fetch = states("STOPPED")
    with pytest.raises(TrueNASTimeoutError):
        Waiter(clock=clock, sleep=clock.sleep).wait(fetch, lambda s: s == "RUNNING", timeout=0, what="x")
    assert fetch.seen == ["STOPPED"]
    assert clock.sleeps == []


def test_check_mode_is_a_no_op(clock):
    fetch = states("STOPPED")
    assert Waiter(check_mode=True, clock=clock, sleep=clock.sleep).wait(fetch, bool, timeout=10) is None
    assert fetch.seen == []
    assert clock.sleeps == []


@pytest.mark.parametrize("timeout, interval, message", [
    (-1, 1, "timeout must not be negative, got -1"),
    (10, 0, "interval must be positive, got 0"),
])
def test_rejects_bad_arguments(timeout, interval, message):
    with pytest.raises(ValueError) as info:
        Waiter().wait(states(1), bool, timeout=timeout, interval=interval)
    assert str(info.value) == message


def test_default_clock_is_monotonic():
    waiter = Waiter()
    assert waiter.clock is time.monotonic
    assert waiter.sleep is time.sleep
