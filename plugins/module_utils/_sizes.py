# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Human sizes ("10G", "512MiB", "1.5 TiB") to bytes and back.

Every multiple is binary: K, KB and KiB all mean 1024. Bad input raises ``ValueError`` whose text
names the option when one is given.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import re

_UNITS = ("B", "K", "M", "G", "T", "P", "E")
_MULTIPLIERS = dict((unit, 1024 ** power) for power, unit in enumerate(_UNITS))
_SIZE_RE = re.compile(r"^\s*(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*(?P<unit>[KMGTPE](?:I?B)?|B)?\s*$", re.IGNORECASE)
_EXAMPLES = "for example 10G, 512MiB, 1.5T or a number of bytes"
# ZFS sizes are unsigned 64-bit numbers; TrueNAS cannot store anything larger.
MAX_BYTES = 2 ** 64 - 1


def _fail(option, text):
    if option:
        return ValueError("%s: %s" % (option, text))
    return ValueError(text)


def _fraction(value):
    """``value`` (a float or a decimal text) as an exact ``Fraction``. Most sizes are ints or
    whole numbers, so ``fractions`` (0.7 ms to import) is imported only here."""
    from fractions import Fraction

    return Fraction(value)


def to_bytes(value, option=None):
    """Return ``value`` as an int of bytes.

    Accepts ints, integral floats, numeric strings and human strings such as ``10G``, ``10GiB``,
    ``10 GiB``, ``512M``, ``1.5T`` or ``2048B`` (case-insensitive). Negative values, booleans,
    fractions of a byte, unknown units and sizes above 2^64-1 bytes (16 EiB, the largest size
    ZFS stores) raise ``ValueError``.
    """
    if isinstance(value, bool) or value is None:
        raise _fail(option, "expected a size (%s), got %r" % (_EXAMPLES, value))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _fail(option, "expected a size (%s), got %r" % (_EXAMPLES, value))
        number = _fraction(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("-"):
            raise _fail(option, "size must not be negative, got %r" % value)
        match = _SIZE_RE.match(text)
        if not match:
            raise _fail(option, "%r is not a valid size (%s)" % (value, _EXAMPLES))
        unit = (match.group("unit") or "B")[0].upper()
        digits = match.group("number")
        number = (_fraction(digits) if "." in digits else int(digits)) * _MULTIPLIERS[unit]
    else:
        raise _fail(option, "expected a size (%s), got %s" % (_EXAMPLES, type(value).__name__))
    if number < 0:
        raise _fail(option, "size must not be negative, got %r" % value)
    if number.denominator != 1:
        raise _fail(option, "%r is not a whole number of bytes" % value)
    if number > MAX_BYTES:
        raise _fail(option, "%r is more than %d bytes (2^64-1, about 16 EiB), the largest size TrueNAS can store"
                    % (value, MAX_BYTES))
    return int(number)


def round_up(size, block):
    """Round ``size`` (bytes) up to the next multiple of ``block`` (bytes)."""
    if block <= 0:
        raise ValueError("block size must be positive, got %r" % block)
    return -(-size // block) * block


def human(size):
    """Short human form of a byte count for messages: ``512 B``, ``10 GiB``, ``1.5 TiB``."""
    size = int(size)
    sign = "-" if size < 0 else ""
    size = abs(size)
    for power in range(len(_UNITS) - 1, 0, -1):
        multiplier = 1024 ** power
        if size >= multiplier:
            text = ("%.2f" % (size / multiplier)).rstrip("0").rstrip(".")
            return "%s%s %siB" % (sign, text, _UNITS[power])
    return "%s%d B" % (sign, size)
