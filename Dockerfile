# pes-bot as a container image: Node 24 on Debian slim, with the tools the bot runs (restic,
# borg, pg_dump, mariadb-dump), tini as PID 1, a non-root user and the state as a volume.
#
#   docker build -t pes-bot .
#   docker run -d --name pes-bot \
#     -v /srv/pes/pes.yaml:/etc/pes-bot/pes.yaml:ro \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v pes-state:/app/state -p 8080:8080 --stop-timeout 75 pes-bot
#
# The configuration is read from /etc/pes-bot/pes.yaml (PES_CONFIG); the image holds none, and
# without one it says where it goes and exits 2. In it, `server.host: 0.0.0.0` makes the HTTP
# server reachable from outside the container; `state.path` (default state/pes.db) is resolved
# against /app, the volume. The bot's user (uid 1000) reaches the Docker socket through the
# socket's group, given with --group-add. PES_PORT moves the port for the bot and the health
# check alike. `docker stop` sends SIGTERM to tini, which hands it to the bot: the stop then
# waits up to server.stopGraceSeconds (default 60) for cancelled jobs, so the engine's own
# wait before SIGKILL (10 s by default) is raised with --stop-timeout.
#
# Both bases are named by these arguments; test/image builds the image with stand-ins made
# from Debian's packages when no registry is reachable (scripts/image-bases.sh).
ARG NODE_VERSION=24.9.0
ARG DEBIAN_RELEASE=bookworm

# Production dependencies only, without their install scripts (none of them needs one to run:
# ssh2's optional native speed-up is left out, as package.json's allowScripts says), and
# without what nothing reads at run time. First the comments and indentation of their
# JavaScript, over half of its bytes (scripts/image-strip-js.js, which changes nothing else
# and checks that the syntax tree stays the same; it runs with the TypeScript that
# @mattermost/client and @mattermost/types name as a peer for their declarations). Then the
# optional packages, TypeScript among them, and cpu-features with the sources it would have
# been compiled from (ssh2 runs without it). Then what only compilers and editors read: type
# declarations, source maps, TypeScript sources (Node never strips types under
# node_modules); the native add-ons built for the Bare runtime (*.bare, which Node cannot
# load: the bare-* packages are there for tar-fs and tar-stream under Bare only); and the test
# directories at the top of a package.
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/image-strip-js.js /usr/local/lib/pes-build/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && node /usr/local/lib/pes-build/image-strip-js.js node_modules \
  && npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
  && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' \
    -o -name '*.map' -o -name '*.md' -o -name '*.bare' \) -delete \
  && find node_modules -type d \( -name test -o -name tests -o -name __tests__ \) -prune \
    -exec sh -c 'for dir; do [ ! -f "$dir/../package.json" ] || rm -r "$dir"; done' sh {} + \
  && du -sh --apparent-size node_modules
COPY bin ./bin
COPY commands ./commands
COPY src ./src

