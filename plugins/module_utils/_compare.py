# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Comparators used by the resource engine, and the option-value error.

A comparator answers two questions about one field: does the desired value already hold
(``equal(desired, current)``), and what will the field look like once the desired value is applied
(``merge(current, desired)``, used to predict the after-state in check mode and to build update
payloads). Values are compared in option vocabulary, after the descriptor's ``parse`` and
``from_api`` transforms.

Names accepted by :func:`get`: ``strict``, ``set``, ``iset``, ``subset``, ``ienum``, ``size``,
``ignore``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.nasops.truenas.plugins.module_utils._sizes import to_bytes


class OptionError(ValueError):
    """A module option has a value that cannot be used; raised before any call is made."""

    def __init__(self, option, reason):
        self.option = option
        self.reason = reason
        super(OptionError, self).__init__("%s: %s" % (option, reason) if option else reason)


def normalize_path(value):
    """An absolute filesystem path in one spelling: repeated and trailing slashes and ``.`` parts
    removed (``/mnt/tank//media/./`` -> ``/mnt/tank/media``). ``..`` parts are refused rather than
    resolved (a share path names a dataset directory; going up is never meant). Raises ValueError."""
    if not isinstance(value, str) or not value.startswith("/"):
        raise ValueError("must be an absolute path inside a pool, such as /mnt/tank/share, got %r" % (value,))
    parts = [part for part in value.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError("%r contains '..'; give the path without going up a directory" % value)
    return "/" + "/".join(parts)


def path_from_api(value):
    """A path read from the server, spelt as :func:`normalize_path` does (left as it is when it is not one)."""
    try:
        return normalize_path(value)
    except ValueError:
        return value


def _canonical(value):
    """A hashable, order-stable stand-in for any JSON-like value."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _fold(value):
    return value.casefold() if isinstance(value, str) else value


class Comparator:
    """Strict equality; the desired value replaces the current one."""

    name = "strict"

    def equal(self, desired, current):
        return desired == current

    def merge(self, current, desired):
        return desired

    def __repr__(self):
        return "<comparator %s>" % self.name


class SetComparator(Comparator):
    """Lists compared as unordered sets (duplicates and order do not matter)."""

    name = "set"

    def _key(self, item):
        return _canonical(item)

    def equal(self, desired, current):
        if desired is None or current is None:
            return desired == current
        return set(self._key(i) for i in desired) == set(self._key(i) for i in current)


class CaseInsensitiveSetComparator(SetComparator):
    """Lists of strings compared as unordered sets, ignoring case (lists of enum values)."""

    name = "iset"

    def _key(self, item):
        return _canonical(_fold(item))


class SubsetComparator(Comparator):
    """Dicts: only the keys the user gave are compared; nested dicts recursively.

    The merged value is the current dict updated with the desired keys.
    """

    name = "subset"

    def equal(self, desired, current):
        if isinstance(desired, dict):
            if not isinstance(current, dict):
                return False
            return all(key in current and self.equal(value, current[key]) for key, value in desired.items())
        return desired == current

    def merge(self, current, desired):
        if isinstance(desired, dict) and isinstance(current, dict):
            merged = dict(current)
            for key, value in desired.items():
                merged[key] = self.merge(current.get(key), value)
            return merged
        return desired


class CaseInsensitiveEnumComparator(Comparator):
    """Scalar enum values compared ignoring case (``lz4`` equals ``LZ4``)."""

    name = "ienum"

    def equal(self, desired, current):
        return _fold(desired) == _fold(current)


class SizeComparator(Comparator):
    """Sizes compared in bytes; either side may be an int or a human string such as ``10G``."""

    name = "size"

    def equal(self, desired, current):
        if desired is None or current is None:
            return desired == current
        return to_bytes(desired) == to_bytes(current)

    def merge(self, current, desired):
        return None if desired is None else to_bytes(desired)


class IgnoreComparator(Comparator):
    """Never reports a difference (write-only values, server-computed values)."""

    name = "ignore"

    def equal(self, desired, current):
        return True

    def merge(self, current, desired):
        return current


COMPARATORS = dict(
    (cls.name, cls())
    for cls in (Comparator, SetComparator, CaseInsensitiveSetComparator, SubsetComparator,
                CaseInsensitiveEnumComparator, SizeComparator, IgnoreComparator)
)


def get(comparator):
    """Return the comparator named ``comparator`` (or ``comparator`` itself if it is one)."""
    if isinstance(comparator, Comparator):
        return comparator
    try:
        return COMPARATORS[comparator]
    except KeyError:
        raise ValueError("unknown comparator %r; known: %s" % (comparator, ", ".join(sorted(COMPARATORS))))
