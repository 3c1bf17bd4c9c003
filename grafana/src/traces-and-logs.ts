import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as LogsPanelBuilder } from '@grafana/grafana-foundation-sdk/logs';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';

/** The provisioned datasources' fixed uids (grafana/provisioning/datasources/traces-and-logs.yml). */
export const JAEGER_DATASOURCE: DataSourceRef = { type: 'jaeger', uid: 'jaeger' };
export const VICTORIALOGS_DATASOURCE: DataSourceRef = {
  type: 'victoriametrics-logs-datasource',
  uid: 'victorialogs',
};

/**
 * A query of Grafana's Jaeger datasource (its "Search" query type: GET /api/traces with these
 * parameters) or of the VictoriaLogs plugin (its "instant" type: GET /select/logsql/query). The
 * foundation SDK has builders for neither: these carry the fields the datasources read.
 */
export type TraceSearch = {
  queryType: 'search';
  service: string;
  minDuration?: string;
  tags?: string;
  limit: number;
};
export type LogsQuery = { queryType: 'instant'; expr: string; maxLines: number };

function query<T extends object>(datasource: DataSourceRef, fields: T): cog.Builder<cog.Dataquery> {
  return {
    build: () => ({ refId: 'A', datasource, ...fields }) as unknown as cog.Dataquery,
  };
}

/**
 * The traces of `service` slower than `minDuration`, or whose spans carry `tags` (logfmt), newest
 * first: each row opens its trace.
 */
export function tracesTable(options: {
  title: string;
  description: string;
  service: string;
  minDuration?: string;
  tags?: string;
  width?: number;
}) {
  const search: TraceSearch = {
    queryType: 'search',
    service: options.service,
    ...(options.minDuration ? { minDuration: options.minDuration } : {}),
    ...(options.tags ? { tags: options.tags } : {}),
    limit: 20,
  };
  return new TablePanelBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(JAEGER_DATASOURCE)
    .span(options.width ?? 12)
    .height(8)
    .withTarget(query(JAEGER_DATASOURCE, search));
}

/** Log lines of a LogsQL query, each with its fields: a trace_id opens its trace. */
export function logsPanel(options: { title: string; description: string; expr: string; width?: number }) {
  const logs: LogsQuery = { queryType: 'instant', expr: options.expr, maxLines: 100 };
  return new LogsPanelBuilder()
    .title(options.title)
    .description(options.description)
    .datasource(VICTORIALOGS_DATASOURCE)
    .span(options.width ?? 12)
    .height(8)
    .showTime(true)
    .enableLogDetails(true)
    .wrapLogMessage(true)
    .withTarget(query(VICTORIALOGS_DATASOURCE, logs));
}
