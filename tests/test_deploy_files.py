"""The Dockerfile, its entry point and docker-compose.yml: structure checked here, behaviour by building them.

No container engine is needed: building and running the image is verified with podman (docs/BENCHMARKS.md,
"Deployment"); these tests keep the files honest between such runs.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
APP_SERVICES = ("web", "worker", "scheduler", "migrate")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def stages() -> list[str]:
    """Split the Dockerfile into its build stages (text from one FROM to the next)."""
    return re.split(r"^(?=FROM )", DOCKERFILE, flags=re.M)[1:]


def instructions(text: str) -> list[str]:
    """Return the Dockerfile instructions (continuations joined, comments dropped)."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return [line.strip() for line in "\n".join(lines).replace("\\\n", " ").splitlines() if line.strip()]


def test_dockerfile_takes_its_base_image_as_an_argument_and_builds_wheels_in_a_builder_stage():
    assert instructions(DOCKERFILE)[0] == "ARG BASE_IMAGE=python:3.11-slim"
    builder, final = stages()
    assert builder.startswith("FROM ${BASE_IMAGE} AS builder")
    assert final.startswith("FROM ${BASE_IMAGE}\n")
    assert "pip wheel --wheel-dir /wheels" in builder
    assert "pip install --no-index --find-links /wheels" in final


def test_final_stage_has_no_compiler_runs_unprivileged_and_checks_health():
    final = stages()[-1]
    assert not re.search(r"\b(gcc|g\+\+|build-essential|clang|apt-get install)\b", final)
    users = [line.split()[1] for line in instructions(final) if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    healthcheck = next(line for line in instructions(final) if line.startswith("HEALTHCHECK "))
    assert "/app/docker/healthcheck.py" in healthcheck
    assert "/healthz" in (ROOT / "docker" / "healthcheck.py").read_text()
    assert "EXPOSE 8000" in final and 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in final


def test_image_compiles_catalogues_and_builds_the_knowledge_base_without_keeping_build_secrets():
    final = " ".join(instructions(stages()[-1]))
    assert "pybabel compile" in final and "-d app/translations" in final
    assert "KB_DIR=/opt/dxflow/kb" in final
    build = re.search(r"DXFLOW_INSTANCE_DIR=(\S+) flask kb build", final)
    assert build and f"rm -rf {build.group(1)}" in final


def test_every_copied_path_exists_and_local_state_stays_out_of_the_build_context():
    copies = [line for line in instructions(DOCKERFILE) if line.startswith("COPY ") and "--from" not in line]
    assert copies, "the Dockerfile copies nothing from the build context"
    for line in copies:
        *sources, _ = line.split()[1:]
        assert sources, line
        for source in sources:
            assert (ROOT / source).exists(), f"Dockerfile copies a missing {source}"
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".git", ".venv", "instance", ".env", "**/__pycache__", ".pytest_cache"):
        assert path in ignored


def test_compose_declares_the_stack(compose):
    assert set(compose["services"]) == {*APP_SERVICES, "postgres", "redis", "minio", "minio-init"}
    roles = re.findall(r"^ {4}(\w+)\)", ENTRYPOINT.read_text(), flags=re.M)
    for name in APP_SERVICES:
        assert compose["services"][name]["command"][0] in roles
        assert compose["services"][name]["environment"]["DXFLOW_ENV"] == "production"
        assert compose["services"][name]["env_file"] == ".env"
        assert compose["services"][name]["environment"]["MINIO_ROOT_PASSWORD"] == ""
    assert compose["services"]["minio-init"]["image"].startswith("minio/mc")
    assert "postgres" in compose["volumes"] and compose["services"]["postgres"]["volumes"][0].startswith("postgres:")


def test_worker_can_be_scaled(compose):
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert not any("container_name" in service for service in compose["services"].values())


@pytest.mark.parametrize("service,dependency,condition", [
    ("web", "migrate", "service_completed_successfully"),
    ("web", "redis", "service_healthy"),
    ("web", "minio-init", "service_completed_successfully"),
    ("worker", "migrate", "service_completed_successfully"),
    ("worker", "redis", "service_healthy"),
    ("scheduler", "redis", "service_healthy"),
    ("migrate", "postgres", "service_healthy"),
    ("minio-init", "minio", "service_healthy"),
])
def test_services_wait_for_what_they_need(compose, service, dependency, condition):
    assert compose["services"][service]["depends_on"][dependency]["condition"] == condition


def test_conditions_can_be_met(compose):
    services = compose["services"]
    rules = [rule for service in services.values() for rule in service.get("depends_on", {}).values()]
    assert rules, "no service depends on another"
    for service in services.values():
        for dependency, rule in service.get("depends_on", {}).items():
            if rule["condition"] == "service_healthy":
                assert services[dependency]["healthcheck"]["test"], dependency
            else:
                assert services[dependency]["restart"] == "no", f"{dependency} is one-shot"


def test_every_compose_variable_is_documented_in_env_example():
    used = set(re.findall(r"\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))
    documented = set(re.findall(r"^#?\s*(\w+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    assert used - documented == set()


def run_entrypoint(tmp_path, *args: str, **env: str) -> list[str]:
    """Run the entry point with stand-ins for flask, gunicorn, python3 and rq that log their arguments."""
    log = tmp_path / "calls.log"
    for tool in ("flask", "gunicorn", "python3", "rq"):
        stub = tmp_path / tool
        stub.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{log}"\n')
        stub.chmod(0o755)
    environment = {"PATH": f"{tmp_path}:/usr/bin:/bin", **env}
    subprocess.run(["sh", str(ENTRYPOINT), *args], env=environment, check=True, timeout=10)
    return log.read_text().splitlines()


@pytest.mark.parametrize("env,upgrades", [
    ({}, True),
    ({"DATABASE_URL": "sqlite:////var/lib/dxflow/x.sqlite3"}, True),
    ({"DATABASE_URL": "postgresql://db/dxflow"}, False),
    ({"DATABASE_URL": "postgresql://db/dxflow", "DB_AUTO_UPGRADE": "1"}, True),
    ({"DB_AUTO_UPGRADE": "0"}, False),
])
def test_web_role_migrates_sqlite_itself_then_serves_with_gunicorn(tmp_path, env, upgrades):
    calls = run_entrypoint(tmp_path, **env, WEB_CONCURRENCY="3")
    assert (calls[0] == "flask db upgrade") is upgrades
    assert calls[-1] == "gunicorn --bind 0.0.0.0:8000 --workers 3 --timeout 120 --access-logfile - wsgi:app"


@pytest.mark.parametrize("args,call", [
    (["worker"], "python3 -m worker"),
    (["scheduler"], "rq cron --url redis://redis:6379/2 worker.cron"),
    (["migrate"], "flask db upgrade"),
    (["flask", "users", "list"], "flask users list"),
])
def test_other_roles_run_their_process(tmp_path, args, call):
    assert run_entrypoint(tmp_path, *args, REDIS_URL="redis://redis:6379/2") == [call]
