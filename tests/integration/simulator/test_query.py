"""query-filters / query-options (``tests/simulator/query.py``), §7 of the protocol reference."""
import datetime

import pytest

from tests.simulator import profiles
from tests.simulator.errors import InstanceNotFound, MatchNotFound, ValidationErrors
from tests.simulator.query import filter_list, get_instance, get_path

P2504 = profiles.get("25.04")
P2510 = profiles.get("25.10")

ROWS = [
    {"id": 1, "name": "sda", "type": "HDD", "size": 4000, "serial": "WD-1", "pool": "tank", "tags": ["a", "b"],
     "zfs": {"guid": "11", "vdev": "mirror-0"}, "parts": [{"name": "sda1", "size": 10}, {"name": "sda2", "size": 20}],
     "created": {"$date": 1700000000000}, "comment": None},
    {"id": 2, "name": "sdb", "type": "HDD", "size": 8000, "serial": "wd-2", "pool": None, "tags": ["b"],
     "zfs": {"guid": "22", "vdev": "mirror-0"}, "parts": [{"name": "sdb1", "size": 30}],
     "created": {"$date": 1710000000000}, "comment": "spare"},
    {"id": 3, "name": "nvme0n1", "type": "SSD", "size": 1000, "serial": "S4-3", "pool": "fast", "tags": [],
     "zfs": {"guid": "33", "vdev": None}, "parts": [], "created": {"$date": 1720000000000}, "comment": "Fast"},
    {"id": 4, "name": "sdc", "type": "HDD", "size": 2000, "serial": "WD-4", "pool": "tank", "tags": ["c"],
     "parts": [{"name": "sdc1", "size": 5}], "created": {"$date": 1730000000000}, "comment": None},
]


def ids(rows):
    return [r["id"] for r in rows]


def q(filters=None, options=None, profile=P2510, **kw):
    return filter_list(ROWS, filters, options, profile=profile, **kw)


def verror(exc):
    return exc.value.errors


@pytest.mark.parametrize("flt,expected", [
    (["size", "=", 4000], [1]),
    (["size", "!=", 4000], [2, 3, 4]),
    (["size", ">", 2000], [1, 2]),
    (["size", ">=", 2000], [1, 2, 4]),
    (["size", "<", 2000], [3]),
    (["size", "<=", 2000], [3, 4]),
    (["name", "~", "sd"], [1, 2, 4]),
    (["name", "~", "d"], []),
    (["name", "~", ".*1$"], [3]),
    (["name", "in", ["sda", "sdc", "x"]], [1, 4]),
    (["name", "nin", ["sda", "sdc"]], [2, 3]),
    (["pool", "nin", ["tank"]], [3]),
    (["tags", "rin", "b"], [1, 2]),
    (["comment", "rin", "a"], [2, 3]),
    (["comment", "rin", "p"], [2]),
    (["tags", "rnin", "b"], [3, 4]),
    (["comment", "rnin", "x"], [2, 3]),
    (["serial", "^", "WD"], [1, 4]),
    (["serial", "!^", "WD"], [2, 3]),
    (["comment", "^", "s"], [2]),
    (["comment", "!^", "s"], [3]),
    (["serial", "$", "-4"], [4]),
    (["serial", "!$", "-4"], [1, 2, 3]),
    (["comment", "!$", "e"], [3]),
    (["serial", "C^", "wd"], [1, 2, 4]),
    (["serial", "C=", "WD-2"], [2]),
    (["comment", "C=", "fast"], [3]),
    (["name", "Cin", ["SDA", "NVME0N1"]], [1, 3]),
    (["serial", "C!^", "wd"], [3]),
    (["comment", "C$", "ARE"], [2]),
    (["zfs.guid", "=", "22"], [2]),
    (["zfs.vdev", "=", None], [3]),
    (["parts.0.name", "=", "sda1"], [1]),
    (["parts.1.size", "=", 20], [1]),
    (["parts.1.size", "=", None], [2, 3, 4]),
    (["parts.*.size", ">", 15], [1, 2]),
    (["parts.*.name", "^", "sdc"], [4]),
    (["missing", "=", None], []),
    (["zfs.missing", "!=", 1], []),
    (["created.$date", ">", "2024-01-01T00:00:00+00:00"], [2, 3, 4]),
    (["created.$date", ">", "2024-06-01T00:00:00+00:00"], [3, 4]),
    (["created.$date", "<=", "2023-11-14T22:13:20+00:00"], [1]),
    (["created.$date", "=", "2023-11-14T22:13:20"], [1]),
])
def test_operators(flt, expected):
    assert ids(q([flt])) == expected


