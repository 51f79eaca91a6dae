#!/usr/bin/env bash
# Makes the two base images the Dockerfile names, without a container registry, in the
# engine DOCKER_HOST points at (the private test engine: run it through scripts/test-env.sh):
#
#   debian:<release>-slim           Debian's minbase (debootstrap, from the mirror apt uses
#                                   here), thinned like the official slim image, with apt
#                                   pointed at a local repository that holds the packages
#                                   the Dockerfile installs (and their dependencies), so its
#                                   `apt-get update && apt-get install` runs with no network.
#   node:<version>-<release>-slim   the same root plus the Node binary the project installs
#                                   (node_modules/node), the system's npm, a `node` user
#                                   (uid 1000, as the official image has), and an npm cache
#                                   holding the production dependencies, with npm told to
#                                   stay offline, so the Dockerfile's `npm ci` runs with no
#                                   network.
#
# The release and the Node version are read from the Dockerfile (ARG DEBIAN_RELEASE, ARG
# NODE_VERSION); the Node version must be the one in node_modules. Everything slow is cached
# under .test-env/image-base/ (the debootstrapped root, the .deb files, the npm cache), and an
# image made by this same script from the same inputs is kept (label pes.test.base).
#
# The local repository stays in the debian image and so in every image built on it:
# its size is in the label pes.test.extra-bytes, for a size report that leaves it out.
#
#   bash scripts/test-env.sh bash scripts/image-bases.sh
set -euo pipefail

