# Grafana with the official ClickHouse datasource plugin installed at build
# time (no plugin download when the container starts) and Promptline's
# datasource, dashboards and alert rules provisioned.
#   docker build -f deploy/docker/grafana.Dockerfile -t promptline/grafana deploy
FROM grafana/grafana:12.3.0
RUN grafana cli plugins install grafana-clickhouse-datasource 4.23.5
COPY grafana/provisioning /etc/grafana/provisioning
COPY grafana/dashboards /var/lib/grafana/dashboards/promptline