def test_operators_do_not_coerce_types():
    assert ids(q([["id", "=", "1"]])) == []
    assert ids(q([["id", "=", 1.0]])) == [1]
    assert ids(q([["size", "in", ["4000"]]])) == []


def test_nulls_in_startswith_and_nin_are_false():
    assert ids(q([["pool", "!^", "t"]])) == [3]
    assert ids(q([["pool", "nin", ["fast"]]])) == [1, 4]


def test_regex_treats_null_as_empty_string():
    assert ids(q([["comment", "~", "^$"]])) == [1, 4]


def test_and_of_conditions():
    assert ids(q([["type", "=", "HDD"], ["size", ">", 3000]])) == [1, 2]


def test_or_with_single_conditions_and_conjunction_branches():
    flt = [["OR", [["name", "=", "sdc"], [["type", "=", "HDD"], ["size", ">", 5000]]]]]
    assert ids(q(flt)) == [2, 4]


def test_or_nested_three_levels_is_allowed_and_four_rejected():
    three = [["OR", [["OR", [["OR", [["id", "=", 1], ["id", "=", 3]]], ["id", "=", 4]]]]]]
    assert ids(q(three)) == [1, 3, 4]
    four = [["OR", [["OR", [["OR", [["OR", [["id", "=", 1]]]]]]]]]]
    with pytest.raises(ValidationErrors) as exc:
        q(four)
    assert verror(exc) == [("filters", "Value error, query-filters max recursion depth exceeded", 22)]


def test_empty_or_is_rejected():
    with pytest.raises(ValidationErrors) as exc:
        q([["OR", []]])
    assert verror(exc) == [("filters", "Value error, OR filter requires at least one branch.", 22)]
    assert str(exc.value) == "[EINVAL] filters: Value error, OR filter requires at least one branch.\n"


@pytest.mark.parametrize("flt,message", [
    ([["name", "==", "sda"]], "Value error, Invalid operation: =="),
    ([["name", "C~", "sd"]], "Value error, Invalid case-insensitive operation: C~"),
    ([["name", "="]], "Value error, Invalid operation: name"),
    ([["name", "=", "a", "b"]], "Value error, Invalid filter ['name', '=', 'a', 'b']"),
    (["name"], "Value error, Invalid filter 'name'"),
    ([["created.$date", "^", "2024"]], "Value error, ^: invalid timestamp operation."),
    ([["created.$date", ">", "yesterday"]], "Value error, yesterday: must be an ISO-8601 formatted timestamp string"),
])
def test_invalid_filters(flt, message):
    with pytest.raises(ValidationErrors) as exc:
        q(flt)
    assert verror(exc) == [("filters", message, 22)]


def test_filters_must_be_a_list():
    with pytest.raises(ValidationErrors) as exc:
        q({"name": "sda"})
    assert verror(exc) == [("filters", "Input should be a valid list", 22)]


def test_non_numeric_path_segment_on_a_list_is_an_error():
    with pytest.raises(ValueError, match="^name: must be array index or wildcard character$"):
        q([["parts.name", "=", "sda1"]])


def test_incomparable_types_raise_type_error():
    with pytest.raises(TypeError):
        q([["name", ">", 5]])


def test_select_plain_dotted_and_renamed():
    rows = q([["id", "<", 3]], {"select": ["name", "zfs.guid", ["serial", "sn"], "nope", "zfs.nope"]})
    assert rows == [
        {"name": "sda", "zfs": {"guid": "11"}, "sn": "WD-1"},
        {"name": "sdb", "zfs": {"guid": "22"}, "sn": "wd-2"},
    ]


def test_select_without_filters():
    assert q(None, {"select": ["id"], "limit": 2}) == [{"id": 1}, {"id": 2}]


def test_select_by_list_index_is_not_supported():
    with pytest.raises(ValueError, match="Selecting by list index is not supported"):
        q([], {"select": ["parts.0.name"]})


def test_order_by_ascending_descending():
    assert ids(q([], {"order_by": ["size"]})) == [3, 4, 1, 2]
    assert ids(q([], {"order_by": ["-size"]})) == [2, 1, 4, 3]
    assert ids(q([["zfs.guid", "!=", None]], {"order_by": ["-zfs.guid"]})) == [3, 2, 1]


def test_order_by_keys_apply_in_turn_so_the_last_is_primary():
    assert ids(q([], {"order_by": ["-size", "type"]})) == [2, 1, 4, 3]
    assert ids(q([], {"order_by": ["type", "-size"]})) == [2, 1, 4, 3]
    assert ids(q([], {"order_by": ["size", "-type"]})) == [3, 4, 1, 2]


