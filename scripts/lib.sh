# shellcheck shell=bash
# Helpers shared by the scripts: install Debian packages that are missing, find nats-server,
# make sure a local PostgreSQL runs.

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

nats_server_bin() {
  command -v nats-server 2>/dev/null || echo /usr/sbin/nats-server
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
