"""deploy/: the install script, the systemd units, Caddy and nginx, checked with their own tools.

Nothing here touches the machine: deploy/install.sh runs in its --root mode into a scratch folder
(every file under it; apt-get, useradd, chown and systemctl printed, not run) with this venv linked
in (--venv), and `flask buurt init` really runs there. The units are then checked by
`systemd-analyze verify` with their paths pointed into that folder (so every ExecStart binary
exists), Caddy and nginx by their own config tests, and Caddy also for real: in front of a small
backend on 127.0.0.1, for what the app relies on (its headers, the body limit, buffering, no access
log). What cannot run here (systemd as PID 1, so the hardening options in a live unit; a
certificate from Let's Encrypt) is said in docs/deploy.md.

The tools come from `make deploy-tools` (Debian's caddy, nginx, shellcheck; systemd-analyze is in
the base system).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from buurt.config import Defaults
from tests.gunicorn_support import free_port, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
INSTALL = DEPLOY / "install.sh"
UNITS = DEPLOY / "systemd"
VENV = Path(sys.prefix)
DOMAIN = "buurt.test-wijk.nl"
EMAIL = "beheer@test-wijk.nl"
JOBS = ("purge", "digest", "geocode-pending", "backup")
# the paths the units, install.sh and docs/deploy.md agree on
APP_DIR, INSTANCE_DIR, ENV_FILE = "/srv/buurt", "/var/lib/buurt", "/etc/buurt/buurt.env"


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: `make deploy-tools` installs it"
    return path


def vps_environ() -> dict[str, str]:
    """This process's environment without the site settings a test run sets (BUURT_*, and the
    PostgreSQL URI of `make test-postgres`): a fresh VPS has only what buurt.env says."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BUURT_") and k != "SQLALCHEMY_DATABASE_URI"}


def install(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(INSTALL), "--root", str(root), "--venv", str(VENV), *args],
        capture_output=True,
        text=True,
        env=vps_environ(),
        timeout=300,
    )


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def secret_key(root: Path) -> str:
    match = re.search(r"^SECRET_KEY = '([^']+)'$", (root / "var/lib/buurt/config.py").read_text(), re.M)
    assert match, "config.py holds no SECRET_KEY"
    return match.group(1)


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read_string(path.read_text())
    return parser


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """deploy/install.sh run twice into one scratch root (the second run is the upgrade)."""
    root = tmp_path_factory.mktemp("vps")
    first = install(root, DOMAIN, EMAIL)
    assert first.returncode == 0, first.stdout + first.stderr
    key = secret_key(root)
    env_file = root / ENV_FILE.lstrip("/")
    env_file.write_text(env_file.read_text() + "BUURT_LOG_FORMAT=json\n")  # the admin's own edit
    second = install(root, DOMAIN, EMAIL)
    assert second.returncode == 0, second.stdout + second.stderr
    root.joinpath("runs.txt").write_text(first.stdout + "\n---\n" + second.stdout)
    root.joinpath("first-key.txt").write_text(key)
    return root


# -- the install script -----------------------------------------------------------------------


