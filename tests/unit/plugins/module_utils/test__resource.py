# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import copy

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError
from ansible_collections.nasops.truenas.plugins.module_utils._errors import (
    TrueNASConnectionError,
    TrueNASError,
    TrueNASTimeoutError,
    TrueNASUnsupportedError,
    TrueNASValidationError,
)
from ansible_collections.nasops.truenas.plugins.module_utils._resource import (
    Engine,
    Field,
    Resource,
    get_path,
    set_path,
)
from ansible_collections.nasops.truenas.plugins.module_utils._sizes import to_bytes

G = 1024 ** 3


class WidgetResource(Resource):
    NAME = "widget"
    NAMESPACE = "widget"
    RESULT_KEY = "widget"
    IDENTITY = ("name",)
    ERROR_PREFIXES = ("data", "widget_create", "widget_update", "attributes.*")
    FIELDS = (
        Field("name"),
        Field("size", api="volsize", compare="size", parse=to_bytes),
        Field("tags", compare="set"),
        Field("mode", compare="ienum", parse=lambda v: v.upper()),
        Field("options", compare="subset"),
        Field("block", api="blocksize", create_only=True),
        Field("secret", api="password", no_log=True),
        Field("read_only", api="extra.ro"),
        Field("legacy_flag", capability="vm_update_secure_boot"),
        Field("state_text", api="status.state", output_only=True),
    )


class PoweredWidgetResource(WidgetResource):
    """Adds a post-apply step: ``running: true`` starts the widget."""

    def post_apply(self, ctx, after):
        if not ctx.params.get("running") or after.get("state_text") == "RUNNING":
            return False, after
        after = dict(after, state_text="RUNNING")
        if not ctx.check_mode:
            ctx.write("widget.start", after["id"], action="start %s" % ctx.what)
        return True, after


ROW = {
    "id": 7,
    "name": "w1",
    "volsize": 10 * G,
    "tags": ["a", "b"],
    "mode": "FAST",
    "options": {"x": 1, "y": 2},
    "blocksize": 16384,
    "password": "hunter2",
    "extra": {"ro": False},
    "legacy_flag": False,
    "status": {"state": "STOPPED"},
}

NORMALISED = {
    "id": 7,
    "name": "w1",
    "size": 10 * G,
    "tags": ["a", "b"],
    "mode": "FAST",
    "options": {"x": 1, "y": 2},
    "block": 16384,
    "secret": "hunter2",
    "read_only": False,
    "legacy_flag": False,
    "state_text": "STOPPED",
}

DIFF_VIEW = {
    "name": "w1",
    "size": 10 * G,
    "tags": ["a", "b"],
    "mode": "FAST",
    "options": {"x": 1, "y": 2},
    "block": 16384,
    "secret": "********",
    "read_only": False,
    "legacy_flag": False,
}

OPTIONS = ("name", "state", "size", "tags", "mode", "options", "block", "secret", "read_only", "legacy_flag", "running")


def params_for(**given):
    params = dict((name, None) for name in OPTIONS)
    params["state"] = "present"
    params.update(given)
    return params


def make_engine(fake, resource=None, check_mode=False, **given):
    warnings = []
    connects = []

    def factory():
        connects.append(True)
        return fake

    engine = Engine(resource or WidgetResource(), params_for(**given), factory, check_mode=check_mode, warn=warnings.append)
    engine.warnings = warnings
    engine.connects = connects
    return engine


@pytest.fixture
def widgets(fake_client):
    fake_client.table("widget", [ROW], defaults={"status": {"state": "STOPPED"}})
    return fake_client