def test_order_by_nulls_first_and_last():
    assert ids(q([], {"order_by": ["nulls_first:comment"]})) == [1, 4, 3, 2]
    assert ids(q([], {"order_by": ["nulls_last:-comment"]})) == [2, 3, 1, 4]


def test_order_by_dates():
    assert ids(q([], {"order_by": ["-created"]})) == [4, 3, 2, 1]


def test_order_by_null_without_nulls_prefix_cannot_compare():
    with pytest.raises(TypeError):
        q([], {"order_by": ["comment"]})


def test_offset_and_limit_after_ordering():
    assert ids(q([], {"order_by": ["size"], "offset": 1, "limit": 2})) == [4, 1]
    assert ids(q([], {"offset": 3})) == [4]
    assert ids(q([], {"limit": 0})) == [1, 2, 3, 4]


def test_count_counts_matches_before_offset_and_limit():
    assert q([["type", "=", "HDD"]], {"count": True, "limit": 1, "offset": 1}) == 3


def test_get_returns_first_match_after_ordering():
    assert q([["type", "=", "HDD"]], {"get": True})["id"] == 1
    assert q([["type", "=", "HDD"]], {"get": True, "order_by": ["-size"]})["id"] == 2
    assert q([], {"get": True, "select": ["name"]}) == {"name": "sda"}


def test_get_without_match_raises_match_not_found():
    with pytest.raises(MatchNotFound) as exc:
        q([["id", "=", 99]], {"get": True})
    assert str(exc.value) == "MatchNotFound()"


@pytest.mark.parametrize("options", [{"get": True, "limit": 2}, {"get": True, "offset": 1}])
def test_get_with_limit_or_offset_is_rejected(options):
    with pytest.raises(ValidationErrors) as exc:
        q([], options)
    assert verror(exc) == [("options", "Value error, Invalid options combination. `get` implies a single result.",
                            22)]


def test_get_with_limit_one_is_allowed():
    assert q([], {"get": True, "limit": 1})["id"] == 1


def test_limit_above_10000_rejected_from_25_10_only():
    with pytest.raises(ValidationErrors) as exc:
        q([], {"limit": 10001})
    assert verror(exc) == [("options", "Value error, Options limit must be between 1 and 10000", 22)]
    assert ids(q([], {"limit": 10000})) == [1, 2, 3, 4]
    assert ids(q([], {"limit": 10001}, profile=P2504)) == [1, 2, 3, 4]


def test_legacy_options_accepted_on_25_04_and_rejected_later():
    legacy = {"extend": "x.extend", "extend_context": None, "prefix": "p_", "relationships": False}
    assert ids(q([], legacy, profile=P2504)) == [1, 2, 3, 4]
    with pytest.raises(ValidationErrors) as exc:
        q([], legacy)
    assert verror(exc) == [
        ("options.extend", "Extra inputs are not permitted", 22),
        ("options.extend_context", "Extra inputs are not permitted", 22),
        ("options.prefix", "Extra inputs are not permitted", 22),
        ("options.relationships", "Extra inputs are not permitted", 22),
    ]


def test_option_types_are_strict():
    with pytest.raises(ValidationErrors) as exc:
        q([], {"limit": "5", "count": 1, "get": None, "offset": True, "order_by": "name", "select": [5],
               "extra": [], "force_sql_filters": "no"})
    assert verror(exc) == [
        ("options.limit", "Input should be a valid integer", 22),
        ("options.count", "Input should be a valid boolean", 22),
        ("options.get", "Input should be a valid boolean", 22),
        ("options.offset", "Input should be a valid integer", 22),
        ("options.order_by", "Input should be a valid list", 22),
        ("options.select.0.str", "Input should be a valid string", 22),
        ("options.select.0.list[any]", "Input should be a valid list", 22),
        ("options.extra", "Input should be a valid dictionary", 22),
        ("options.force_sql_filters", "Input should be a valid boolean", 22),
    ]


def test_options_must_be_an_object():
    with pytest.raises(ValidationErrors) as exc:
        q([], [])
    assert verror(exc) == [("options", "Input should be a valid dictionary or instance of QueryOptions", 22)]


