import type { ClickHouseClient } from '@clickhouse/client';

export function generationsView(target?: number, database?: string): string;
export function withoutLookup(view: string): string;
export function withoutDedupe(view: string): string;
export function dropDedupe(client: ClickHouseClient, target?: number, database?: string): Promise<void>;
