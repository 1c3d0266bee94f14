# nhiscan as a container image: a release build, run as a non-root user on a minimal
# image that holds CA certificates and the C runtime, nothing else (no shell).
#
#   docker build -t nhiscan .
#   docker run --rm nhiscan scan -i /opt/nhiscan/examples/estate/inventory.json \
#     --owners /opt/nhiscan/examples/roster.csv --config /opt/nhiscan/examples/nhiscan.toml \
#     --now 2026-11-01
#
# Live scans take the usual credentials from the environment or mounted files, e.g.
#   docker run --rm -e AWS_PROFILE -v ~/.aws:/home/nonroot/.aws:ro nhiscan scan --provider aws
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin nhiscan

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/nhiscan /usr/local/bin/nhiscan
COPY --from=build /src/examples/estate /opt/nhiscan/examples/estate
COPY --from=build /src/examples/roster.csv /src/examples/nhiscan.toml /opt/nhiscan/examples/
# distroless's `nonroot` user and group.
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["nhiscan"]
CMD ["--help"]