def test_install_script_is_shellcheck_clean():
    result = subprocess.run([tool("shellcheck"), str(INSTALL)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_install_writes_every_file_with_its_mode(installed):
    instance = installed / INSTANCE_DIR.lstrip("/")
    assert mode(instance) == 0o700
    assert mode(instance / "config.py") == 0o600
    assert mode(instance / "buurt.sqlite") == 0o600
    assert mode(installed / ENV_FILE.lstrip("/")) == 0o640
    app = installed / APP_DIR.lstrip("/")
    for name in ("app.py", "gunicorn.conf.py", "requirements.txt", "static", "migrations"):
        assert (app / name).exists(), name
    assert not (app / "instance" / "config.py").exists(), "a developer's instance folder was copied"
    assert (app / "buurt/translations/en/LC_MESSAGES/messages.mo").exists(), "translations not compiled"
    assert (app / ".venv/bin/flask").exists()
    systemd = installed / "etc/systemd/system"
    shipped = sorted(p.name for p in UNITS.iterdir())
    assert sorted(p.name for p in systemd.iterdir()) == shipped
    assert {mode(systemd / name) for name in shipped} == {0o644}
    caddyfile = (installed / "etc/caddy/Caddyfile").read_text()
    assert f"\n{DOMAIN} {{" in caddyfile
    assert f"email {EMAIL}" in caddyfile
    assert "example.org" not in caddyfile


def test_install_changes_nothing_outside_its_root_and_says_what_it_would_run(installed):
    runs = (installed / "runs.txt").read_text()
    for command in ("apt-get install", "useradd --system", "chown buurt:buurt", "systemctl enable buurt.service"):
        assert f"would run: {command}" in runs.replace("env DEBIAN_FRONTEND=noninteractive ", ""), command
    assert "systemctl reload-or-restart caddy.service" in runs
    assert not Path(ENV_FILE).exists()  # this machine has no buurt install; --root wrote none


def test_env_file_holds_the_settings_and_no_secret(installed):
    text = (installed / ENV_FILE.lstrip("/")).read_text()
    settings = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert settings["BUURT_INSTANCE_PATH"] == INSTANCE_DIR
    assert settings["BUURT_SITE_URL"] == f"https://{DOMAIN}"
    assert settings["BUURT_TRUSTED_PROXIES"] == "1"
    assert not [name for name in settings if re.search("SECRET|PASSWORD|TOKEN|PASSPHRASE", name)]
    assert secret_key(installed) not in text


def test_second_run_keeps_key_data_and_settings(installed):
    assert secret_key(installed) == (installed / "first-key.txt").read_text()
    assert "BUURT_LOG_FORMAT=json" in (installed / ENV_FILE.lstrip("/")).read_text()
    second = (installed / "runs.txt").read_text().split("---")[1]
    assert f"settings: {ENV_FILE} kept" in second


@pytest.mark.parametrize(
    "args", [("buurt.example.org",), ("bad domain", EMAIL), ("x.nl;rm -rf /", EMAIL), (DOMAIN, "geen-adres")]
)
def test_install_refuses_bad_arguments(tmp_path, args):
    result = install(tmp_path, *args)
    assert result.returncode == 2
    assert not any(tmp_path.iterdir())


# -- systemd ----------------------------------------------------------------------------------


def rendered_units(root: Path, target: Path) -> list[Path]:
    """The installed units with their paths pointed into the scratch root, so ExecStart exists."""
    target.mkdir()
    paths = []
    for path in sorted((root / "etc/systemd/system").iterdir()):
        text = path.read_text()
        for real in (APP_DIR, INSTANCE_DIR, ENV_FILE):
            text = text.replace(real, str(root) + real)
        target.joinpath(path.name).write_text(text)
        paths.append(target / path.name)
    return paths


def verify(paths: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("systemd-analyze"), "verify", "--man=no", "--generators=no", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=paths[0].parent,
    )


def test_units_pass_systemd_analyze_verify(installed, tmp_path):
    result = verify(rendered_units(installed, tmp_path / "units"))
    # warnings (an unknown key, a bad value) are ignored by systemd: they count as failures here
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_verify_catches_a_wrong_path(installed, tmp_path):
    """The check above can fail: a unit whose ExecStart is not in the venv does not verify."""
    units = rendered_units(installed, tmp_path / "units")
    service = next(p for p in units if p.name == "buurt.service")
    service.write_text(service.read_text().replace(".venv/bin/gunicorn", "venv/bin/gunicorn"))
    result = verify([service])
    assert result.returncode != 0
    assert "is not executable" in result.stderr


def test_timers_run_each_job_when_planned():
    for job in JOBS:
        timer = unit(UNITS / f"buurt-{job}.timer")
        assert timer["Unit"]["Description"]
        calendar = timer["Timer"]["OnCalendar"]
        result = subprocess.run([tool("systemd-analyze"), "calendar", calendar], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "Next elapse:" in result.stdout
        if job != "geocode-pending":  # daily jobs: a run missed while the machine was off happens at boot
            assert timer["Timer"]["Persistent"] == "true"
            assert calendar.endswith("Europe/Amsterdam")
    assert unit(UNITS / "buurt-purge.timer")["Timer"]["OnCalendar"] == "*-*-* 04:15:00 Europe/Amsterdam"
    assert unit(UNITS / "buurt-geocode-pending.timer")["Timer"]["OnCalendar"] == "*:0/10"


def test_units_match_the_install_layout():
    for path in sorted(UNITS.glob("*.service")):
        service = unit(path)["Service"]
        assert service["User"] == "buurt", path.name
        assert service["WorkingDirectory"] == APP_DIR
        assert service["EnvironmentFile"] == ENV_FILE
        assert service["ReadWritePaths"] == INSTANCE_DIR
        assert service["UMask"] == "0077"
        assert service["ProtectSystem"] == "strict"
        assert service["NoNewPrivileges"] == "yes"
        assert service["ExecStart"].startswith(f"{APP_DIR}/.venv/bin/")
    web = unit(UNITS / "buurt.service")["Service"]
    # gunicorn's control socket goes to XDG_RUNTIME_DIR, else $HOME (the instance folder)
    assert web["RuntimeDirectory"] == "buurt"
    assert "XDG_RUNTIME_DIR=/run/buurt" in web["Environment"]
    script = INSTALL.read_text()
    for name, value in (("APP_DIR", APP_DIR), ("INSTANCE_DIR", INSTANCE_DIR), ("ENV_FILE", ENV_FILE)):
        assert f"\n{name}={value}\n" in script


def job_commands() -> dict[str, list[str]]:
    """flask buurt <command> [options] of each job unit's ExecStart."""
    commands = {}
    for job in JOBS:
        words = shlex.split(unit(UNITS / f"buurt-{job}.service")["Service"]["ExecStart"])
        assert words[:4] == [f"{APP_DIR}/.venv/bin/flask", "--app", "app", "buurt"], words
        commands[job] = words[4:]
    return commands


def installed_env(root: Path) -> dict[str, str]:
    """The environment the units give: the env file, the instance folder under the scratch root."""
    env = vps_environ()
    for line in (root / ENV_FILE.lstrip("/")).read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            env[name] = value
    env["BUURT_INSTANCE_PATH"] = str(root) + INSTANCE_DIR
    return env


def test_every_command_the_timers_call_exists(installed):
    app_dir = installed / APP_DIR.lstrip("/")
    for job, (command, *options) in job_commands().items():
        result = subprocess.run(
            [str(app_dir / ".venv/bin/flask"), "--app", "app", "buurt", command, "--help"],
            cwd=app_dir,
            env=installed_env(installed),
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"{job}: {result.stderr}"
        for option in options:
            assert option in result.stdout, f"buurt-{job}.service passes {option}; `buurt {command}` has none"


def test_the_service_starts_gunicorn_with_the_installed_config(installed):
    words = shlex.split(unit(UNITS / "buurt.service")["Service"]["ExecStart"])
    assert words == [f"{APP_DIR}/.venv/bin/gunicorn", "-c", "gunicorn.conf.py", "app:app"]
    app_dir = installed / APP_DIR.lstrip("/")
    # --check-config loads the app as the service would: env file, instance config.py with its key
    result = subprocess.run(
        [str(app_dir / ".venv/bin/gunicorn"), "--check-config", *words[1:]],
        cwd=app_dir,
        env=installed_env(installed),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


SANDBOX = """
set -euo pipefail
vps=$1 port=$2 venv=$3
mount --make-rprivate /
mount -t tmpfs tmpfs /mnt
mkdir /mnt/vps /mnt/instance /mnt/run /mnt/oldtmp
mount --rbind "$vps" /mnt/vps
mount --bind "$vps/var/lib/buurt" /mnt/instance
mount --rbind /tmp /mnt/oldtmp                          # before the private /tmp hides it
mount -t tmpfs -o mode=1777 tmpfs /tmp                  # PrivateTmp=yes
mkdir -p "$vps"
mount --rbind /mnt/vps "$vps"                           # the scratch root again, on the new /tmp
case "$venv" in                                         # the test's venv (--venv), when its checkout
  /tmp/*) mkdir -p "$venv"                              # is under /tmp (a CI clone): there too
          mount --rbind "/mnt/oldtmp/${venv#/tmp/}" "$venv"
          mount -o remount,bind,ro "$venv" ;;
esac
mount -o remount,bind,ro /                              # ProtectSystem=strict ...
mount -o remount,bind,ro "$vps"
mount --bind /mnt/instance "$vps/var/lib/buurt"         # ... ReadWritePaths=/var/lib/buurt
mount -o remount,bind,ro /mnt
mount -t tmpfs -o mode=0700 tmpfs /mnt/run              # RuntimeDirectory=buurt
cd "$vps/srv/buurt"
umask 0077                                              # UMask=0077
export XDG_RUNTIME_DIR=/mnt/run PORT=$port              # as buurt.service (port: a free one)
exec setpriv --no-new-privs --inh-caps=-all --bounding-set=-all \\
    .venv/bin/gunicorn -c gunicorn.conf.py --workers 1 app:app   # NoNewPrivileges, no capabilities
"""


def test_the_site_runs_inside_the_service_sandbox(installed, tmp_path):
    """What buurt.service allows, rebuilt with a mount namespace (no systemd runs here): the whole
    file system read-only but the instance folder, a private /tmp, umask 077, no privileges. The
    site must answer ready and store a write, and everything it creates is the site user's only."""
    script = tmp_path / "sandbox.sh"
    script.write_text(SANDBOX)
    port = free_port()
    env = installed_env(installed)
    env["BUURT_GEOCODER_CHAIN"] = '["register"]'
    log = tmp_path / "gunicorn.log"
    instance = installed / INSTANCE_DIR.lstrip("/")
    before = set(instance.rglob("*"))
    with log.open("wb") as out:
        unshare = [tool("unshare"), "--map-root-user", "--mount", "--fork", "--kill-child=SIGTERM"]
        process = subprocess.Popen(
            [*unshare, "bash", str(script), str(installed), str(port), str(VENV.resolve())],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_healthy(url, process)
        except RuntimeError as error:
            raise AssertionError(log.read_text()) from error
        status, _headers, body = fetch(url + "/health/ready")
        assert status == 200, body
        lookup = json.dumps({"postcode": "2221AB", "huisnummer": "1"}).encode()
        status = fetch(url + "/api/v1/lookup", data=lookup, headers={"Content-Type": "application/json"})[0]
        assert status in (200, 404)  # an answer, not a 500: the rate-limit counter was written
    finally:
        stop(process)
    text = log.read_text()
    assert "Read-only file system" not in text, text
    assert not re.search(r'\[ERROR\]|"level": "ERROR"', text), text  # text or JSON lines
    created = set(instance.rglob("*")) - before
    assert created, "the site wrote nothing in its instance folder"
    for path in created:
        assert mode(path) in (0o600, 0o700), f"{path.relative_to(instance)}: {oct(mode(path))}"


# -- Caddy and nginx --------------------------------------------------------------------------


def caddy_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "caddy-home"  # caddy keeps its storage (certificates) under $HOME
    home.mkdir(exist_ok=True)
    return {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home)}


def test_caddyfile_validates_and_is_formatted(tmp_path, installed):
    for caddyfile in (DEPLOY / "Caddyfile", installed / "etc/caddy/Caddyfile"):
        result = subprocess.run(
            [tool("caddy"), "validate", "--adapter", "caddyfile", "--config", str(caddyfile)],
            capture_output=True,
            text=True,
            env=caddy_env(tmp_path),
        )
        assert result.returncode == 0, result.stderr
        assert "Valid configuration" in result.stdout + result.stderr
    formatted = subprocess.run([tool("caddy"), "fmt", str(DEPLOY / "Caddyfile")], capture_output=True, text=True)
    assert formatted.stdout == (DEPLOY / "Caddyfile").read_text()


def test_nginx_conf_passes_nginx_t(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=buurt.example.org"),
            *("-days", "1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/buurt.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/buurt.example.org/privkey.pem", str(key))
    assert str(cert) in site, "the certificate paths certbot fills in have moved"
    assert str(key) in site
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [tool("nginx"), "-t", "-c", str(tmp_path / "nginx.conf"), "-p", f"{tmp_path}/", "-e", str(tmp_path / "e.log")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_both_proxies_limit_bodies_to_max_content_length():
    assert Defaults.MAX_CONTENT_LENGTH == 8 * 1024 * 1024
    assert re.search(r"^\s*max_size 8MiB$", (DEPLOY / "Caddyfile").read_text(), re.M)
    assert re.search(r"^\s*client_max_body_size 8m;", (DEPLOY / "nginx.conf").read_text(), re.M)


# Caddy for real, in front of a backend that records what reaches it.


@dataclass
class Backend:
    port: int
    requests: list[dict] = field(default_factory=list)
    headers_seen: threading.Event = field(default_factory=threading.Event)


@contextmanager
def recording_backend() -> Iterator[Backend]:
    backend = Backend(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            backend.headers_seen.set()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            backend.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", backend.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield backend
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def running_caddy(tmp_path: Path, installed: Path, backend_port: int) -> Iterator[tuple[str, Path]]:
    """The installed Caddyfile on plain http://127.0.0.1:<free port>, static from the scratch root."""
    port = free_port()
    text = (installed / "etc/caddy/Caddyfile").read_text()
    text = text.replace("{\n\t# Let's Encrypt", "{\n\tadmin off\n\t# Let's Encrypt", 1)
    text = text.replace(f"\n{DOMAIN} {{", f"\nhttp://127.0.0.1:{port} {{")
    text = text.replace("127.0.0.1:5000", f"127.0.0.1:{backend_port}")
    text = text.replace("root /srv/buurt", f"root {installed}/srv/buurt").replace(
        "root * /srv/buurt", f"root * {installed}/srv/buurt"
    )
    for changed in ("admin off", f"127.0.0.1:{backend_port}", str(installed)):
        assert changed in text, "deploy/Caddyfile no longer looks as this test expects"
    caddyfile = tmp_path / "Caddyfile"
    caddyfile.write_text(text)
    log = tmp_path / "caddy.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [tool("caddy"), "run", "--adapter", "caddyfile", "--config", str(caddyfile)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=caddy_env(tmp_path),
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "caddy did not listen: " + log.read_text()
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", log
    finally:
        process.terminate()
        process.wait(10)


def fetch(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def installed_app(installed, tmp_path) -> Iterator[int]:
    """gunicorn as buurt.service starts it (the installed tree, env file, config.py), on a free port."""
    port = free_port()
    app_dir = installed / APP_DIR.lstrip("/")
    env = installed_env(installed)
    env["PORT"] = str(port)  # gunicorn.conf.py's bind; 5000 on the machine
    env["BUURT_GEOCODER_CHAIN"] = '["register"]'  # no request leaves this machine
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(app_dir / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "--workers", "1", "app:app"],
            cwd=app_dir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process)
        yield port
    finally:
        stop(process)


def test_caddy_in_front_of_the_installed_app(tmp_path, installed, installed_app):
    static = installed / APP_DIR.lstrip("/") / "static"
    some_file = next(p for p in sorted(static.rglob("*.css")))
    with running_caddy(tmp_path, installed, installed_app) as (url, log):
        assert fetch(f"{url}/health")[0] == 200
        # a static file that exists: Caddy serves it from the checkout (the app would add its
        # Permissions-Policy header to every answer)
        status, headers, body = fetch(f"{url}/static/{some_file.relative_to(static)}")
        assert (status, body) == (200, some_file.read_bytes())
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "Permissions-Policy" not in headers
        # one that does not exist: the app's 404
        status, headers, _body = fetch(f"{url}/static/niet-er.css")
        assert status == 404
        assert "Permissions-Policy" in headers
        # larger than MAX_CONTENT_LENGTH: the app's own Dutch 413 page, from the headers alone
        answer = headers_only_post(url, "/aanmelden", Defaults.MAX_CONTENT_LENGTH + 1)
        assert answer.startswith(b"HTTP/1.1 413")
        assert "Het bestand is te groot" in answer.decode()
        # a body just within the limit is read and handed on (the form then refuses it: no CSRF token)
        status = fetch(f"{url}/aanmelden", data=b"x" * Defaults.MAX_CONTENT_LENGTH)[0]
        assert status not in (413, 502)
        # no access log: a postcode in a URL is nowhere in Caddy's output
        assert fetch(f"{url}/welke-groep?postcode=2221AB")[0] == 200
        assert "2221AB" not in log.read_text()


def headers_only_post(url: str, path: str, length: int) -> bytes:
    """Send a POST's headers, never its body, and read the answer until the server closes."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as client:
        client.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {length}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    return answer


def test_caddy_replaces_the_clients_forwarding_headers(tmp_path, installed):
    """The app trusts one proxy (ProxyFix x_for=1): the last X-Forwarded-For must be Caddy's peer."""
    with recording_backend() as backend, running_caddy(tmp_path, installed, backend.port) as (url, _log):
        fetch(f"{url}/welke-groep", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
        forwarded = backend.requests[-1]["headers"]
        assert forwarded["X-Forwarded-For"] == "127.0.0.1"
        assert forwarded["X-Forwarded-Proto"] == "http"  # https on the real site, from Caddy, not the client


def test_caddy_hands_the_app_only_complete_requests(tmp_path, installed):
    """A client that sends half its body and stalls holds Caddy, not a gunicorn thread."""
    with recording_backend() as backend, running_caddy(tmp_path, installed, backend.port) as (url, _log):
        port = int(url.rsplit(":", 1)[1])
        body = b"a" * 20_000
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(
                b"POST /aanmelden HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[:10_000]
            )
            # unbuffered, the backend would have the headers within milliseconds
            assert not backend.headers_seen.wait(1.5), "the backend got the request before its body"
            client.sendall(body[10_000:])
            answer = client.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200")
        assert backend.requests[0]["body"] == body
