# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sphinx configuration of the nasops.truenas documentation site.

scripts/docs.sh generates the reStructuredText sources with antsibull-docs into
docs/build/rst and builds them with this configuration into docs/build/html.
scripts/docs.sh also copies the Markdown guides next to them (guides.py), which
this configuration reads with myst-parser. The build is offline: references to Ansible's own documentation and to other
collections are turned into plain links to the published Ansible documentation
by the ``missing-reference`` handler below instead of being looked up through
intersphinx.
"""

from __future__ import annotations

import re

from docutils import nodes

project = "nasops.truenas"
copyright = "nasops maintainers"  # pylint: disable=redefined-builtin
author = "nasops maintainers"
title = "nasops.truenas Collection Documentation"
html_short_title = "nasops.truenas"
html_title = title

extensions = ["sphinx_antsibull_ext", "myst_parser"]

# The guides (docs/*.md and a few others, see guides.py) are Markdown, read by myst-parser.
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
# Anchors for headings, so that links such as connecting.md#precedence resolve.
myst_heading_anchors = 4

root_doc = "index"
pygments_style = "ansible"
highlight_language = "YAML+Jinja"

html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_copy_source = False
html_use_index = False
html_domain_indices = False
html_theme_options = {
    "collapse_navigation": False,
    "navigation_depth": 3,
    "style_external_links": True,
    "topbar_links": {
        "Repository": "https://github.com/nasops/truenas",
        "Issues": "https://github.com/nasops/truenas/issues",
        "Ansible documentation": "https://docs.ansible.com/",
    },
}

# The Ansible documentation that references outside this collection point to.
ANSIBLE_DOCS_URL = "https://docs.ansible.com/ansible/latest/"

# The collections documented on this site; references into them must resolve locally.
LOCAL_COLLECTIONS = frozenset(["nasops.truenas"])

# Labels of the Ansible documentation that generated pages refer to.
ANSIBLE_DOCS_LABELS = {
    "common_return_values": "reference_appendices/common_return_values.html",
    "ansible_configuration_settings": "reference_appendices/config.html",
    "module_defaults": "playbook_guide/playbooks_module_defaults.html",
    "module_defaults_groups": "playbook_guide/playbooks_module_defaults.html#module-defaults-groups",
}

_PLUGIN_TYPES = (
    "module|role|become|cache|callback|cliconf|connection|filter|httpapi|inventory|"
    "lookup|netconf|shell|strategy|test|vars|keyword"
)
_PLUGIN_LABEL = re.compile(
    r"ansible_collections\.(?P<ns>[a-z0-9_]+)\.(?P<coll>[a-z0-9_]+)\."
    r"(?P<plugin>[a-z0-9_.]+)_(?P<type>" + _PLUGIN_TYPES + r")"
    r"(?:__(?P<anchor>(?:parameter|return|attribute|entrypoint)-.+))?"
)


def external_uri(target):
    """Return the published URL for a label outside this site, or None."""
    if target in ANSIBLE_DOCS_LABELS:
        return ANSIBLE_DOCS_URL + ANSIBLE_DOCS_LABELS[target]
    match = _PLUGIN_LABEL.fullmatch(target)
    if match is None:
        return None
    if "%s.%s" % (match["ns"], match["coll"]) in LOCAL_COLLECTIONS:
        return None
    uri = "%scollections/%s/%s/%s_%s.html" % (
        ANSIBLE_DOCS_URL, match["ns"], match["coll"], match["plugin"], match["type"])
    if match["anchor"]:
        uri += "#" + match["anchor"]
    return uri


def resolve_external(app, env, node, contnode):  # pylint: disable=unused-argument
    """Turn a ``:ref:`` to Ansible's documentation into an external link."""
    if node.get("refdomain") != "std":
        return None
    if node.get("reftype") == "envvar" and node["reftarget"].startswith("ANSIBLE_"):
        # ansible-core's configuration variables, documented on its configuration page
        uri = "%sreference_appendices/config.html#envvar-%s" % (ANSIBLE_DOCS_URL, node["reftarget"])
    elif node.get("reftype") == "ref":
        uri = external_uri(node["reftarget"])
    else:
        return None
    if uri is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=uri)
    reference += contnode
    return reference


def setup(app):
    app.connect("missing-reference", resolve_external)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