# (id, params, check_mode) -> (changed, methods called, diff before, diff after)
CASES = [
    ("unchanged", dict(name="w1", size="10G", tags=["b", "a"], mode="fast", options={"x": 1}), False,
     False, ["widget.query"], DIFF_VIEW, DIFF_VIEW),
    ("unchanged-check", dict(name="w1", size=10 * G), True,
     False, ["widget.query"], DIFF_VIEW, DIFF_VIEW),
    ("update", dict(name="w1", size="20G", tags=["c"]), False,
     True, ["widget.query", "widget.update", "widget.query"], DIFF_VIEW, dict(DIFF_VIEW, size=20 * G, tags=["c"])),
    ("update-check", dict(name="w1", size="20G", tags=["c"]), True,
     True, ["widget.query"], DIFF_VIEW, dict(DIFF_VIEW, size=20 * G, tags=["c"])),
    ("update-subset", dict(name="w1", options={"y": 5}), False,
     True, ["widget.query", "widget.update", "widget.query"], DIFF_VIEW, dict(DIFF_VIEW, options={"x": 1, "y": 5})),
    ("update-nested-api-path", dict(name="w1", read_only=True), False,
     True, ["widget.query", "widget.update", "widget.query"], DIFF_VIEW, dict(DIFF_VIEW, read_only=True)),
    ("create", dict(name="w2", size="1G", block=4096), False,
     True, ["widget.query", "widget.create", "widget.query"], {}, {"name": "w2", "size": G, "block": 4096}),
    ("create-check", dict(name="w2", size="1G", block=4096), True,
     True, ["widget.query"], {}, {"name": "w2", "size": G, "block": 4096}),
    ("delete", dict(name="w1", state="absent"), False,
     True, ["widget.query", "widget.delete"], DIFF_VIEW, {}),
    ("delete-check", dict(name="w1", state="absent"), True,
     True, ["widget.query"], DIFF_VIEW, {}),
    ("absent-missing", dict(name="nope", state="absent"), False,
     False, ["widget.query"], {}, {}),
    ("absent-missing-check", dict(name="nope", state="absent"), True,
     False, ["widget.query"], {}, {}),
]


@pytest.mark.parametrize("case, given, check_mode, changed, methods, before, after", CASES, ids=[c[0] for c in CASES])
def test_engine_table(widgets, case, given, check_mode, changed, methods, before, after):
    engine = make_engine(widgets, check_mode=check_mode, **given)
    result = engine.run()
    assert result["changed"] is changed
    assert widgets.methods == methods
    assert result["diff"] == {"before": before, "after": after}
    if check_mode:
        widgets.assert_no_mutation()
    assert engine.warnings == []


def test_update_sends_only_changed_fields_on_their_api_paths(widgets):
    make_engine(widgets, name="w1", size="20G", tags=["a", "b"], read_only=True, options={"y": 5}).run()
    (update,) = widgets.calls_to("widget.update")
    assert update.params == [7, {"volsize": 20 * G, "extra": {"ro": True}, "options": {"x": 1, "y": 5}}]


def test_create_sends_desired_values_and_returns_the_reread_record(widgets):
    result = make_engine(widgets, name="w2", size="1G", tags=["t"], mode="slow", secret="pw").run()
    (create,) = widgets.calls_to("widget.create")
    assert create.params == [{"name": "w2", "volsize": G, "tags": ["t"], "mode": "SLOW", "password": "pw"}]
    assert result["after"] == {
        "id": 8, "name": "w2", "size": G, "tags": ["t"], "mode": "SLOW", "secret": "pw", "state_text": "STOPPED",
    }
    assert widgets.calls[-1].params == [[["id", "=", 8]], {}]


def test_result_returns_normalised_record_with_output_fields(widgets):
    result = make_engine(widgets, name="w1").run()
    assert result["before"] == NORMALISED
    assert result["after"] == NORMALISED


def test_check_mode_update_predicts_current_merged_with_desired(widgets):
    result = make_engine(widgets, check_mode=True, name="w1", options={"z": 3}, mode="slow").run()
    assert result["after"] == dict(NORMALISED, options={"x": 1, "y": 2, "z": 3}, mode="SLOW")
    widgets.assert_no_mutation()


