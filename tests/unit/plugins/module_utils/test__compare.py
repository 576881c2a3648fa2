# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils import _compare
from ansible_collections.nasops.truenas.plugins.module_utils._compare import OptionError


@pytest.mark.parametrize("name, desired, current, equal", [
    ("strict", "a", "a", True),
    ("strict", "a", "A", False),
    ("strict", [1, 2], [2, 1], False),
    ("strict", None, None, True),
    ("strict", False, None, False),
    ("set", ["a", "b"], ["b", "a"], True),
    ("set", ["a", "b", "a"], ["b", "a"], True),
    ("set", ["a"], ["a", "b"], False),
    ("set", [], [], True),
    ("set", [], None, False),
    ("set", [{"x": 1}, {"y": 2}], [{"y": 2}, {"x": 1}], True),
    ("iset", ["sys", "krb5"], ["KRB5", "SYS"], True),
    ("iset", ["sys"], ["KRB5"], False),
    ("subset", {"a": 1}, {"a": 1, "b": 2}, True),
    ("subset", {"a": 1}, {"a": 2, "b": 2}, False),
    ("subset", {"a": 1}, {"b": 2}, False),
    ("subset", {"n": {"x": 1}}, {"n": {"x": 1, "y": 2}}, True),
    ("subset", {"n": {"x": 1}}, {"n": {"x": 3}}, False),
    ("subset", {"a": 1}, None, False),
    ("subset", {}, {"a": 1}, True),
    ("ienum", "lz4", "LZ4", True),
    ("ienum", "lz4", "ZSTD", False),
    ("ienum", None, None, True),
    ("size", "10G", 10 * 1024 ** 3, True),
    ("size", 10 * 1024 ** 3, "10 GiB", True),
    ("size", "10G", 10 * 1024 ** 3 + 1, False),
    ("size", None, 0, False),
    ("ignore", "anything", "different", True),
])
def test_equal(name, desired, current, equal):
    assert _compare.get(name).equal(desired, current) is equal


@pytest.mark.parametrize("name, current, desired, merged", [
    ("strict", "old", "new", "new"),
    ("set", ["a"], ["b", "a"], ["b", "a"]),
    ("subset", {"a": 1, "b": 2}, {"b": 3, "c": 4}, {"a": 1, "b": 3, "c": 4}),
    ("subset", {"n": {"x": 1, "y": 2}}, {"n": {"y": 5}}, {"n": {"x": 1, "y": 5}}),
    ("subset", None, {"a": 1}, {"a": 1}),
    ("size", 1024, "2K", 2048),
    ("ignore", "kept", "ignored", "kept"),
])
def test_merge(name, current, desired, merged):
    assert _compare.get(name).merge(current, desired) == merged


def test_subset_merge_does_not_modify_current():
    current = {"a": 1, "n": {"x": 1}}
    _compare.get("subset").merge(current, {"n": {"x": 2}})
    assert current == {"a": 1, "n": {"x": 1}}


def test_get_returns_comparator_instances_unchanged():
    comparator = _compare.SetComparator()
    assert _compare.get(comparator) is comparator


def test_get_rejects_unknown_name():
    with pytest.raises(ValueError) as info:
        _compare.get("fuzzy")
    assert str(info.value) == "unknown comparator 'fuzzy'; known: ienum, ignore, iset, set, size, strict, subset"


def test_option_error_text_and_attributes():
    error = OptionError("networks", "'x' is not a valid IPv4 or IPv6 network")
    assert str(error) == "networks: 'x' is not a valid IPv4 or IPv6 network"
    assert error.option == "networks"
    assert error.reason == "'x' is not a valid IPv4 or IPv6 network"
    assert isinstance(error, ValueError)


@pytest.mark.parametrize("given, expected", [
    ("/mnt/tank/media", "/mnt/tank/media"),
    ("/mnt/tank/media/", "/mnt/tank/media"),
    ("/mnt/tank//media///", "/mnt/tank/media"),
    ("/mnt/./tank/media/.", "/mnt/tank/media"),
    ("//mnt/tank", "/mnt/tank"),
    ("/", "/"),
])
def test_paths_have_one_spelling(given, expected):
    assert _compare.normalize_path(given) == expected
    assert _compare.path_from_api(given) == expected


@pytest.mark.parametrize("given", ["mnt/tank", "", "/mnt/tank/../x", "/mnt/..", 5, None])
def test_relative_paths_and_going_up_are_refused(given):
    with pytest.raises(ValueError):
        _compare.normalize_path(given)


def test_server_paths_that_are_not_absolute_are_kept():
    assert _compare.path_from_api("EXTERNAL") == "EXTERNAL"
