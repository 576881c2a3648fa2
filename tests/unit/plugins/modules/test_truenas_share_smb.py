# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""truenas_share_smb through the fake client, on the 25.04 flat shape and the 25.10+ purpose +
options shape. The fake tables behave like TrueNAS where it matters: defaults are filled in,
25.04 presets overwrite values, 25.10 replaces ``options`` wholesale."""

import copy
import json

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._errors import TrueNASConnectionError, error_from_wire
from ansible_collections.nasops.truenas.plugins.module_utils._resources.smb import SmbShareResource
from ansible_collections.nasops.truenas.plugins.modules import truenas_share_smb

MAIN = truenas_share_smb.main
V2504 = "25.04.2.6"
V2510 = "25.10.5"
AUDIT = {"enable": False, "watch_list": [], "ignore_list": []}

# ---- a TrueNAS 25.04 server (flat fields, presets) ---------------------------------------------

FLAT_DEFAULTS = {
    "purpose": "DEFAULT_SHARE", "path_suffix": "", "home": False, "comment": "", "ro": False, "browsable": True,
    "timemachine": False, "recyclebin": False, "guestok": False, "abe": False, "hostsallow": [], "hostsdeny": [],
    "aapl_name_mangling": False, "acl": True, "durablehandle": True, "shadowcopy": True, "streams": True,
    "fsrvp": False, "auxsmbconf": "", "enabled": True, "afp": False, "audit": AUDIT, "timemachine_quota": 0,
    "vuid": "", "locked": False,
}
DEFAULT_PRESET = {"ro": False, "browsable": True, "timemachine": False, "recyclebin": False, "abe": False,
                  "hostsallow": [], "hostsdeny": [], "shadowcopy": True, "home": False}


def flat_server(row):
    """What 25.04 does on save: the DEFAULT_SHARE preset overwrites its values."""
    if row["purpose"] == "DEFAULT_SHARE":
        row.update(copy.deepcopy(DEFAULT_PRESET))
    row["path_local"] = row["path"]
    return row


def flat_row(**changes):
    row = dict(copy.deepcopy(FLAT_DEFAULTS), id=1, name="media", path="/mnt/tank/media", path_local="/mnt/tank/media")
    row.update(changes)
    return row


# ---- a TrueNAS 25.10 server (purpose + options) -------------------------------------------------

LEGACY_OPTIONS = {
    "recyclebin": False, "path_suffix": None, "hostsallow": [], "hostsdeny": [], "guestok": False, "streams": True,
    "durablehandle": True, "shadowcopy": True, "fsrvp": False, "home": False, "acl": True, "afp": False,
    "timemachine": False, "timemachine_quota": 0, "aapl_name_mangling": False, "vuid": None, "auxsmbconf": "",
}
PO_OPTION_DEFAULTS = {
    "DEFAULT_SHARE": {"aapl_name_mangling": False, "hostsallow": [], "hostsdeny": []},
    "LEGACY_SHARE": LEGACY_OPTIONS,
    "TIMEMACHINE_SHARE": {"timemachine_quota": 0, "auto_snapshot": False, "auto_dataset_creation": False,
                          "dataset_naming_schema": None, "vuid": "8f2f7e52-1c0a-4a57-9d43-0a5d4c1e9b10",
                          "hostsallow": [], "hostsdeny": []},
}
PO_DEFAULTS = {"purpose": "DEFAULT_SHARE", "enabled": True, "comment": "", "readonly": False, "browsable": True,
               "access_based_share_enumeration": False, "audit": AUDIT, "options": None, "locked": False}


def po_server(row):
    """What 25.10 does on save: every unsent option gets its purpose's default."""
    options = copy.deepcopy(PO_OPTION_DEFAULTS[row["purpose"]])
    options.update(row.get("options") or {})
    row["options"] = options
    return row


def po_row(purpose="DEFAULT_SHARE", options=None, **changes):
    row = dict(copy.deepcopy(PO_DEFAULTS), id=1, name="media", path="/mnt/tank/media", purpose=purpose,
               options=dict(copy.deepcopy(PO_OPTION_DEFAULTS[purpose]), **(options or {})))
    row.update(changes)
    return row


def _match(row, flt):
    field, op, value = flt
    actual = row.get(field)
    if op == "=":
        return actual == value
    if op == "Cin":
        return isinstance(actual, str) and actual.casefold() in [v.casefold() for v in value]
    raise AssertionError("unexpected filter %r" % (flt,))


