#!/usr/bin/env bash
# Builds the image of the database pods in the cluster-database tests, with no registry: the
# pes-test/busybox:1 root plus this machine's PostgreSQL server and client (Debian's
# packages, as scripts/test-env.sh installs them) and MariaDB server and client, with every
# library they load, as scripts/test-env.sh builds pes-test/pg-client:1. Run through
# scripts/test-env.sh (DOCKER_HOST). Prints the tag; the tag carries a hash of this script and
# of the programs' versions, so an image is built once.
set -euo pipefail
[[ ${DOCKER_HOST:-} == unix://* ]] || { echo "DOCKER_HOST is not set" >&2; exit 1; }
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_LIB=$(dirname "$PG_BIN")/lib
PG_SHARE=/usr/share/postgresql/$(basename "$(dirname "$PG_BIN")")
key=$( { sha256sum "${BASH_SOURCE[0]}"; "$PG_BIN/postgres" --version; mariadbd --version; } | sha256sum | cut -c1-12)
tag=pes-test/cluster-db:$key
if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; exit 0; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
root=$dir/rootfs
mkdir -p "$root"
copy() { # a file and every library it loads, at the same paths
  local file=$1 lib
  mkdir -p "$root$(dirname "$file")"
  cp -L "$file" "$root$file"
  for lib in $(ldd "$file" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    [[ -e $root$lib ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
for bin in postgres initdb pg_ctl pg_dump pg_restore psql; do copy "$PG_BIN/$bin"; done
for so in "$PG_LIB"/*.so; do
  [[ $so == *llvmjit* ]] && continue
  copy "$so"
done
mkdir -p "$root$PG_SHARE" "$root/usr/share/zoneinfo"
cp -a "$PG_SHARE/." "$root$PG_SHARE/"
cp -a /usr/share/zoneinfo/. "$root/usr/share/zoneinfo/"
for bin in /usr/sbin/mariadbd /usr/bin/my_print_defaults /usr/bin/resolveip /usr/bin/mariadb /usr/bin/mariadb-dump; do
  [[ -e $bin ]] && copy "$bin"
done
cp /usr/bin/mariadb-install-db "$root/usr/bin/"
mkdir -p "$root/usr/share/mysql"
cp -a /usr/share/mysql/. "$root/usr/share/mysql/"
ln -sfn "$PG_BIN/postgres" "$root/usr/bin/postgres"
for bin in initdb pg_ctl pg_dump pg_restore psql; do ln -sfn "$PG_BIN/$bin" "$root/usr/bin/$bin"; done
mkdir -p "$root/var/run/postgresql" "$root/run/mysqld" "$root/var/lib/mysql" "$root/etc/mysql"
cat >"$dir/Dockerfile" <<'DOCKERFILE'
FROM pes-test/busybox:1
COPY rootfs/ /
RUN printf 'postgres:x:70:70:postgres:/var/lib/postgresql:/bin/sh\nmysql:x:71:71:mysql:/var/lib/mysql:/bin/sh\n' >>/etc/passwd && \
    printf 'postgres:x:70:\nmysql:x:71:\n' >>/etc/group && \
    chown 70:70 /var/run/postgresql && chmod 1777 /tmp
ENV PATH=/usr/bin:/bin:/usr/sbin
DOCKERFILE
docker build -q --network none --label pes.test.images=cluster-db -t "$tag" "$dir" >/dev/null
echo "$tag"
