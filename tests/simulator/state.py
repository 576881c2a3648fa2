"""The simulator's state: plain JSON-able records, optional persistence, seed loading.

``state.data[kind]`` is a dict ``{str(id): record}`` for every kind of object (``users``,
``api_keys``, ``pools``, ``datasets``, ...); the ``system`` kind holds one record under the key
``"config"``. Records are plain dicts; datetimes are stored as ``{"$date": ms}`` (see
:func:`date_value`), which is also their wire form.
"""
import copy
import datetime
import json
import os
import tempfile
import time

from . import registry

FORMAT_VERSION = 1


def now_ms():
    """Milliseconds since the epoch, in whole seconds (TrueNAS drops sub-second precision)."""
    return int(time.time()) * 1000


def date_value(when=None):
    """``{"$date": ms}`` for a datetime, a POSIX timestamp, or now when ``when`` is None."""
    if when is None:
        return {"$date": now_ms()}
    if isinstance(when, datetime.datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        return {"$date": int(when.timestamp()) * 1000}
    return {"$date": int(when) * 1000}


def _json_default(value):
    if isinstance(value, datetime.datetime):
        return date_value(value)
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted(value, key=repr)}
    raise TypeError("%r is not JSON serializable" % (value,))


class State:
    """All simulated objects, see the module docstring."""

    def __init__(self, path=None):
        self.data = {}
        self.ids = {}
        self.path = path
        self._saved = None

    def kind(self, kind):
        """``state.data[kind]``, created empty when missing."""
        return self.data.setdefault(kind, {})

    def next_id(self, kind):
        """The next free integer id of ``kind`` (1, 2, ...; never reused while the state lives)."""
        last = self.ids.get(kind, 0)
        for key in self.data.get(kind, ()):
            if key.isdigit() and int(key) > last:
                last = int(key)
        self.ids[kind] = last + 1
        return last + 1

    def get(self, kind, ident, default=None):
        return self.data.get(kind, {}).get(str(ident), default)

    def put(self, kind, record, key="id"):
        """Store ``record`` under ``str(record[key])``; returns the record."""
        self.kind(kind)[str(record[key])] = record
        return record

    def delete(self, kind, ident):
        return self.data.get(kind, {}).pop(str(ident), None)

    def dump(self):
        """A deep copy of ``data`` (what ``test.state`` returns); OTP secrets are masked."""
        data = copy.deepcopy(self.data)
        for user in data.get("users", {}).values():
            if isinstance(user, dict) and user.get("otp_secret"):
                user["otp_secret"] = "********"
        return data

    def load_seed(self, seed):
        """Reset to an empty state and run every registered seed loader on ``seed`` (a dict)."""
        self.data = {}
        self.ids = {}
        for loader in registry.SEED_LOADERS:
            loader(self, seed)
        self._saved = None

    def serialize(self):
        return json.dumps({"format": FORMAT_VERSION, "ids": self.ids, "data": self.data},
                          default=_json_default, sort_keys=True)

    def save(self, force=False):
        """Write the state to ``self.path`` atomically when it changed (no-op without a path)."""
        if not self.path:
            return False
        text = self.serialize()
        if text == self._saved and not force:
            return False
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self._saved = text
        return True

    def restore(self):
        """Load ``self.path``; False when the file does not exist. ValueError when unreadable."""
        if not self.path or not os.path.exists(self.path):
            return False
        try:
            with open(self.path, encoding="utf-8") as f:
                text = f.read()
            doc = json.loads(text)
        except (OSError, ValueError) as exc:
            raise ValueError("state file %s is not readable: %s" % (self.path, exc)) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT_VERSION or not isinstance(doc.get("data"), dict):
            raise ValueError("state file %s is not a simulator state (format %s)" % (self.path, FORMAT_VERSION))
        self.data = doc["data"]
        self.ids = {k: int(v) for k, v in doc.get("ids", {}).items()}
        self._saved = text
        return True


def load_seed_file(path):
    """Parse a YAML (or JSON) seed file into a dict; ValueError with the reason when invalid."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            seed = yaml.safe_load(f)
    except OSError as exc:
        raise ValueError("seed file %s: %s" % (path, exc.strerror or exc)) from None
    except yaml.YAMLError as exc:
        raise ValueError("seed file %s is not valid YAML: %s" % (path, exc)) from None
    if seed is None:
        seed = {}
    if not isinstance(seed, dict):
        raise ValueError("seed file %s must hold a mapping of sections" % path)
    return seed


DEFAULT_SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed.yml")