def serve(client, version, rows, transform):
    client.set_version(version)
    defaults = FLAT_DEFAULTS if transform is flat_server else PO_DEFAULTS
    table = client.table("sharing.smb", rows, defaults=defaults, transform=transform)
    client.respond("sharing.smb.query",
                   lambda filters, options: [copy.deepcopy(r) for r in table.rows if all(_match(r, f) for f in filters)])
    return table


@pytest.fixture
def flat(fake_client):
    serve(fake_client, V2504, [flat_row()], flat_server)
    return fake_client


@pytest.fixture
def po(fake_client):
    serve(fake_client, V2510, [po_row()], po_server)
    return fake_client


def rows(client):
    return client.tables["sharing.smb"].rows


def params_of(client, method):
    return [c.params for c in client.calls_to(method)]


def validation_error(method, *items):
    return error_from_wire({"code": -32602, "message": "Invalid params", "data": {
        "error": 22, "errname": "EINVAL", "reason": "".join("[EINVAL] %s: %s\n" % (a, m) for a, m in items),
        "extra": [[a, m, 22] for a, m in items]}}, method)


MEDIA_PO = {
    "id": 1, "name": "media", "path": "/mnt/tank/media", "purpose": "default", "comment": "", "enabled": True,
    "browsable": True, "readonly": False, "access_based_enumeration": False, "guest_ok": None, "hosts_allow": [],
    "hosts_deny": [], "timemachine": False, "timemachine_quota": None, "recycle_bin": None, "shadow_copies": None,
    "audit": AUDIT, "auxiliary_parameters": None, "locked": False,
}
MEDIA_FLAT = {
    "id": 1, "name": "media", "path": "/mnt/tank/media", "purpose": "default", "comment": "", "enabled": True,
    "browsable": True, "readonly": False, "access_based_enumeration": False, "guest_ok": False, "hosts_allow": [],
    "hosts_deny": [], "timemachine": False, "timemachine_quota": 0, "recycle_bin": False, "shadow_copies": True,
    "audit": AUDIT, "auxiliary_parameters": "", "locked": False,
}


# ---- 25.04: flat shape ---------------------------------------------------------------------------

def test_2504_create_plain_share_keeps_the_default_preset(run_module, fake_client):
    serve(fake_client, V2504, [], flat_server)
    result = run_module(MAIN, {"name": "media", "path": "/mnt/tank/media/", "comment": "films"})
    assert result["changed"] is True
    assert params_of(fake_client, "sharing.smb.create") == [[{"name": "media", "path": "/mnt/tank/media",
                                                              "comment": "films", "purpose": "DEFAULT_SHARE"}]]
    assert result["smb_share"] == dict(MEDIA_FLAT, comment="films")


def test_2504_flags_without_purpose_send_no_preset(run_module, fake_client):
    serve(fake_client, V2504, [], flat_server)
    result = run_module(MAIN, {"name": "media", "path": "/mnt/tank/media", "readonly": True,
                               "hosts_allow": ["10.0.0.0/8"], "access_based_enumeration": True}, diff=True)
    assert params_of(fake_client, "sharing.smb.create") == [[{
        "name": "media", "path": "/mnt/tank/media", "purpose": "NO_PRESET", "ro": True, "hostsallow": ["10.0.0.0/8"],
        "abe": True}]]
    assert rows(fake_client)[0]["ro"] is True
    assert result["smb_share"] == dict(MEDIA_FLAT, purpose="legacy", readonly=True, hosts_allow=["10.0.0.0/8"],
                                       access_based_enumeration=True)
    assert result["diff"]["after"]["purpose"] == "legacy"
    assert "ro" not in result["diff"]["after"]
    assert result.get("warnings") in (None, [])


def test_2504_update_of_a_preset_value_switches_to_no_preset(run_module, flat):
    result = run_module(MAIN, {"name": "media", "readonly": True, "guest_ok": True})
    assert result["changed"] is True
    assert params_of(flat, "sharing.smb.update") == [[1, {"purpose": "NO_PRESET", "ro": True, "guestok": True}]]
    assert rows(flat)[0]["purpose"] == "NO_PRESET"
    assert result["smb_share"]["purpose"] == "legacy"