def test_identity_filters_use_api_path_and_to_api():
    class Keyed(Resource):
        IDENTITY = ("label",)
        FIELDS = (Field("label", api="meta.label", to_api=lambda v: v.lower()),)

    assert Keyed().query_filters({"label": "Web"}) == [["meta.label", "=", "web"]]
    assert WidgetResource().query_filters({"name": "w9", "size": G}) == [["name", "=", "w9"]]


def test_create_only_change_is_an_error_naming_the_option(widgets):
    engine = make_engine(widgets, name="w1", block=65536, size="20G")
    with pytest.raises(OptionError) as info:
        engine.run()
    assert info.value.option == "block"
    assert str(info.value) == (
        "block: cannot be changed on the existing widget 'w1' (current 16384, requested 65536); "
        "it can only be set when the widget is created"
    )
    assert widgets.methods == ["widget.query"]
    assert engine.changed is False


def test_create_only_error_masks_secrets(fake_client):
    class Frozen(WidgetResource):
        FIELDS = WidgetResource.FIELDS[:6] + (Field("secret", api="password", no_log=True, create_only=True),)

    fake_client.table("widget", [ROW])
    with pytest.raises(OptionError) as info:
        make_engine(fake_client, resource=Frozen(), name="w1", secret="new-secret").run()
    assert "hunter2" not in str(info.value)
    assert "new-secret" not in str(info.value)
    assert str(info.value) == (
        "secret: cannot be changed on the existing widget 'w1' (current ********, requested ********); "
        "it can only be set when the widget is created"
    )


def test_several_create_only_changes_are_reported_together(fake_client):
    class Frozen(WidgetResource):
        FIELDS = WidgetResource.FIELDS[:5] + (Field("block", api="blocksize", create_only=True),
                                              Field("read_only", api="extra.ro", create_only=True))

    fake_client.table("widget", [ROW])
    with pytest.raises(OptionError) as info:
        make_engine(fake_client, resource=Frozen(), name="w1", block=8192, read_only=True, size="20G").run()
    assert info.value.option == "block, read_only"
    assert str(info.value) == (
        "block, read_only: cannot be changed on the existing widget 'w1' (block: current 16384, requested 8192; "
        "read_only: current False, requested True); it can only be set when the widget is created"
    )
    fake_client.assert_no_mutation()


def test_create_only_field_is_sent_on_create(widgets):
    make_engine(widgets, name="w3", block=65536).run()
    assert widgets.calls_to("widget.create")[0].params == [{"name": "w3", "blocksize": 65536}]


def test_bad_value_fails_before_connecting(widgets):
    engine = make_engine(widgets, name="w1", size="ten gigs")
    with pytest.raises(OptionError) as info:
        engine.run()
    assert str(info.value) == "size: 'ten gigs' is not a valid size (for example 10G, 512MiB, 1.5T or a number of bytes)"
    assert engine.connects == []
    assert widgets.calls == []


def test_validate_hook_runs_before_connecting(widgets):
    class Picky(WidgetResource):
        def validate(self, desired, params):
            if desired.get("mode") == "SLOW" and desired.get("size", 0) > G:
                raise OptionError("mode", "SLOW widgets are at most 1 GiB")

    engine = make_engine(widgets, resource=Picky(), name="w1", mode="slow", size="2G")
    with pytest.raises(OptionError) as info:
        engine.run()
    assert str(info.value) == "mode: SLOW widgets are at most 1 GiB"
    assert engine.connects == []


def test_capability_gate_names_option_and_release_before_any_call(widgets):
    widgets.set_version("25.10.5")
    engine = make_engine(widgets, name="w1", legacy_flag=True)
    with pytest.raises(TrueNASUnsupportedError) as info:
        engine.run()
    assert str(info.value) == "option 'legacy_flag' is only supported on TrueNAS before 25.10 (this server runs 25.10.5)"
    assert widgets.calls == []


def test_capability_gate_passes_when_supported(widgets):
    widgets.set_version("25.04.2")
    result = make_engine(widgets, name="w1", legacy_flag=True).run()
    assert result["changed"] is True
    assert widgets.calls_to("widget.update")[0].params == [7, {"legacy_flag": True}]


