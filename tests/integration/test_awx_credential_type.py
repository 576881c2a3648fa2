# Copyright (c) nasops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX credential type in extensions/awx: its shape as AWX validates it, the environment a
job gets from it, agreement with the documented connection options, and the playbook that
installs it."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = Path(__file__).resolve().parents[2]
CREDENTIAL_TYPE_FILE = ROOT / "extensions" / "awx" / "truenas_credential_type.yml"
FRAGMENT_FILE = ROOT / "plugins" / "doc_fragments" / "connection.py"
PLAYBOOK = ROOT / "playbooks" / "awx_credential_type.yml"

# Each variable the credential type injects, and the connection option that reads it.
ENV_TO_OPTION = {
    "TRUENAS_HOST": "host",
    "TRUENAS_URL": "url",
    "TRUENAS_API_KEY": "api_key",
    "TRUENAS_USERNAME": "username",
    "TRUENAS_PASSWORD": "password",
    "TRUENAS_VALIDATE_CERTS": "validate_certs",  # from the inverted "insecure" field
    "TRUENAS_CA_PATH": "ca_path",
}

CA_PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBszCCAVmgAwIBAgIUNasopsTestCaOnlyNotARealCertificate0wCgYIKoZIzj0EAwIw\n"
    "-----END CERTIFICATE-----\n"
)
API_KEY = "3-" + "a" * 64
PASSWORD = "correct horse battery staple"

# What AWX accepts as a custom credential type (its API validation rules, as documented in
# AWX's custom credential type guide and enforced by its CredentialType model).
FIELD_ID = r"^[a-zA-Z_]+[a-zA-Z0-9_]*$"
INPUTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "required": {"type": "array", "items": {"type": "string"}},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "label"],
                "properties": {
                    "id": {"type": "string", "pattern": FIELD_ID},
                    "label": {"type": "string"},
                    "help_text": {"type": "string"},
                    "type": {"enum": ["string", "boolean"]},
                    "format": {"enum": ["ssh_private_key", "url"]},
                    "choices": {"type": "array", "minItems": 1, "items": {"type": "string"}, "uniqueItems": True},
                    "multiline": {"type": "boolean"},
                    "secret": {"type": "boolean"},
                    "ask_at_runtime": {"type": "boolean"},
                    "default": {},
                },
            },
        },
    },
}
INJECTORS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "file": {
            "type": "object",
            "patternProperties": {r"^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$": {"type": "string"}},
            "additionalProperties": False,
        },
        "env": {
            "type": "object",
            "patternProperties": {FIELD_ID: {"type": "string", "pattern": "^[\x00-\x7f]*$"}},
            "additionalProperties": False,
        },
        "extra_vars": {
            "type": "object",
            "patternProperties": {FIELD_ID: {"type": "string"}},
            "additionalProperties": False,
        },
    },
}
ENV_BLOCKLIST = frozenset((
    "VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID",
    "INVENTORY_UPDATE_ID", "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES",
    "CALLBACK_QUEUE", "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS",
    "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH",
))
STRING_ONLY_KEYS = ("choices", "multiline", "format", "secret")


def awx_validation_errors(credential_type):
    """Every reason AWX would refuse ``credential_type``; empty when it accepts it."""
    errors = []
    for key in ("name", "kind", "inputs", "injectors"):
        if key not in credential_type:
            errors.append("missing %s" % key)
    if credential_type.get("kind") not in ("cloud", "net"):
        errors.append("custom credential types must be of kind cloud or net")
    inputs = credential_type.get("inputs", {})
    injectors = credential_type.get("injectors", {})
    errors += ["inputs: %s" % e.message for e in jsonschema.Draft4Validator(INPUTS_SCHEMA).iter_errors(inputs)]
    errors += ["injectors: %s" % e.message for e in jsonschema.Draft4Validator(INJECTORS_SCHEMA).iter_errors(injectors)]
    if errors:
        return errors

    ids = []
    for field in inputs.get("fields", []):
        field_type = field.get("type", "string")
        if field["id"] == "tower":
            errors.append('"tower" is a reserved field name')
        if field["id"] in ids:
            errors.append("field IDs must be unique (%s)" % field["id"])
        ids.append(field["id"])
        if "default" in field and not isinstance(field["default"], {"string": str, "boolean": bool}[field_type]):
            errors.append("%s: default %r is not a %s" % (field["id"], field["default"], field_type))
        for key in STRING_ONLY_KEYS:
            if key in field and field_type != "string":
                errors.append("%s not allowed for %s type (%s)" % (key, field_type, field["id"]))
    for name in inputs.get("required", []):
        if name not in ids:
            errors.append("required field %s is not defined" % name)

    for name in injectors.get("env", {}):
        if name.startswith("ANSIBLE_") or name in ENV_BLOCKLIST:
            errors.append("environment variable %s is not allowed in credentials" % name)
    templates = list(injectors.get("file", {}))
    if "template" in templates and len(templates) > 1:
        errors.append("must use multi-file syntax when injecting multiple files")

    # Every template must render with only the defined fields and the tower namespace.
    namespace = dict((field_id, "EXAMPLE") for field_id in ids)
    filenames = SimpleNamespace(**dict((t.split(".", 1)[1], "EXAMPLE_FILENAME") for t in templates if "." in t))
    namespace["tower"] = SimpleNamespace(filename="EXAMPLE_FILENAME" if "template" in templates else filenames)
    sandbox = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind, entries in injectors.items():
        for key, template in entries.items():
            try:
                sandbox.from_string(template).render(namespace)
            except (UndefinedError, TemplateSyntaxError) as exc:
                errors.append("%s.%s: %s" % (kind, key, exc))
    return errors


