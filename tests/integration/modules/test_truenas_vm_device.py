# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_vm_device changing the attributes of existing devices, on every profile.

On 25.04 ``vm.device.update`` takes ``attributes`` as the whole model chosen by
``attributes.dtype`` and resets every attribute not sent to its default; the module must send the
stored attributes merged with the change, so only the changed attribute differs afterwards.
"""

import json

import pytest

pytestmark = pytest.mark.timeout(120)

SECRET = "Sp1ce-Pa55"


@pytest.fixture
def run(run_inproc):
    return run_inproc


def stored(sim, dtype):
    """The attributes of the only device of ``dtype`` in the simulator's state."""
    found = [d for d in sim.state_dump("vm_devices").values() if d["attributes"]["dtype"] == dtype]
    assert len(found) == 1, found
    return found[0]["attributes"]


def changed_keys(before, after):
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def test_changing_attributes_keeps_the_others(sim, run, run_module):
    assert run("truenas_vm", {"name": "dev", "memory": 1024})["changed"] is True
    nic = {"vm": "dev", "dtype": "NIC", "nic_attach": "br0", "type": "E1000", "mac": "00:a0:98:12:34:56"}
    display = {"vm": "dev", "dtype": "DISPLAY", "display_password": SECRET, "resolution": "1024x768",
               "display_port": 5950, "bind": "0.0.0.0"}
    disk = {"vm": "dev", "dtype": "DISK", "zvol": "tank/vms/dev0", "create_zvol": True, "size": "1G", "bus": "AHCI"}
    for args in (nic, display, disk):
        result = run("truenas_vm_device", args)
        assert result["changed"] is True, result

    for dtype, args, change in (("NIC", nic, {"type": "VIRTIO"}),
                                ("DISPLAY", display, {"resolution": "1920x1080"}),
                                ("DISK", dict(disk, create_zvol=None, size=None), {"bus": "VIRTIO"})):
        before = stored(sim, dtype)
        sim.reset_counters()
        updated = run_module("truenas_vm_device", dict(args, **change)) if dtype == "NIC" else \
            run("truenas_vm_device", dict(args, **change))
        assert updated["changed"] is True and updated["failed"] is False, updated
        after = stored(sim, dtype)
        api_key = {"type": "type", "resolution": "resolution", "bus": "type"}[list(change)[0]]
        assert changed_keys(before, after) == [api_key], (before, after)
        assert after[api_key] == list(change.values())[0]
        calls = sim.calls("vm.device.update")
        assert len(calls) == 1
        sent = calls[0]["params"][1]["attributes"]
        if sim.profile.at_least("25.10"):
            assert sent == {api_key: list(change.values())[0]}
        else:
            assert sent["dtype"] == dtype and sent[api_key] == list(change.values())[0]
        assert SECRET not in json.dumps(updated) and SECRET not in json.dumps(sim.calls())
        again = run("truenas_vm_device", dict(args, **change))
        assert again["changed"] is False, again
