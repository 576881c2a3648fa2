"""The 26 profile's results against the ``returns`` schemas of ``schemas-26/`` (the real server
re-validates every result through its result model; methods.md 0.4)."""
import copy
import datetime

import pytest

from tests.simulator import schema

SET = "schemas-26"
GIB = 1024 ** 3


def plain(value):
    """Wire JSON as the result models see it: ``{"$date": ms}`` -> ISO text, ``{"$set": [...]}`` -> list."""
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            return datetime.datetime.fromtimestamp(value["$date"] / 1000, datetime.timezone.utc).isoformat()
        if set(value) == {"$set"}:
            return list(value["$set"])
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def entry_model(defs):
    return "SharingSMBEntry" if "SharingSMBEntry" in defs else "SharingSMBQueryResultItem"


def smb_options_errors(method, entries):
    """SMB ``options`` checked against the model of the share's ``purpose``. The schema's ``oneOf`` of
    the option models cannot choose by itself: several models have the same fields and the result
    carries the purpose beside ``options``, not in it. Returns the entries without ``options``."""
    entry_schema = schema.get(method, SET)
    defs = entry_schema.returns["$defs"]
    mapping = defs[entry_model(defs)]["properties"]["options"]["anyOf"][0]["discriminator"]["mapping"]
    errors, stripped = [], []
    for entry in entries:
        entry = copy.deepcopy(entry)
        options = entry.pop("options")
        model = {"$ref": mapping[entry["purpose"]], "$defs": defs}
        errors += [e.message for e in schema.StrictValidator(model).iter_errors(options)]
        stripped.append(entry)
    return errors, stripped


@pytest.mark.sim_profiles("26")
def test_results_fit_the_26_result_models(sim, sim_client):
    c = sim_client(sim, login=True)
    calls = [
        ("pool.dataset.create", {"name": "tank/r1"}),
        ("pool.dataset.create", {"name": "tank/z1", "type": "VOLUME", "volsize": GIB}),
        ("pool.dataset.update", "tank/r1", {"comments": "results"}),
        ("sharing.smb.create", {"name": "r1", "path": "/mnt/tank/r1"}),
        ("sharing.nfs.create", {"path": "/mnt/tank/r1"}),
        ("pool.snapshot.create", {"dataset": "tank/r1", "name": "s1"}),
        ("vm.create", {"name": "r1", "memory": 512}),
        ("vm.device.create", {"vm": 1, "attributes": {"dtype": "NIC"}}),
        ("vm.device.create", {"vm": 1, "attributes": {"dtype": "DISK", "path": "/dev/zvol/tank/z1"}}),
        ("pool.query",), ("pool.dataset.query",), ("disk.query",), ("vm.query",), ("vm.device.query",),
        ("sharing.smb.query",), ("sharing.nfs.query",), ("pool.snapshot.query",),
        ("vm.device.nic_attach_choices",), ("system.info",), ("vm.delete", 1),
    ]
    seen = []
    for name, *params in calls:
        result = plain(c.request(name, *params))
        errors = []
        if name.startswith("sharing.smb."):
            errors, stripped = smb_options_errors(name, result if isinstance(result, list) else [result])
            result = stripped if isinstance(result, list) else stripped[0]
            # Without options the entry still has to fit everything else of the model.
            entry_schema = schema.get(name, SET)
            holder = copy.deepcopy(entry_schema.returns)
            model = holder["$defs"][entry_model(holder["$defs"])]
            model["required"] = [k for k in model.get("required", []) if k != "options"]
            errors += [e.message for e in schema.StrictValidator(holder).iter_errors({"result": result})]
        else:
            errors = schema.result_errors(name, result, SET)
        assert errors == [], (name, errors)
        seen.append(name)
    assert len(seen) == len(calls)
    assert c.request("vm.query") == []