def test_capability_gate_ignores_unset_options(widgets):
    widgets.set_version("25.10.5")
    assert make_engine(widgets, name="w1").run()["changed"] is False


def test_warns_when_reread_differs_from_request(fake_client):
    # The server silently keeps mode FAST.
    fake_client.table("widget", [ROW], transform=lambda row: dict(row, mode="FAST"))
    engine = make_engine(fake_client, name="w1", mode="slow")
    result = engine.run()
    assert result["changed"] is True
    assert engine.warnings == [
        "widget 'w1': option 'mode' reads back as 'FAST' after the change, not 'SLOW' as requested; "
        "TrueNAS may have adjusted it"
    ]


def test_object_missing_after_change_is_an_error(fake_client):
    fake_client.respond("widget.query", [copy.deepcopy(ROW)], [])
    fake_client.respond("widget.update", dict(ROW, volsize=20 * G))
    engine = make_engine(fake_client, name="w1", size="20G")
    with pytest.raises(TrueNASError) as info:
        engine.run()
    assert str(info.value) == "widget 'w1' was changed, but it could not be found when read back"
    assert engine.changed is True


def test_server_error_records_action_and_no_change(fake_client, wire_error):
    fake_client.respond("widget.query", [])
    fake_client.respond("widget.create", wire_error("sharing.nfs.create", "path_outside_pool"))
    engine = make_engine(fake_client, name="w5")
    with pytest.raises(TrueNASError):
        engine.run()
    assert engine.action == "create widget 'w5'"
    assert engine.changed is False


def test_post_apply_hook_runs_after_create_and_rereads(fake_client):
    fake_client.table("widget", [])
    fake_client.respond("widget.start", lambda widget_id: fake_client.tables["widget"].update(widget_id, {"status": {"state": "RUNNING"}}))
    result = make_engine(fake_client, resource=PoweredWidgetResource(), name="w1", running=True).run()
    assert fake_client.methods == ["widget.query", "widget.create", "widget.query", "widget.start", "widget.query"]
    assert result["changed"] is True
    assert result["after"]["state_text"] == "RUNNING"


def test_post_apply_hook_alone_reports_change(widgets):
    widgets.respond("widget.start", None)
    result = make_engine(widgets, resource=PoweredWidgetResource(), name="w1", running=True).run()
    assert result["changed"] is True
    assert widgets.methods == ["widget.query", "widget.start", "widget.query"]


def test_post_apply_hook_in_check_mode_predicts_without_calls(widgets):
    result = make_engine(widgets, resource=PoweredWidgetResource(), check_mode=True, name="w1", running=True).run()
    assert result["changed"] is True
    assert result["after"]["state_text"] == "RUNNING"
    assert widgets.methods == ["widget.query"]


def test_failure_after_partial_change_keeps_changed_and_known_record(fake_client):
    fake_client.table("widget", [], defaults={"status": {"state": "STOPPED"}})
    fake_client.respond("widget.start", TrueNASError("[ENOMEM] not enough memory", method="widget.start", errno=12))
    engine = make_engine(fake_client, resource=PoweredWidgetResource(), name="w1", running=True)
    with pytest.raises(TrueNASError):
        engine.run()
    assert engine.changed is True
    assert engine.action == "start widget 'w1'"
    assert engine.known == {"id": 1, "name": "w1", "state_text": "STOPPED"}


def test_write_refuses_in_check_mode(widgets):
    engine = make_engine(widgets, check_mode=True, name="w1")
    with pytest.raises(RuntimeError) as info:
        engine.write("widget.delete", 7)
    assert str(info.value) == "mutating call widget.delete attempted in check mode"
    assert widgets.calls == []


def test_jobs_are_called_with_job_flag(fake_client):
    class JobWidget(WidgetResource):
        JOBS = frozenset(["widget.delete"])

    fake_client.table("widget", [ROW])
    make_engine(fake_client, resource=JobWidget(), name="w1", state="absent").run()
    (delete,) = fake_client.calls_to("widget.delete")
    assert delete.job is True
    assert fake_client.calls_to("widget.query")[0].job is False