def awx_inject(credential_type, inputs, private_data_dir):
    """The environment AWX gives a job that uses a credential with ``inputs``.

    AWX renders the injectors with the credential's non-empty inputs (booleans left out of the
    credential count as false), writes each file template to a private file, and then sets
    every ``env`` injector, rendered to an empty string when its field is empty.
    """
    fields = credential_type["inputs"]["fields"]
    namespace = {}
    for name, value in inputs.items():
        if isinstance(value, bool) or value:
            namespace[name] = value
    for field in fields:
        if field.get("type") == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    sandbox = ImmutableSandboxedEnvironment()
    single, files = None, {}
    env_dir = Path(private_data_dir) / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    for label, template in credential_type["injectors"].get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=str(env_dir))
        with os.fdopen(handle, "w") as stream:
            stream.write(sandbox.from_string(template).render(**namespace))
        if "." in label:
            files[label.split(".", 1)[1]] = path
        else:
            single = path
    namespace["tower"] = SimpleNamespace(filename=single or SimpleNamespace(**files))
    return dict((name, sandbox.from_string(template).render(**namespace))
                for name, template in credential_type["injectors"].get("env", {}).items())


def load_credential_type():
    return yaml.safe_load(CREDENTIAL_TYPE_FILE.read_text())


@pytest.fixture(scope="module")
def credential_type():
    return load_credential_type()


def fields_by_id(credential_type):
    return dict((field["id"], field) for field in credential_type["inputs"]["fields"])


# ---- shape ---------------------------------------------------------------------------------


def test_awx_accepts_the_credential_type(credential_type):
    assert awx_validation_errors(credential_type) == []


def test_validator_rejects_what_awx_rejects(credential_type):
    broken = json.loads(json.dumps(credential_type))
    broken["injectors"]["env"]["TRUENAS_TIMEOUT"] = "{{ timeout }}"
    broken["injectors"]["env"]["ANSIBLE_CONFIG"] = "{{ host }}"
    broken["inputs"]["fields"][0]["secret"] = "yes"
    broken["inputs"]["fields"].append({"id": "verify", "label": "Verify", "type": "boolean", "multiline": True})
    assert awx_validation_errors(broken) == ["inputs: 'yes' is not of type 'boolean'"]
    broken["inputs"]["fields"][0]["secret"] = True
    assert awx_validation_errors(broken) == [
        "multiline not allowed for boolean type (verify)",
        "environment variable ANSIBLE_CONFIG is not allowed in credentials",
        "env.TRUENAS_TIMEOUT: 'timeout' is undefined",
    ]


def test_identity(credential_type):
    assert credential_type["name"] == "TrueNAS SCALE (nasops.truenas)"
    assert credential_type["kind"] == "cloud"
    assert "nasops.truenas" in credential_type["description"]


def test_input_fields_in_order(credential_type):
    assert [field["id"] for field in credential_type["inputs"]["fields"]] == [
        "host", "url", "api_key", "username", "password", "insecure", "ca_data",
    ]
    assert credential_type["inputs"]["required"] == []


