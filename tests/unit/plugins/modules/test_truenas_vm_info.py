# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_vm_info through the fake client and the in-memory TrueNAS of test_truenas_vm."""

import json

import pytest

from ansible_collections.nasops.truenas.plugins.modules import truenas_vm_info

from .test_truenas_vm import RUNNING, SECRET, STOPPED, FakeTrueNAS, call_error, seed_web

MAIN = truenas_vm_info.main


@pytest.fixture
def nas(fake_client):
    backend = FakeTrueNAS(fake_client)
    seed_web(backend)
    backend.add_vm("k8s_cp1", status=RUNNING, memory=4096)
    backend.add_vm("k8s_w1", memory=8192)
    return backend


def test_all_vms(run_module, nas, fake_client):
    result = run_module(MAIN, {}, check_mode=True)
    assert result["changed"] is False
    assert fake_client.methods == ["vm.query"]
    assert fake_client.calls[0].params == [[], {}]
    assert [vm["name"] for vm in result["vms"]] == ["web", "k8s_cp1", "k8s_w1"]
    web = result["vms"][0]
    assert web["status"] == STOPPED
    assert web["memory"] == 2048
    assert web["displays"] == [{"type": "SPICE", "port": 5908, "web_port": 5909, "bind": "0.0.0.0", "web": True}]
    assert web["devices"][3] == {"id": 4, "dtype": "DISPLAY", "order": 1002, "type": "SPICE", "display_port": 5908,
                                 "web_port": 5909, "bind": "0.0.0.0", "display_password": "********", "web": True,
                                 "resolution": "1024x768", "wait": False}
    assert web["devices"][2]["mac"] == "00:a0:98:aa:bb:cc"
    assert result["vms"][1]["status"] == RUNNING
    assert result["vms"][1]["devices"] == [] and result["vms"][1]["displays"] == []
    assert SECRET not in json.dumps(result)


def test_by_name_and_prefix(run_module, nas, fake_client):
    assert [v["name"] for v in run_module(MAIN, {"name": "k8s_w1"})["vms"]] == ["k8s_w1"]
    assert run_module(MAIN, {"name": "nope"})["vms"] == []
    assert [v["name"] for v in run_module(MAIN, {"name_prefix": "k8s_"})["vms"]] == ["k8s_cp1", "k8s_w1"]
    assert [c.params[0] for c in fake_client.calls] == [
        [["name", "=", "k8s_w1"]], [["name", "=", "nope"]], [["name", "^", "k8s_"]]]


def test_name_and_prefix_exclude_each_other(run_module, nas, fake_client):
    result = run_module(MAIN, {"name": "a", "name_prefix": "b"})
    assert result["failed"] is True
    assert result["msg"] == "parameters are mutually exclusive: name|name_prefix"


def test_errors(run_module, nas, fake_client):
    fake_client.respond("vm.query", call_error("vm.query", "libvirt is not running"))
    result = run_module(MAIN, {})
    assert result["failed"] is True
    assert result["msg"] == "Failed to read VMs: [EFAULT] libvirt is not running"
    fake_client.set_version("25.04.0")
    old = run_module(MAIN, {})
    assert old["msg"] == ("Failed to read VMs: virtual machines need TrueNAS 25.04.2 or later (25.04.0 and 25.04.1 have "
                          "none); this server runs 25.04.0")