def test_ambiguous_identity_is_an_error(fake_client):
    fake_client.table("widget", [ROW, dict(ROW, id=8)])
    engine = make_engine(fake_client, name="w1")
    with pytest.raises(TrueNASError):
        engine.run()
    assert engine.action == "look up widget 'w1'"


@pytest.mark.parametrize("attribute, option", [
    ("widget_create.volsize", "size"),
    ("widget_update.blocksize", "block"),
    ("data.tags.0", "tags.0"),
    ("data.extra.ro", "read_only"),
    ("attributes.DISPLAY.password", "secret"),
    ("data.unknown_key", None),
    ("somewhere.volsize", "size"),
    ("id", None),
    ("", ""),
    (None, None),
])
def test_option_for_translates_validation_attributes(attribute, option):
    assert WidgetResource().option_for(attribute) == option


def test_api_aliases_normalise_and_translate():
    class Versioned(Resource):
        NAME = "thing"
        IDENTITY = ("name",)
        FIELDS = (Field("name"), Field("readonly", api="readonly", api_aliases=("ro",)))

    resource = Versioned()
    assert resource.normalize({"id": 1, "name": "a", "ro": True}) == {"id": 1, "name": "a", "readonly": True}
    assert resource.normalize({"id": 1, "name": "a", "readonly": False}) == {"id": 1, "name": "a", "readonly": False}
    assert resource.option_for("sharingsmb_create.ro") == "readonly"


def test_identity_must_be_declared():
    class Broken(Resource):
        IDENTITY = ("name",)
        FIELDS = (Field("other"),)

    with pytest.raises(ValueError) as info:
        Broken()
    assert str(info.value) == "Broken: identity options ['name'] are not declared as fields"


def test_defaults_for_names_and_params():
    resource = WidgetResource()
    assert resource.method("query") == "widget.query"
    assert resource.label({"name": "w1"}) == "'w1'"
    assert resource.managed_options() == ["name", "size", "tags", "mode", "options", "block", "secret", "read_only", "legacy_flag"]
    assert resource.secret_options() == ["secret"]
    assert resource.payload({"size": G, "read_only": True}) == {"volsize": G, "extra": {"ro": True}}


def test_path_helpers():
    record = {"a": {"b": {"c": 1}}, "x": None}
    assert get_path(record, "a.b.c") == 1
    assert get_path(record, "a.b.missing", "dflt") == "dflt"
    assert get_path(record, "x.y", "dflt") == "dflt"
    target = {}
    set_path(target, "a.b", 2)
    set_path(target, "a.c", 3)
    set_path(target, "top", 4)
    assert target == {"a": {"b": 2, "c": 3}, "top": 4}


def test_connection_error_is_not_attributed_to_the_object(widgets):
    def refuse():
        raise TrueNASConnectionError("connection refused by 127.0.0.1:1")

    engine = Engine(WidgetResource(), params_for(name="w1"), refuse)
    with pytest.raises(TrueNASConnectionError):
        engine.run()
    assert engine.action is None
    assert widgets.calls == []


def exists_error():
    """How TrueNAS refuses a create because another run has just made the object."""
    return TrueNASValidationError("widget.create: [EEXIST] widget_create.name: This name already exists.",
                                  method="widget.create", errors=[("widget_create.name", "This name already exists.", 17)])


def test_refused_create_of_an_object_created_meanwhile_converges_it(fake_client):
    # Another run created the widget between our look-up and our create.
    fake_client.respond("widget.query", [], [copy.deepcopy(ROW)])
    fake_client.respond("widget.create", exists_error())
    result = make_engine(fake_client, name="w1", size="10G").run()
    assert fake_client.methods == ["widget.query", "widget.create", "widget.query"]
    assert result["changed"] is False
    assert result["after"]["size"] == 10 * G


