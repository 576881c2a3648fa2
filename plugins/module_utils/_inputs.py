# nasops.truenas: PRIVATE, internal use only. Not a public API; it may change without notice.
# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks of module arguments as the user gave them, before ansible-core converts their types.

ansible-core turns a boolean given for a string option into the text ``"True"`` or ``"False"``
(YAML reads an unquoted ``yes``, ``no``, ``on`` or ``off`` as a boolean), so ``comments: yes``
would be stored as ``True`` and ``name: yes`` would make an SMB share called ``True``. Such a value
is refused here, with the option's path in the message, as ansible-core refuses values it cannot
convert. A NUL character is refused in any text of any option: no TrueNAS name, path or text can
hold one, and the server would fail on it in ways that do not name the option.

:func:`input_problem` walks an argument spec and the raw parameters (suboptions and list elements
included) and returns a message for the first problem, or None. The message never shows the
value, so it is safe for ``no_log`` options too.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

TEXT_TYPES = ("str", "path")


def input_problem(spec, params, prefix=""):
    """A message naming the first option of ``params`` (raw, as given) that holds a boolean where
    ``spec`` expects text, or a NUL character anywhere; None when there is none."""
    if not isinstance(spec, dict) or not isinstance(params, dict):
        return None
    for name in sorted(spec):
        option = spec[name] or {}
        for key in [name] + list(option.get("aliases") or ()):
            if key not in params or params[key] is None:
                continue
            problem = _value_problem(option, params[key], prefix + key)
            if problem:
                return problem
    return None


def _value_problem(option, value, label):
    kind = option.get("type", "str")
    nul = _nul_at(value, label)
    if nul:
        return "argument '%s' contains a NUL character (\\x00); TrueNAS names, paths and texts cannot hold one" % nul
    if kind in TEXT_TYPES:
        return _bool_problem(value, label, "a string")
    if kind == "list":
        if not isinstance(value, list):
            return None
        elements = option.get("elements")
        for index, item in enumerate(value):
            where = "%s[%d]" % (label, index)
            if elements in TEXT_TYPES:
                problem = _bool_problem(item, where, "a string")
            elif elements == "dict" and option.get("options"):
                problem = input_problem(option["options"], item, where + ".")
            else:
                problem = None
            if problem:
                return problem
        return None
    if kind == "dict" and option.get("options"):
        return input_problem(option["options"], value, label + ".")
    return None


def _bool_problem(value, label, expected):
    if isinstance(value, bool):
        return ("argument '%s' is of type bool and must be %s; YAML reads unquoted yes, no, on, off, true and false "
                "as booleans, so quote the value if it is meant as text (\"yes\")" % (label, expected))
    return None


def _nul_at(value, label):
    """The path (``label`` and below) of the first text holding a NUL character in ``value``, or None."""
    if isinstance(value, str):
        return label if "\x00" in value else None
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            if isinstance(key, str) and "\x00" in key:
                return label
            found = _nul_at(value[key], "%s.%s" % (label, key))
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _nul_at(item, "%s[%d]" % (label, index))
            if found:
                return found
    return None
