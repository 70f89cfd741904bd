#!/usr/bin/env bash
# Install or upgrade buurt on one Debian 12 machine: the one command of docs/deploy.md.
#
#   sudo deploy/install.sh DOMAIN EMAIL             e.g. buurt.example.org beheer@example.org
#   deploy/install.sh --root DIR [--venv V] DOMAIN EMAIL   write every file under DIR, change nothing else
#
# What it does, in order (each step is safe to repeat; a second run is the upgrade):
#   1. apt packages: python3-venv, caddy, git, sqlite3
#   2. system user `buurt` (no login shell, no home of its own)
#   3. the code in /srv/buurt (this checkout, or a copy of it there), owned by root, readable by all
#   4. the venv /srv/buurt/.venv with requirements.txt; translations compiled
#   5. /var/lib/buurt, the instance folder: 0700, user buurt (database, photos, backups, config.py)
#   6. /etc/buurt/buurt.env (0640 root:buurt): instance path, SITE_URL, TRUSTED_PROXIES; no secrets.
#      Written once; later runs keep it (edit it by hand; docs/deploy.md lists the settings)
#   7. `flask buurt init` as user buurt: a random SECRET_KEY in /var/lib/buurt/config.py (0600) the
#      first time, then the migrations, then the readiness check (exit 1 when the site is not ready)
#   8. the systemd units from deploy/systemd: the site and the timers, enabled and (re)started
#   9. Caddy: deploy/Caddyfile with DOMAIN and EMAIL, validated, reloaded (certificate on first use)
#
# --root DIR is for tests and for reading: every file goes under DIR (DIR/srv/buurt, DIR/etc/...),
# apt-get, useradd, chown and systemctl are printed instead of run, and `flask buurt init` runs as
# the calling user. --venv V uses an existing venv (linked as DIR/srv/buurt/.venv) instead of
# installing one, so a test needs no network.
set -euo pipefail

APP_DIR=/srv/buurt
INSTANCE_DIR=/var/lib/buurt
ENV_FILE=/etc/buurt/buurt.env
SERVICE_USER=buurt
UNITS=(buurt.service buurt-purge.timer buurt-digest.timer buurt-geocode-pending.timer buurt-backup.timer)
APT_PACKAGES=(python3-venv caddy git sqlite3 ca-certificates)

ROOT=""
VENV_FROM=""

usage() {
    echo "usage: $0 [--root DIR] [--venv VENV] DOMAIN EMAIL" >&2
    exit 2
}

say() { printf '==> %s\n' "$*"; }

# A command that changes the machine: printed in --root mode, run otherwise.
run() {
    if [[ -n $ROOT ]]; then
        printf 'would run:'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

while [[ $# -gt 0 ]]; do
    case $1 in
        --root) ROOT=$(realpath -m "${2:?--root needs a folder}"); shift 2 ;;
        --venv) VENV_FROM=$(realpath "${2:?--venv needs a folder}"); shift 2 ;;
        -h | --help) usage ;;
        --*) echo "unknown option: $1" >&2; usage ;;
        *) break ;;
    esac
