"""Sends generation spans with the official OpenTelemetry Python SDK and its OTLP/HTTP exporter.

Reads one JSON document on stdin:
  {"endpoint": "http://127.0.0.1:PORT/v1/traces", "api_key": "...", "service": "...",
   "generations": [{"name": "...", "version": "2.1.0" | null, "model": "...",
                    "start_ns": int, "end_ns": int, "ttfc_s": float | null,
                    "input_tokens": int, "output_tokens": int, "error": bool,
                    "response_id": "..."}]}
Each generation becomes a span `chat MODEL` carrying only standard GenAI attributes
(gen_ai.prompt.name, gen_ai.prompt.version as a string, gen_ai.response.time_to_first_chunk in
seconds when streamed, ...). Writes one JSON document on stdout: the trace and span ids (hex) of the
spans, in input order, and whether the exporter reported success.
"""

import json
import sys

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode


class RecordingExporter(OTLPSpanExporter):
    """The OTLP/HTTP exporter, remembering whether every export succeeded."""

    ok = True

    def export(self, spans):
        result = super().export(spans)
        if result is not SpanExportResult.SUCCESS:
            RecordingExporter.ok = False
        return result


def main() -> None:
    job = json.load(sys.stdin)
    exporter = RecordingExporter(
        endpoint=job["endpoint"],
        headers={"authorization": "Bearer " + job["api_key"]},
        timeout=30,
    )
    provider = TracerProvider(resource=Resource.create({"service.name": job["service"]}))
    provider.add_span_processor(BatchSpanProcessor(exporter, max_export_batch_size=128, schedule_delay_millis=100))
    tracer = provider.get_tracer("promptline-interop")
    ids = []
    for g in job["generations"]:
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": g["model"],
            "gen_ai.response.model": g["model"],
            "gen_ai.response.id": g["response_id"],
            "gen_ai.usage.input_tokens": g["input_tokens"],
            "gen_ai.usage.output_tokens": g["output_tokens"],
        }
        if g["name"] is not None:
            attributes["gen_ai.prompt.name"] = g["name"]
        if g["version"] is not None:
            attributes["gen_ai.prompt.version"] = g["version"]
        if g["ttfc_s"] is not None:
            attributes["gen_ai.response.time_to_first_chunk"] = g["ttfc_s"]
        span = tracer.start_span(
            "chat " + g["model"], kind=SpanKind.CLIENT, attributes=attributes, start_time=g["start_ns"]
        )
        if g["error"]:
            span.set_attribute("error.type", "server_error")
            span.set_status(Status(StatusCode.ERROR, "simulated failure"))
        ctx = span.get_span_context()
        ids.append({"trace_id": format(ctx.trace_id, "032x"), "span_id": format(ctx.span_id, "016x")})
        span.end(end_time=g["end_ns"])
    flushed = provider.force_flush(60_000)
    provider.shutdown()
    json.dump({"ids": ids, "flushed": flushed, "exported": RecordingExporter.ok}, sys.stdout)


if __name__ == "__main__":
    main()
