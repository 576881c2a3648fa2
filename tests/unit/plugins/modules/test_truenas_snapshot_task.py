# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASValidationError
from ansible_collections.nasops.truenas.plugins.module_utils._resources.snapshot_task import (
    cron_field_ok,
    parse_naming_schema,
    parse_schedule,
)
from ansible_collections.nasops.truenas.plugins.modules import truenas_snapshot_task

MAIN = truenas_snapshot_task.main

FULL_SCHEDULE = {"minute": "00", "hour": "*", "dom": "*", "month": "*", "dow": "*", "begin": "00:00", "end": "23:59"}
SERVER_DEFAULTS = {
    "recursive": False, "lifetime_value": 2, "lifetime_unit": "WEEK", "enabled": True, "exclude": [],
    "naming_schema": "auto-%Y-%m-%d_%H-%M", "allow_empty": True, "schedule": FULL_SCHEDULE,
    "vmware_sync": False, "state": {"state": "PENDING"},
}
VMS = dict(SERVER_DEFAULTS, id=1, dataset="tank/vms", recursive=True, exclude=["tank/vms/scratch"],
           schedule=dict(FULL_SCHEDULE, minute="0"))
MEDIA = dict(SERVER_DEFAULTS, id=2, dataset="tank/media", naming_schema="nightly-%Y%m%d-%H%M",
             schedule=dict(FULL_SCHEDULE, minute="30", hour="2"))


def merge_schedule(row):
    """What TrueNAS does on save: a partial schedule is completed (create) or merged (update)."""
    schedule = dict(FULL_SCHEDULE)
    schedule.update(row.get("schedule") or {})
    row["schedule"] = schedule
    return row


@pytest.fixture
def nas(fake_client):
    table = fake_client.table("pool.snapshottask", [VMS, MEDIA], defaults=SERVER_DEFAULTS, transform=merge_schedule)
    original_update = table.update

    def update(row_id, data):
        if "schedule" in data:
            current = [r for r in table.rows if r["id"] == row_id][0]["schedule"]
            data = dict(data, schedule=dict(current, **data["schedule"]))
        return original_update(row_id, data)

    table.update = update
    return fake_client


def test_create_with_defaults_for_unset_options(run_module, nas):
    result = run_module(MAIN, {"dataset": "/mnt/tank/apps", "schedule": {"minute": 15, "hour": "*/2"},
                               "lifetime_unit": "DAY", "lifetime_value": 7})
    assert result["changed"] is True
    assert nas.methods == ["pool.snapshottask.query", "pool.snapshottask.create", "pool.snapshottask.query"]
    assert nas.calls[0].params[0] == [["dataset", "=", "tank/apps"], ["naming_schema", "=", "auto-%Y-%m-%d_%H-%M"]]
    assert nas.calls_to("pool.snapshottask.create")[0].params == [{
        "dataset": "tank/apps", "naming_schema": "auto-%Y-%m-%d_%H-%M", "lifetime_unit": "DAY", "lifetime_value": 7,
        "schedule": {"minute": "15", "hour": "*/2"},
    }]
    task = result["snapshot_task"]
    assert task["id"] == 3
    assert task["schedule"] == dict(FULL_SCHEDULE, minute="15", hour="*/2")
    assert task["state"] == {"state": "PENDING"}


def test_second_run_is_unchanged(run_module, nas):
    args = {"dataset": "tank/vms", "recursive": True, "exclude": ["tank/vms/scratch"], "schedule": {"minute": "0"}}
    result = run_module(MAIN, args)
    assert result["changed"] is False
    nas.assert_no_mutation()


