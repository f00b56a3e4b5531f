import { RESOURCE } from '@promptline/semconv';
import type { AttributeMap, LogRow, TraceRow } from '../../otlp/rowTypes.js';
import type { ProcessContext, Processor } from '../Processor.js';

/**
 * The authentication processor's row stage: writes the authenticated key's project into every
 * resource as `promptline.project.id`, replacing whatever the client sent. (The key itself is
 * checked by the receiver before the body is read; see `ApiKeyStore`.)
 */
export class ProjectProcessor implements Processor {
  readonly name: string;
  private overwritten = 0;

  constructor(name: string) {
    this.name = name;
  }

  private stamp(maps: Iterable<AttributeMap>, project: string): void {
    for (const map of maps) {
      const sent = map[RESOURCE.PROJECT_ID];
      if (sent !== undefined && sent !== project) this.overwritten++;
      map[RESOURCE.PROJECT_ID] = project;
    }
  }

  processTraces(rows: TraceRow[], ctx: ProcessContext): TraceRow[] {
    this.stamp(distinct(rows), ctx.project);
    return rows;
  }

  processLogs(rows: LogRow[], ctx: ProcessContext): LogRow[] {
    this.stamp(distinct(rows), ctx.project);
    return rows;
  }

  counters(): Record<string, number> {
    return { client_project_overwritten: this.overwritten };
  }
}

/** The distinct resource maps of a batch (rows of one resource share one map object). */
function distinct(rows: ReadonlyArray<{ ResourceAttributes: AttributeMap }>): Set<AttributeMap> {
  const seen = new Set<AttributeMap>();
  for (const r of rows) seen.add(r.ResourceAttributes);
  return seen;
}
