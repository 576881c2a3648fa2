# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_network_config with a fake client: name servers as one list, payloads, check mode."""

import pytest

from ansible_collections.nasops.truenas.plugins.modules import truenas_network_config

MAIN = truenas_network_config.main
CONFIG = {"id": 1, "hostname": "truenas", "domain": "local", "ipv4gateway": "", "ipv6gateway": "",
          "nameserver1": "192.168.1.1", "nameserver2": "", "nameserver3": "", "httpproxy": "",
          "hosts": ["10.0.0.2  db"], "domains": []}


@pytest.fixture
def nas(fake_client):
    store = dict(CONFIG)
    fake_client.respond("network.configuration.config", lambda: dict(store))
    fake_client.respond("network.configuration.update", lambda data: store.update(data) or dict(store))
    fake_client.store = store
    return fake_client


def test_unchanged(run_module, nas):
    result = run_module(MAIN, {"nameservers": ["192.168.1.1"], "hosts": ["10.0.0.2 db"], "domain": "local"})
    assert result["changed"] is False
    assert nas.methods == ["network.configuration.config"]
    assert result["network"]["nameservers"] == ["192.168.1.1"]


def test_nameservers_are_split_into_the_three_fields(run_module, nas):
    result = run_module(MAIN, {"nameservers": ["1.1.1.1", "8.8.8.8"], "hostname": "nas01"}, diff=True)
    assert nas.calls_to("network.configuration.update")[0].params == [{
        "nameserver1": "1.1.1.1", "nameserver2": "8.8.8.8", "nameserver3": "", "hostname": "nas01"}]
    assert result["diff"]["before"]["nameservers"] == ["192.168.1.1"]
    assert result["network"]["nameservers"] == ["1.1.1.1", "8.8.8.8"]
    cleared = run_module(MAIN, {"nameservers": []})
    assert nas.calls_to("network.configuration.update")[1].params == [
        {"nameserver1": "", "nameserver2": "", "nameserver3": ""}]
    assert cleared["network"]["nameservers"] == []


def test_check_mode(run_module, nas):
    result = run_module(MAIN, {"ipv4gateway": "192.168.1.254"}, check_mode=True)
    assert result["changed"] is True and result["network"]["ipv4gateway"] == "192.168.1.254"
    nas.assert_no_mutation()


def test_server_validation_error_names_the_option(run_module, nas):
    from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASValidationError
    nas.respond("network.configuration.update", TrueNASValidationError(
        "validation failed", method="network.configuration.update",
        errors=[("data.nameserver2", "Duplicate nameserver 1.1.1.1", 22)]))
    result = run_module(MAIN, {"nameservers": ["1.1.1.1", "1.1.1.2"]})
    assert result["failed"] is True
    assert result["msg"] == "Failed to update network configuration: nameservers: Duplicate nameserver 1.1.1.1"