def test_types_and_secret_flags(credential_type):
    fields = fields_by_id(credential_type)
    assert dict((name, field.get("type")) for name, field in fields.items()) == {
        "host": "string", "url": "string", "api_key": "string", "username": "string",
        "password": "string", "insecure": "boolean", "ca_data": "string",
    }
    assert sorted(name for name, field in fields.items() if field.get("secret")) == ["api_key", "password"]
    assert fields["insecure"]["default"] is False
    assert "password" in fields["username"]["help_text"] and "API key" in fields["username"]["help_text"]
    assert fields["ca_data"]["multiline"] is True
    for name, field in fields.items():
        assert field["label"] and field["help_text"], name


def test_injectors(credential_type):
    assert credential_type["injectors"]["file"] == {"template.ca": "{{ ca_data }}"}
    assert credential_type["injectors"]["env"] == {
        "TRUENAS_HOST": "{{ host }}",
        "TRUENAS_URL": "{{ url }}",
        "TRUENAS_API_KEY": "{{ api_key }}",
        "TRUENAS_USERNAME": "{{ username }}",
        "TRUENAS_PASSWORD": "{{ password }}",
        "TRUENAS_VALIDATE_CERTS": "{% if insecure %}false{% else %}true{% endif %}",
        "TRUENAS_CA_PATH": "{% if ca_data %}{{ tower.filename.ca }}{% endif %}",
    }
    assert "extra_vars" not in credential_type["injectors"]


# ---- what a job gets --------------------------------------------------------------------------


def test_api_key_credential_without_ca(credential_type, tmp_path):
    env = awx_inject(credential_type, {"host": "nas.example.com", "api_key": API_KEY, "insecure": False}, tmp_path)
    assert env == {
        "TRUENAS_HOST": "nas.example.com",
        "TRUENAS_URL": "",
        "TRUENAS_API_KEY": API_KEY,
        "TRUENAS_USERNAME": "",
        "TRUENAS_PASSWORD": "",
        "TRUENAS_VALIDATE_CERTS": "true",
        "TRUENAS_CA_PATH": "",
    }


def test_password_credential_with_ca_file(credential_type, tmp_path):
    inputs = {
        "url": "wss://nas.example.com:8443/api/current", "username": "automation", "password": PASSWORD,
        "insecure": True, "ca_data": CA_PEM,
    }
    env = awx_inject(credential_type, inputs, tmp_path)
    ca_path = Path(env.pop("TRUENAS_CA_PATH"))
    assert env == {
        "TRUENAS_HOST": "",
        "TRUENAS_URL": "wss://nas.example.com:8443/api/current",
        "TRUENAS_API_KEY": "",
        "TRUENAS_USERNAME": "automation",
        "TRUENAS_PASSWORD": PASSWORD,
        "TRUENAS_VALIDATE_CERTS": "false",
    }
    assert ca_path.parent == tmp_path / "env"
    assert ca_path.read_text() == CA_PEM


def test_credential_that_leaves_out_insecure_verifies_certificates(credential_type, tmp_path):
    # AWX injects a boolean left out of a credential as false (awx_inject does the same): a
    # credential created through the API without the field must still verify certificates.
    env = awx_inject(credential_type, {"host": "nas.example.com", "api_key": API_KEY}, tmp_path)
    assert env["TRUENAS_VALIDATE_CERTS"] == "true"


def test_every_boolean_field_defaults_to_what_awx_injects_when_missing(credential_type):
    # The form's default and AWX's missing-boolean value (false) must agree, or a credential's
    # behaviour depends on whether it was made in the web UI or through the API.
    for field in credential_type["inputs"]["fields"]:
        if field.get("type") == "boolean":
            assert field.get("default", False) is False, field["id"]


def test_injected_values_are_valid_ansible_booleans(credential_type, tmp_path):
    from ansible.module_utils.parsing.convert_bool import boolean

    for insecure in (True, False):
        env = awx_inject(credential_type, {"host": "nas", "insecure": insecure}, tmp_path)
        assert boolean(env["TRUENAS_VALIDATE_CERTS"], strict=True) is (not insecure)


# ---- agreement with the documented connection options -----------------------------------------