def test_2504_update_that_the_preset_allows_keeps_it(run_module, flat):
    result = run_module(MAIN, {"name": "media", "comment": "films", "browsable": True, "audit": {"enable": False}})
    assert params_of(flat, "sharing.smb.update") == [[1, {"comment": "films"}]]
    assert result["smb_share"]["purpose"] == "default"


def test_2504_explicit_preset_that_overwrites_a_value_fails_before_any_change(run_module, flat):
    result = run_module(MAIN, {"name": "media", "purpose": "default", "readonly": True, "hosts_allow": ["a"]})
    assert result["failed"] is True
    assert result["msg"] == (
        "readonly, hosts_allow: cannot be set with purpose 'default' on TrueNAS 25.04.2.6 (readonly: the "
        "DEFAULT_SHARE preset sets it to false every time the share is saved; hosts_allow: the DEFAULT_SHARE preset "
        "sets it to [] every time the share is saved); use purpose: legacy or leave purpose unset")
    flat.assert_no_mutation()


def test_2504_purpose_that_needs_a_later_version(run_module, flat):
    result = run_module(MAIN, {"name": "fc", "path": "/mnt/tank/fc", "purpose": "fcp"})
    assert result["failed"] is True
    assert result["msg"] == "purpose: 'fcp' is not available on TrueNAS 25.04.2.6 (it needs TrueNAS 25.10 or later)"
    flat.assert_no_mutation()


def test_2504_unchanged_costs_one_query(run_module, fake_client):
    serve(fake_client, V2504, [flat_row(purpose="NO_PRESET", ro=True, hostsallow=["b", "a"], auxsmbconf="x = 1\n",
                                        timemachine_quota=1073741824)], flat_server)
    result = run_module(MAIN, {"name": "MEDIA", "path": "/mnt/tank/media", "readonly": True, "hosts_allow": ["a", "b"],
                               "auxiliary_parameters": ["x = 1"], "timemachine_quota": "1G", "purpose": "legacy"})
    assert result["changed"] is False
    assert fake_client.methods == ["sharing.smb.query"]
    assert fake_client.calls[0].params == [[["name", "Cin", ["MEDIA"]]], {}]


def test_2504_check_mode_purpose_change_predicts_the_preset(run_module, fake_client):
    serve(fake_client, V2504, [flat_row(purpose="NO_PRESET", ro=True, recyclebin=True)], flat_server)
    result = run_module(MAIN, {"name": "media", "purpose": "default"}, check_mode=True, diff=True)
    fake_client.assert_no_mutation()
    assert result["changed"] is True
    assert result["smb_share"]["readonly"] is False
    assert result["smb_share"]["recycle_bin"] is False
    assert result["diff"]["before"]["readonly"] is True
    assert result["diff"]["after"]["purpose"] == "default"


def test_2504_timemachine_preset_holds_quota(run_module, fake_client):
    serve(fake_client, V2504, [], flat_server)
    result = run_module(MAIN, {"name": "tm", "path": "/mnt/tank/tm", "purpose": "timemachine", "timemachine": True,
                               "timemachine_quota": "500G"})
    assert params_of(fake_client, "sharing.smb.create") == [[{
        "name": "tm", "path": "/mnt/tank/tm", "purpose": "TIMEMACHINE", "timemachine": True,
        "timemachine_quota": 536870912000}]]
    assert result["smb_share"]["timemachine_quota"] == 536870912000


# ---- 25.10 and later: purpose + options ----------------------------------------------------------

def test_create_with_hosts_sends_default_purpose_and_options(run_module, fake_client):
    serve(fake_client, V2510, [], po_server)
    result = run_module(MAIN, {"name": "media", "path": "/mnt/tank/media", "readonly": True,
                               "hosts_allow": ["192.168.1.0/24"], "access_based_enumeration": True})
    assert params_of(fake_client, "sharing.smb.create") == [[{
        "name": "media", "path": "/mnt/tank/media", "readonly": True, "access_based_share_enumeration": True,
        "purpose": "DEFAULT_SHARE", "options": {"hostsallow": ["192.168.1.0/24"]}}]]
    assert result["smb_share"] == dict(MEDIA_PO, readonly=True, access_based_enumeration=True,
                                       hosts_allow=["192.168.1.0/24"])


