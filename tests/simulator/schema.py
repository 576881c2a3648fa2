"""Validate call params against the methods' JSON Schemas, reporting errors the pydantic way.

Each ``schemas/<method>.json`` holds ``positional_params`` and ``accepts``: the schema of an object
whose properties are the positional params. Params are matched to those names by position, checked
with a cached ``jsonschema`` Draft 2020-12 validator (strict: ``"1"`` is no integer, ``1`` no
boolean, ``1.0`` no integer), and when that fails, walked once more to produce the -32602 triples
TrueNAS sends: ``[<arg>.<field>, "Field required", 22]`` and so on. Handlers get the params as sent;
defaults are theirs to fill.

Two sets of files: ``schemas/`` (API v25.10.5, the 25.10 profile) and ``schemas-26/`` (API v26.0.0,
the 26 profile); a profile names its set (``Profile.schema_set``). Services with no schema file can
register one in code with :func:`register`; a registered schema applies to every set.
"""
import errno
import json
import os
import re
import threading

import jsonschema

from .errors import ValidationErrors

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_DIR = os.path.join(HERE, "schemas")
# Schema set name -> directory of method files.
SCHEMA_SETS = {"schemas": SCHEMA_DIR, "schemas-26": os.path.join(HERE, "schemas-26")}
DEFAULT_SET = "schemas"
# Discriminators with a default the model fills before choosing the member (26 ``set_default_type``:
# ``pool.dataset.create`` without ``type`` is a FILESYSTEM): set -> method -> arg -> (property, tag).
DEFAULT_TAGS = {"schemas-26": {"pool.dataset.create": {"data": ("type", "FILESYSTEM")}}}

_TYPE_CHECKER = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many({
    "integer": lambda checker, value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda checker, value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "array": lambda checker, value: isinstance(value, list),
})
StrictValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_TYPE_CHECKER)

TYPE_MESSAGES = {
    "string": "Input should be a valid string",
    "integer": "Input should be a valid integer",
    "number": "Input should be a valid number",
    "boolean": "Input should be a valid boolean",
    "array": "Input should be a valid list",
    "object": "Input should be a valid dictionary",
    "null": "Input should be None",
}
TYPE_TAGS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "none",
             "array": "list", "object": "dict"}


def _is_type(value, name):
    if name == "string":
        return isinstance(value, str)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name == "null":
        return value is None
    return True


def _same(a, b):
    return type(a) is type(b) and a == b


def _expected(values):
    parts = [repr(v) for v in values]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _plural(n, word):
    return "%s %s%s" % (n, word, "" if n == 1 else "s")


def _num(n):
    return str(n)