def test_refused_create_then_found_with_other_values_is_updated(fake_client):
    fake_client.respond("widget.query", [], [copy.deepcopy(ROW)], [dict(ROW, volsize=20 * G)])
    fake_client.respond("widget.create", exists_error())
    fake_client.respond("widget.update", dict(ROW, volsize=20 * G))
    result = make_engine(fake_client, name="w1", size="20G").run()
    assert fake_client.methods == ["widget.query", "widget.create", "widget.query", "widget.update", "widget.query"]
    assert result["changed"] is True
    assert result["before"]["size"] == 10 * G
    assert result["after"]["size"] == 20 * G


def test_refused_create_of_a_still_missing_object_reports_the_server_error(fake_client):
    fake_client.respond("widget.query", [], [])
    fake_client.respond("widget.create", exists_error())
    engine = make_engine(fake_client, name="w1")
    with pytest.raises(TrueNASError) as info:
        engine.run()
    assert info.value.method == "widget.create"
    assert engine.action == "create widget 'w1'"
    assert fake_client.methods == ["widget.query", "widget.create", "widget.query"]


@pytest.mark.parametrize("message, errno", [
    ("[EEXIST] sharing.smb.share_precheck.name: Share with this name already exists.", 17),
    ("[EINVAL] sharingsmb_create.name: Share names are case-insensitive and must be unique", 22),
    ("[EINVAL] sharingnfs_create.path: ERROR - Export conflict. Another share with the same path exports /mnt/a", 22),
    ("[EFAULT] Failed to create dataset: dataset already exists", 14),
    ("[EINVAL] widget_create.name: refused", 17),
])
def test_refusals_that_say_the_object_exists(fake_client, message, errno):
    fake_client.respond("widget.query", [], [copy.deepcopy(ROW)])
    fake_client.respond("widget.create", TrueNASError("widget.create: " + message, method="widget.create", errno=errno))
    result = make_engine(fake_client, name="w1", size="10G").run()
    assert result["changed"] is False


def test_a_create_refused_for_another_reason_is_reported_without_a_lookup(fake_client, wire_error):
    """Only a refusal saying the object exists means "created meanwhile"; any other error is the
    answer, even when the object exists by now."""
    fake_client.respond("widget.query", [], [copy.deepcopy(ROW)])
    fake_client.respond("widget.create", wire_error("sharing.nfs.create", "path_outside_pool"))
    engine = make_engine(fake_client, name="w1")
    with pytest.raises(TrueNASError) as info:
        engine.run()
    assert info.value.method == "sharing.nfs.create"
    assert fake_client.methods == ["widget.query", "widget.create"]
    assert engine.changed is False


UNKNOWN_OUTCOMES = [
    pytest.param(lambda method: TrueNASTimeoutError("%s: no reply within 3 s (the request was sent and may still be "
                                                    "running on the server)" % method, method=method), id="timeout"),
    pytest.param(lambda method: TrueNASConnectionError("%s: the server dropped the connection; the request had been "
                                                       "sent and may have run on the server" % method, method=method,
                                                       sent=True), id="dropped-after-sending"),
]


@pytest.mark.parametrize("error", UNKNOWN_OUTCOMES)
def test_a_create_with_unknown_outcome_then_found_is_a_change_with_a_warning(fake_client, error):
    fake_client.respond("widget.query", [], [copy.deepcopy(ROW)])
    fake_client.respond("widget.create", error("widget.create"))
    engine = make_engine(fake_client, name="w1", size="10G")
    result = engine.run()
    assert fake_client.methods == ["widget.query", "widget.create", "widget.query"]
    assert result["changed"] is True
    assert result["before"] is None
    assert result["after"]["size"] == 10 * G
    assert len(engine.warnings) == 1
    assert "the create call got no answer" in engine.warnings[0]
    assert "showed it exists" in engine.warnings[0]


