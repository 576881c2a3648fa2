# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Put the Markdown guides on the documentation site (called by scripts/docs.sh).

Every ``docs/*.md`` of the checkout is a guide, plus the few guides kept next to the code they
describe (``EXTRA_GUIDES``), so a new guide needs no change here. Each is copied into
``<rst>/guides/`` (Sphinx reads Markdown with myst-parser, see conf.py), with its links to files
of the repository that are not guides turned into links to the repository, and the generated
``index.rst`` gets a "Guides" table of contents that lists them all.

    python docs/site/guides.py CHECKOUT RST_DIR
"""

from __future__ import annotations

import posixpath
import re
import sys
from pathlib import Path

REPOSITORY_URL = "https://github.com/nasops/truenas/blob/main/"
# Guides that live elsewhere than docs/: repository path -> page name on the site.
EXTRA_GUIDES = {"tests/simulator/README.md": "simulator"}
# Order on the index: these first (when present), then every other guide by name.
ORDER = ("connecting", "session-broker", "inventory", "awx", "performance", "simulator", "architecture",
         "development")
GUIDES_DIR = "guides"
_LINK = re.compile(r"(?P<head>\]\()(?P<target>[^)\s]+)(?P<tail>\))")
_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)


def guide_sources(top):
    """``{page name: repository path}`` of every guide in the checkout at ``top``."""
    top = Path(top)
    guides = dict((path.stem, path.relative_to(top).as_posix()) for path in sorted((top / "docs").glob("*.md")))
    for source, name in EXTRA_GUIDES.items():
        if (top / source).is_file():
            guides[name] = source
    return guides


def ordered(names):
    first = [name for name in ORDER if name in names]
    return first + sorted(name for name in names if name not in ORDER)


def title_of(text, name):
    match = _TITLE.search(text)
    return match.group(1) if match else name.replace("-", " ").capitalize()


def rewrite_links(text, source, pages):
    """Links of ``text`` (from the repository file ``source``) as they must be on the site.

    A link to another guide stays a link to its page; a link to any other file of the repository
    becomes a link to that file in the repository; URLs and in-page anchors stay as they are.
    """
    by_source = dict((path, name) for name, path in pages.items())
    base = posixpath.dirname(source)

    def replace(match):
        target = match.group("target")
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            return match.group(0)
        path, _sep, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(base, path))
        if resolved in by_source:
            new = "%s.md" % by_source[resolved] + ("#" + anchor if anchor else "")
        else:
            new = REPOSITORY_URL + resolved + ("#" + anchor if anchor else "")
        return match.group("head") + new + match.group("tail")

    return _LINK.sub(replace, text)


def toctree(pages, titles):
    lines = ["", "", "Guides", "------", "", ".. toctree::", "   :maxdepth: 1", ""]
    for name in ordered(pages):
        lines.append("   %s <%s/%s>" % (titles[name], GUIDES_DIR, name))
    return "\n".join(lines) + "\n"


def install(top, rst):
    """Copy the guides of ``top`` into ``rst`` and list them on its index; the page names."""
    top, rst = Path(top), Path(rst)
    pages = guide_sources(top)
    out = rst / GUIDES_DIR
    out.mkdir(parents=True, exist_ok=True)
    titles = {}
    for name, source in pages.items():
        text = (top / source).read_text(encoding="utf-8")
        titles[name] = title_of(text, name)
        (out / ("%s.md" % name)).write_text(rewrite_links(text, source, pages), encoding="utf-8")
    index = rst / "index.rst"
    index.write_text(index.read_text(encoding="utf-8").rstrip("\n") + toctree(pages, titles), encoding="utf-8")
    return ordered(pages)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: %s CHECKOUT RST_DIR\n" % argv[0])
        return 2
    for name in install(argv[1], argv[2]):
        print("docs: guide %s" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
