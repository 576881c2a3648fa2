"""Method families of the simulator, one module per area; each registers its handlers on import.

:func:`load_all` imports every module of this package: first those in ``ORDER`` (so that seed
loaders run in dependency order: system, users, disks and pools before datasets, ...), then any
other module in alphabetical order.
"""
import importlib
import pkgutil

ORDER = ("system", "auth", "core", "pool", "dataset", "snapshot", "sharing", "vm", "filesystem")

_loaded = False


def load_all():
    """Import every service module once."""
    global _loaded
    if _loaded:
        return
    found = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    names = [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]
    for name in names:
        importlib.import_module("%s.%s" % (__name__, name))
    _loaded = True