def fragment_docs(path):
    """The YAML documentation strings of ModuleDocFragment in ``path``, read without importing it."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docs = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "ModuleDocFragment":
            for item in node.body:
                if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant) \
                        and isinstance(item.value.value, str):
                    for target in item.targets:
                        if isinstance(target, ast.Name):
                            docs[target.id] = yaml.safe_load(item.value.value)
    return docs


def documented_env_vars(option):
    """Environment variables an option's documentation names: ``env:`` entries, E(...) markup
    and plain TRUENAS_* words in its description."""
    names = set(entry["name"] for entry in option.get("env") or [])
    description = option.get("description") or []
    if isinstance(description, str):
        description = [description]
    for line in description:
        names.update(re.findall(r"E\(([A-Za-z_][A-Za-z0-9_]*)", line))
        names.update(re.findall(r"\bTRUENAS_[A-Z0-9_]+\b", line))
    return names


def documentation_problems(injected, fragment_path):
    """How the connection fragment at ``fragment_path`` fails to document ``injected``."""
    docs = fragment_docs(fragment_path)
    if "DOCUMENTATION" not in docs:
        return ["%s has no DOCUMENTATION" % fragment_path.name]
    options = docs["DOCUMENTATION"].get("options") or {}
    documented = set()
    for fragment in docs.values():
        for option in ((fragment or {}).get("options") or {}).values():
            documented |= documented_env_vars(option)
    problems = ["%s is not documented" % name for name in sorted(set(injected) - documented)]
    for variable in sorted(injected):
        option = ENV_TO_OPTION[variable]
        if option not in options:
            problems.append("option %s is not documented" % option)
        elif variable not in documented_env_vars(options[option]):
            problems.append("option %s does not name %s" % (option, variable))
    return problems


def test_every_injected_variable_is_a_connection_variable(credential_type):
    injected = set(credential_type["injectors"]["env"])
    assert injected == set(ENV_TO_OPTION)
    if FRAGMENT_FILE.exists():
        assert documentation_problems(injected, FRAGMENT_FILE) == []


SAMPLE_FRAGMENT = '''
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  host:
    description:
      - TrueNAS host name. If not set, E(TRUENAS_HOST) is used.
    type: str
  url:
    description: WebSocket URL; falls back to TRUENAS_URL.
    type: str
  api_key:
    description: [API key, "Environment: E(TRUENAS_API_KEY)."]
    type: str
  username:
    description: [User name, from E(TRUENAS_USERNAME).]
    type: str
  password:
    description: [Password, from E(TRUENAS_PASSWORD).]
    type: str
  validate_certs:
    description: [Verify TLS, from E(TRUENAS_VALIDATE_CERTS).]
    type: bool
  ca_path:
    description: [CA file.]
    type: path
"""

    PLUGINS = r"""
options:
  ca_path:
    description: [CA file.]
    env:
      - name: TRUENAS_CA_PATH
"""
'''


def test_documentation_check_reads_descriptions_and_env_entries(tmp_path):
    fragment = tmp_path / "connection.py"
    fragment.write_text(SAMPLE_FRAGMENT)
    # TRUENAS_CA_PATH is only in PLUGINS: documented, but not on the modules' option.
    assert documentation_problems(set(ENV_TO_OPTION), fragment) == [
        "option ca_path does not name TRUENAS_CA_PATH",
    ]
    fragment.write_text(SAMPLE_FRAGMENT.replace("description: [CA file.]\n    type: path",
                                                "description: [CA file, from E(TRUENAS_CA_PATH).]\n    type: path"))
    assert documentation_problems(set(ENV_TO_OPTION), fragment) == []
    fragment.write_text(SAMPLE_FRAGMENT.replace("  url:\n    description: WebSocket URL; falls back to TRUENAS_URL.\n"
                                                "    type: str\n", ""))
    assert documentation_problems(set(ENV_TO_OPTION), fragment) == [
        "TRUENAS_URL is not documented",
        "option ca_path does not name TRUENAS_CA_PATH",
        "option url is not documented",
    ]


def patch_module_args(args):
    """ansible-core's module-argument patcher (2.19+), or its equivalent for older releases."""
    try:
        from ansible.module_utils.testing import patch_module_args as patcher
    except ImportError:  # ansible-core before data tagging
        from unittest import mock

        from ansible.module_utils import basic

        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        return mock.patch.object(basic, "_ANSIBLE_ARGS", payload)
    return patcher(args)


def collection_imports():
    """Put the directory holding ansible_collections/nasops/truenas for this checkout on sys.path."""
    if ROOT.parent.parent.name == "ansible_collections":
        top = ROOT.parent.parent.parent
    else:
        top = ROOT / ".venv" / "collections"
    assert (top / "ansible_collections" / "nasops" / "truenas").exists(), \
        "%s does not hold nasops.truenas: run 'make venv'" % top
    if str(top) not in sys.path:
        sys.path.insert(0, str(top))


@pytest.mark.parametrize("inputs, endpoint, auth", [
    ({"host": "nas.example.com", "api_key": API_KEY, "insecure": False},
     "wss://nas.example.com/api/current", "api_key"),
    ({"host": "nas.example.com", "api_key": API_KEY},
     "wss://nas.example.com/api/current", "api_key"),
    ({"url": "wss://nas.example.com:8443/api/current", "username": "automation", "password": PASSWORD,
      "insecure": True, "ca_data": CA_PEM},
     "wss://nas.example.com:8443/api/current", "password"),
])
def test_injected_environment_configures_the_modules(credential_type, tmp_path, monkeypatch, capsys,
                                                     inputs, endpoint, auth):
    """A job's environment alone, unset fields included, is a valid connection for every module."""
    collection_imports()
    from ansible_collections.nasops.truenas.plugins.module_utils._connection import connection_settings
    from ansible_collections.nasops.truenas.plugins.module_utils._module import TrueNASModule

    for name in ENV_TO_OPTION:
        monkeypatch.delenv(name, raising=False)
    env = awx_inject(credential_type, inputs, tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        with patch_module_args({}):
            module = TrueNASModule(argument_spec={}, supports_check_mode=True)
    except SystemExit:
        pytest.fail("the module refused the injected environment: %s" % capsys.readouterr().out)
    settings, _broker = connection_settings(module.connection())
    assert settings.endpoint == endpoint
    assert settings.auth.NAME == auth
    assert settings.validate_certs is not inputs.get("insecure", False)
    assert settings.ca_path == (env["TRUENAS_CA_PATH"] or None)


# ---- the playbook that installs it -------------------------------------------------------------

FAKE_CREDENTIAL_TYPE_MODULE = '''#!/usr/bin/python
from __future__ import annotations