def test_select_list_must_have_two_strings():
    with pytest.raises(ValidationErrors) as exc:
        q([], {"select": [["name"]]})
    assert verror(exc)[0][0] == "options"
    assert verror(exc)[0][1].startswith("Value error, ['name']: A select as list may only contain two parameters")
    with pytest.raises(ValidationErrors) as exc:
        q([], {"select": [["name", 5]]})
    assert verror(exc) == [("options", "Value error, ['name', 5]: second item must be a string.", 22)]


def test_escaped_dot_in_path():
    rows = [{"id": 1, "a.b": 5, "a": {"b": 6}}]
    assert filter_list(rows, [["a\\.b", "=", 5]], profile=P2510) == rows
    assert filter_list(rows, [["a.b", "=", 6]], profile=P2510) == rows
    assert get_path(rows[0], "a\\.b") == 5


def test_index_fast_path_matches_the_full_scan():
    index = {str(r["id"]): r for r in ROWS}
    assert q([["id", "=", 3]], index=index) == [ROWS[2]]
    assert q([["id", "=", "3"]], index=index) == []
    assert q([["id", "=", 9]], index=index) == []
    assert q([["id", "=", 2]], {"select": ["name"]}, index=index) == [{"name": "sdb"}]
    by_name = {r["name"]: r for r in ROWS}
    assert q([["name", "=", "sdc"]], index=by_name, key="name") == [ROWS[3]]


def test_index_fast_path_is_fast_with_10000_rows():
    rows = [{"id": "tank/ds%05d" % i, "name": "ds%05d" % i} for i in range(10000)]
    index = {r["id"]: r for r in rows}
    assert filter_list(rows, [["id", "=", "tank/ds09999"]], {}, profile=P2510, index=index) == [rows[-1]]


def test_get_instance():
    assert get_instance(ROWS, 2, "Disk")["name"] == "sdb"
    with pytest.raises(InstanceNotFound) as exc:
        get_instance(ROWS, 7, "Disk")
    assert exc.value.errors == [(None, "Disk 7 does not exist", 2)]
    assert str(exc.value) == "[ENOENT] None: Disk 7 does not exist"


def test_timestamps_compare_against_datetimes_too():
    rows = [{"id": 1, "t": datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)},
            {"id": 2, "t": datetime.datetime(2022, 5, 1)}]
    assert ids(filter_list(rows, [["t.$date", ">", "2023-01-01T00:00:00Z"]], profile=P2510)) == [1]


# --- on the wire (core.get_jobs and test.call_log are query methods) ----------------------------
def test_wire_query_errors_and_match_not_found(sim, sim_client):
    client = sim_client(sim, login=True)
    msg = client.call("core.get_jobs", [["id", "==", 1]])
    data = msg["error"]["data"]
    assert msg["error"]["code"] == -32602
    assert msg["error"]["message"] == "Invalid params"
    assert (data["error"], data["errname"], data["extra"]) == (
        22, "EINVAL", [["filters", "Value error, Invalid operation: ==", 22]])
    assert data["reason"] == "[EINVAL] filters: Value error, Invalid operation: ==\n"

    msg = client.call("core.get_jobs", [["id", "=", 12345]], {"get": True})
    data = msg["error"]["data"]
    assert msg["error"]["code"] == -32001
    assert (data["error"], data["errname"], data["reason"], data["extra"]) == (22, "EINVAL", "MatchNotFound()", None)
    assert data["trace"]["class"] == "MatchNotFound"

    assert client.request("core.get_jobs", [["id", "=", 12345]], {"count": True}) == 0


def test_wire_incomparable_values_are_a_call_error(sim, sim_client):
    client = sim_client(sim, login=True)
    client.request("core.ping")
    msg = client.call("test.call_log", [["method", ">", 5]])
    data = msg["error"]["data"]
    assert msg["error"]["code"] == -32001
    assert (data["error"], data["errname"], data["reason"]) == (
        22, "EINVAL", "'>' not supported between instances of 'str' and 'int'")
    assert data["trace"]["class"] == "TypeError"


def test_wire_limit_and_legacy_options_per_profile(sim, sim_client):
    client = sim_client(sim, login=True)
    over = client.call("core.get_jobs", [], {"limit": 10001})
    legacy = client.call("core.get_jobs", [], {"extend": None, "relationships": True})
    if sim.profile.name == "25.04":
        assert over["result"] == []
        assert legacy["result"] == []
    else:
        assert over["error"]["data"]["extra"] == [["options", "Value error, Options limit must be between 1 and 10000",
                                                   22]]
        assert legacy["error"]["data"]["extra"] == [["options.extend", "Extra inputs are not permitted", 22],
                                                    ["options.relationships", "Extra inputs are not permitted", 22]]
