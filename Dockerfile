# AuditFlow in a container: the `auditflow` binary on a slim Debian.
# librdkafka is vendored and built by the rdkafka crate (needs make, g++, zlib).
FROM rust:1.85-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends make g++ zlib1g-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --bin auditflow

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates zlib1g \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/auditflow /usr/local/bin/auditflow
COPY dataflows /etc/auditflow/dataflows
ENTRYPOINT ["auditflow"]
