"""The collection's metadata stays in step with its plugins."""
import ast
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("truenas_*.py"))


def readme_names(kind):
    text = (ROOT / "README.md").read_text()
    table = text[text.index("<!-- modules-table -->"):text.index("<!-- /modules-table -->")]
    return sorted(m.group(1) for m in re.finditer(r"^\| \[(\w+)\]\([^)]*\) \| %s \|" % kind, table, re.M))


def test_action_group_lists_every_module():
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    assert sorted(runtime["action_groups"]["truenas"]) == MODULES


def test_readme_table_lists_every_module_and_plugin():
    assert readme_names("module") == MODULES
    inventory = sorted(p.stem for p in (ROOT / "plugins" / "inventory").glob("*.py") if p.stem != "__init__")
    assert readme_names("inventory") == inventory
    roles = sorted(p.name for p in (ROOT / "roles").iterdir() if p.is_dir())
    assert readme_names("role") == roles


def test_every_module_imports_the_code_cache_before_other_module_utils():
    """Anything of the collection imported before ``_codecache`` is compiled twice on every run."""
    for name in MODULES:
        tree = ast.parse((ROOT / "plugins" / "modules" / ("%s.py" % name)).read_text())
        imports = [node for node in tree.body if isinstance(node, ast.ImportFrom)
                   and (node.module or "").startswith("ansible_collections.nasops.truenas.")]
        first = imports[0]
        assert (first.module, [a.name for a in first.names]) == (
            "ansible_collections.nasops.truenas.plugins.module_utils", ["_codecache"]), name


def test_every_module_has_an_argument_spec_function_and_docs():
    for name in MODULES:
        tree = ast.parse((ROOT / "plugins" / "modules" / ("%s.py" % name)).read_text())
        names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assigned = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                    if isinstance(t, ast.Name)}
        assert {"argument_spec", "main"} <= names, name
        assert {"DOCUMENTATION", "EXAMPLES", "RETURN"} <= assigned, name


def test_every_module_is_named_in_a_changelog_fragment():
    fragments = " ".join(p.read_text() for p in (ROOT / "changelogs" / "fragments").glob("*.yml"))
    missing = [name for name in MODULES if name not in fragments]
    assert missing == []