def test_create_plain_sends_the_default_purpose(run_module, fake_client):
    serve(fake_client, V2510, [], po_server)
    run_module(MAIN, {"name": "media", "path": "/mnt/tank/media", "enabled": False, "timemachine": False})
    assert params_of(fake_client, "sharing.smb.create") == [[{
        "name": "media", "path": "/mnt/tank/media", "enabled": False, "purpose": "DEFAULT_SHARE", "options": {}}]]


def test_create_with_legacy_flags_chooses_legacy_share(run_module, fake_client):
    serve(fake_client, V2510, [], po_server)
    result = run_module(MAIN, {"name": "pub", "path": "/mnt/tank/pub", "guest_ok": True, "recycle_bin": True,
                               "auxiliary_parameters": "  veto files = /.DS_Store/\n\n"}, diff=True)
    assert params_of(fake_client, "sharing.smb.create") == [[{
        "name": "pub", "path": "/mnt/tank/pub", "purpose": "LEGACY_SHARE",
        "options": {"guestok": True, "recyclebin": True, "auxsmbconf": "veto files = /.DS_Store/"}}]]
    share = result["smb_share"]
    flags = (share["purpose"], share["guest_ok"], share["recycle_bin"], share["shadow_copies"])
    assert flags == ("legacy", True, True, True)
    assert share["auxiliary_parameters"] == "veto files = /.DS_Store/"
    assert result["diff"]["after"]["purpose"] == "legacy"
    assert "options" not in result["diff"]["after"]


def test_update_legacy_flag_on_default_share_moves_it_to_legacy_with_full_options(run_module, fake_client):
    serve(fake_client, V2510, [po_row(options={"hostsallow": ["10.0.0.1"], "aapl_name_mangling": True})], po_server)
    result = run_module(MAIN, {"name": "media", "shadow_copies": False})
    assert params_of(fake_client, "sharing.smb.update") == [[1, {"purpose": "LEGACY_SHARE", "options": {
        "aapl_name_mangling": True, "hostsallow": ["10.0.0.1"], "hostsdeny": [], "shadowcopy": False}}]]
    assert result["smb_share"]["purpose"] == "legacy"
    assert result["smb_share"]["hosts_allow"] == ["10.0.0.1"]
    assert result["smb_share"]["shadow_copies"] is False


def test_update_of_options_sends_the_merged_full_set(run_module, fake_client):
    legacy = dict(LEGACY_OPTIONS, guestok=True, vuid="0b8a42f4-51a6-4b53-9b2b-3e7f3f4f8a11", timemachine=True)
    serve(fake_client, V2510, [po_row("LEGACY_SHARE", legacy)], po_server)
    result = run_module(MAIN, {"name": "media", "hosts_deny": ["bad.example.com"], "guest_ok": True})
    expected = {"purpose": "LEGACY_SHARE", "options": dict(legacy, hostsdeny=["bad.example.com"])}
    assert params_of(fake_client, "sharing.smb.update") == [[1, expected]]
    assert rows(fake_client)[0]["options"]["vuid"] == "0b8a42f4-51a6-4b53-9b2b-3e7f3f4f8a11"
    assert rows(fake_client)[0]["options"]["guestok"] is True
    assert result["smb_share"]["hosts_deny"] == ["bad.example.com"]


def test_update_of_top_level_fields_leaves_options_alone(run_module, po):
    result = run_module(MAIN, {"name": "media", "readonly": True, "browsable": False, "comment": "c"})
    assert params_of(po, "sharing.smb.update") == [[1, {"readonly": True, "browsable": False, "comment": "c"}]]
    assert result["smb_share"] == dict(MEDIA_PO, readonly=True, browsable=False, comment="c")


def test_explicit_purpose_that_cannot_hold_an_option_fails(run_module, po):
    result = run_module(MAIN, {"name": "media", "purpose": "default", "guest_ok": False})
    assert result["msg"] == (
        "guest_ok: cannot be set with purpose 'default' on TrueNAS 25.10.5 (shares of that purpose have no such "
        "setting, legacy shares have it); use purpose: legacy or leave purpose unset")
    po.assert_no_mutation()


