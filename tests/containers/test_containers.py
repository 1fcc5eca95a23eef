"""The shipped Dockerfile and docker-compose.yml, checked without a Docker engine: the compose
file against the Compose specification's JSON schema (tests/containers/compose-spec.json,
vendored from github.com/compose-spec/compose-spec schema/compose-spec.json), the Dockerfile
parsed by dockerfile-parse."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(__file__).with_name("compose-spec.json")


class _UniqueKeyLoader(yaml.SafeLoader):
    """Refuses a mapping that repeats a key (YAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
        repeated = {k for k in keys if keys.count(k) > 1}
        assert not repeated, f"repeated keys {repeated} at line {node.start_mark.line + 1}"
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def _compose() -> dict[str, Any]:
    text = (ROOT / "docker-compose.yml").read_text()
    loaded: dict[str, Any] = yaml.load(text, Loader=_UniqueKeyLoader)
    return loaded


def test_compose_file_matches_the_compose_specification() -> None:
    schema = json.loads(SPEC.read_text())
    jsonschema.validate(_compose(), schema, cls=jsonschema.Draft7Validator)


def test_compose_spec_check_would_catch_a_mistake() -> None:
    schema = json.loads(SPEC.read_text())
    broken = _compose()
    broken["services"]["tracegraph"]["depends_on"] = {"neo4j": {"condition": "when_ready"}}
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(broken))
    assert errors


def test_named_volumes_are_declared() -> None:
    compose = _compose()
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, (name, source)


def _compose_command() -> list[str] | None:
    """``docker compose`` (the plugin) or Debian's ``docker-compose``, when installed."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_config_accepts_the_file() -> None:
    """``config`` parses, interpolates and checks the file without a Docker engine."""
    command = _compose_command()
    if command is None:
        assert os.environ.get("CI") != "true", "CI installs docker-compose (.ci/run)"
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    every = ["--profile", "neo4j", "--profile", "dgraph", "--profile", "kafka"]
    done = subprocess.run([*command, "-f", str(ROOT / "docker-compose.yml"), *every,
                           "config", "--services"], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) == set(_compose()["services"])


def test_a_server_on_each_backend() -> None:
    services = _compose()["services"]
    servers = {name: s for name, s in services.items() if s.get("build") == "."}
    backends = {s["environment"]["TRACEGRAPH_BACKEND"]: name for name, s in servers.items()}
    assert set(backends) == {"embedded", "neo4j", "dgraph"}
    assert servers[backends["neo4j"]]["environment"]["TRACEGRAPH_NEO4J_URI"] == \
        "bolt://neo4j:7687"
    assert "neo4j" in servers[backends["neo4j"]]["depends_on"]
    assert servers[backends["dgraph"]]["environment"]["TRACEGRAPH_DGRAPH_ADDR"] == \
        "dgraph-alpha:9080"
    assert "dgraph-alpha" in servers[backends["dgraph"]]["depends_on"]
    host_ports = [p.split(":")[1] for s in servers.values() for p in s["ports"]]
    assert len(host_ports) == len(set(host_ports)), "two servers on one host port"
    for s in servers.values():
        assert "tracegraph-data:/data" in s["volumes"]
        assert "entrypoint" not in s and "command" not in s  # the image's own, installed


def test_a_kafka_broker_in_kraft_mode_and_the_servers_stream_to_it() -> None:
    """Seed 002's stream: a KRaft broker (profile kafka) every server can be pointed at."""
    services = _compose()["services"]
    kafka = services["kafka"]
    assert kafka["profiles"] == ["kafka"]
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", kafka["image"])
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "kafka-data:/var/lib/kafka/data" in kafka["volumes"]
    assert "healthcheck" in kafka
    servers = [s for s in services.values() if s.get("build") == "."]
    for s in servers:  # off unless the operator sets it (an empty bootstrap: no stream)
        assert s["environment"]["TRACEGRAPH_KAFKA_BOOTSTRAP"] == \
            "${TRACEGRAPH_KAFKA_BOOTSTRAP:-}"
        assert s["environment"]["TRACEGRAPH_KAFKA_TOPIC"].startswith("${TRACEGRAPH_KAFKA_TOPIC")


def _dockerfile() -> DockerfileParser:
    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    return parser


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [i["value"].strip() for i in _dockerfile().structure if i["instruction"] == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}


def test_dockerfile_installs_at_build_time_not_at_start() -> None:
    structure = _dockerfile().structure
    runs = " ".join(i["value"] for i in structure if i["instruction"] == "RUN")
    assert re.search(r"pip install .*\.\[all,mcp\]", runs)
    assert re.search(r"TRACEGRAPH_COMPILE=1 pip install", runs)  # the compiled build
    for i in structure:
        if i["instruction"] in {"CMD", "ENTRYPOINT"}:
            assert "pip" not in i["value"], i


def test_dockerfile_healthcheck_and_data_volume() -> None:
    structure = _dockerfile().structure
    (health,) = [i["value"] for i in structure if i["instruction"] == "HEALTHCHECK"]
    assert "/healthz" in health
    volumes = [i["value"] for i in structure if i["instruction"] == "VOLUME"]
    assert any("/data" in v for v in volumes)
    env = _dockerfile().envs
    assert env["TRACEGRAPH_DATA_DIR"] == "/data"
    entry = [i["value"] for i in structure if i["instruction"] == "ENTRYPOINT"]
    cmd = [i["value"] for i in structure if i["instruction"] == "CMD"]
    assert json.loads(entry[-1]) == ["tracegraph"]
    assert json.loads(cmd[-1])[:3] == ["serve", "--host", "0.0.0.0"]


def test_dockerfile_copies_what_the_package_needs() -> None:
    """Every folder of the installed packages (pyproject's package-dir) is copied."""
    import tomllib

    copied = " ".join(i["value"] for i in _dockerfile().structure if i["instruction"] == "COPY")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for folder in project["package-dir"].values():
        assert re.search(rf"\b{folder}\b", copied), folder
    assert "pyproject.toml" in copied and "README.md" in copied
    for build_file in ("setup.py", "build_backend"):  # TRACEGRAPH_COMPILE's build
        assert build_file in copied, build_file


def test_every_package_folder_is_installed() -> None:
    """The image installs the project for real (not editable): every folder with an
    __init__.py must be one of pyproject's packages, or it is missing in the container."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    dirs = {v: k for k, v in project["package-dir"].items()}
    listed = set(project["packages"])
    for folder, package in dirs.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            assert ".".join((package, *rel)) in listed, init.parent
