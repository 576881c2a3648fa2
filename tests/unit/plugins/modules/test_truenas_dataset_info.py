# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_dataset_info through the fake client: the same shape as truenas_dataset returns."""

from ansible_collections.nasops.truenas.plugins.module_utils._resources.dataset import QUERY_PROPERTIES
from ansible_collections.nasops.truenas.plugins.modules import truenas_dataset, truenas_dataset_info

from tests.unit.plugins.module_utils._resources.test_dataset import GiB, DatasetServer, dataset_record

MAIN = truenas_dataset_info.main
RECORDS = [
    dataset_record("tank"), dataset_record("tank/apps", comments="Apps"), dataset_record("tank/apps/db", props={"quota": 5 * GiB}),
    dataset_record("tank/appsold"), dataset_record("tank/vm", "VOLUME"), dataset_record("backup"),
]


def test_a_dataset_and_its_descendants(run_module, fake_client):
    DatasetServer(fake_client, RECORDS)
    result = run_module(MAIN, {"name": "tank/apps"})
    assert result["changed"] is False
    assert [d["name"] for d in result["datasets"]] == ["tank/apps", "tank/apps/db"]
    assert fake_client.methods == ["pool.dataset.query"]
    filters, options = fake_client.calls[0].params
    assert filters == [["id", "^", "tank/apps"]]
    assert options["extra"]["properties"] == list(QUERY_PROPERTIES)
    assert options["extra"]["retrieve_children"] is False
    assert result["datasets"][1]["quota"] == 5 * GiB


def test_same_shape_as_truenas_dataset(run_module, fake_client):
    DatasetServer(fake_client, RECORDS)
    info = run_module(MAIN, {"name": "tank/apps/db"})["datasets"]
    module = run_module(truenas_dataset.main, {"name": "tank/apps/db"})["dataset"]
    assert info == [module]


def test_all_datasets_parents_first(run_module, fake_client):
    DatasetServer(fake_client, RECORDS)
    result = run_module(MAIN, {})
    assert fake_client.calls[0].params[0] == []
    assert [d["name"] for d in result["datasets"]] == ["backup", "tank", "tank/apps", "tank/apps/db", "tank/appsold", "tank/vm"]


def test_unknown_name_is_an_empty_list(run_module, fake_client):
    DatasetServer(fake_client, RECORDS)
    assert run_module(MAIN, {"name": "tank/none"})["datasets"] == []


def test_bad_name(run_module, fake_client):
    result = run_module(MAIN, {"name": "tank/"})
    assert result["failed"] is True
    assert result["msg"].startswith("name: 'tank/' is not a dataset name")
    assert fake_client.calls == []
