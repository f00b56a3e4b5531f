# Promptline image: the collector (default entrypoint) plus the `promptline`
# CLI (migrations, metrics). Build from the repository root:
#   docker build -f deploy/docker/collector.Dockerfile -t promptline/collector .
# Listens on 4318 (OTLP/HTTP + read API); config at /etc/promptline/collector.yaml;
# write-ahead log (and, in embedded mode, the ClickHouse data) under /var/lib/promptline.
# CLI: docker run --rm --entrypoint promptline promptline/collector migrate --help

FROM node:20-bookworm-slim AS build
WORKDIR /src
RUN npm install -g pnpm@10.34.9
# the whole workspace (collector.Dockerfile.dockerignore keeps node_modules, builds and data out):
# a frozen install checks the lockfile against every workspace package
COPY . .
# the CLI depends on the collector, clickhouse and semconv packages: one deploy carries all
RUN pnpm install --frozen-lockfile --filter @promptline/cli... \
 && pnpm --filter @promptline/cli... run build \
 && pnpm --filter @promptline/cli deploy --prod --legacy /out

FROM node:20-bookworm-slim
ENV NODE_ENV=production
RUN groupadd --system --gid 999 promptline \
 && useradd --system --uid 999 --gid promptline --home /var/lib/promptline promptline \
 && mkdir -p /var/lib/promptline /etc/promptline && chown promptline:promptline /var/lib/promptline
WORKDIR /opt/promptline
COPY --from=build /out ./
RUN ln -s /opt/promptline/bin/promptline.js /usr/local/bin/promptline \
 && ln -s /opt/promptline/node_modules/@promptline/collector/bin/promptline-collector.js /usr/local/bin/promptline-collector
# Default: the embedded engine under /var/lib/promptline (compose and Kubernetes
# mount deploy/collector/collector.yaml for a ClickHouse server instead).
COPY collector-config/promptline.yaml /etc/promptline/collector.yaml
ENV PROMPTLINE_COLLECTOR_ENDPOINT=0.0.0.0:4318 \
    PROMPTLINE_DATA_DIR=/var/lib/promptline/data \
    PROMPTLINE_WAL_DIR=/var/lib/promptline/wal
USER 999:999
VOLUME ["/var/lib/promptline"]
EXPOSE 4318
ENTRYPOINT ["promptline-collector"]
CMD ["--config", "/etc/promptline/collector.yaml"]
