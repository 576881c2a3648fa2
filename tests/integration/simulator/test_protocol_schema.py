"""Params validation against the method schemas, pydantic style (tests/simulator/schema.py)."""
import pytest

from tests.simulator import schema
from tests.simulator.errors import ValidationErrors


def errors(method, params):
    return schema.get(method).errors(params)


def test_schema_files_load_with_their_positional_params():
    entry = schema.get("pool.dataset.update")
    assert entry.positional == ("id", "data")
    assert schema.get("no.such.method") is None


def test_valid_params_have_no_errors():
    assert errors("pool.dataset.query", [[["name", "=", "tank"]], {"limit": 5, "select": ["name", ["id", "x"]]}]) == []
    assert errors("pool.dataset.query", []) == []
    assert errors("pool.scrub", [1, "START"]) == []


def test_too_many_arguments():
    assert errors("pool.dataset.query", [[], {}, 1]) == [("", "Too many arguments (expected 2, found 3)", 22)]


def test_missing_and_mistyped_positional_params():
    assert errors("pool.scrub", ["1"]) == [("id", "Input should be a valid integer", 22),
                                           ("action", "Field required", 22)]


def test_enum_message():
    assert errors("pool.scrub", [1, "GO"]) == [("action", "Input should be 'START', 'STOP' or 'PAUSE'", 22)]
    assert errors("pool.scrub", [1, 5]) == [("action", "Input should be 'START', 'STOP' or 'PAUSE'", 22)]


@pytest.mark.parametrize("value,message", [
    ("5", "Input should be a valid integer"),
    (True, "Input should be a valid integer"),
    (5.0, "Input should be a valid integer"),
    (None, "Input should be a valid integer"),
])
def test_integers_are_strict(value, message):
    assert errors("pool.dataset.query", [[], {"limit": value}]) == [("options.limit", message, 22)]


@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_booleans_are_strict(value):
    assert errors("pool.dataset.query", [[], {"count": value}]) == [
        ("options.count", "Input should be a valid boolean", 22)]


def test_extra_inputs_and_object_type():
    assert errors("pool.dataset.query", [[], {"nope": 1}]) == [("options.nope", "Extra inputs are not permitted", 22)]
    assert errors("pool.dataset.query", [[], "x"]) == [
        ("options", "Input should be a valid dictionary or instance of QueryOptions", 22)]
    assert errors("pool.dataset.query", ["x"]) == [("filters", "Input should be a valid list", 22)]


def test_list_items_have_index_paths():
    assert errors("pool.dataset.query", [[], {"order_by": ["name", 5]}]) == [
        ("options.order_by.1", "Input should be a valid string", 22)]


def test_union_of_models_reports_each_member():
    assert errors("pool.dataset.create", [{"name": 5}]) == [
        ("data.PoolDatasetCreateFilesystem.name", "Input should be a valid string", 22),
        ("data.PoolDatasetCreateVolume.name", "Input should be a valid string", 22),
        ("data.PoolDatasetCreateVolume.volsize", "Field required", 22),
    ]
    assert errors("pool.dataset.create", [{"name": "tank/a", "volsize": 1073741824}]) == []
    assert errors("pool.dataset.create", [{"name": "tank/a"}]) == []


def test_nullable_fields():
    assert errors("vm.device.create", [{"vm": 1, "attributes": {"dtype": "NIC", "mac": None}}]) == []
    assert errors("vm.device.create", [{"vm": 1, "attributes": {"dtype": "NIC", "mac": 5}}]) == [
        ("vm_device_create.attributes.NIC.mac", "Input should be a valid string", 22)]


def test_discriminated_union_paths_carry_the_tag():
    assert errors("vm.device.create", [{"vm": True, "attributes": {"dtype": "NIC", "mac": "zz", "type": "X"}}]) == [
        ("vm_device_create.attributes.NIC.type", "Input should be 'E1000' or 'VIRTIO'", 22),
        ("vm_device_create.attributes.NIC.mac",
         "String should match pattern '^([0-9A-Fa-f]{2}[:-]?){5}([0-9A-Fa-f]{2})$'", 22),
        ("vm_device_create.vm", "Input should be a valid integer", 22),
    ]


def test_discriminator_missing_or_unknown():
    assert errors("vm.device.create", [{"vm": 1, "attributes": {}}]) == [
        ("vm_device_create.attributes.dtype", "Field required", 22)]
    assert errors("vm.device.create", [{"vm": 1, "attributes": {"dtype": "FOO"}}]) == [
        ("vm_device_create.attributes",
         "Input tag 'FOO' found using 'dtype' does not match any of the expected tags: "
         "'CDROM', 'DISPLAY', 'NIC', 'PCI', 'RAW', 'DISK', 'USB'", 22)]


def test_string_length_limit():
    assert errors("vm.create", [{"name": "x" * 1025, "memory": 1024}]) == [
        ("vm_create.name", "String should have at most 1024 characters", 22)]


def test_validate_raises_validation_errors_with_reason():
    with pytest.raises(ValidationErrors) as exc:
        schema.validate("pool.scrub", [1, "GO"])
    assert str(exc.value) == "[EINVAL] action: Input should be 'START', 'STOP' or 'PAUSE'\n"
    schema.validate("no.such.method", [1, 2, 3])


def test_registered_schema_in_code():
    entry = schema.register("test.schema_probe", ("size", "flags"), {
        "type": "object", "additionalProperties": False,
        "properties": {
            "size": {"type": "integer", "minimum": 1, "maximum": 10},
            "flags": {"type": "array", "items": {"type": "string", "minLength": 2}, "default": []},
        },
        "required": ["size"],
    })
    assert schema.get("test.schema_probe") is entry
    assert entry.errors([0, ["a", "bb"]]) == [("size", "Input should be greater than or equal to 1", 22),
                                              ("flags.0", "String should have at least 2 characters", 22)]
    assert entry.errors([11]) == [("size", "Input should be less than or equal to 10", 22)]
    assert entry.errors([]) == [("size", "Field required", 22)]


def test_accepts_list_for_get_methods():
    accepts = schema.get("pool.scrub").accepts_list()
    assert [(a["_name_"], a["_required_"]) for a in accepts] == [("id", True), ("action", True)]
    assert accepts[1]["enum"] == ["START", "STOP", "PAUSE"]
    query = schema.get("pool.dataset.query").accepts_list()
    assert "$ref" not in str(query)
    assert query[1]["properties"]["order_by"]["items"] == [{"maxLength": 1024, "type": "string"}]
