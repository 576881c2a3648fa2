# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nasops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# PRIVATE: internal use only. This module is not part of the public API of the
# nasops.truenas collection and may change at any time without notice.

"""TrueNAS extended JSON ("ejson"): dates, times, sets and IP interfaces inside JSON.

==========================  ================================================
Python                      JSON
==========================  ================================================
``datetime``                ``{"$date": <int milliseconds since the epoch>}``
``date``                    ``{"$type": "date", "$value": "YYYY-MM-DD"}``
``time``                    ``{"$time": "HH:MM:SS"}``
``set`` / ``frozenset``     ``{"$set": [...]}``
``IPv4Interface``           ``{"$ipv4_interface": "10.0.0.1/24"}``
``IPv6Interface``           ``{"$ipv6_interface": "fd00::1/64"}``
==========================  ================================================

Decoded datetimes are timezone-aware (UTC); naive datetimes are encoded as UTC.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import json

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_ONE_MS = datetime.timedelta(milliseconds=1)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _decode_date(value):
    if not _is_number(value):
        return None
    try:
        # epoch + timedelta: exact for negative and sub-second values alike.
        return EPOCH + datetime.timedelta(milliseconds=value)
    except (OverflowError, ValueError):
        return None


def _decode_set(value):
    if not isinstance(value, list):
        return None
    try:
        return set(value)
    except TypeError:
        # Unhashable members (never sent by TrueNAS): keep the list rather than fail.
        return list(value)


def _decode_time(value):
    if not isinstance(value, str):
        return None
    try:
        return datetime.time.fromisoformat(value)
    except ValueError:
        return None


def _decode_calendar_date(value):
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _decode_interface(factory):
    def decode(value):
        if not isinstance(value, str):
            return None
        try:
            return factory(value)
        except ValueError:
            return None

    return decode


_SINGLE_KEY = {
    "$date": _decode_date,
    "$set": _decode_set,
    "$time": _decode_time,
    "$ipv4_interface": _decode_interface(ipaddress.IPv4Interface),
    "$ipv6_interface": _decode_interface(ipaddress.IPv6Interface),
}


def object_hook(obj):
    """``json`` object hook: the Python value of an ejson object, else ``obj`` unchanged.

    A malformed ejson object (e.g. ``{"$date": "yesterday"}``) is returned as it is.
    """
    if len(obj) == 1:
        key = next(iter(obj))
        decoder = _SINGLE_KEY.get(key)
        if decoder is not None:
            value = decoder(obj[key])
            if value is not None:
                return value
    elif len(obj) == 2 and obj.get("$type") == "date" and "$value" in obj:
        value = _decode_calendar_date(obj["$value"])
        if value is not None:
            return value
    return obj


def to_epoch_ms(value):
    """Milliseconds since the epoch of a datetime (naive datetimes count as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return (value - EPOCH) // _ONE_MS


def default(obj):
    """``json`` default hook: the ejson form of the Python types above."""
    if isinstance(obj, datetime.datetime):
        return {"$date": to_epoch_ms(obj)}
    if isinstance(obj, datetime.date):
        return {"$type": "date", "$value": obj.isoformat()}
    if isinstance(obj, datetime.time):
        return {"$time": obj.isoformat()}
    if isinstance(obj, (set, frozenset)):
        try:
            return {"$set": sorted(obj)}
        except TypeError:
            return {"$set": list(obj)}
    if isinstance(obj, ipaddress.IPv4Interface):
        return {"$ipv4_interface": str(obj)}
    if isinstance(obj, ipaddress.IPv6Interface):
        return {"$ipv6_interface": str(obj)}
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


def dumps(obj):
    """Compact ejson text of ``obj`` (raises TypeError/ValueError for what JSON cannot hold)."""
    return json.dumps(obj, default=default, separators=(",", ":"), allow_nan=False)


def loads(text):
    """The Python value of an ejson text (raises ValueError when it is not JSON)."""
    return json.loads(text, object_hook=object_hook)