def test_timemachine_purpose_is_always_a_time_machine(run_module, fake_client):
    serve(fake_client, V2510, [], po_server)
    result = run_module(MAIN, {"name": "tm", "path": "/mnt/tank/tm", "purpose": "timemachine", "timemachine": False})
    assert result["msg"] == (
        "timemachine: cannot be set with purpose 'timemachine' on TrueNAS 25.10.5 (shares of that purpose are always "
        "Time Machine targets); use purpose: legacy or leave purpose unset")
    result = run_module(MAIN, {"name": "tm", "path": "/mnt/tank/tm", "purpose": "timemachine", "timemachine": True,
                               "timemachine_quota": "1T"})
    assert params_of(fake_client, "sharing.smb.create") == [[{
        "name": "tm", "path": "/mnt/tank/tm", "purpose": "TIMEMACHINE_SHARE",
        "options": {"timemachine_quota": 1099511627776}}]]
    assert (result["smb_share"]["timemachine"], result["smb_share"]["timemachine_quota"]) == (True, 1099511627776)


def test_changing_purpose_keeps_the_settings_both_have(run_module, fake_client):
    tm = {"timemachine_quota": 2048, "hostsallow": ["mac.example.com"]}
    serve(fake_client, V2510, [po_row("TIMEMACHINE_SHARE", tm)], po_server)
    result = run_module(MAIN, {"name": "media", "guest_ok": True})
    sent = params_of(fake_client, "sharing.smb.update")[0][1]
    assert sent == {"purpose": "LEGACY_SHARE", "options": {
        "timemachine_quota": 2048, "vuid": "8f2f7e52-1c0a-4a57-9d43-0a5d4c1e9b10", "hostsallow": ["mac.example.com"],
        "hostsdeny": [], "timemachine": True, "guestok": True}}
    assert (result["smb_share"]["timemachine"], result["smb_share"]["timemachine_quota"]) == (True, 2048)


def test_check_mode_purpose_change_predicts_reset_settings(run_module, fake_client):
    serve(fake_client, V2510, [po_row("LEGACY_SHARE", {"guestok": True, "recyclebin": True})], po_server)
    result = run_module(MAIN, {"name": "media", "purpose": "default"}, check_mode=True, diff=True)
    fake_client.assert_no_mutation()
    assert result["smb_share"]["purpose"] == "default"
    assert (result["smb_share"]["guest_ok"], result["smb_share"]["recycle_bin"]) == (None, None)
    assert result["diff"]["before"]["guest_ok"] is True
    real = run_module(MAIN, {"name": "media", "purpose": "default"}, diff=True)
    assert real["diff"]["after"] == result["diff"]["after"]


def test_check_mode_switch_to_legacy_predicts_its_defaults(run_module, po):
    result = run_module(MAIN, {"name": "media", "guest_ok": True}, check_mode=True)
    po.assert_no_mutation()
    predicted = result["smb_share"]
    real = run_module(MAIN, {"name": "media", "guest_ok": True})["smb_share"]
    assert predicted == real
    assert (predicted["shadow_copies"], predicted["auxiliary_parameters"], predicted["timemachine_quota"]) == (True, "", 0)


def test_check_mode_create_reports_the_purpose(run_module, fake_client):
    serve(fake_client, V2504, [], flat_server)
    result = run_module(MAIN, {"name": "m", "path": "/mnt/tank/m", "comment": "c"}, check_mode=True)
    assert result["smb_share"] == {"name": "m", "path": "/mnt/tank/m", "purpose": "default", "comment": "c"}
    fake_client.assert_no_mutation()


def test_check_mode_create(run_module, fake_client):
    serve(fake_client, V2510, [], po_server)
    result = run_module(MAIN, {"name": "pub", "path": "/mnt/tank/pub", "guest_ok": True, "create_path": True},
                        check_mode=True, diff=True)
    assert result["changed"] is True
    assert fake_client.methods == ["sharing.smb.query"]
    assert result["smb_share"] == {"name": "pub", "path": "/mnt/tank/pub", "purpose": "legacy", "guest_ok": True}
    assert result["diff"] == {"before": {}, "after": {"name": "pub", "path": "/mnt/tank/pub", "purpose": "legacy",
                                                      "guest_ok": True}}
    assert rows(fake_client) == []


