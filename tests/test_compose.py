"""docker-compose.yml, the production shape, checked without Docker: images pinned, health checks and restart
policies, volumes and secrets declared and used, required settings, start-up order, every `command` a real
`fluorowatch` command (parsed by the CLI's own parser), and the Prometheus and Grafana files beside it naming
only compose services, runbooks and metrics the code exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import fluorowatch
from edge_agent.config import load_agent_config
from fluorowatch.cli import build_parser
from fluorowatch.settings import _SECRET_FIELDS, PREFIX, Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DEPLOY = ROOT / "deploy"
ONE_SHOT = {"migrate", "mosquitto-files"}
FLUOROWATCH_SERVICES = {"migrate", "mosquitto-files", "api", "ingest", "worker", "agents-sim"}
THIRD_PARTY_IMAGES = {
    "db": "timescale/timescaledb",
    "mqtt": "eclipse-mosquitto",
    "prometheus": "prom/prometheus",
    "grafana": "grafana/grafana",
    "postgres-exporter": "quay.io/prometheuscommunity/postgres-exporter",
}
EXTERNAL_METRICS = {"up", "pg_up"}  # Prometheus's own and postgres-exporter's
_METRIC_DECLARATION = re.compile(
    r"\b(?:Counter|Gauge|Histogram|Summary)(?:MetricFamily)?\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\""
)
_FW_METRIC = re.compile(r"\bfw_[a-z0-9_]+")


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = _yaml(COMPOSE)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def _long_running(services: dict[str, dict[str, Any]]) -> list[str]:
    return [name for name in services if name not in ONE_SHOT]


def _exported_metrics() -> set[str]:
    """Every metric name the code declares with prometheus_client, with the series names it exports."""
    names: set[str] = set()
    for package in ("fluorowatch", "ingest", "detectors", "api", "alerts", "edge_agent", "compliance", "storage"):
        for source in (ROOT / package).rglob("*.py"):
            names.update(_METRIC_DECLARATION.findall(source.read_text(encoding="utf-8")))
    series = set(names)
    for name in names:
        base = name.removesuffix("_total")
        series.update(base + suffix for suffix in ("_total", "_created", "_bucket", "_sum", "_count"))
    return series


def test_every_service_is_there_with_a_pinned_image(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == FLUOROWATCH_SERVICES | set(THIRD_PARTY_IMAGES)
    for name, repository in THIRD_PARTY_IMAGES.items():
        image, _, tag = services[name]["image"].rpartition(":")
        assert image == repository, name
        assert tag and tag != "latest" and re.fullmatch(r"v?\d+(\.\d+)+(-[a-z0-9]+)?", tag), f"{name}: {tag}"
    assert services["mqtt"]["image"].startswith("eclipse-mosquitto:2.")
    assert services["db"]["image"].endswith("-pg16")
    for name in FLUOROWATCH_SERVICES:  # one image, built from the Dockerfile, tagged with the package's version
        assert services[name]["build"] == ".", name
        assert services[name]["image"] == f"fluorowatch:{fluorowatch.__version__}", name


def test_the_dockerfile_installs_the_package_without_dev_tools_and_runs_as_a_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11[.\d]*-slim", dockerfile, re.M)
    assert "pip install ." in dockerfile and "[dev]" not in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}
    assert "ENTRYPOINT" not in dockerfile  # the services' commands are whole `fluorowatch ...` lines


def test_long_running_services_have_a_healthcheck_and_restart_one_shots_do_not_restart(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in _long_running(services):
        service = services[name]
        assert service.get("restart") in {"unless-stopped", "always"}, name
        check = service.get("healthcheck", {}).get("test")
        assert isinstance(check, list) and check[0] in {"CMD", "CMD-SHELL"} and len(check) > 1, name
    for name in ONE_SHOT:
        assert services[name]["restart"] == "no"
        assert "healthcheck" not in services[name]
    api_check = " ".join(services["api"]["healthcheck"]["test"])
    assert "/readyz" in api_check and "8000" in api_check
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])


@pytest.mark.parametrize("name", sorted(FLUOROWATCH_SERVICES))
def test_each_command_is_a_real_fluorowatch_command(services: dict[str, dict[str, Any]], name: str) -> None:
    command = services[name]["command"]
    assert isinstance(command, list) and command[0] == "fluorowatch", name
    try:
        args = build_parser().parse_args(command[1:])
    except SystemExit as exc:  # argparse refused it: the image would exit at once
        pytest.fail(f"{name}: {command} is not a fluorowatch command ({exc})")
    assert callable(args.handler)


def test_the_ports_the_commands_listen_on_are_the_ones_checked_and_scraped(services: dict[str, dict[str, Any]]) -> None:
    parser = build_parser()
    api = parser.parse_args(services["api"]["command"][1:])
    assert api.host == "0.0.0.0" and any(str(api.port) in p for p in services["api"]["ports"])
    assert f"127.0.0.1:{api.port}/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    ingest = parser.parse_args(services["ingest"]["command"][1:])
    assert ingest.metrics_host == "0.0.0.0"
    assert ingest.metrics_port and f":{ingest.metrics_port}/" in " ".join(services["ingest"]["healthcheck"]["test"])
    assert ingest.client_id != parser.parse_args(["ingest"]).client_id  # fixed: the broker keeps its session
    worker = parser.parse_args(services["worker"]["command"][1:])
    assert worker.metrics_host == "0.0.0.0"  # Prometheus scrapes it from its own container
    assert f"127.0.0.1:{worker.metrics_port}/readyz" in " ".join(services["worker"]["healthcheck"]["test"])


def test_named_volumes_are_declared_and_used(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    declared = set(compose["volumes"])
    used: set[str] = set()
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: {source} is not in the repository"
            else:
                assert source in declared, f"{name}: volume {source} not declared"
                used.add(source)
    assert used == declared
    assert "db-data:/var/lib/postgresql/data" in services["db"]["volumes"]
    auth = {v.split(":")[0]: v.split(":")[1] for v in services["mosquitto-files"]["volumes"]}
    assert "mosquitto-auth:/mosquitto/auth:ro" in services["mqtt"]["volumes"] and auth == {
        "mosquitto-auth": "/mosquitto/auth"
    }


def test_secrets_are_files_declared_and_referenced(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = compose["secrets"]
    for name, secret in declared.items():
        assert secret["file"] == f"./secrets/{name}"
    referenced: set[str] = set()
    for name, service in services.items():
        listed = set(service.get("secrets", []))
        assert listed <= set(declared), name
        referenced |= listed
        for key, value in _environment(service).items():
            if key.endswith("_FILE") or key.endswith("__FILE"):
                secret = str(value).removeprefix("/run/secrets/")
                assert str(value).startswith("/run/secrets/") and secret in listed, f"{name}: {key}={value}"
    assert referenced == set(declared)
    db = _environment(services["db"])
    assert db["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password" and "POSTGRES_PASSWORD" not in db
    for name in FLUOROWATCH_SERVICES - {"agents-sim"}:  # no credential in plain environment
        env = _environment(services[name])
        assert env["DATABASE_URL_FILE"] == "/run/secrets/database_url" and "DATABASE_URL" not in env, name
        assert env["FLUOROWATCH_SECRET_KEY_FILE"] == "/run/secrets/secret_key", name
        assert env["FLUOROWATCH_ENVIRONMENT"] == "production", name
    assert _environment(services["ingest"])["MQTT_URL_FILE"] == "/run/secrets/ingest_mqtt_url"


def _environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment is written as a mapping"
    return env


def test_every_fluorowatch_setting_given_is_one_the_code_knows(services: dict[str, dict[str, Any]]) -> None:
    known = {f"{PREFIX}{name.upper()}" for name in Settings.model_fields}
    known |= {f"{PREFIX}{name.upper()}_FILE" for name in _SECRET_FIELDS} | {f"{n.upper()}_FILE" for n in _SECRET_FIELDS}
    for name in FLUOROWATCH_SERVICES:
        for key in _environment(services[name]):
            if key.startswith(PREFIX) or key.endswith("_FILE"):
                assert key in known, f"{name}: {key} would stop start-up as an unknown setting"


def test_required_settings_stop_compose_with_a_message_and_nothing_else_is_required() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    required = re.findall(r"\$\{([A-Z_]+):\?([^}]*)\}", text)
    assert {var for var, _ in required} == {"PUBLIC_URL"}
    assert all(message.strip() for _, message in required)
    for var in re.findall(r"\$\{([A-Z_]+)\}", text):
        pytest.fail(f"${{{var}}} has neither a default (:-) nor a message (:?)")


def test_start_up_order(services: dict[str, dict[str, Any]]) -> None:
    conditions = {"service_healthy", "service_completed_successfully", "service_started"}
    for name, service in services.items():
        for target, how in service.get("depends_on", {}).items():
            assert target in services and how["condition"] in conditions, f"{name} -> {target}"
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}'s health, which has none"
            if how["condition"] == "service_completed_successfully":
                assert target in ONE_SHOT, f"{name} -> {target}"
    depends = {name: {t: h["condition"] for t, h in s.get("depends_on", {}).items()} for name, s in services.items()}
    assert depends["migrate"] == {"db": "service_healthy"}
    assert depends["mosquitto-files"] == {"migrate": "service_completed_successfully"}
    assert depends["mqtt"] == {"mosquitto-files": "service_completed_successfully"}
    for name in ("api", "ingest", "worker"):
        assert depends[name]["migrate"] == "service_completed_successfully"
        assert depends[name]["db"] == "service_healthy"
    assert depends["ingest"]["mqtt"] == "service_healthy"
    assert services["agents-sim"]["profiles"] == ["simulated"]
    assert all("profiles" not in s for n, s in services.items() if n != "agents-sim")


def test_mosquitto_reads_the_files_the_job_writes_and_refuses_anonymous(services: dict[str, dict[str, Any]]) -> None:
    conf = dict(
        line.split(None, 1)
        for line in (DEPLOY / "mosquitto" / "mosquitto.conf").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert conf["allow_anonymous"] == "false" and conf["persistence"] == "true"
    assert conf["listener"] == "1883"
    job = build_parser().parse_args(services["mosquitto-files"]["command"][1:])
    assert conf["password_file"] == str(job.passwords) and conf["acl_file"] == str(job.acl)
    assert conf["persistence_location"] == "/mosquitto/data/"
    assert "mosquitto-data:/mosquitto/data" in services["mqtt"]["volumes"]
    assert str(job.ingest_password_file) == "/run/secrets/mqtt_ingest_password"
    assert services["mosquitto-files"]["user"] == "1883:1883"  # Mosquitto's uid in its image: the files are its own
    assert f"-u {job.ingest_user} " in services["mqtt"]["healthcheck"]["test"][1]
    # Room for ingest's backlog through a long database outage (1,000,000 = 1,000 agents sending a message a minute
    # for 16 hours), and never 0: "no limit" makes Mosquitto 2.0.11 drop every client whose publish the ACL denies
    # (docs/ingest.md).
    assert int(conf["max_queued_messages"]) >= 1_000_000
    assert int(conf["max_queued_bytes"]) >= 1 << 30


def test_the_simulated_agent_config_is_valid_and_matches_its_health_check(
    services: dict[str, dict[str, Any]],
) -> None:
    config = load_agent_config(DEPLOY / "agents-sim" / "agent.yaml")
    assert config.broker.url == "mqtt://mqtt:1883"
    assert str(config.broker.password_file) == "/run/secrets/sim_agent_password"
    assert config.metrics_port and f":{config.metrics_port}/" in " ".join(services["agents-sim"]["healthcheck"]["test"])
    assert all(unit.driver.type == "simulator" for unit in config.units)
    assert str(config.queue.path).startswith("/var/lib/fluorowatch/agent/")
    assert "agent-queue:/var/lib/fluorowatch/agent" in services["agents-sim"]["volumes"]


def test_prometheus_scrapes_compose_services(services: dict[str, dict[str, Any]]) -> None:
    config = _yaml(DEPLOY / "prometheus" / "prometheus.yml")
    targets = {
        job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]] for job in config["scrape_configs"]
    }
    assert {"api", "ingest", "worker", "agents", "postgres"} <= set(targets)
    for job, addresses in targets.items():
        for address in addresses:
            host, _, port = address.partition(":")
            assert host in services and port.isdigit(), f"{job}: {address}"
    ingest_port = build_parser().parse_args(services["ingest"]["command"][1:]).metrics_port
    assert targets["ingest"] == [f"ingest:{ingest_port}"] and targets["api"] == ["api:8000"]
    worker_port = build_parser().parse_args(services["worker"]["command"][1:]).metrics_port
    assert targets["worker"] == [f"worker:{worker_port}"]
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    mounts = " ".join(services["prometheus"]["volumes"])
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml" in mounts


def _rules() -> list[dict[str, Any]]:
    return [rule for group in _yaml(DEPLOY / "prometheus" / "alerts.yml")["groups"] for rule in group["rules"]]


def test_every_alert_rule_has_a_severity_a_summary_and_its_runbook() -> None:
    rules = _rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    assert {"IngestDown", "IngestLagHigh", "IngestRejectedRateHigh", "NotificationDeliveryFailing", "WorkerJobFailing",
            "SiteSilent", "LeakAlertUnacknowledged", "DatabaseDown"} <= set(names)  # fmt: skip
    runbooks = ROOT / "docs" / "runbooks"
    for rule in rules:
        assert re.fullmatch(r"[A-Z][A-Za-z]+", rule["alert"])
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["for"], rule["alert"]
        assert rule["annotations"]["runbook_url"] == f"docs/runbooks/{rule['alert']}.md"
        assert (runbooks / f"{rule['alert']}.md").is_file(), f"no runbook for {rule['alert']}"


def test_alert_rules_use_only_exported_metrics() -> None:
    used = {name for rule in _rules() for name in _FW_METRIC.findall(rule["expr"])}
    assert used and used <= _exported_metrics(), f"not exported: {sorted(used - _exported_metrics())}"


def test_grafana_is_provisioned_and_its_dashboard_uses_only_exported_metrics(
    services: dict[str, dict[str, Any]],
) -> None:
    datasource = _yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090" and datasource["type"] == "prometheus"
    provider = _yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "dashboards.yml")["providers"][0]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in services["grafana"]["volumes"]
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "fluorowatch.json").read_text(encoding="utf-8"))
    exported = _exported_metrics()
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    assert exprs and len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]
    for expr in exprs:
        for name in _FW_METRIC.findall(expr):
            assert name in exported, f"{name} is not exported by the code"
        others = set(re.findall(r"\b([a-z_]+)\{", expr)) | set(re.findall(r"^([a-z_]+)$", expr))
        assert others - {n for n in others if n.startswith("fw_")} <= EXTERNAL_METRICS, expr
    for expected in ("fw_ingest_messages_received_total", "fw_ingest_messages_rejected_total", "fw_ingest_lag_seconds",
                     "fw_ingest_batch_seconds_bucket", "fw_agent_queue_depth"):  # fmt: skip
        assert any(expected in expr for expr in exprs), expected