# Binaries for the final stage, made smaller. The database clients come from Debian's
# packages, but only the programs the bot runs are kept: the packages bring some 110 MB more
# (Perl for PostgreSQL's version wrapper, a dozen MariaDB tools of 5 MB each). The MariaDB
# programs carry their client library; the PostgreSQL ones load libpq, installed below.
# Node's symbol table and debug sections are stripped (129 -> 112 MB for 24.9.0): JavaScript
# stack traces do not use them, only native debuggers and profilers would.
FROM debian:${DEBIAN_RELEASE}-slim AS binaries
RUN apt-get update \
  && apt-get install -y --no-install-recommends postgresql-client mariadb-client binutils \
  && mkdir /out \
  && cp /usr/lib/postgresql/*/bin/pg_dump /usr/lib/postgresql/*/bin/pg_restore \
    /usr/lib/postgresql/*/bin/psql /usr/bin/mariadb /usr/bin/mariadb-dump /out/
COPY --from=build /usr/local/bin/node /out/node
RUN strip /out/node && /out/node --version

# Debian slim with the Node binary of the first stage, not the Node image again: no npm or
# yarn is needed at run time. Of what the packages install, what nothing here reads is left
# out: apt's package caches (which debian:*-slim's own apt settings would not keep either),
# debconf's backups, the logs, tini's static build (the entrypoint runs `tini`), and the
# compiled Python (__pycache__) of the modules borg does not import. For that, all of it is
# deleted, and borg, run as root through the commands the bot gives it, has Python write again
# what it loads (about a third). Python compiles a module whose .pyc is missing in memory when
# it is imported (the bot's user cannot write there): slower, never wrong. borg's test suite
# stays: every start of borg runs a self-test from it.
FROM debian:${DEBIAN_RELEASE}-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends \
    ca-certificates tini restic borgbackup libpq5 libreadline8 libedit2 libncurses6 \
  && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old \
    /var/log/apt /var/log/dpkg.log /var/log/alternatives.log /usr/bin/tini-static \
  && find /usr/lib/python3* -type d -name __pycache__ -prune \
    -exec rm -r {} + \
  && export BORG_BASE_DIR=/tmp/borg BORG_REPO=/tmp/borg/repo BORG_PASSPHRASE=image \
  && mkdir /tmp/borg && cd /tmp/borg \
  && borg --version \
  && borg init --encryption=repokey-blake2 \
  && borg create --json --progress --stdin-name a --comment a ::a - </etc/os-release >/dev/null \
  && borg create --json --progress --numeric-ids ::b /etc/apt >/dev/null \
  && borg list --consider-checkpoints --json --format '{comment}' >/dev/null \
  && borg list --json-lines ::b >/dev/null \
  && borg extract --stdout ::a >/dev/null \
  && borg extract --numeric-ids ::b etc/apt/sources.list \
  && borg delete --glob-archives 'a*' \
  && borg prune --glob-archives '*' --keep-last 1 \
  && borg compact \
  && borg check --verify-data \
  && borg break-lock \
  && cd / && rm -rf /tmp/borg \
  && du -s --apparent-size --block-size=1K /usr/lib/python3* \
  && groupadd --gid 1000 pes \
  && useradd --uid 1000 --gid pes --home-dir /app --no-create-home --shell /usr/sbin/nologin pes
COPY --from=binaries /out/ /usr/local/bin/
WORKDIR /app
COPY --from=build /app ./
COPY config/templates /etc/pes-bot/templates
# What ./pes sets (why: see there). The compile cache is filled here, at build time, so that a
# start skips stripping the types of the bot's own files (bin/pes.js enables it). Node keeps
# it per user id and per set of V8 flags, so it is filled as the bot's user with the flags of
# the entrypoint (and of bin/pes.js's first line, which `pes` runs with), then handed to root:
# at run time it is only read (what cannot be written there only means a slower start; a user
# other than 1000, or other flags, get their own cache in /tmp).
ENV NODE_ENV=production \
  PES_CONFIG=/etc/pes-bot/pes.yaml \
  NODE_COMPILE_CACHE=/app/.compile-cache \
  MALLOC_ARENA_MAX=2 \
  MALLOC_MMAP_THRESHOLD_=65536
RUN ln -s mariadb /usr/local/bin/mysql \
  && ln -s mariadb-dump /usr/local/bin/mysqldump \
  && ln -s /app/bin/pes.js /usr/local/bin/pes \
  && mkdir -p state .compile-cache \
  && chown pes:pes state .compile-cache \
  && setpriv --reuid=pes --regid=pes --clear-groups \
    node --max-semi-space-size=1 --initial-old-space-size=32 --no-opt bin/pes.js --version \
  && setpriv --reuid=pes --regid=pes --clear-groups \
    node --max-semi-space-size=1 --initial-old-space-size=32 --no-opt \
    --input-type=module -e "await import('/app/src/chat/matrix/adapter.ts')" \
  && chown -R root:root .compile-cache \
  && chmod -R a+rX .compile-cache
USER pes
VOLUME ["/app/state"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PES_PORT || 8080}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini reaps the tools' processes and hands SIGTERM on to node, whose stop is graceful.
ENTRYPOINT ["tini", "--", "node", "--max-semi-space-size=1", "--initial-old-space-size=32", "--no-opt", "/app/bin/pes.js"]
CMD ["serve"]
