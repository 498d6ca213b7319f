# syntax=docker/dockerfile:1
# Build: docker build -t jalon .   Run: docker run -p 8080:8080 -v jalon-data:/var/lib/jalon jalon

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first, so that editing jalon's code does not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY migration/Cargo.toml migration/Cargo.toml
RUN mkdir -p src migration/src \
 && echo 'fn main() {}' > src/main.rs && touch src/lib.rs && touch migration/src/lib.rs \
 && cargo build --release --locked || true
COPY . .
RUN touch src/main.rs src/lib.rs migration/src/lib.rs \
 && cargo build --release --locked --bin jalon \
 && strip target/release/jalon

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/jalon --create-home jalon
COPY --from=build /src/target/release/jalon /usr/local/bin/jalon
COPY questionnaires /usr/share/jalon/questionnaires
USER jalon
WORKDIR /var/lib/jalon
ENV JALON_BIND=0.0.0.0:8080 \
    JALON_DATABASE_URL=sqlite:///var/lib/jalon/jalon.db \
    JALON_QUESTIONNAIRES_DIR=/usr/share/jalon/questionnaires
EXPOSE 8080
VOLUME ["/var/lib/jalon"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["jalon", "healthcheck"]
ENTRYPOINT ["jalon"]
CMD ["serve"]