class MethodSchema:
    """The argument schema of one method."""

    def __init__(self, name, positional, accepts, returns=None, job=False, default_tags=None):
        self.name = name
        # arg name -> (discriminator property, tag used when the property is missing).
        self.default_tags = dict(default_tags or {})
        self.positional = tuple(positional)
        self.accepts = accepts
        self.returns = returns
        self.job = job
        self.defs = accepts.get("$defs", {})
        self.validator = StrictValidator(accepts)
        self.required = tuple(accepts.get("required", ()))
        self._result_validator = None

    def result_validator(self):
        """A strict validator of ``{"result": <value>}`` against ``returns``."""
        if self._result_validator is None:
            self._result_validator = StrictValidator(self.returns)
        return self._result_validator

    # --- the pydantic-style walk -------------------------------------------------------------
    def _resolve(self, schema):
        seen = 0
        while "$ref" in schema and seen < 32:
            ref = schema["$ref"]
            if not ref.startswith("#/$defs/"):
                break
            target = self.defs.get(ref[len("#/$defs/"):], {})
            extra = {k: v for k, v in schema.items() if k not in ("$ref",)}
            schema = dict(target, **extra) if extra else target
            seen += 1
        return schema

    def _tag(self, schema):
        if "$ref" in schema:
            return schema["$ref"].rsplit("/", 1)[-1]
        schema = self._resolve(schema)
        if "const" in schema:
            return "literal[%s]" % repr(schema["const"])
        if "enum" in schema:
            return "literal[%s]" % ",".join(repr(v) for v in schema["enum"])
        kind = schema.get("type")
        if kind == "array":
            items = schema.get("items")
            return "list[%s]" % (self._tag(items) if items else "any")
        if kind == "object":
            if "properties" in schema and schema.get("title"):
                return schema["title"]
            return "dict[str,any]"
        if isinstance(kind, str):
            return TYPE_TAGS.get(kind, kind)
        return "any"

    def walk(self, value, schema, loc, errors):
        """Append ``(loc, message)`` pairs for every way ``value`` breaks ``schema``."""
        if schema is True or not schema:
            return
        if schema is False:
            errors.append((loc, "Extra inputs are not permitted"))
            return
        is_model = "$ref" in schema
        schema = self._resolve(schema)
        if "discriminator" in schema and "oneOf" in schema:
            self._walk_tagged(value, schema, loc, errors)
            return
        choices = schema.get("anyOf") or (schema.get("oneOf") if "discriminator" not in schema else None)
        if choices:
            self._walk_union(value, choices, loc, errors)
            return
        if "const" in schema:
            if not _same(value, schema["const"]):
                errors.append((loc, "Input should be %s" % _expected([schema["const"]])))
            return
        if "enum" in schema:
            if not any(_same(value, e) for e in schema["enum"]):
                errors.append((loc, "Input should be %s" % _expected(schema["enum"])))
            return
        kind = schema.get("type")
        if isinstance(kind, list):
            self._walk_union(value, [dict(schema, type=k) for k in kind], loc, errors)
            return
        if kind is not None and not _is_type(value, kind):
            if kind == "object" and ("properties" in schema or is_model) and schema.get("title"):
                errors.append((loc, "Input should be a valid dictionary or instance of %s" % schema["title"]))
            else:
                errors.append((loc, TYPE_MESSAGES.get(kind, "Input should be a valid %s" % kind)))
            return
        if isinstance(value, str):
            self._walk_string(value, schema, loc, errors)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self._walk_number(value, schema, loc, errors)
        elif isinstance(value, list):
            self._walk_array(value, schema, loc, errors)
        elif isinstance(value, dict):
            self._walk_object(value, schema, loc, errors)

    def _walk_union(self, value, choices, loc, errors):
        nullable = any(self._resolve(c).get("type") == "null" and len(self._resolve(c)) <= 2 for c in choices)
        if nullable and value is None:
            return
        members = [c for c in choices if not (self._resolve(c).get("type") == "null")] if nullable else list(choices)
        if len(members) == 1:
            self.walk(value, members[0], loc, errors)
            return
        collected = []
        for member in members:
            sub = []
            self.walk(value, member, loc + (self._tag(member),), sub)
            if not sub:
                return
            collected.extend(sub)
        errors.extend(collected)

    def _walk_tagged(self, value, schema, loc, errors):
        prop = schema["discriminator"]["propertyName"]
        mapping = schema["discriminator"].get("mapping", {})
        if not isinstance(value, dict):
            errors.append((loc, "Input should be a valid dictionary or object to extract fields from"))
            return
        if prop not in value:
            errors.append((loc + (prop,), "Field required"))
            return
        by_ref = {ref: tag for tag, ref in mapping.items()}
        tags = []
        for choice in schema["oneOf"]:
            tag = by_ref.get(choice.get("$ref"))
            if tag is None:
                const = self._resolve(choice).get("properties", {}).get(prop, {}).get("const")
                tag = const
            tags.append((tag, choice))
        tag = value[prop]
        for known, choice in tags:
            if _same(known, tag):
                self.walk(value, choice, loc + (str(tag),), errors)
                return
        errors.append((loc, "Input tag %s found using %s does not match any of the expected tags: %s" % (
            repr(tag), repr(prop), ", ".join(repr(t[0]) for t in tags))))

    def _walk_string(self, value, schema, loc, errors):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append((loc, "String should have at least %s" % _plural(schema["minLength"], "character")))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append((loc, "String should have at most %s" % _plural(schema["maxLength"], "character")))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append((loc, "String should match pattern '%s'" % schema["pattern"]))

    def _walk_number(self, value, schema, loc, errors):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append((loc, "Input should be greater than or equal to %s" % _num(schema["minimum"])))
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append((loc, "Input should be greater than %s" % _num(schema["exclusiveMinimum"])))
        if "maximum" in schema and value > schema["maximum"]:
            errors.append((loc, "Input should be less than or equal to %s" % _num(schema["maximum"])))
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            errors.append((loc, "Input should be less than %s" % _num(schema["exclusiveMaximum"])))

    def _walk_array(self, value, schema, loc, errors):
        items = schema.get("items")
        if items:
            for i, item in enumerate(value):
                self.walk(item, items, loc + (str(i),), errors)
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append((loc, "List should have at least %s after validation, not %d" % (
                _plural(schema["minItems"], "item"), len(value))))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append((loc, "List should have at most %s after validation, not %d" % (
                _plural(schema["maxItems"], "item"), len(value))))

    def _walk_object(self, value, schema, loc, errors):
        props = schema.get("properties", {})
        required = schema.get("required", ())
        for name, sub in props.items():
            if name in value:
                self.walk(value[name], sub, loc + (name,), errors)
            elif name in required:
                errors.append((loc + (name,), "Field required"))
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in props:
                continue
            if extra is False:
                errors.append((loc + (name,), "Extra inputs are not permitted"))
            elif isinstance(extra, dict):
                self.walk(item, extra, loc + (name,), errors)

    # --- entry points ------------------------------------------------------------------------
    def errors(self, params):
        """The validation triples for ``params`` (a list), empty when valid."""
        if len(params) > len(self.positional):
            return [("", "Too many arguments (expected %d, found %d)" % (len(self.positional), len(params)),
                     errno.EINVAL)]
        args = dict(zip(self.positional, params))
        for arg, (prop, tag) in self.default_tags.items():
            if isinstance(args.get(arg), dict) and prop not in args[arg]:
                args[arg] = dict(args[arg], **{prop: tag})
        if self.validator.is_valid(args):
            return []
        found = []
        self.walk(args, self.accepts, (), found)
        if not found:
            for err in self.validator.iter_errors(args):
                found.append((tuple(str(p) for p in err.absolute_path), err.message))
        return [(".".join(loc), message, errno.EINVAL) for loc, message in found]

    def validate(self, params):
        """Raise ValidationErrors (-32602) when ``params`` do not fit the schema."""
        found = self.errors(params)
        if found:
            raise ValidationErrors(found)

    def inlined(self, schema=None, depth=0):
        """``schema`` with every ``$ref`` replaced by its definition (``core.get_methods`` shape)."""
        if schema is None:
            schema = self.accepts
        if depth > 32:
            return {}
        if isinstance(schema, list):
            return [self.inlined(s, depth + 1) for s in schema]
        if not isinstance(schema, dict):
            return schema
        if "$ref" in schema:
            return self.inlined(self._resolve(schema), depth + 1)
        out = {}
        for key, value in schema.items():
            if key == "$defs":
                continue
            if key == "items" and isinstance(value, dict):
                out[key] = [self.inlined(value, depth + 1)]
            elif key in ("properties", "$defs"):
                out[key] = {k: self.inlined(v, depth + 1) for k, v in value.items()}
            elif isinstance(value, (dict, list)) and key not in ("default", "examples", "const", "enum"):
                out[key] = self.inlined(value, depth + 1)
            else:
                out[key] = value
        return out

    def accepts_list(self):
        """One inlined schema per positional param, with ``_name_`` and ``_required_``."""
        out = []
        props = self.accepts.get("properties", {})
        for name in self.positional:
            item = self.inlined(props.get(name, {}))
            item = dict(item)
            item["_name_"] = name
            item["_required_"] = name in self.required
            out.append(item)
        return out

    def returns_list(self):
        if not self.returns:
            return [{}]
        result = self.returns.get("properties", {}).get("result")
        if result is None:
            return [{}]
        holder = MethodSchema(self.name, (), {"$defs": self.returns.get("$defs", {})})
        return [holder.inlined(result)]


