"""TrueNAS query-filters and query-options (``filter_list``) and ``get_instance``.

Semantics follow the middleware: conditions are ANDed, ``["OR", [branch, ...]]`` nests at most three
levels, values are compared with plain Python semantics (no coercion), a condition on a missing key is
false, ``select`` runs while filtering and ``order_by`` keys are applied one after the other (so the
last key is the primary sort key). Bad filters or options raise ``ValidationErrors`` on ``filters`` /
``options``; comparisons Python cannot make (``"a" > 1``) raise ``TypeError``, which the server reports
as a -32001 EINVAL error, as TrueNAS does.
"""
import contextvars
import datetime
import errno
import operator
import re

from .errors import InstanceNotFound, MatchNotFound, ValidationErrors

MAX_FILTERS_DEPTH = 3
NULLS_FIRST = "nulls_first:"
NULLS_LAST = "nulls_last:"
TIMESTAMP_DESIGNATOR = ".$date"
TIMESTAMP_OPS = ("=", "!=", ">", ">=", "<", "<=")

# The profile of the call being served; the server sets it so that services need not pass it.
current_profile = contextvars.ContextVar("current_profile", default=None)

_UNDEFINED = object()

OPTION_TYPES = {
    "extra": (dict, "Input should be a valid dictionary"),
    "order_by": (list, "Input should be a valid list"),
    "select": (list, "Input should be a valid list"),
    "count": (bool, "Input should be a valid boolean"),
    "get": (bool, "Input should be a valid boolean"),
    "offset": (int, "Input should be a valid integer"),
    "limit": (int, "Input should be a valid integer"),
    "force_sql_filters": (bool, "Input should be a valid boolean"),
}
LEGACY_OPTION_TYPES = {
    "relationships": (bool, "Input should be a valid boolean"),
    "extend": ((str, type(None)), "Input should be a valid string"),
    "extend_context": ((str, type(None)), "Input should be a valid string"),
    "prefix": ((str, type(None)), "Input should be a valid string"),
}


def _op_in(x, y):
    return x in y


def _op_nin(x, y):
    if x is None:
        return False
    return x not in y


def _op_rin(x, y):
    if x is None:
        return False
    return y in x


def _op_rnin(x, y):
    if x is None:
        return False
    return y not in x


def _op_re(x, y):
    return re.match(y, x or "") is not None


def _op_startswith(x, y):
    if x is None:
        return False
    return x.startswith(y)


def _op_notstartswith(x, y):
    if x is None:
        return False
    return not x.startswith(y)


def _op_endswith(x, y):
    if x is None:
        return False
    return x.endswith(y)


def _op_notendswith(x, y):
    if x is None:
        return False
    return not x.endswith(y)


OPERATORS = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "~": _op_re,
    "in": _op_in,
    "nin": _op_nin,
    "rin": _op_rin,
    "rnin": _op_rnin,
    "^": _op_startswith,
    "!^": _op_notstartswith,
    "$": _op_endswith,
    "!$": _op_notendswith,
}


def _casefold(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, (list, tuple)):
        return [v.casefold() for v in value]
    raise ValueError("%s: support for casefolding object type not implemented." % type(value))


def _split(path):
    """First component of a dotted path (``\\.`` escapes a dot) and the rest."""
    head = ""
    while True:
        left, sep, right = path.partition(".")
        if not sep:
            return head + left, ""
        if left.endswith("\\"):
            head += left[:-1] + "."
            path = right
            continue
        return head + left, right


def _resolve(obj, path):
    """``(value, rest)``: ``rest`` is None when resolved, else the path left after a ``*``."""
    cur = obj
    right = path
    while right:
        left, right = _split(right)
        if isinstance(cur, dict):
            cur = cur.get(left, _UNDEFINED)
            if cur is _UNDEFINED:
                return _UNDEFINED, None
        elif isinstance(cur, (list, tuple)):
            if left == "*":
                return cur, right
            if not left.isdigit():
                raise ValueError("%s: must be array index or wildcard character" % left)
            index = int(left)
            cur = cur[index] if index < len(cur) else None
    return cur, None


def get_path(obj, path, default=None):
    """The value at a dotted ``path`` of ``obj`` (``default`` when a key is missing)."""
    value, rest = _resolve(obj, path)
    if value is _UNDEFINED or rest is not None:
        return default
    return value


def _to_datetime(value):
    if isinstance(value, dict) and "$date" in value:
        value = value["$date"]
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.timezone.utc)
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value


def _parse_timestamp(text):
    try:
        ts = datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError("%s: must be an ISO-8601 formatted timestamp string" % (text,)) from None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=datetime.timezone.utc)
    return ts


