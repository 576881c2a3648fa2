# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._sizes import human, round_up, to_bytes

GIB = 1024 ** 3


@pytest.mark.parametrize("value, expected", [
    (0, 0),
    (4096, 4096),
    (4096.0, 4096),
    ("4096", 4096),
    ("2048B", 2048),
    ("2048 b", 2048),
    ("1K", 1024),
    ("1KB", 1024),
    ("1KiB", 1024),
    ("1kib", 1024),
    ("512M", 512 * 1024 ** 2),
    ("512MiB", 512 * 1024 ** 2),
    ("10G", 10 * GIB),
    ("10g", 10 * GIB),
    ("10GB", 10 * GIB),
    ("10GiB", 10 * GIB),
    ("10 GiB", 10 * GIB),
    (" 10G ", 10 * GIB),
    ("1.5T", 3 * 1024 ** 4 // 2),
    ("0.5K", 512),
    (".5K", 512),
    ("2P", 2 * 1024 ** 5),
    ("1E", 1024 ** 6),
])
def test_to_bytes_accepts(value, expected):
    assert to_bytes(value) == expected


@pytest.mark.parametrize("value, message", [
    ("10X", "'10X' is not a valid size (for example 10G, 512MiB, 1.5T or a number of bytes)"),
    ("", "'' is not a valid size (for example 10G, 512MiB, 1.5T or a number of bytes)"),
    ("G", "'G' is not a valid size (for example 10G, 512MiB, 1.5T or a number of bytes)"),
    ("10 G B", "'10 G B' is not a valid size (for example 10G, 512MiB, 1.5T or a number of bytes)"),
    ("-1G", "size must not be negative, got '-1G'"),
    (-5, "size must not be negative, got -5"),
    ("1.3B", "'1.3B' is not a whole number of bytes"),
    (1.5, "1.5 is not a whole number of bytes"),
    (True, "expected a size (for example 10G, 512MiB, 1.5T or a number of bytes), got True"),
    (None, "expected a size (for example 10G, 512MiB, 1.5T or a number of bytes), got None"),
    ([1], "expected a size (for example 10G, 512MiB, 1.5T or a number of bytes), got list"),
    (float("nan"), "expected a size (for example 10G, 512MiB, 1.5T or a number of bytes), got nan"),
])
def test_to_bytes_rejects(value, message):
    with pytest.raises(ValueError) as info:
        to_bytes(value)
    assert str(info.value) == message


def test_to_bytes_names_the_option():
    with pytest.raises(ValueError) as info:
        to_bytes("ten gigs", option="volsize")
    assert str(info.value) == "volsize: 'ten gigs' is not a valid size (for example 10G, 512MiB, 1.5T or a number of bytes)"
    with pytest.raises(ValueError) as info:
        to_bytes(-1, option="quota")
    assert str(info.value) == "quota: size must not be negative, got -1"


@pytest.mark.parametrize("size, block, expected", [
    (0, 16384, 0),
    (1, 16384, 16384),
    (16384, 16384, 16384),
    (16385, 16384, 32768),
    (10 * GIB + 1, 1024 ** 2, 10 * GIB + 1024 ** 2),
])
def test_round_up(size, block, expected):
    assert round_up(size, block) == expected


def test_round_up_rejects_bad_block():
    with pytest.raises(ValueError) as info:
        round_up(10, 0)
    assert str(info.value) == "block size must be positive, got 0"


@pytest.mark.parametrize("size, expected", [
    (0, "0 B"),
    (512, "512 B"),
    (1024, "1 KiB"),
    (1536, "1.5 KiB"),
    (10 * GIB, "10 GiB"),
    (3 * 1024 ** 4 // 2, "1.5 TiB"),
    (1024 ** 6, "1 EiB"),
    (-2048, "-2 KiB"),
])
def test_human(size, expected):
    assert human(size) == expected


def test_human_round_trips_through_to_bytes():
    for size in (1024, 10 * GIB, 3 * 1024 ** 4 // 2, 512 * 1024 ** 2):
        assert to_bytes(human(size)) == size


@pytest.mark.parametrize("value", ["99999P", "16E", 2 ** 64, "18446744073709551616B", 1e30])
def test_sizes_above_two_to_the_64_are_refused(value):
    with pytest.raises(ValueError, match="2\\^64-1"):
        to_bytes(value, "quota")


def test_the_largest_size_is_accepted():
    assert to_bytes(2 ** 64 - 1) == 2 ** 64 - 1
    assert to_bytes("15E") == 15 * 1024 ** 6