_CACHE = {}
_REGISTERED = {}
_LOCK = threading.Lock()


def register(name, positional, accepts, returns=None, job=False):
    """Declare the argument schema of ``name`` in code (for methods without a schema file)."""
    entry = MethodSchema(name, positional, accepts, returns, job)
    _REGISTERED[name] = entry
    return entry


def get(name, schema_set=DEFAULT_SET):
    """The MethodSchema of ``name`` in ``schema_set`` (a file of that set or a registered one), or None."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    key = (schema_set or DEFAULT_SET, name)
    try:
        return _CACHE[key]
    except KeyError:
        pass
    try:
        directory = SCHEMA_SETS[key[0]]
    except KeyError:
        raise ValueError("unknown schema set %r (choose one of %s)" % (schema_set, ", ".join(SCHEMA_SETS))) from None
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        entry = None
        path = os.path.join(directory, name + ".json")
        if os.sep not in name and os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            entry = MethodSchema(name, doc.get("positional_params", ()), doc["accepts"], doc.get("returns"),
                                 doc.get("job", False), DEFAULT_TAGS.get(key[0], {}).get(name))
        _CACHE[key] = entry
        return entry


def validate(name, params, schema_set=DEFAULT_SET):
    """Validate ``params`` of method ``name`` when it has a schema; ValidationErrors otherwise."""
    entry = get(name, schema_set)
    if entry is not None:
        entry.validate(params)


def result_errors(name, result, schema_set=DEFAULT_SET):
    """Messages for every way ``result`` breaks the ``returns`` schema of ``name`` (empty when it
    fits or the method has no result schema)."""
    entry = get(name, schema_set)
    if entry is None or not entry.returns:
        return []
    checker = entry.result_validator()
    return ["%s: %s" % (".".join(str(p) for p in err.absolute_path) or "result", err.message)
            for err in checker.iter_errors({"result": result})]