class _Filter:
    """A compiled condition."""

    __slots__ = ("path", "fn", "value", "casefold", "timestamp")

    def __init__(self, path, op, value, timestamp):
        self.casefold = op.startswith("C")
        self.fn = OPERATORS[op[1:] if self.casefold else op]
        self.path = path
        self.timestamp = timestamp
        self.value = _casefold(value) if self.casefold else value

    def match(self, item, path=None):
        value, rest = _resolve(item, self.path if path is None else path)
        if value is _UNDEFINED:
            return False
        if rest is not None:
            for element in value:
                if self.match(element, rest):
                    return True
            return False
        if self.timestamp:
            value = _to_datetime(value)
        if self.casefold:
            value = _casefold(value)
        return bool(self.fn(value, self.value))


class _Or:
    __slots__ = ("branches",)

    def __init__(self, branches):
        self.branches = branches

    def match(self, item):
        for branch in self.branches:
            if isinstance(branch, list):
                if all(f.match(item) for f in branch):
                    return True
            elif branch.match(item):
                return True
        return False


def _filter_error(message):
    return ValidationErrors([("filters", "Value error, " + message, errno.EINVAL)])


def compile_filters(filters, depth=0):
    """Validate query-filters and compile them; ValidationErrors on ``filters`` when invalid."""
    if depth > MAX_FILTERS_DEPTH:
        raise _filter_error("query-filters max recursion depth exceeded")
    if not isinstance(filters, list):
        raise ValidationErrors([("filters", "Input should be a valid list", errno.EINVAL)])
    out = []
    for f in filters:
        if not isinstance(f, (list, tuple)):
            raise _filter_error("Invalid filter %r" % (f,))
        if len(f) == 2:
            op, value = f
            if op != "OR":
                raise _filter_error("Invalid operation: %s" % (op,))
            if not value:
                raise _filter_error("OR filter requires at least one branch.")
            if not isinstance(value, list):
                raise _filter_error("Invalid filter %r" % (list(f),))
            branches = []
            for branch in value:
                if isinstance(branch, list) and branch and isinstance(branch[0], list):
                    branches.append(compile_filters(branch, depth + 1))
                else:
                    branches.append(compile_filters([branch], depth + 1)[0])
            out.append(_Or(branches))
            continue
        if len(f) != 3:
            raise _filter_error("Invalid filter %r" % (list(f),))
        name, op, value = f
        if not isinstance(op, str) or not op:
            raise _filter_error("Invalid operation: %s" % (op,))
        base = op[1:] if op[0] == "C" else op
        if op[0] == "C" and base == "~":
            raise _filter_error("Invalid case-insensitive operation: %s" % op)
        if base not in OPERATORS:
            raise _filter_error("Invalid operation: %s" % op)
        if not isinstance(name, str):
            raise _filter_error("Invalid filter %r" % (list(f),))
        timestamp = name.endswith(TIMESTAMP_DESIGNATOR)
        if timestamp:
            if base not in TIMESTAMP_OPS:
                raise _filter_error("%s: invalid timestamp operation." % base)
            try:
                value = _parse_timestamp(value)
            except ValueError as exc:
                raise _filter_error(str(exc)) from None
        out.append(_Filter(name, op, value, timestamp))
    return out


def _options_error(message, attribute="options"):
    return ValidationErrors([(attribute, message, errno.EINVAL)])


def validate_options(options, profile=None):
    """Check query-options for this profile; the options dict with defaults filled in."""
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise _options_error("Input should be a valid dictionary or instance of QueryOptions")
    if profile is None:
        profile = current_profile.get()
    legacy = profile is None or profile.legacy_query_options
    errors = ValidationErrors()
    for key, value in options.items():
        spec = OPTION_TYPES.get(key)
        if spec is None and legacy:
            spec = LEGACY_OPTION_TYPES.get(key)
        if spec is None:
            errors.add("options.%s" % key, "Extra inputs are not permitted")
            continue
        types, message = spec
        if isinstance(value, bool) and types is int:
            errors.add("options.%s" % key, message)
        elif not isinstance(value, types):
            errors.add("options.%s" % key, message)
        elif key == "order_by":
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    errors.add("options.order_by.%d" % i, "Input should be a valid string")
        elif key == "select":
            for i, item in enumerate(value):
                if not isinstance(item, (str, list)):
                    errors.add("options.select.%d.str" % i, "Input should be a valid string")
                    errors.add("options.select.%d.list[any]" % i, "Input should be a valid list")
    errors.raise_if_any()
    get = options.get("get", False)
    limit = options.get("limit", 0)
    if get and (limit > 1 or options.get("offset")):
        raise _options_error("Value error, Invalid options combination. `get` implies a single result.")
    limit_max = profile.query_limit_max if profile is not None else None
    if limit_max is not None and limit > limit_max:
        raise _options_error("Value error, Options limit must be between 1 and %d" % limit_max)
    for s in options.get("select", ()):
        if isinstance(s, list):
            if len(s) != 2:
                raise _options_error(
                    "Value error, %r: A select as list may only contain two parameters: the name of the parameter "
                    "being selected, and the name to which to assign it in resulting data." % (s,))
            for idx, selector in enumerate(s):
                if not isinstance(selector, str):
                    raise _options_error(
                        "Value error, %r: %s item must be a string." % (s, "first" if idx == 0 else "second"))
    return options


