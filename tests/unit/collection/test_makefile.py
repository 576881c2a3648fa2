# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every phony target of the Makefile does something, and `make help` names it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TEXT = (ROOT / "Makefile").read_text()


def phony_targets():
    (line,) = re.findall(r"^\.PHONY:(.*)$", TEXT, re.M)
    return line.split()


def recipes():
    """target -> its recipe lines (a target without any that only builds its prerequisites gets
    them as its recipe)."""
    result, current = {}, None
    for line in TEXT.splitlines():
        match = re.match(r"^([A-Za-z0-9_.$()/-]+):(?!=)(.*)$", line)
        if match and not line.startswith(".PHONY"):
            current = match.group(1)
            prerequisites = [p for p in match.group(2).split() if p != "venv"]
            result.setdefault(current, prerequisites)
        elif line.startswith("\t") and current:
            result[current].append(line.strip())
        elif line.strip() and not line.startswith("#"):
            current = None
    return result


def test_every_phony_target_has_a_recipe():
    found = recipes()
    assert [t for t in phony_targets() if not found.get(t)] == []


def test_help_names_every_target_a_user_runs():
    found = recipes()
    help_text = "\n".join(found["help"])
    quiet = ("help", "unit", "integration", "sanity", "lint", "molecule", "clean")  # help itself, clean, and the stages of `make test`
    missing = [t for t in phony_targets() if t not in quiet and "make %s " % t not in help_text]
    assert missing == []
