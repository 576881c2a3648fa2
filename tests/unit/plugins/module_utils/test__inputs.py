# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of raw module arguments: booleans for text options, NUL characters anywhere."""

import pytest

from ansible_collections.nasops.truenas.plugins.module_utils._inputs import input_problem

SPEC = dict(
    name=dict(type="str", required=True, aliases=["share"]),
    untyped=dict(),
    home=dict(type="path"),
    enabled=dict(type="bool"),
    size=dict(type="raw"),
    count=dict(type="int"),
    tags=dict(type="list", elements="str"),
    secret=dict(type="str", no_log=True),
    props=dict(type="dict"),
    enc=dict(type="dict", options=dict(passphrase=dict(type="str", no_log=True), generate_key=dict(type="bool"))),
    devices=dict(type="list", elements="dict", options=dict(
        dtype=dict(type="str"), usb=dict(type="dict", options=dict(vendor_id=dict(type="str"))))),
)


@pytest.mark.parametrize("params, label", [
    ({"name": True}, "name"),
    ({"share": False}, "share"),
    ({"untyped": True}, "untyped"),
    ({"home": True}, "home"),
    ({"tags": ["a", True]}, "tags[1]"),
    ({"secret": True}, "secret"),
    ({"enc": {"passphrase": True}}, "enc.passphrase"),
    ({"devices": [{"dtype": "NIC"}, {"dtype": True}]}, "devices[1].dtype"),
    ({"devices": [{"usb": {"vendor_id": False}}]}, "devices[0].usb.vendor_id"),
])
def test_booleans_for_text_options_are_named(params, label):
    problem = input_problem(SPEC, params)
    assert problem.startswith("argument '%s' is of type bool and must be a string" % label)
    assert "quote" in problem


@pytest.mark.parametrize("params, label", [
    ({"name": "a\x00b"}, "name"),
    ({"tags": ["ok", "x\x00"]}, "tags[1]"),
    ({"size": "1G\x00"}, "size"),
    ({"props": {"org.x:y": "v\x00"}}, "props.org.x:y"),
    ({"props": {"k\x00": "v"}}, "props"),
    ({"enc": {"passphrase": "secret-value\x00"}}, "enc.passphrase"),
    ({"devices": [{"usb": {"vendor_id": "\x00"}}]}, "devices[0].usb.vendor_id"),
])
def test_nul_characters_anywhere_are_named(params, label):
    problem = input_problem(SPEC, params)
    assert problem.startswith("argument '%s' contains a NUL character" % label)


def test_messages_never_show_the_value():
    problem = input_problem(SPEC, {"secret": "hunter2\x00"})
    assert "hunter2" not in problem


@pytest.mark.parametrize("params", [
    {"name": "yes"}, {"enabled": True}, {"size": True}, {"count": 1}, {"name": 5}, {"tags": ["a", 1]},
    {"props": {"a": True}}, {"enc": {"generate_key": False}}, {"devices": [{"dtype": "NIC"}]}, {"name": None},
    {"enc": "not a dict"}, {"devices": "x"}, {"unknown": True}, {},
])
def test_good_or_other_values_are_left_to_the_usual_validation(params):
    assert input_problem(SPEC, params) is None