def test_unchanged_with_equivalent_values(run_module, fake_client):
    legacy = dict(LEGACY_OPTIONS, hostsallow=["a", "b"], auxsmbconf="x = 1\ny = 2\n", timemachine_quota=1073741824)
    audit = {"enable": True, "watch_list": ["g1", "g2"], "ignore_list": []}
    serve(fake_client, V2510, [po_row("LEGACY_SHARE", legacy, audit=audit)], po_server)
    result = run_module(MAIN, {"name": "Media", "hosts_allow": ["b", "a"], "auxiliary_parameters": ["x = 1", " y = 2 "],
                               "timemachine_quota": "1 GiB", "audit": {"watch_list": ["g2", "g1"]}, "guest_ok": False})
    assert result["changed"] is False
    assert fake_client.methods == ["sharing.smb.query"]


def test_audit_merges_given_keys(run_module, po):
    result = run_module(MAIN, {"name": "media", "audit": {"enable": True, "watch_list": ["builtin_users"]}}, diff=True)
    assert params_of(po, "sharing.smb.update") == [[1, {"audit": {"enable": True, "watch_list": ["builtin_users"],
                                                                  "ignore_list": []}}]]
    assert result["diff"]["before"]["audit"] == AUDIT
    assert result["diff"]["after"]["audit"] == {"enable": True, "watch_list": ["builtin_users"], "ignore_list": []}


def test_returns_fields_of_truenas_26(run_module, fake_client):
    serve(fake_client, "26.0.0", [po_row(dataset="tank/media", relative_path="", tier=None)], po_server)
    result = run_module(MAIN, {"name": "media"})
    assert result["smb_share"] == dict(MEDIA_PO, dataset="tank/media", relative_path="")


# ---- rename --------------------------------------------------------------------------------------

def test_rename_alone(run_module, po):
    result = run_module(MAIN, {"name": "media", "new_name": "films"}, diff=True)
    assert result["changed"] is True
    assert params_of(po, "sharing.smb.update") == [[1, {"name": "films"}]]
    assert po.calls[0].params == [[["name", "Cin", ["media", "films"]]], {}]
    assert result["smb_share"]["name"] == "films"
    assert (result["diff"]["before"]["name"], result["diff"]["after"]["name"]) == ("media", "films")


def test_rename_with_changes_is_one_update(run_module, po):
    result = run_module(MAIN, {"name": "media", "new_name": "films", "comment": "c"})
    assert params_of(po, "sharing.smb.update") == [[1, {"comment": "c", "name": "films"}]]
    assert result["smb_share"]["name"] == "films"


def test_rename_done_already_is_unchanged(run_module, fake_client):
    serve(fake_client, V2510, [po_row(name="films")], po_server)
    result = run_module(MAIN, {"name": "media", "new_name": "films"})
    assert result["changed"] is False
    fake_client.assert_no_mutation()


def test_rename_check_mode_predicts(run_module, po):
    result = run_module(MAIN, {"name": "media", "new_name": "Films"}, check_mode=True)
    assert result["changed"] is True
    assert result["smb_share"]["name"] == "Films"
    po.assert_no_mutation()


def test_rename_case_only(run_module, po):
    result = run_module(MAIN, {"name": "media", "new_name": "Media"})
    assert params_of(po, "sharing.smb.update") == [[1, {"name": "Media"}]]
    assert result["smb_share"]["name"] == "Media"


def test_rename_onto_an_existing_share_fails(run_module, fake_client):
    serve(fake_client, V2510, [po_row(), po_row(id=2, name="Films")], po_server)
    result = run_module(MAIN, {"name": "media", "new_name": "films"})
    assert result["msg"] == ("new_name: cannot rename SMB share 'media' to 'films': a share named 'Films' already "
                             "exists (share names are case-insensitive)")
    fake_client.assert_no_mutation()


def test_rename_of_a_missing_share_fails(run_module, po):
    result = run_module(MAIN, {"name": "nothing", "new_name": "other"})
    assert result["msg"] == ("new_name: cannot rename SMB share 'nothing' to 'other': neither share exists; use "
                             "name: other without new_name to create it")
    po.assert_no_mutation()


# ---- create_path ---------------------------------------------------------------------------------

def test_create_path_creates_the_dataset_first(run_module, fake_client):
    serve(fake_client, V2510, [], po_server)
    fake_client.respond("pool.dataset.query", [])
    fake_client.respond("pool.dataset.create", {"id": "tank/new", "name": "tank/new"})
    result = run_module(MAIN, {"name": "new", "path": "/mnt/tank/new", "create_path": True})
    assert result["changed"] is True
    assert fake_client.methods == ["sharing.smb.query", "pool.dataset.query", "pool.dataset.create",
                                   "sharing.smb.create", "sharing.smb.query"]
    assert params_of(fake_client, "pool.dataset.query") == [[[["id", "=", "tank/new"]],
                                                            {"extra": {"retrieve_children": False, "properties": []}}]]
    assert params_of(fake_client, "pool.dataset.create") == [[{"name": "tank/new", "share_type": "SMB"}]]


