# syntax=docker/dockerfile:1
#
# kindling container image: the release binary on distroless/cc (glibc, no
# shell, no package manager), running as user 65532 with its data in /data
# and the Loki API on port 3100.
#
# Multi-arch build and push (one builder for both platforms; the compile
# stages run natively on the build host and cross-compile, no QEMU needed):
#
#   docker buildx create --use --name kindling-builder   # once
#   docker buildx build --platform linux/arm64,linux/amd64 \
#       -t ghcr.io/kindling/kindling:0.1.0 --push .
#
# One architecture into the local image store:
#
#   docker buildx build --load -t ghcr.io/kindling/kindling:0.1.0 .
#   podman build -t ghcr.io/kindling/kindling:0.1.0 .
#
# Health: the image has no shell or HTTP client, so there is no HEALTHCHECK.
# Probe GET /ready on port 3100 from outside (Kubernetes httpGet probes,
# Uptime Kuma, Vector's sink healthcheck): 503 during WAL replay, then 200.

ARG RUST_VERSION=1.95
ARG CARGO_CHEF_VERSION=0.1.78

# Build tools, on the build host's platform.
FROM --platform=$BUILDPLATFORM rust:${RUST_VERSION}-slim-bookworm AS chef
ARG CARGO_CHEF_VERSION
RUN cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}"
WORKDIR /src

# The dependency recipe (manifests and lock file only): the cook layer below
# is rebuilt only when Cargo.toml or Cargo.lock change, not on a code edit.
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
ARG TARGETARCH
COPY deploy/container/cargo-target.sh /usr/local/bin/cargo-target
RUN cargo-target setup
COPY --from=planner /src/recipe.json recipe.json
RUN cargo-target cargo chef cook --release --locked --bin kindling --recipe-path recipe.json
COPY . .
RUN cargo-target cargo build --release --locked --bin kindling \
 && install -D "target/$(cargo-target triple)/release/kindling" /out/kindling \
 && mkdir /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/kindling /kindling
# An empty /data owned by the runtime user: a fresh named volume (Docker,
# podman) copies this ownership, so the non-root process can write to it.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 3100
ENTRYPOINT ["/kindling"]
CMD ["--data=/data"]