import json
import os

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        kind=dict(type="str"),
        inputs=dict(type="dict"),
        injectors=dict(type="dict"),
        state=dict(type="str", default="present", choices=["present", "absent", "exists"]),
    ))
    with open(os.environ["AWX_RECORD"], "w") as stream:
        json.dump(module.params, stream)
    module.exit_json(changed=True)


main()
'''


@pytest.fixture
def fake_awx(tmp_path):
    """A collections path with a recording awx.awx.credential_type and this checkout."""
    collections = tmp_path / "collections"
    modules = collections / "ansible_collections" / "awx" / "awx" / "plugins" / "modules"
    modules.mkdir(parents=True)
    (modules / "credential_type.py").write_text(FAKE_CREDENTIAL_TYPE_MODULE)
    link = collections / "ansible_collections" / "nasops" / "truenas"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT, target_is_directory=True)
    return collections


def run_playbook(playbook, collections, workdir, *extra):
    record = workdir / "record.json"
    env = dict(os.environ)
    env.pop("ANSIBLE_CONFIG", None)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), AWX_RECORD=str(record), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_HOME=str(workdir / "ansible-home"))
    command = [str(Path(sys.executable).parent / "ansible-playbook"), playbook, *extra]
    proc = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, "%s\n%s" % (proc.stdout, proc.stderr)
    return json.loads(record.read_text())


@pytest.mark.timeout(180)
@pytest.mark.parametrize("playbook", [str(PLAYBOOK), "nasops.truenas.awx_credential_type"])
def test_playbook_sends_the_file_unrendered(fake_awx, tmp_path, playbook):
    expected = load_credential_type()
    params = run_playbook(playbook, fake_awx, tmp_path)
    assert params == {
        "name": expected["name"],
        "description": expected["description"],
        "kind": "cloud",
        "inputs": expected["inputs"],
        "injectors": expected["injectors"],
        "state": "present",
    }
    assert params["injectors"]["env"]["TRUENAS_CA_PATH"] == "{% if ca_data %}{{ tower.filename.ca }}{% endif %}"


@pytest.mark.timeout(180)
def test_playbook_removes_with_state_absent(fake_awx, tmp_path):
    params = run_playbook(str(PLAYBOOK), fake_awx, tmp_path, "-e", "truenas_awx_credential_type_state=absent")
    assert (params["name"], params["state"]) == ("TrueNAS SCALE (nasops.truenas)", "absent")
