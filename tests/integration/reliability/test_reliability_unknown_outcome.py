# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes whose reply never comes in time: the server holds back the reply of the create, update
or delete (fault ``delay``) longer than the task's ``timeout``, after the call has taken effect.

The task cannot know from the call whether it ran; it reads the object back. When the change is
there, the task reports ``changed: true`` with a warning saying the outcome was confirmed by
reading back; when it is not, the task fails with the timeout. A rerun changes nothing.
"""

import pytest

pytestmark = pytest.mark.timeout(300)

DELAY = 8
TIMEOUT = 3


@pytest.fixture(scope="module")
def slow_sim(tmp_path_factory):
    from tests.bench import harness

    sim = harness.Simulator(str(tmp_path_factory.mktemp("unknown-outcome")), job_duration=0.05)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def ssim(slow_sim):
    slow_sim.reset()
    slow_sim.reset_counters()
    yield slow_sim
    slow_sim.fault("clear")


def warning_texts(run):
    """The warnings of a run as text (ansible-core 2.19 gives them as structured summaries)."""
    texts = []
    for warning in run.result.get("warnings") or []:
        if isinstance(warning, dict):
            warning = (warning.get("event") or {}).get("msg") or warning.get("msg") or ""
        texts.append(warning)
    return texts


def confirmed(run, verb):
    return [w for w in warning_texts(run) if "the %s call got no answer" % verb in w and "reports it as changed" in w]


def test_a_create_that_times_out_is_reported_changed(ssim, module_quick):
    args = {"name": "tank/slow2", "timeout": TIMEOUT}
    ssim.fault("delay", seconds=DELAY, method="pool.dataset.create", count=1)
    run = module_quick(ssim, "truenas_dataset", args)

    assert not run.failed, run.result["msg"]
    assert run.changed is True
    assert confirmed(run, "create"), run.result.get("warnings")
    assert run.result["dataset"]["name"] == "tank/slow2"
    assert len(ssim.calls("pool.dataset.create")) == 1
    assert len(ssim.objects("datasets", name="tank/slow2")) == 1

    rerun = module_quick(ssim, "truenas_dataset", args)
    assert not rerun.failed, rerun.result["msg"]
    assert rerun.changed is False
    assert len(ssim.calls("pool.dataset.create")) == 1


def test_an_nfs_create_that_times_out_is_reported_changed(ssim, module_quick):
    args = {"path": "/mnt/tank/media", "comment": "slow", "timeout": TIMEOUT}
    ssim.fault("delay", seconds=DELAY, method="sharing.nfs.create", count=1)
    run = module_quick(ssim, "truenas_share_nfs", args)

    assert not run.failed, run.result["msg"]
    assert run.changed is True
    assert confirmed(run, "create"), run.result.get("warnings")
    assert len(ssim.objects("nfs_shares", path="/mnt/tank/media")) == 1


def test_an_update_that_times_out_is_reported_changed(ssim, module_quick):
    module_quick(ssim, "truenas_dataset", {"name": "tank/slow3", "comments": "before"})
    args = {"name": "tank/slow3", "comments": "after", "timeout": TIMEOUT}
    ssim.fault("delay", seconds=DELAY, method="pool.dataset.update", count=1)
    run = module_quick(ssim, "truenas_dataset", args)

    assert not run.failed, run.result["msg"]
    assert run.changed is True
    assert confirmed(run, "update"), run.result.get("warnings")
    assert run.result["dataset"]["comments"] == "after"
    assert module_quick(ssim, "truenas_dataset", args).changed is False


def test_a_delete_that_times_out_is_reported_changed(ssim, module_quick):
    module_quick(ssim, "truenas_dataset", {"name": "tank/slow4"})
    args = {"name": "tank/slow4", "state": "absent", "timeout": TIMEOUT}
    ssim.fault("delay", seconds=DELAY, method="pool.dataset.delete", count=1)
    run = module_quick(ssim, "truenas_dataset", args)

    assert not run.failed, run.result["msg"]
    assert run.changed is True
    assert confirmed(run, "delete"), run.result.get("warnings")
    assert ssim.objects("datasets", name="tank/slow4") == []


def test_a_create_refused_for_another_reason_is_not_taken_for_a_race(ssim, module_quick):
    """A refusal that does not say the object exists is the task's answer, even if the object
    exists by the time the task looks again."""
    ssim.fault("fail_next", method="pool.dataset.create", code=-32001, errno=14, message="pool is busy")
    run = module_quick(ssim, "truenas_dataset", {"name": "tank/refused"})
    assert run.failed
    assert run.changed is False
    assert "pool is busy" in run.result["msg"]
