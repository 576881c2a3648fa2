"""The method table (tests/simulator/registry.py) and how the server applies it."""
import pytest

from tests.simulator import registry
from tests.simulator.pytest_plugin import SimClient


@pytest.fixture
def probes():
    names = []

    def register(name, **kwargs):
        names.append(name)
        return registry.method(name, test_hook=True, **kwargs)

    yield register
    for name in names:
        registry.VARIANTS.pop(name, None)
        registry.METHODS.pop(name, None)


def test_one_name_per_disjoint_profile_set(probes):
    @probes("test.probe_shape", profiles=("25.04",))
    def old_shape(ctx):
        return "flat"

    @probes("test.probe_shape", profiles=("25.10", "26"))
    def new_shape(ctx):
        return "purpose_options"

    assert registry.lookup("test.probe_shape", "25.04", test_hooks=True).handler is old_shape
    assert registry.lookup("test.probe_shape", "26", test_hooks=True).handler is new_shape
    assert registry.lookup("test.probe_shape", "26", test_hooks=False) is None
    with pytest.raises(ValueError, match="registered twice"):
        @probes("test.probe_shape", profiles=("26",))
        def clash(ctx):
            return None


def test_signature_of_plain_and_job_handlers(probes):
    @probes("test.probe_sig")
    def plain(ctx, ident, data=None, options=None):
        return None

    @probes("test.probe_job", job=True)
    async def job(ctx, job_obj, name, *rest):
        return None

    assert registry.lookup("test.probe_sig", "25.10", True).signature() == (1, 3, ("ident", "data", "options"))
    assert registry.lookup("test.probe_job", "25.10", True).signature() == (1, -1, ("name",))


def test_no_auth_per_profile(probes, sim_factory):
    @probes("test.probe_open", no_auth=("26",))
    def probe_open(ctx):
        return "open"

    for profile, expected in (("25.10", 207), ("26", None)):
        server = sim_factory(profile)
        client = SimClient(server.url, server.ca_file)
        reply = client.call("test.probe_open")
        if expected is None:
            assert reply["result"] == "open"
        else:
            assert reply["error"]["data"]["error"] == expected
        client.close()


def test_handlers_get_params_as_sent_and_may_be_async(probes, sim, sim_client):
    @probes("test.probe_echo", schema=False)
    async def echo(ctx, value, other=None):
        return {"value": value, "other": other, "profile": ctx.profile.name,
                "user": ctx.session.username if ctx.session else None}

    client = sim_client(sim, login=True)
    assert client.request("test.probe_echo", {"a": [1, "2"]}) == {
        "value": {"a": [1, "2"]}, "other": None, "profile": sim.profile.name, "user": "admin"}
    error = client.call("test.probe_echo")["error"]
    assert error["data"]["extra"] == [["value", "Field required", 22]]


def test_internal_calls_and_events(probes, sim, sim_client):
    @probes("test.probe_inner", schema=False)
    def inner(ctx, x):
        return x * 2

    @probes("test.probe_outer", schema=False)
    async def outer(ctx, x):
        ctx.emit("test.probe_events", "ADDED", id=x, fields={"x": x})
        ctx.emit("test.probe_events", "removed", id=x, fields={"x": x})
        job_result = await ctx.call_async("test.job", {"result": x, "steps": 0})
        return [ctx.call("test.probe_inner", x), await ctx.call_async("test.probe_inner", x), job_result]

    client = sim_client(sim, login=True)
    client.request("core.subscribe", "test.probe_events")
    assert client.request("test.probe_outer", 21) == [42, 42, 21]
    events = [e["params"] for e in client.events]
    assert events == [{"msg": "added", "collection": "test.probe_events", "id": 21, "fields": {"x": 21}},
                      {"msg": "removed", "collection": "test.probe_events", "id": 21}]
    job = sim.job(1)
    assert (job["method"], job["credentials"], job["state"]) == ("test.job", None, "SUCCESS")