def test_create_path_leaves_an_existing_dataset(run_module, fake_client):
    serve(fake_client, V2510, [], po_server)
    fake_client.respond("pool.dataset.query", [{"id": "tank/new", "name": "tank/new"}])
    run_module(MAIN, {"name": "new", "path": "/mnt/tank/new", "create_path": True})
    assert fake_client.calls_to("pool.dataset.create") == []
    assert len(fake_client.calls_to("sharing.smb.create")) == 1


def test_create_path_failure_names_path_and_changes_nothing(run_module, fake_client):
    serve(fake_client, V2510, [], po_server)
    fake_client.respond("pool.dataset.query", [])
    fake_client.respond("pool.dataset.create", validation_error(
        "pool.dataset.create", ("pool_dataset_create.name", "Parent dataset (tank/a) does not exist.")))
    result = run_module(MAIN, {"name": "new", "path": "/mnt/tank/a/b", "create_path": True})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == ("Failed to create dataset 'tank/a/b' for SMB share 'new': path: Parent dataset (tank/a) "
                             "does not exist.")
    assert fake_client.calls_to("sharing.smb.create") == []


def test_create_path_outside_a_pool_fails(run_module, fake_client):
    serve(fake_client, V2510, [], po_server)
    for path in ("/mnt/tank", "/srv/share"):
        result = run_module(MAIN, {"name": "new", "path": path, "create_path": True}, check_mode=True)
        assert result["msg"] == ("create_path: can only create a dataset below a pool, /mnt/<pool>/<dataset>; path "
                                 "is %r" % path)
    assert fake_client.calls == []


def test_create_path_is_not_used_when_the_share_exists(run_module, po):
    result = run_module(MAIN, {"name": "media", "path": "/mnt/tank/media", "create_path": True})
    assert result["changed"] is False
    assert po.methods == ["sharing.smb.query"]


# ---- delete --------------------------------------------------------------------------------------

def test_delete(run_module, po):
    result = run_module(MAIN, {"name": "MEDIA", "state": "absent"}, diff=True)
    assert result["changed"] is True
    assert params_of(po, "sharing.smb.delete") == [[1]]
    assert rows(po) == []
    assert result["smb_share"] == {}
    assert result["diff"]["after"] == {}
    assert result["diff"]["before"]["name"] == "media"


def test_delete_check_mode_and_missing(run_module, po):
    result = run_module(MAIN, {"name": "media", "state": "absent"}, check_mode=True)
    assert result["changed"] is True
    po.assert_no_mutation()
    result = run_module(MAIN, {"name": "other", "state": "absent"})
    assert result["changed"] is False
    po.assert_no_mutation()


# ---- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    ({"name": "a/b"}, "name: 'a/b' contains characters SMB share names cannot have: /"),
    ({"name": "Homes"}, "name: 'Homes' is reserved by Samba; choose another name"),
    ({"name": "x" * 81}, "name: must be at most 80 characters, got 81"),
    ({"new_name": "a:b"}, "new_name: 'a:b' contains characters SMB share names cannot have: :"),
    ({"new_name": "b", "state": "absent"}, "new_name: cannot be used with state=absent; delete the share by its name"),
    ({"path": "tank/media"}, "path: must be an absolute path inside a pool, such as /mnt/tank/share, got 'tank/media'"),
    ({"hosts_allow": [{"host": "a"}]},
     "hosts_allow: entries must be strings (host names, IP addresses or networks), got {'host': 'a'} of type dict"),
    ({"hosts_deny": [10]},
     "hosts_deny: entries must be strings (host names, IP addresses or networks), got 10 of type int"),
    ({"hosts_allow": ["a b"]}, "hosts_allow: 'a b' is not one host, address or network: spaces, commas and quotes are "
                               "not allowed; list each entry separately"),
    ({"hosts_allow": [""]}, "hosts_allow: entries must not be empty"),
    ({"auxiliary_parameters": "oplocks"}, "auxiliary_parameters: 'oplocks' is not a 'parameter = value' line"),
    ({"auxiliary_parameters": ["[global]"]},
     "auxiliary_parameters: '[global]': sections are not allowed, only 'parameter = value' lines"),
    ({"auxiliary_parameters": {"a": "b"}}, "auxiliary_parameters: must be a string or a list of strings, got dict"),
    ({"timemachine_quota": "lots"}, "timemachine_quota: "),
    ({"audit": {"watch_list": [""]}}, "audit: watch_list entries must be group names, got ''"),
    ({"purpose": "nfs"}, "value of purpose must be one of: default, fcp, legacy, multiprotocol, private_datasets, "
                         "time_locked, timemachine, veeam_repository, got: nfs"),
    ({"guest_ok": "perhaps"}, "argument 'guest_ok' is of type str and we were unable to convert to bool"),
])
def test_bad_input_names_the_option_and_sends_nothing(run_module, po, args, message):
    full = {"name": "media"}
    full.update(args)
    result = run_module(MAIN, full)
    assert result["failed"] is True
    assert result["msg"].startswith(message)
    assert "Traceback" not in result["msg"]
    assert po.calls == []


