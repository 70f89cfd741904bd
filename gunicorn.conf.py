"""gunicorn settings for `make run` and the documented deployment (issue 11).

gunicorn reads this file from the working directory by default; `make run` names it with
`-c gunicorn.conf.py`. Options on the command line win over it (the benchmarks use that).

Why gthread and not gunicorn's default sync workers: a sync worker serves one connection at a
time and reads a request body before the app sees it, so a client that trickles its body (a
phone on a bad connection, or on purpose) holds a whole worker. With 2 workers, 2 such clients
took the site down for 32 s, /health included, until the arbiter killed the silent workers.
A gthread worker reads on one of its threads while its main loop keeps accepting and keeps
the worker's heartbeat: K slow clients hold K threads, the other threads go on serving.
Measured in docs/deployment-gunicorn.md (bench/bench_slow_clients.py, bench/bench_launch_night.py).

Threads are no cure for many slow clients at once (each holds a thread for as long as it
trickles); for a public site put a buffering reverse proxy in front (nginx, see the doc), which
hands gunicorn only complete requests.

Environment: HOST and PORT (as the Makefile), WEB_CONCURRENCY (workers), GUNICORN_THREADS,
BUURT_LOG_FORMAT (json: gunicorn's own log as JSON lines too) and PROMETHEUS_MULTIPROC_DIR (where the
workers count for /metrics; a private temporary folder when unset). docs/observability.md.
"""

import os
import shutil
import tempfile
from pathlib import Path

# Where to listen: the Makefile's HOST/PORT (127.0.0.1:5000 unless told otherwise). Behind nginx
# keep 127.0.0.1; the proxy is then the only client.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"

# 2 processes, as `make run` always had: the rate limiter, the area cache and the address register
# are per process, and the target host is a small VM. WEB_CONCURRENCY is gunicorn's usual override.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

# Threads per worker. Safe for this app: Flask-SQLAlchemy gives each request (thread) its own
# scoped session; SQLite runs in WAL mode (readers never wait; one writer at a time, others wait up
# to busy_timeout 15 s); SQLAlchemy's pool (5 + 10 overflow per process) has a connection for every
# thread. 4, not 16, measured on the launch-night mix (bench/bench_launch_night.py, 30 clients,
# 2 workers, SQLite): 16 threads gave p99 2,972 ms (sign-ups 7.4 s: busy threads fight over the GIL
# and SQLite's one write lock, and the lock holder waits its turn for the GIL), 4 threads 425 ms,
# sync workers 219 ms. 4 threads still keep /health answering beside 2 slow clients (sync: not
# beside 1); more slow clients than that are the buffering proxy's job (docs/deployment-gunicorn.md).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Connections one worker holds open (in flight + kept alive); the rest wait in the listen backlog.
worker_connections = 1000

# A worker whose main loop is silent this long is killed and replaced. With gthread this means a
# stuck process, not a slow request (a slow request runs on a thread while the loop reports in).
timeout = 30

# On SIGTERM/SIGHUP (deploy, restart), requests in flight get this long to finish.
graceful_timeout = 20

# Keep-alive: browsers reuse the connection for the CSS/JS/map requests of a page. Idle kept-alive
# connections wait in the worker's poller, not on a thread, so 5 s costs nothing. (Behind nginx,
# nginx holds the client's keep-alive; this is then the proxy's idle connection.)
keepalive = 5

# Request size limits against oversized headers. Our longest URLs are lookups and signed links
# (well under 1 KB); a session cookie stays far below the field size limit.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# No access log, on purpose. Since issue 13 addresses travel in POST bodies and personal links keep
# their token after '#', but a link mailed before still carries its token in the path (it is
# redirected once), and a query string is whatever a client typed. Whoever switches it on
# (--access-logfile) gets this format: the path without the query string (%(U)s, not %(r)s), no
# Referer (it holds the previous page's URL with its query) and no user agent. Errors go to stderr
# (the service manager's journal); buurt.errors keeps exception text and URLs out of gunicorn's error log.
# The app writes its own access record instead (buurt.ops.logs: route template, status, duration,
# request id; never the path, the query or the client's address).
accesslog = None
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = "info"

# BUURT_LOG_FORMAT=json (the environment file, as the app reads it): gunicorn's own lines ("Booting
# worker", a worker timeout) and every other library's are JSON lines on stderr too, in the app's
# format (buurt.ops.logs.JsonFormatter), so the journal holds one format. The app then finds that
# handler on the root logger and adds none of its own. Text (the default): gunicorn's usual log.
JSON_LOGCONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "buurt.ops.logs.JsonFormatter"}},
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": ["json"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}
logconfig_dict = JSON_LOGCONFIG if os.environ.get("BUURT_LOG_FORMAT", "").strip().lower() == "json" else {}

# The heartbeat file is touched by every worker on every loop; on a disk-backed /tmp that can
# stall on a busy or slow disk and get a healthy worker killed. /dev/shm is memory.
SHM = "/dev/shm"  # noqa: S108 - gunicorn's own advice for the heartbeat files; not a shared temp file
worker_tmp_dir = SHM if os.path.isdir(SHM) else None

# Trust X-Forwarded-For/-Proto only from a proxy on this machine (gunicorn's default, spelled out).
forwarded_allow_ips = "127.0.0.1,::1"

# Files the server creates are the site user's only (issue 12): the SQLite database (and its -wal and
# -shm) holds residents' phone numbers and addresses. gunicorn's own `umask` setting covers only its
# sockets and heartbeat files, so the hook sets the process umask in the arbiter, before any worker is
# forked (workers inherit it). A hook, not a module-level call: loading this file must change nothing.
umask = 0o077
PRIVATE_UMASK = 0o077


# /metrics under several workers (prometheus_client's multiprocess mode): each worker counts in its
# own files in PROMETHEUS_MULTIPROC_DIR and a scrape adds them up. prometheus_client picks the mode
# when it is first imported, so the variable is set in the arbiter, before any worker is forked and
# imports the app (never with preload_app). The folder is emptied at every server start (counters
# begin at 0, as Prometheus expects after a restart) and one is made when none is given. One folder
# per server: two gunicorns that share one would add up each other's counts.
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def metrics_dir_ready(environ=os.environ) -> tuple[Path, bool]:
    """The workers' metrics folder, emptied (or made); and whether we made it (on_exit removes it)."""
    given = environ.get(METRICS_DIR_ENV)
    if given:
        folder = Path(given)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return folder, False
    folder = Path(tempfile.mkdtemp(prefix="buurt-metrics-", dir=worker_tmp_dir))
    environ[METRICS_DIR_ENV] = str(folder)
    return folder, True


def on_starting(server):
    os.umask(PRIVATE_UMASK)
    folder, made = metrics_dir_ready()
    server.buurt_metrics_dir = folder if made else None


def child_exit(server, worker):
    """A worker ended: its live gauges go (its counters stay, summed into the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    made = getattr(server, "buurt_metrics_dir", None)
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)
