# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_interface and truenas_interface_info with a fake client: stage -> commit -> check-in
over a second client, rollback reporting, cleanup of a staged change after a failure, check
mode, payloads and the check-in address."""

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASConnectionError, TrueNASError
from ansible_collections.nasops.truenas.plugins.module_utils._resources.interface import (
    InterfaceResource,
    checkin_settings,
)
from ansible_collections.nasops.truenas.plugins.modules import truenas_interface, truenas_interface_info

ENP = {"id": "enp1s0", "name": "enp1s0", "type": "PHYSICAL", "description": "", "ipv4_dhcp": False,
       "ipv6_auto": False, "aliases": [{"type": "INET", "address": "192.168.1.10", "netmask": 24}], "mtu": None,
       "bridge_members": [], "lag_protocol": "NONE", "lag_ports": [], "vlan_parent_interface": None,
       "vlan_tag": None, "vlan_pcp": None,
       "state": {"aliases": [{"type": "INET", "address": "192.168.1.10", "netmask": 24}], "mtu": 1500,
                 "link_state": "LINK_STATE_UP", "link_address": "52:54:00:00:00:01", "xmit_hash_policy": None,
                 "lacpdu_rate": None}}


class CheckinClients:
    """Stands in for TrueNASClient in the check-in: records settings, fails while told to."""

    def __init__(self, failures=0):
        self.failures = failures
        self.opened = []
        self.checkins = 0

    def __call__(self, settings):
        self.opened.append(settings)
        outer = self

        class Client:
            def connect(self):
                if outer.failures:
                    outer.failures -= 1
                    raise TrueNASConnectionError("connection refused")

            def call(self, method, *params):
                assert method == "interface.checkin"
                outer.checkins += 1

            def close(self):
                pass

        return Client()


READS = ("interface.has_pending_changes", "interface.checkin_waiting")


def mutations(nas):
    """Mutating calls (the two interface status reads are not)."""
    return [c for c in nas.mutations if c.method not in READS]


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def nas(fake_client, monkeypatch):
    fake_client.table("interface", [ENP])
    fake_client.respond("interface.has_pending_changes", False)
    fake_client.respond("interface.commit", None)
    fake_client.respond("interface.rollback", None)
    fake_client.respond("interface.checkin_waiting", None)
    clients = CheckinClients()
    clock = FakeClock()
    monkeypatch.setattr(InterfaceResource.__init__, "__defaults__", (clients, clock.sleep, clock))
    fake_client.checkin = clients
    return fake_client


def test_update_is_staged_committed_and_checked_in(run_module, nas):
    result = run_module(truenas_interface.main, {"name": "enp1s0", "aliases": ["192.168.1.10/24", "10.0.0.5/8"],
                                                 "mtu": 9000, "checkin_timeout": 30})
    assert result["changed"] is True and result["rolled_back"] is False
    assert [c.method for c in mutations(nas)] == ["interface.update", "interface.commit"]
    assert nas.calls_to("interface.update")[0].params == ["enp1s0", {
        "aliases": [{"type": "INET", "address": "192.168.1.10", "netmask": 24},
                    {"type": "INET", "address": "10.0.0.5", "netmask": 8}], "mtu": 9000}]
    assert nas.calls_to("interface.commit")[0].params == [{"rollback": True, "checkin_timeout": 30}]
    assert nas.checkin.checkins == 1 and result["checked_in_at"] == "nas.example.test"
    assert nas.checkin.opened[0].timeout == 10


def test_unchanged_makes_no_commit(run_module, nas):
    result = run_module(truenas_interface.main, {"name": "enp1s0", "aliases": ["192.168.1.10/24"]})
    assert result["changed"] is False and mutations(nas) == [] and nas.checkin.opened == []


def test_check_mode_shows_the_pending_change_only(run_module, nas):
    result = run_module(truenas_interface.main, {"name": "enp1s0", "mtu": 1400}, check_mode=True, diff=True)
    assert result["changed"] is True and result["interface"]["mtu"] == 1400
    assert result["diff"]["before"]["mtu"] is None and result["diff"]["after"]["mtu"] == 1400
    assert mutations(nas) == []
    assert nas.checkin.opened == []


def test_checkin_retries_then_succeeds(run_module, nas):
    nas.checkin.failures = 2
    result = run_module(truenas_interface.main, {"name": "enp1s0", "mtu": 1400})
    assert result["changed"] is True and nas.checkin.checkins == 1 and len(nas.checkin.opened) == 3


def test_no_checkin_reports_the_rollback(run_module, nas):
    nas.checkin.failures = 10 ** 6
    nas.respond("interface.checkin_waiting", 3, None)
    result = run_module(truenas_interface.main, {"name": "enp1s0", "mtu": 1400, "checkin_timeout": 10})
    assert result["failed"] is True and result["rolled_back"] is True and result["changed"] is False
    assert "could not reach TrueNAS at nas.example.test within the 10 s check-in timeout" in result["msg"]
    assert nas.checkin.checkins == 0 and nas.calls_to("interface.rollback") == []


def test_failed_commit_rolls_the_staged_change_back(run_module, nas):
    nas.respond("interface.commit", TrueNASError("apply failed", method="interface.commit"))
    result = run_module(truenas_interface.main, {"name": "enp1s0", "mtu": 1400})
    assert result["failed"] is True
    assert [c.method for c in mutations(nas)] == ["interface.update", "interface.commit", "interface.rollback"]


def test_foreign_pending_changes_are_refused(run_module, nas):
    nas.respond("interface.has_pending_changes", True)
    result = run_module(truenas_interface.main, {"name": "enp1s0", "mtu": 1400}, check_mode=True)
    assert result["failed"] is True and "not committed or not checked in" in result["msg"]
    assert mutations(nas) == []


def test_create_and_delete_commit_too(run_module, nas):
    rows = nas.tables["interface"].rows

    def create(data):
        row = dict(ENP, id=data["name"], aliases=[], state=dict(ENP["state"], aliases=[]), **data)
        rows.append(row)
        return row

    def delete(name):
        rows[:] = [r for r in rows if r["id"] != name]
        return name

    nas.respond("interface.create", create)
    nas.respond("interface.delete", delete)
    created = run_module(truenas_interface.main, {"name": "vlan10", "type": "vlan", "vlan_parent_interface": "enp1s0",
                                                  "vlan_tag": 10})
    assert created["changed"] is True
    assert nas.calls_to("interface.create")[0].params == [{"name": "vlan10", "type": "VLAN",
                                                           "vlan_parent_interface": "enp1s0", "vlan_tag": 10}]
    deleted = run_module(truenas_interface.main, {"name": "vlan10", "state": "absent"})
    assert deleted["changed"] is True and deleted["interface"] == {}
    assert [c.method for c in mutations(nas)] == [
        "interface.create", "interface.commit", "interface.delete", "interface.commit"]
    assert nas.checkin.checkins == 2


@pytest.mark.parametrize("args, message", [
    ({"name": "enp1s0", "state": "absent"}, "state: interface 'enp1s0' is a physical interface"),
    ({"name": "br3"}, "type: is required to create interface 'br3'"),
    ({"name": "eth9", "type": "physical"}, "name: no physical interface named 'eth9' exists"),
    ({"name": "enp1s0", "aliases": ["10.0.0.1"]}, "aliases: entries must be addresses with a prefix length"),
    ({"name": "enp1s0", "mtu": 20}, "mtu: must be between 68 and 9216, got 20"),
    ({"name": "br3", "type": "bridge", "vlan_tag": 3}, "vlan_tag: only applies to type vlan, not bridge"),
    ({"name": "bond1", "type": "lag", "lag_protocol": "fast"}, "lag_protocol: must be one of LACP"),
    ({"name": "enp1s0", "mtu": 1400, "checkin_timeout": 5}, "checkin_timeout: must be at least 10 seconds"),
])
def test_refusals(run_module, nas, args, message):
    result = run_module(truenas_interface.main, args)
    assert result["failed"] is True and result["msg"].startswith(message), result["msg"]
    assert mutations(nas) == []


def test_checkin_settings_replace_only_the_host():
    params = {"url": "wss://nas.example.com:8443/api/current", "api_key": "1-abc", "username": "admin",
              "validate_certs": True, "timeout": 60}
    settings = checkin_settings(params, "192.168.1.20")
    assert settings.endpoint == "wss://192.168.1.20:8443/api/current" and settings.timeout == 10
    settings = checkin_settings({"host": "nas", "api_key": "1-abc", "username": "admin", "timeout": 5}, "10.0.0.2")
    assert settings.endpoint.startswith("wss://10.0.0.2") and settings.timeout == 5


def test_checkin_host_follows_a_removed_connection_address(run_module, nas):
    result = run_module(truenas_interface.main, {"name": "enp1s0", "aliases": ["192.168.1.20/24"],
                                                 "host": "192.168.1.10"})
    assert result["changed"] is True and result["checked_in_at"] == "192.168.1.20"


def test_info(run_module, nas):
    result = run_module(truenas_interface_info.main, {})
    assert result["interfaces"][0]["aliases"] == ["192.168.1.10/24"]
    assert result["interfaces"][0]["state"] == {"aliases": ["192.168.1.10/24"], "mtu": 1500,
                                                "link_state": "LINK_STATE_UP", "link_address": "52:54:00:00:00:01"}
    assert mutations(nas) == []