def _select_one(item, select):
    entry = {}
    for s in select:
        if isinstance(s, list):
            target, new_name = s
        else:
            target, new_name = s, None
        keys = []
        cur = item
        right = target
        missing = False
        while right:
            left, right = _split(right)
            if isinstance(cur, dict):
                if left not in cur:
                    missing = True
                    break
                cur = cur[left]
                keys.append(left)
            elif isinstance(cur, (list, tuple)):
                raise ValueError("Selecting by list index is not supported")
        if missing or not keys:
            continue
        if new_name is not None:
            entry[new_name] = cur
            continue
        obj = entry
        for k in keys[:-1]:
            obj = obj.setdefault(k, {})
        obj[keys[-1]] = cur
    return entry


def _sort_value(item, path):
    value = get_path(item, path)
    if isinstance(value, dict) and "$date" in value:
        return value["$date"]
    return value


def _order(rows, order_by):
    for o in order_by:
        nulls = None
        if o.startswith(NULLS_FIRST):
            nulls, o = "first", o[len(NULLS_FIRST):]
        elif o.startswith(NULLS_LAST):
            nulls, o = "last", o[len(NULLS_LAST):]
        reverse = o.startswith("-")
        if reverse:
            o = o[1:]
        if nulls is None:
            rows = sorted(rows, key=lambda x, p=o: _sort_value(x, p), reverse=reverse)
            continue
        none_rows = [r for r in rows if get_path(r, o) is None]
        others = [r for r in rows if get_path(r, o) is not None]
        others = sorted(others, key=lambda x, p=o: _sort_value(x, p), reverse=reverse)
        rows = none_rows + others if nulls == "first" else others + none_rows
    return rows


def _index_candidates(compiled, index, key):
    """Rows for ``[[key, "=", value]]`` straight from ``index`` (a dict keyed by ``str(id)``)."""
    if len(compiled) != 1 or not isinstance(compiled[0], _Filter):
        return None
    f = compiled[0]
    if f.path != key or f.fn is not operator.eq or f.casefold or f.timestamp:
        return None
    value = f.value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    row = index.get(str(value))
    if row is None:
        return []
    found = row.get(key, _UNDEFINED) if isinstance(row, dict) else _UNDEFINED
    if found is _UNDEFINED or type(found) is not type(value) or found != value:
        return [r for r in index.values() if f.match(r)]
    return [row]


def filter_list(items, filters=None, options=None, *, profile=None, index=None, key="id"):
    """Apply query-filters and query-options to ``items`` (an iterable of dicts).

    Returns a list; an int with ``count``; one dict with ``get`` (``MatchNotFound`` when nothing
    matches). ``profile`` defaults to the profile of the call being served. ``index``, a dict of the
    same rows keyed by ``str(row[key])`` (``state.data[kind]`` is one), makes ``[[key, "=", x]]`` a
    dictionary lookup.
    """
    options = validate_options(options, profile)
    compiled = compile_filters(filters if filters is not None else [])
    select = options.get("select") or []
    order_by = options.get("order_by") or []
    get = options.get("get") is True
    rows = None
    if compiled and index is not None:
        rows = _index_candidates(compiled, index, key)
        if rows is not None:
            rows = [_select_one(r, select) for r in rows] if select else list(rows)
    if rows is None:
        if compiled:
            rows = []
            for item in items:
                for f in compiled:
                    if not f.match(item):
                        break
                else:
                    rows.append(_select_one(item, select) if select else item)
                    if get and not order_by:
                        break
        elif select:
            rows = [_select_one(item, select) for item in items]
        else:
            rows = list(items)
    if options.get("count") is True:
        return len(rows)
    if order_by:
        rows = _order(rows, order_by)
    if get:
        if not rows:
            raise MatchNotFound()
        return rows[0]
    offset = options.get("offset")
    if offset:
        rows = rows[offset:]
    limit = options.get("limit")
    if limit:
        rows = rows[:limit]
    return rows


def get_instance(items, id, verbose_name, key="id", options=None, index=None):
    """``<svc>.get_instance``: the row whose ``key`` equals ``id``, else InstanceNotFound (-32602)."""
    opts = dict(options or {})
    opts["get"] = True
    try:
        return filter_list(items, [[key, "=", id]], opts, index=index, key=key)
    except MatchNotFound:
        raise InstanceNotFound(verbose_name, id) from None