log() { printf 'image-bases: %s\n' "$*" >&2; }
die() {
  printf 'image-bases: ERROR: %s\n' "$*" >&2
  exit 1
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[[ ${DOCKER_HOST:-} == unix://* ]] || die "DOCKER_HOST is not set; run it through scripts/test-env.sh"
((EUID == 0)) || die "needs root (debootstrap and chroot)"
export PATH="$PATH:/usr/sbin:/sbin"
command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
command -v apt-ftparchive >/dev/null || die "apt-ftparchive is missing (apt-get install apt-utils)"

# What the Dockerfile's stages install with apt-get: keep the lists the same (a package
# missing here fails the build with "Unable to locate package").
PACKAGES=(ca-certificates tini restic borgbackup postgresql-client mariadb-client
  libpq5 libreadline8 libedit2 libncurses6 binutils)
# And what test images built on this base install: the Moodle site of the plugin installer's
# tests (test/fakes/moodle-site/Dockerfile): Debian's PHP CLI with PDO SQLite.
PACKAGES+=(php-cli php-sqlite3)

DIR=$ROOT/.test-env/image-base
NODE_BIN=$ROOT/node_modules/node/bin/node
arg_default() { sed -n "s/^ARG $1=\\([^[:space:]]*\\)\$/\\1/p" Dockerfile | head -n 1; }
RELEASE=$(arg_default DEBIAN_RELEASE)
NODE_VERSION=$(arg_default NODE_VERSION)
[[ -n $RELEASE && -n $NODE_VERSION ]] || die "Dockerfile: ARG DEBIAN_RELEASE= and ARG NODE_VERSION= not found"
[[ -x $NODE_BIN ]] || die "$NODE_BIN is missing (npm ci)"
have=$("$NODE_BIN" --version)
[[ $have == "v$NODE_VERSION" ]] ||
  die "the Dockerfile names Node $NODE_VERSION, node_modules has $have: make them agree"
# The npm that runs here (the system's: the `node` package brings none).
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
[[ -f $NPM_DIR/bin/npm-cli.js ]] || die "npm not found (its package: $NPM_DIR)"

DEBIAN_REF=debian:$RELEASE-slim
NODE_REF=node:$NODE_VERSION-$RELEASE-slim
SELF_SUM=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
DEBIAN_KEY=$SELF_SUM-$RELEASE-$(printf '%s\n' "${PACKAGES[@]}" | sha256sum | cut -c1-8)
NODE_KEY=$SELF_SUM-$NODE_VERSION-$(sha256sum package-lock.json | cut -c1-8)

docker_cli() { timeout 600 docker "$@"; }
is_current() {
  local label
  label=$(docker_cli image inspect -f '{{index .Config.Labels "pes.test.base"}}' "$1" 2>/dev/null) &&
    [[ $label == "$2" ]]
}

# The mirror apt uses on this machine (deb822 or one-line sources), else Debian's own.
debian_mirror() {
  local uri
  uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\/\?\)$/\1/p' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
  [[ -n $uri ]] || uri=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\/debian\/\?\)[[:space:]].*/\2/p' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)
  echo "${PES_DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

WORK=''
cleanup() { [[ -z $WORK ]] || rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$DIR"
rm -rf "$DIR"/work.* # left by a run that was killed
WORK=$(mktemp -d "$DIR/work.XXXXXX")

ROOTFS_TAR=$DIR/minbase-$RELEASE.tar
unpack_root() {
  rm -rf "$1"
  mkdir -p "$1"
  tar --numeric-owner -xpf "$ROOTFS_TAR" -C "$1"
}

# Debian's minbase, thinned as the official slim image is (its dpkg path excludes: no
# manuals, documentation or translations, now or for packages installed later).
make_rootfs() {
  [[ -s $ROOTFS_TAR ]] && return 0
  local root=$WORK/minbase mirror t0
  mirror=$(debian_mirror)
  log "debootstrap --variant=minbase $RELEASE from $mirror…"
  t0=$SECONDS
  debootstrap --variant=minbase "$RELEASE" "$root" "$mirror" >"$DIR/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $DIR/debootstrap.log"
  log "debootstrap took $((SECONDS - t0)) s"
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/{man,groff,info,lintian,linda}/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  tar --numeric-owner -C "$root" -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf "$root"
}

# The packages and every dependency the slim root lacks, downloaded by apt inside that root
# (so that it resolves against what the image has), with a flat repository index.
DEBS=$DIR/debs-$RELEASE
make_debs() {
  local stamp=$DEBS/packages.list
  [[ -s $DEBS/Packages && $(cat "$stamp" 2>/dev/null) == "${PACKAGES[*]}" ]] && return 0
  local root=$WORK/debs
  log "downloading ${PACKAGES[*]} and their dependencies…"
  unpack_root "$root"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  echo "deb $(debian_mirror) $RELEASE main" >"$root/etc/apt/sources.list"
  chroot "$root" apt-get update -qq >&2 || die "apt-get update in the $RELEASE root failed"
  chroot "$root" apt-get install -qq -y --download-only --no-install-recommends "${PACKAGES[@]}" >&2 ||
    die "apt-get --download-only failed"
  rm -rf "$DEBS"
  mkdir -p "$DEBS"
  mv "$root"/var/cache/apt/archives/*.deb "$DEBS/"
  (cd "$DEBS" && apt-ftparchive packages . >Packages)
  printf '%s' "${PACKAGES[*]}" >"$stamp"
  rm -rf "$root"
}

make_debian_image() {
  is_current "$DEBIAN_REF" "$DEBIAN_KEY" && return 0
  make_debs
  local root=$WORK/debian bytes
  log "making $DEBIAN_REF…"
  unpack_root "$root"
  mkdir -p "$root/var/local/pes-debs"
  cp "$DEBS"/*.deb "$DEBS/Packages" "$root/var/local/pes-debs/"
  rm -f "$root"/etc/apt/sources.list.d/*
  echo 'deb [trusted=yes] file:/var/local/pes-debs ./' >"$root/etc/apt/sources.list"
  bytes=$(du -sb "$root/var/local/pes-debs" | cut -f1)
  tar --numeric-owner -C "$root" -c . | docker_cli import \
    --change "LABEL pes.test.base=$DEBIAN_KEY" --change "LABEL pes.test.extra-bytes=$bytes" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$DEBIAN_REF" >/dev/null
  rm -rf "$root"
}

# npm's cache of the production dependencies, filled by npm itself from the registry the
# first time (later runs find everything in it and stay offline).
NPM_CACHE=$DIR/npm-cache
fill_npm_cache() {
  local project=$WORK/npm-project
  mkdir -p "$project"
  cp package.json package-lock.json "$project/"
  log "filling the npm cache with the production dependencies…"
  (cd "$project" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
    --prefer-offline --cache "$NPM_CACHE" >&2) || die "npm ci for the cache failed"
  rm -rf "$project"
}

make_node_image() {
  is_current "$NODE_REF" "$NODE_KEY" && return 0
  fill_npm_cache
  local root=$WORK/node
  log "making $NODE_REF…"
  unpack_root "$root"
  install -m 755 "$NODE_BIN" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$NPM_DIR" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  mkdir -p "$root/root/.npm"
  cp -a "$NPM_CACHE/." "$root/root/.npm/"
  rm -rf "$root/root/.npm/_logs"
  tar --numeric-owner -C "$root" -c . | docker_cli import \
    --change "LABEL pes.test.base=$NODE_KEY" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$NODE_VERSION" --change 'ENV npm_config_offline=true' \
    --change 'CMD ["node"]' - "$NODE_REF" >/dev/null
  rm -rf "$root"
}

if ! is_current "$DEBIAN_REF" "$DEBIAN_KEY" || ! is_current "$NODE_REF" "$NODE_KEY"; then
  make_rootfs
fi
make_debian_image
make_node_image
log "ready: $DEBIAN_REF, $NODE_REF"