def test_identity_is_dataset_and_naming_schema(run_module, nas):
    result = run_module(MAIN, {"dataset": "tank/media", "naming_schema": "nightly-%Y%m%d-%H%M"}, check_mode=True)
    assert result["changed"] is False
    assert result["snapshot_task"]["id"] == 2
    # the same dataset with the default schema is another task
    result = run_module(MAIN, {"dataset": "tank/media"}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    nas.assert_no_mutation()


def test_update_sends_only_the_changes_and_merges_the_schedule(run_module, nas):
    result = run_module(MAIN, {"dataset": "tank/vms", "schedule": {"hour": "1-5"}, "enabled": False}, diff=True)
    assert result["changed"] is True
    update = nas.calls_to("pool.snapshottask.update")[0]
    assert update.params == [1, {"schedule": dict(FULL_SCHEDULE, minute="0", hour="1-5"), "enabled": False}]
    assert result["diff"]["before"]["enabled"] is True
    assert result["diff"]["after"]["enabled"] is False
    assert result["snapshot_task"]["schedule"]["hour"] == "1-5"


def test_update_in_check_mode_predicts_without_calls(run_module, nas):
    result = run_module(MAIN, {"dataset": "tank/vms", "lifetime_value": 4}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["snapshot_task"]["lifetime_value"] == 4
    assert result["diff"]["after"]["lifetime_value"] == 4
    nas.assert_no_mutation()


def test_exclude_order_does_not_matter(run_module, nas):
    nas.tables["pool.snapshottask"].rows[0]["exclude"] = ["tank/vms/a", "tank/vms/b"]
    result = run_module(MAIN, {"dataset": "tank/vms", "exclude": ["tank/vms/b", "tank/vms/a"]})
    assert result["changed"] is False


def test_delete_and_delete_again(run_module, nas):
    result = run_module(MAIN, {"dataset": "tank/vms", "state": "absent"}, diff=True)
    assert result["changed"] is True
    assert nas.calls_to("pool.snapshottask.delete")[0].params == [1]
    assert result["snapshot_task"] == {}
    assert result["diff"]["after"] == {}
    nas.calls.clear()
    assert run_module(MAIN, {"dataset": "tank/vms", "state": "absent"})["changed"] is False
    nas.assert_no_mutation()


@pytest.mark.parametrize("args, option, words", [
    ({"naming_schema": "auto-%Y-%m-%d"}, "naming_schema", "%H must be present"),
    ({"naming_schema": "auto/%Y-%m-%d_%H-%M"}, "naming_schema", "not allowed in snapshot names: /"),
    ({"schedule": {"minute": "61"}}, "schedule", "minute '61' is not cron syntax"),
    ({"schedule": {"dow": "mon-fri"}}, None, None),
    ({"schedule": {"begin": "9:00"}}, "schedule", "begin must be a time of day as HH:MM"),
    ({"lifetime_value": 0}, "lifetime_value", "1 or more"),
    ({"exclude": ["tank/vms/x"], "recursive": False}, "exclude", "needs recursive=true"),
    ({"exclude": ["tank/other"], "recursive": True}, "exclude", "not a child dataset of tank/vms"),
    ({"dataset": "tank//vms"}, "dataset", "empty component"),
])
def test_bad_input_fails_before_any_call(run_module, nas, args, option, words):
    full = {"dataset": "tank/vms"}
    full.update(args)
    result = run_module(MAIN, full)
    if option is None:
        assert not result.get("failed"), result
        return
    assert result["failed"] is True
    assert result["msg"].startswith(option + ":"), result["msg"]
    assert words in result["msg"]
    assert nas.calls == []


def test_exclude_on_a_non_recursive_task_is_refused_before_the_update(run_module, nas):
    result = run_module(MAIN, {"dataset": "tank/media", "naming_schema": "nightly-%Y%m%d-%H%M",
                               "exclude": ["tank/media/tmp"]})
    assert result["failed"] is True
    assert result["msg"] == "exclude: needs recursive=true: the task on tank/media is not recursive"
    nas.assert_no_mutation()


def test_server_validation_error_names_the_option(run_module, nas):
    nas.respond("pool.snapshottask.create", TrueNASValidationError(
        "validation failed", errors=[("periodic_snapshot_create.dataset", "Dataset not found", 22)]))
    result = run_module(MAIN, {"dataset": "tank/nope"})
    assert result["failed"] is True
    assert result["error"]["errors"][0]["option"] == "dataset"
    assert result["msg"] == "Failed to create snapshot task 'tank/nope' (auto-%Y-%m-%d_%H-%M): dataset: Dataset not found"


def test_parsers():
    assert parse_naming_schema("a-%Y%m%d%H%M") == "a-%Y%m%d%H%M"
    with pytest.raises(ValueError):
        parse_naming_schema("%%Y-%m-%d_%H-%M")
    assert parse_schedule({"minute": 5, "dow": None}) == {"minute": "5"}
    with pytest.raises(ValueError, match="unknown keys second"):
        parse_schedule({"second": "1"})
    for key, value in (("minute", "*/15"), ("hour", "0,12"), ("dom", "1-7"), ("month", "jan"), ("dow", "7")):
        assert cron_field_ok(key, value), (key, value)
    for key, value in (("minute", ""), ("hour", "24"), ("dom", "0"), ("month", "*/0"), ("dow", "x")):
        assert not cron_field_ok(key, value), (key, value)
