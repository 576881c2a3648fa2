"""The method table of the simulator.

A service module registers its handlers with :func:`method`::

    @method("pool.dataset.create")
    def create(ctx, data):
        ...

    @method("vm.stop", job=True)
    async def stop(ctx, job, vm_id, options=None):
        job.set_progress(10, "Stopping")
        await job.sleep(1)

``ctx`` is the call context (see ``tests/simulator/server.py``): ``ctx.state``, ``ctx.profile``,
``ctx.session``, ``ctx.call(name, *params)``, ``ctx.emit(collection, msg, id=None, fields=None)``
and ``ctx.counters``.

The same name may be registered more than once when the registrations cover disjoint profiles
(e.g. a 25.04 shape and a 25.10+ shape of one method).
"""
import dataclasses
import inspect
import typing as t

# name -> the first registered Method of that name (kept for callers that only need one).
METHODS = {}
# name -> every registration of that name (disjoint profile sets).
VARIANTS = {}


@dataclasses.dataclass
class Method:
    name: str
    handler: t.Callable
    job: bool = False
    no_auth: t.Union[bool, t.Tuple[str, ...]] = False
    profiles: t.Optional[t.Tuple[str, ...]] = None
    test_hook: bool = False
    rate_limit: bool = True
    schema: bool = True
    abortable: bool = False
    description: t.Optional[str] = None
    # Private methods answer a full admin but are not listed by core.get_methods.
    private: bool = False
    arity: t.Optional[t.Tuple[int, int, t.Tuple[str, ...]]] = dataclasses.field(default=None, repr=False)

    def available(self, profile_name, test_hooks=False):
        if self.test_hook and not test_hooks:
            return False
        return self.profiles is None or profile_name in self.profiles

    def allowed_before_auth(self, profile_name):
        """True when the method may be called on an unauthenticated connection on this profile."""
        if isinstance(self.no_auth, tuple):
            return profile_name in self.no_auth
        return bool(self.no_auth)

    @property
    def is_async(self):
        return inspect.iscoroutinefunction(self.handler)

    def signature(self):
        """``(minimum, maximum, names)`` of the API params (``maximum`` is -1 with ``*args``)."""
        if self.arity is None:
            params = list(inspect.signature(self.handler).parameters.values())
            params = params[2:] if self.job else params[1:]
            names = []
            minimum = 0
            maximum = 0
            for p in params:
                if p.kind == p.VAR_POSITIONAL:
                    maximum = -1
                    break
                if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                    continue
                names.append(p.name)
                maximum += 1
                if p.default is p.empty:
                    minimum += 1
            self.arity = (minimum, maximum, tuple(names))
        return self.arity


def _overlaps(a, b):
    if a is None or b is None:
        return True
    return bool(set(a) & set(b))


def method(name, job=False, no_auth=False, profiles=None, test_hook=False, rate_limit=True, schema=True,
           abortable=False, description=None, private=False):
    """Register ``handler`` under ``name``; see the module docstring.

    ``no_auth`` is a bool, or a tuple of profile names on which the method is callable before login
    (``core.ping`` is ``("25.10", "26")``).
    """

    def decorator(handler):
        entry = Method(
            name=name, handler=handler, job=job,
            no_auth=tuple(no_auth) if isinstance(no_auth, (list, tuple)) else bool(no_auth),
            profiles=tuple(profiles) if profiles else None,
            test_hook=test_hook, rate_limit=rate_limit, schema=schema, abortable=abortable,
            description=description if description is not None else inspect.getdoc(handler),
            private=private,
        )
        variants = VARIANTS.setdefault(name, [])
        for other in variants:
            if other.handler is handler:
                return handler
            if _overlaps(other.profiles, entry.profiles):
                raise ValueError("method %s registered twice for the same profile" % name)
        variants.append(entry)
        METHODS.setdefault(name, entry)
        return handler

    return decorator


def lookup(name, profile_name, test_hooks=False):
    """The Method for ``name`` on this profile, or None (the server answers -32601)."""
    for m in VARIANTS.get(name, ()):
        if m.available(profile_name, test_hooks):
            return m
    return None


def available(profile_name, test_hooks=False):
    """Every Method callable on this profile, sorted by name."""
    out = []
    for name in sorted(VARIANTS):
        m = lookup(name, profile_name, test_hooks)
        if m is not None:
            out.append(m)
    return out


SEED_LOADERS = []


def seed_loader(fn):
    """Register ``fn(state, seed)``; called in registration order when a fresh state is seeded.

    ``seed`` is the parsed seed file (a dict). Each service reads its own sections (``pools``,
    ``disks``, ``datasets``, ``users``, ``network``, ``files``, ``vms``, ...) and fills
    ``state.data``.
    """
    if fn not in SEED_LOADERS:
        SEED_LOADERS.append(fn)
    return fn


# event source name (before any ":<JSON args>") -> start(ctx, subscription name, subscription id)
EVENT_SOURCES = {}


def event_source(name):
    """Register ``start(ctx, event, sub_id)``, called by ``core.subscribe`` for ``name`` or
    ``name:<JSON args>``; it starts whatever sends the events to ``ctx.connection``."""

    def decorator(fn):
        EVENT_SOURCES[name] = fn
        return fn

    return decorator
