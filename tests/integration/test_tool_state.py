# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The project's tools keep their state inside the checkout, never in the user's home.

ansible-lint (through ansible-compat) installs the collection it checks into ANSIBLE_HOME, by
default ~/.ansible/collections; a copy left there shadows the checkout for ``ansible-doc`` run
anywhere else. The Makefile and the scripts point ANSIBLE_HOME and XDG_CACHE_HOME into .cache/
(scripts/tool-env.sh), and sanity.sh gives ansible-test a HOME there.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
SCRIPTS = ("run-tests.sh", "sanity.sh", "docs.sh")


def clean_env(home):
    """An environment as a user's shell has it: HOME set, no venv active, no ANSIBLE_* tuning."""
    env = dict((k, v) for k, v in os.environ.items()
               if not k.startswith(("ANSIBLE_", "XDG_", "TRUENAS_")) and k not in ("VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL"))
    env["HOME"] = str(home)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in Path(path).rglob("*"))


def test_tool_env_points_into_the_checkout(tmp_path):
    env = clean_env(tmp_path)
    out = subprocess.run(["bash", "-c", 'top="$1"; . "$1/scripts/tool-env.sh"; '
                          'printf "%s\\n" "$ANSIBLE_HOME" "$XDG_CACHE_HOME" "$tool_home"', "sh", str(ROOT)],
                         env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(ROOT / ".cache" / "ansible"), str(ROOT / ".cache" / "xdg"), str(ROOT / ".cache" / "home")]


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_sources_the_tool_env(script):
    text = (ROOT / "scripts" / script).read_text()
    assert re.search(r'^\. "\$top/scripts/tool-env\.sh"$', text, re.M), script


def test_sanity_gives_ansible_test_a_home_in_the_checkout():
    text = (ROOT / "scripts" / "sanity.sh").read_text()
    assert '"$HOME' not in text
    assert re.search(r'^HOME="\$tool_home" "\$venv/bin/ansible-test" sanity', text, re.M)


def test_makefile_exports_the_same_locations(tmp_path):
    env = clean_env(tmp_path)
    database = subprocess.run(["make", "-C", str(ROOT), "-pn", "help"], env=env, capture_output=True, text=True,
                              check=True).stdout
    values = dict(re.findall(r"^(ANSIBLE_HOME|XDG_CACHE_HOME) := (.*)$", database, re.M))
    assert values == {"ANSIBLE_HOME": str(ROOT / ".cache" / "ansible"), "XDG_CACHE_HOME": str(ROOT / ".cache" / "xdg")}


@pytest.mark.timeout(300)
def test_ansible_lint_leaves_home_alone(tmp_path):
    """ansible-lint as run-tests.sh runs it writes nothing into HOME."""
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(home)
    proc = subprocess.run(["bash", "-c", 'top="$1"; . "$1/scripts/tool-env.sh"; cd "$1"; '
                           'exec ansible-lint --profile production playbooks/storage.yml', "sh", str(ROOT)],
                          env=env, capture_output=True, text=True, timeout=280, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert files_under(home) == []
