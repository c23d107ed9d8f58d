# syntax=docker/dockerfile:1
# Ratel's server and tariff tools with the demo data, in two stages: a Rust toolchain builds
# the binaries and compiles the demo tariffs; a slim Debian image runs them as a non-root
# user. Build, run, the volume and the health check: docs/deploy.md.
#
#   docker build -t ratel:dev .
#   docker run -d --name ratel -p 8080:8080 -p 127.0.0.1:9090:9090 -v ratel-data:/var/lib/ratel ratel:dev

# The build runs on the same Debian release as the runtime image, so the binaries link
# against the glibc they will find there (bookworm's 2.36). The workspace needs Rust 1.89
# or later; --build-arg RUST_VERSION=1 takes the newest stable release.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
# The cache mounts keep downloaded crates and the build directory between builds of the
# image (a rebuild after a source change then recompiles only what changed). A cache mount
# is not part of the image, so the binaries are copied out of it in the same step.
# --locked: build exactly the versions in Cargo.lock, or fail.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p ratel-server -p ratel-tools \
 && mkdir -p /out/bin \
 && cp target/release/ratel-server target/release/tariff-compile target/release/tariff-lookup \
       target/release/tariff-rate target/release/tariff-diff target/release/tariff-lcr /out/bin/
# The demo tariffs compiled as tools/demo.sh compiles them, next to the demo's account files
# and the container's configuration (it listens on 0.0.0.0; deploy/docker/ratel.toml).
RUN mkdir -p /out/data \
 && /out/bin/tariff-compile -o /out/data/tariffs.ratel \
      fixtures/demo/tariffs/retail.csv fixtures/demo/tariffs/wholesale.csv fixtures/demo/tariffs/vip_custom.csv \
 && cp fixtures/demo/users.csv fixtures/demo/cards.csv fixtures/demo/card_groups.csv \
       fixtures/demo/currencies.csv deploy/docker/ratel.toml /out/data/

# The binaries need nothing beyond glibc, libgcc_s and libm (SQLite is compiled in), all in
# the base image; bash, also there, runs the health check. Nothing is installed.
FROM debian:bookworm-slim
# A fixed uid and gid, so that files on a bind-mounted host directory can be given to the
# server beforehand (chown 10001:10001 DIR). No login shell, no home of its own.
RUN groupadd --system --gid 10001 ratel \
 && useradd --system --uid 10001 --gid ratel --home-dir /var/lib/ratel --no-create-home \
      --shell /usr/sbin/nologin ratel \
 && install -d -o ratel -g ratel -m 0750 /var/lib/ratel
# ratel-gen and ratel-load (synthetic data and load generation) stay out: they are for
# benchmarks, not for running a server. The binaries keep their line tables (the release
# profile's choice) so that a backtrace names source lines.
COPY --from=build /out/bin/ /usr/local/bin/
# The server writes its ledger (ledger.sqlite with its -wal and -shm files) in this
# directory, so the directory and the files are the server's user's. A new named volume is
# filled with this content on its first use; a bind-mounted directory is not, and must hold
# the configuration and data and be writable by uid 10001.
COPY --from=build --chown=ratel:ratel /out/data/ /var/lib/ratel/
# Besides the volume, the server writes only to /tmp (a private copy of the artifact it
# serves from): with docker run --read-only, add --tmpfs /tmp.
VOLUME /var/lib/ratel
WORKDIR /var/lib/ratel
USER ratel
# 8080: the API (MOR and /v1). 9090: the admin listener (/healthz, /metrics, POST /reload),
# which is not authenticated: publish it on a private address only.
EXPOSE 8080 9090
# The image has no curl: bash opens the admin port itself and reads the status line.
# /healthz answers 200 while the server serves (with the data of its last good load), 503
# when the ledger cannot take changes (docs/operations.md). The port is the one in
# deploy/docker/ratel.toml; a configuration that moves admin_listen must change it here.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]
# The server is process 1: it handles SIGTERM (stop, at most 1 s + 5 s for requests in
# flight, within docker stop's 10 s) and SIGHUP (reload the data: docker kill -s HUP).
ENTRYPOINT ["ratel-server"]
CMD ["--config", "/var/lib/ratel/ratel.toml"]
