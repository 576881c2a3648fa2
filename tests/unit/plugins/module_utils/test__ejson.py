# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ejson: TrueNAS extended JSON types, both directions."""

import datetime
import ipaddress
import json

import pytest
from hypothesis import given, strategies as st

from ansible_collections.nasops.truenas.plugins.module_utils._ejson import dumps, loads

UTC = datetime.timezone.utc


def test_date_decodes_as_epoch_plus_timedelta_utc():
    value = loads('{"t": {"$date": 1760000000123}}')["t"]
    assert value == datetime.datetime(2025, 10, 9, 8, 53, 20, 123000, tzinfo=UTC)
    assert value.tzinfo is UTC


def test_negative_and_subsecond_dates_are_exact():
    assert loads('{"$date": -1500}') == datetime.datetime(1969, 12, 31, 23, 59, 58, 500000, tzinfo=UTC)
    assert loads('{"$date": 999}') == datetime.datetime(1970, 1, 1, 0, 0, 0, 999000, tzinfo=UTC)


def test_set_time_date_and_interfaces_decode():
    data = loads(json.dumps({
        "roles": {"$set": ["FULL_ADMIN", "READONLY_ADMIN"]},
        "at": {"$time": "23:15:07"},
        "day": {"$type": "date", "$value": "2026-02-28"},
        "v4": {"$ipv4_interface": "10.0.0.1/24"},
        "v6": {"$ipv6_interface": "fd00::1/64"},
    }))
    assert data == {
        "roles": {"FULL_ADMIN", "READONLY_ADMIN"},
        "at": datetime.time(23, 15, 7),
        "day": datetime.date(2026, 2, 28),
        "v4": ipaddress.IPv4Interface("10.0.0.1/24"),
        "v6": ipaddress.IPv6Interface("fd00::1/64"),
    }


@pytest.mark.parametrize("text", [
    '{"$date": "yesterday"}', '{"$date": true}', '{"$set": 5}', '{"$time": "25:99"}',
    '{"$type": "date", "$value": "2026-13-01"}', '{"$ipv4_interface": "999.1.1.1/8"}',
    '{"$date": 1, "other": 2}', '{"$type": "datetime", "$value": "x"}',
])
def test_malformed_ejson_objects_stay_plain_dicts(text):
    assert loads(text) == json.loads(text)


def test_encode_datetimes_as_milliseconds():
    aware = datetime.datetime(2025, 10, 9, 8, 53, 20, 123000, tzinfo=UTC)
    naive = datetime.datetime(2025, 10, 9, 8, 53, 20)
    offset = datetime.datetime(2025, 10, 9, 10, 53, 20, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert json.loads(dumps([aware, naive, offset])) == [
        {"$date": 1760000000123}, {"$date": 1760000000000}, {"$date": 1760000000000}]


def test_encode_other_types():
    text = dumps({"d": datetime.date(2026, 2, 28), "t": datetime.time(1, 2, 3), "s": {"b", "a"},
                  "f": frozenset([3]), "v4": ipaddress.IPv4Interface("10.0.0.1/24"),
                  "v6": ipaddress.IPv6Interface("fd00::1/64")})
    assert json.loads(text) == {"d": {"$type": "date", "$value": "2026-02-28"}, "t": {"$time": "01:02:03"},
                                "s": {"$set": ["a", "b"]}, "f": {"$set": [3]},
                                "v4": {"$ipv4_interface": "10.0.0.1/24"}, "v6": {"$ipv6_interface": "fd00::1/64"}}


def test_unencodable_values_raise():
    with pytest.raises(TypeError, match="object is not JSON serializable|Object of type object"):
        dumps({"x": object()})
    with pytest.raises(ValueError):
        dumps(float("nan"))


def test_round_trip_of_every_type():
    value = {
        "when": datetime.datetime(2024, 2, 29, 12, 0, 0, 250000, tzinfo=UTC),
        "day": datetime.date(2024, 2, 29),
        "at": datetime.time(12, 0),
        "roles": {"A", "B"},
        "ip": ipaddress.IPv4Interface("192.168.1.5/16"),
        "nested": [{"x": {"$literal": 1}}],
    }
    assert loads(dumps(value)) == value


@given(st.integers(min_value=-(10 ** 13), max_value=10 ** 13))
def test_millisecond_round_trip(ms):
    assert json.loads(dumps(loads(json.dumps({"$date": ms})))) == {"$date": ms}