@pytest.mark.parametrize("error", UNKNOWN_OUTCOMES)
def test_a_create_with_unknown_outcome_not_found_reports_the_error(fake_client, error):
    fake_client.respond("widget.query", [], [])
    fake_client.respond("widget.create", error("widget.create"))
    engine = make_engine(fake_client, name="w1")
    with pytest.raises(TrueNASError) as info:
        engine.run()
    assert info.value.method == "widget.create"
    assert engine.action == "create widget 'w1'"
    assert engine.changed is False


def test_a_create_not_sent_is_not_looked_up(fake_client):
    fake_client.respond("widget.query", [])
    fake_client.respond("widget.create", TrueNASConnectionError("widget.create: the connection is closed (request not "
                                                                "sent)", method="widget.create", sent=False))
    engine = make_engine(fake_client, name="w1")
    with pytest.raises(TrueNASConnectionError):
        engine.run()
    assert fake_client.methods == ["widget.query", "widget.create"]


@pytest.mark.parametrize("error", UNKNOWN_OUTCOMES)
def test_an_update_with_unknown_outcome_that_took_effect_is_a_change(fake_client, error):
    updated = dict(ROW, volsize=20 * G)
    fake_client.respond("widget.query", [copy.deepcopy(ROW)], [copy.deepcopy(updated)], [copy.deepcopy(updated)])
    fake_client.respond("widget.update", error("widget.update"))
    engine = make_engine(fake_client, name="w1", size="20G")
    result = engine.run()
    assert result["changed"] is True
    assert result["after"]["size"] == 20 * G
    assert "the update call got no answer" in engine.warnings[0]


@pytest.mark.parametrize("error", UNKNOWN_OUTCOMES)
def test_an_update_with_unknown_outcome_not_applied_reports_the_error(fake_client, error):
    fake_client.respond("widget.query", [copy.deepcopy(ROW)], [copy.deepcopy(ROW)])
    fake_client.respond("widget.update", error("widget.update"))
    engine = make_engine(fake_client, name="w1", size="20G")
    with pytest.raises(TrueNASError):
        engine.run()
    assert engine.changed is False
    assert engine.action == "update widget 'w1'"


@pytest.mark.parametrize("error", UNKNOWN_OUTCOMES)
def test_a_delete_with_unknown_outcome_that_took_effect_is_a_change(fake_client, error):
    fake_client.respond("widget.query", [copy.deepcopy(ROW)], [])
    fake_client.respond("widget.delete", error("widget.delete"))
    engine = make_engine(fake_client, name="w1", state="absent")
    result = engine.run()
    assert result["changed"] is True
    assert result["after"] is None
    assert "the delete call got no answer" in engine.warnings[0]


@pytest.mark.parametrize("error", UNKNOWN_OUTCOMES)
def test_a_delete_with_unknown_outcome_still_there_reports_the_error(fake_client, error):
    fake_client.respond("widget.query", [copy.deepcopy(ROW)], [copy.deepcopy(ROW)])
    fake_client.respond("widget.delete", error("widget.delete"))
    engine = make_engine(fake_client, name="w1", state="absent")
    with pytest.raises(TrueNASError):
        engine.run()
    assert engine.changed is False


class StagedWidgetResource(WidgetResource):
    """Deletes are only staged by the server; post_delete applies them."""

    def post_delete(self, ctx, before):
        ctx.write("widget.apply", before["id"], action="apply the deletion of %s" % ctx.what)


def test_post_delete_hook_runs_after_the_delete_and_not_in_check_mode(widgets):
    widgets.respond("widget.apply", True)
    name = widgets.tables["widget"].rows[0]["name"]
    check = make_engine(widgets, resource=StagedWidgetResource(), check_mode=True, name=name, state="absent").run()
    assert check["changed"] is True and [c.method for c in widgets.mutations] == []
    result = make_engine(widgets, resource=StagedWidgetResource(), name=name, state="absent").run()
    assert result["changed"] is True and result["after"] is None
    assert [c.method for c in widgets.mutations] == ["widget.delete", "widget.apply"]
    assert widgets.calls_to("widget.apply")[0].params == [result["before"]["id"]]
