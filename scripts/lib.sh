# shellcheck shell=bash
# Helpers shared by the scripts: install Debian packages that are missing, the pinned nats-server,
# make sure a local PostgreSQL runs, and turn paths into absolute ones before a child gets them.
#
# Every script changes to the repository's root first; a child process may run somewhere else
# again (a temporary folder, a fresh session), so a script hands children absolute paths only:
# cargo's output through target_dir, the user's own paths through from_caller.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
# ensure_packages PKG...: installs the Debian packages among PKG that are not installed yet.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing ${missing[*]} (apt)"
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# nats_server_bin: the pinned nats-server (scripts/nats-server installs it on first use).
nats_server_bin() {
  echo "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/nats-server"
}

# ensure_nats_server: installs the pinned nats-server if it is not yet, and says which it is.
ensure_nats_server() {
  echo "==> $("$(nats_server_bin)" --version)"
}

# port_open PORT: whether something listens on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ensure_local_postgres: makes sure a PostgreSQL answers on 127.0.0.1:5432 and lets postgres in
# over TCP without a password (as on the CI machines), installing and starting Debian's when
# nothing listens there.
ensure_local_postgres() {
  port_open 5432 && return 0
  ensure_packages postgresql
  local version hba
  version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  grep -q '^host all all 127.0.0.1/32 trust' "$hba" ||
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 50); do port_open 5432 && break; sleep 0.2; done
}

# target_dir: the absolute path of the folder cargo builds into from here: CARGO_TARGET_DIR
# (relative ones included), build.target-dir of a cargo config, else ./target. cargo says it,
# so this is right whichever of them is set.
target_dir() {
  cargo metadata --no-deps --format-version 1 --offline \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# from_caller PATH: PATH made absolute; a relative PATH is taken from the folder the user ran the
# script in (CALLER_DIR, which a script that takes paths sets before it changes to the root).
from_caller() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "${CALLER_DIR:?the script sets CALLER_DIR before its cd}/$1" ;;
  esac
}

# sqlite_url_from_caller URL: a sqlite:// URL with its file made absolute by from_caller; any
# other URL as it is.
sqlite_url_from_caller() {
  case $1 in
    sqlite://*) printf 'sqlite://%s\n' "$(from_caller "${1#sqlite://}")" ;;
    *) printf '%s\n' "$1" ;;
  esac
}