done
[[ $# -eq 2 ]] || usage
DOMAIN=$1
EMAIL=$2
# both land in config files (and a sed expression): letters, digits and the usual punctuation only
[[ $DOMAIN =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ && $DOMAIN == *.* ]] || { echo "not a domain name: $DOMAIN" >&2; exit 2; }
[[ $EMAIL =~ ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$ ]] || { echo "not an e-mail address: $EMAIL" >&2; exit 2; }
if [[ -z $ROOT && $(id -u) -ne 0 ]]; then
    echo "run as root (sudo $0 $DOMAIN $EMAIL), or with --root DIR to try it out" >&2
    exit 1
fi
if [[ -n $VENV_FROM && -z $ROOT ]]; then
    echo "--venv is for --root mode (tests); a real install makes its own venv" >&2
    exit 2
fi

SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APP=$ROOT$APP_DIR
INSTANCE=$ROOT$INSTANCE_DIR
ENV_PATH=$ROOT$ENV_FILE
umask 022 # code, venv and units are public; the private files below get their own modes

install_packages() {
    say "Debian packages: ${APT_PACKAGES[*]}"
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT_PACKAGES[@]}"
}

create_user() {
    if [[ -z $ROOT ]] && getent passwd "$SERVICE_USER" >/dev/null; then
        say "user $SERVICE_USER exists"
        return
    fi
    say "system user $SERVICE_USER"
    run useradd --system --user-group --home-dir "$INSTANCE_DIR" --no-create-home \
        --shell /usr/sbin/nologin --comment "BuurtWhatsApp Rijnsoever" "$SERVICE_USER"
}

install_code() {
    if [[ $SOURCE -ef $APP ]]; then
        say "code: $APP_DIR (this checkout)"
    else
        # A copy of the checkout's files, without its venv, instance folder (a developer's data and
        # key) or git history. Files deleted upstream stay behind; cloning into /srv/buurt avoids that.
        say "code: copying $SOURCE to $APP_DIR"
        mkdir -p "$APP"
        tar -C "$SOURCE" --exclude=./.venv --exclude=./instance --exclude=./.git \
            --exclude=__pycache__ --exclude=./.pytest_cache --exclude=./.ruff_cache -cf - . |
            tar -C "$APP" --no-same-owner -xf -
    fi
    # the site's user reads the code, never writes it
    chmod -R a+rX "$APP/app.py" "$APP/gunicorn.conf.py" "$APP/buurt" "$APP/templates" \
        "$APP/static" "$APP/migrations"
}

install_venv() {
    local venv=$APP/.venv
    if [[ -n $VENV_FROM ]]; then
        say "venv: linking $VENV_FROM (--venv)"
        # relative, so that DIR/srv/buurt/.venv resolves inside DIR too (systemd-analyze --root)
        ln -sfn "$(realpath --relative-to="$APP" "$VENV_FROM")" "$venv"
    else
        [[ -x $venv/bin/python ]] || { say "venv: $APP_DIR/.venv"; python3 -m venv "$venv"; }
        say "venv: requirements.txt"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$APP/requirements.txt"
    fi
    say "translations"
    "$venv/bin/pybabel" --quiet compile --use-fuzzy -d "$APP/buurt/translations" >/dev/null
    # bytecode now, as root: user buurt cannot write to /srv/buurt (ProtectSystem=strict)
    "$venv/bin/python" -m compileall -q "$APP/buurt" "$APP/app.py" "$APP/gunicorn.conf.py" >/dev/null || true
}

make_instance_folder() {
    say "instance folder: $INSTANCE_DIR (0700, $SERVICE_USER)"
    mkdir -p "$INSTANCE"
    chmod 0700 "$INSTANCE"
    run chown "$SERVICE_USER:$SERVICE_USER" "$INSTANCE"
}

write_env_file() {
    mkdir -p "$(dirname "$ENV_PATH")"
    if [[ -e $ENV_PATH ]]; then
        say "settings: $ENV_FILE kept"
        if ! grep -qx "BUURT_SITE_URL=https://$DOMAIN" "$ENV_PATH"; then
            echo "    note: it does not say BUURT_SITE_URL=https://$DOMAIN; edit it if the domain changed" >&2
        fi
    else
        say "settings: $ENV_FILE"
        local tmp
        tmp=$(mktemp "$ENV_PATH.XXXXXX")
        cat >"$tmp" <<EOF
# Settings of this buurt site, read by buurt.service and the timers (systemd EnvironmentFile) and
# by deploy/install.sh. Any setting of buurt/config.py works here as BUURT_<NAME>. Written once by
# deploy/install.sh; a later run keeps your edits. Restart after a change:
#   systemctl restart buurt.service
# No secrets in this file (it is readable by group $SERVICE_USER): SECRET_KEY and MAIL_PASSWORD go in
# $INSTANCE_DIR/config.py (0600), see docs/deploy.md.
BUURT_INSTANCE_PATH=$INSTANCE_DIR
BUURT_SITE_URL=https://$DOMAIN
# one reverse proxy (Caddy) in front: trust its X-Forwarded-For/-Proto (werkzeug ProxyFix)
BUURT_TRUSTED_PROXIES=1
# the daily purge runs from buurt-purge.timer, not from a thread in each web worker
BUURT_PURGE_THREAD=false

# Mail (docs/deploy.md, "Mail"):
#BUURT_MAIL_SERVER=smtp.example.org
#BUURT_MAIL_PORT=587
#BUURT_MAIL_USE_TLS=true
#BUURT_MAIL_USERNAME=buurt@example.org
#BUURT_MAIL_SENDER="BuurtWhatsApp Rijnsoever <noreply@$DOMAIN>"

# Logs as JSON lines (request id, route, status, duration; never a query string or a body):
#BUURT_LOG_FORMAT=json
# /metrics for Prometheus: the token is a secret, so put METRICS_TOKEN in $INSTANCE_DIR/config.py

# More than one machine (docs/deploy.md):
#BUURT_SQLALCHEMY_DATABASE_URI=postgresql+psycopg://buurt@db.internal/buurt
#BUURT_RATELIMIT_STORAGE_URI=redis://redis.internal:6379/0
#BUURT_PHOTO_STORE=s3://buurt-photos/incidents
EOF
        chmod 0640 "$tmp"
        mv "$tmp" "$ENV_PATH"
    fi
    chmod 0640 "$ENV_PATH"
    run chown "root:$SERVICE_USER" "$ENV_PATH"
}

# Run the flask command line as the site's user, with the settings of the env file.
as_site_user() {
    local -a env_vars=()
    local line
    while IFS= read -r line; do
        [[ $line =~ ^[A-Z_][A-Z0-9_]*= ]] || continue
        local value=${line#*=}
        [[ $value == \"*\" ]] && value=${value:1:-1} # systemd strips one pair of quotes too
        env_vars+=("${line%%=*}=$value")
    done <"$ENV_PATH"
    env_vars+=("BUURT_INSTANCE_PATH=$INSTANCE") # under --root: DIR/var/lib/buurt
    if [[ -n $ROOT ]]; then
        (cd "$APP" && umask 077 && env "${env_vars[@]}" "$APP/.venv/bin/flask" --app app "$@")
    else
        (cd "$APP" && umask 077 && runuser -u "$SERVICE_USER" -- env "${env_vars[@]}" "$APP/.venv/bin/flask" --app app "$@")
    fi
}

init_site() {
    say "flask buurt init (database, migrations, readiness) as $SERVICE_USER"
    as_site_user buurt init
    local config=$INSTANCE/config.py
    [[ -f $config ]] || { echo "flask buurt init wrote no $INSTANCE_DIR/config.py" >&2; exit 1; }
    chmod 0600 "$config" # it holds SECRET_KEY
}

install_units() {
    say "systemd units: ${UNITS[*]}"
    mkdir -p "$ROOT/etc/systemd/system"
    local unit
    for unit in "$SOURCE"/deploy/systemd/*.service "$SOURCE"/deploy/systemd/*.timer; do
        install -m 0644 "$unit" "$ROOT/etc/systemd/system/$(basename "$unit")"
    done
    run systemctl daemon-reload
    run systemctl enable "${UNITS[@]}"
    # an upgrade: new code, new workers (restart, not reload: gunicorn.conf.py may have changed)
    run systemctl restart buurt.service
    run systemctl start "${UNITS[@]:1}"
}

configure_caddy() {
    local caddyfile=$ROOT/etc/caddy/Caddyfile
    say "Caddy: /etc/caddy/Caddyfile for https://$DOMAIN"
    mkdir -p "$(dirname "$caddyfile")"
    if [[ -e $caddyfile && ! -e $caddyfile.debian ]] && ! grep -q '^# Caddy in front of buurt' "$caddyfile"; then
        cp -p "$caddyfile" "$caddyfile.debian" # the package's own file, kept once
    fi
    sed -e "s/buurt\.example\.org/$DOMAIN/g" -e "s/beheer@example\.org/$EMAIL/g" \
        "$SOURCE/deploy/Caddyfile" >"$caddyfile.new"
    chmod 0644 "$caddyfile.new"
    mv "$caddyfile.new" "$caddyfile"
    run caddy validate --adapter caddyfile --config /etc/caddy/Caddyfile
    run systemctl enable caddy.service
    # reload-or-restart: a running Caddy takes the new file without dropping connections
    run systemctl reload-or-restart caddy.service
}

check_ready() {
    [[ -z $ROOT ]] || return 0
    say "waiting for http://127.0.0.1:5000/health/ready"
    local try
    for try in $(seq 30); do
        if "$APP/.venv/bin/python" -c 'import sys, urllib.request
sys.exit(urllib.request.urlopen("http://127.0.0.1:5000/health/ready", timeout=2).status != 200)' 2>/dev/null; then
            say "ready. https://$DOMAIN/ (Caddy fetches the certificate now, and retries until DNS points here)"
            return 0
        fi
        sleep 1
    done
    echo "the site did not answer ready within ${try}s: journalctl -u buurt.service" >&2
    exit 1
}

install_packages
create_user
install_code
install_venv
make_instance_folder
write_env_file
init_site
install_units
configure_caddy
check_ready