def test_create_needs_a_path(run_module, po):
    result = run_module(MAIN, {"name": "new", "comment": "x"})
    assert result["msg"] == "path: is required to create SMB share 'new' (no share of that name exists)"
    po.assert_no_mutation()


@pytest.mark.parametrize("attribute, option", [
    ("sharingsmb_create.path", "path"),
    ("sharingsmb_create.name", "name"),
    ("data.options.LEGACY_SHARE.timemachine_quota", "timemachine_quota"),
    ("sharingsmb_create.options.auxsmbconf", "auxiliary_parameters"),
    ("sharingsmb_create.audit.watch_list.1", "audit.watch_list.1"),
])
def test_server_validation_error_names_the_option(run_module, fake_client, attribute, option):
    serve(fake_client, V2510, [], po_server)
    fake_client.respond("sharing.smb.create", validation_error("sharing.smb.create", (attribute, "refused")))
    result = run_module(MAIN, {"name": "new", "path": "/mnt/tank/new", "guest_ok": True})
    assert result["failed"] is True
    assert result["changed"] is False
    assert result["msg"] == "Failed to create SMB share 'new': %s: refused" % option
    assert result["error"]["errors"][0]["option"] == option


def test_2504_server_errors_name_the_option(run_module, flat):
    flat.respond("sharing.smb.update", validation_error("sharing.smb.update", ("sharingsmb_update.path_local",
                                                                               "Path does not exist.")))
    result = run_module(MAIN, {"name": "media", "path": "/mnt/tank/gone"})
    assert result["msg"] == "Failed to update SMB share 'media': path: Path does not exist."


def test_failure_after_create_reports_change(run_module, fake_client):
    serve(fake_client, V2510, [], po_server)
    fake_client.respond("sharing.smb.query", [], TrueNASConnectionError("the connection to 127.0.0.1:443 broke"))
    fake_client.respond("sharing.smb.create", po_server(dict(PO_DEFAULTS, id=7, name="new", path="/mnt/tank/new")))
    result = run_module(MAIN, {"name": "new", "path": "/mnt/tank/new"})
    assert result["failed"] is True
    assert result["changed"] is True
    assert result["msg"] == "Failed to read back SMB share 'new': the connection to 127.0.0.1:443 broke"
    assert result["smb_share"]["id"] == 7


def test_secrets_of_the_connection_never_appear(run_module, po):
    password = "Very-Secret-Pw1"
    result = run_module(MAIN, {"name": "media", "comment": "x", "password": password, "username": "admin"}, diff=True)
    assert password not in json.dumps(result)
    assert "k" * 64 not in json.dumps(result)


def test_module_file_stays_thin():
    source = open(truenas_share_smb.__file__).read()
    code = source.split('RETURN = r"""', 1)[1].split('"""', 1)[1]
    assert "sharing.smb" not in code
    assert len([line for line in code.splitlines() if line.strip()]) <= 45


def test_argument_spec_matches_descriptor_options():
    spec = truenas_share_smb.argument_spec()
    options = set(f.option for f in SmbShareResource.FIELDS if not f.output_only)
    assert options == set(spec) - {"state", "new_name", "create_path"}
