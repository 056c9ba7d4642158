import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import type { MetricData, MetricProducer, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { logger } from './diag';
import type { ResolvedConfig } from './types';

/** The scrape endpoint once it listens. */
export interface PrometheusAddress {
  host: string;
  port: number;
  /** e.g. `http://127.0.0.1:9464/metrics` (IPv6 hosts in brackets). */
  url: string;
}

/** What `handle.prometheus` holds when the `prometheus` metrics exporter is on. */
export interface PrometheusEndpoint {
  /** The metric reader (also registered with the meter provider). */
  readonly exporter: PrometheusExporter;
  /**
   * Resolves with the bound address once the server listens (with `port: 0`, the port the OS
   * chose); rejects if it cannot listen (e.g. the port is taken). A rejection is also logged
   * through `diag` and never crashes the application.
   */
  readonly ready: Promise<PrometheusAddress>;
}

/** Units as Prometheus name suffixes (OpenTelemetry → Prometheus compatibility specification). */
const UNIT_WORDS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};
const PER_UNIT_WORDS: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

const sanitize = (s: string): string => s.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '');

/**
 * The Prometheus unit word of an OpenTelemetry (UCUM) unit: `s` → `seconds`, `By/s` →
 * `bytes_per_second`, `1` → `ratio` (gauges only); `{annotations}` carry no unit. Unknown units are
 * kept as they are (sanitized). Empty when there is nothing to append.
 *
 * @internal
 */
export function prometheusUnit(unit: string, isGauge: boolean): string {
  const bare = unit.replace(/\{[^}]*\}/g, '').trim();
  if (bare === '') return '';
  if (bare === '1') return isGauge ? 'ratio' : '';
  const slash = bare.indexOf('/');
  if (slash >= 0) {
    const num = bare.slice(0, slash).trim();
    const den = bare.slice(slash + 1).trim();
    const left = num === '' || num === '1' ? '' : (UNIT_WORDS[num] ?? sanitize(num));
    const right = PER_UNIT_WORDS[den] ?? UNIT_WORDS[den] ?? sanitize(den);
    if (right === '') return left;
    return left === '' ? `per_${right}` : `${left}_per_${right}`;
  }
  return UNIT_WORDS[bare] ?? sanitize(bare);
}

/** Appends the unit word to each metric name (unless already there) and sets it as the unit. */
function withUnitSuffixes(rm: ResourceMetrics): ResourceMetrics {
  return {
    resource: rm.resource,
    scopeMetrics: rm.scopeMetrics.map((sm) => ({
      scope: sm.scope,
      metrics: sm.metrics.map((m): MetricData => {
        const word = prometheusUnit(m.descriptor.unit, m.dataPointType === DataPointType.GAUGE);
        const base = sanitize(m.descriptor.name);
        const name = word === '' || base.endsWith(`_${word}`) || base === word ? m.descriptor.name : `${m.descriptor.name}_${word}`;
        return { ...m, descriptor: { ...m.descriptor, name, unit: word } } as MetricData;
      }),
    })),
  };
}

/**
 * The Prometheus reader, served by our own HTTP server rather than the exporter's built-in one:
 * the built-in one treats port 0 as "unset" (falling back to 9464), does not report the bound
 * port, and leaves OpenTelemetry units (`s`) in `# UNIT` lines without the name suffix that
 * OpenMetrics requires. Ours collects from the reader and serializes with unit suffixes
 * (`gen_ai.client.operation.duration` in `s` → `gen_ai_client_operation_duration_seconds`,
 * `# UNIT … seconds`) at the configured path, answers 404 elsewhere, is `unref()`ed (never keeps
 * the process alive) and closes on shutdown.
 *
 * @internal
 */
export function createPrometheusEndpoint(
  config: ResolvedConfig['metrics']['prometheus'],
  metricProducers: MetricProducer[] = [],
): PrometheusEndpoint & { close(): Promise<void> } {
  const exporter = new PrometheusExporter({ preventServerStart: true, endpoint: config.endpoint, metricProducers });
  const serializer = new PrometheusSerializer();
  const server = createServer((req, res) => {
    let pathname: string | undefined;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      pathname = undefined;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('allow', 'GET, HEAD');
      res.end();
      return;
    }
    if (pathname === config.endpoint) {
      exporter.collect().then(
        ({ resourceMetrics, errors }) => {
          if (errors.length > 0) logger.debug('Prometheus collection errors', ...errors);
          res.statusCode = 200;
          res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
          res.end(req.method === 'HEAD' ? undefined : serializer.serialize(withUnitSuffixes(resourceMetrics)));
        },
        (err: unknown) => {
          res.statusCode = 500;
          res.end(`# failed to collect metrics: ${err instanceof Error ? err.message : String(err)}\n`);
        },
      );
      return;
    }
    res.statusCode = 404;
    res.end('Not Found');
  });
  server.unref();
  const ready = new Promise<PrometheusAddress>((resolve, reject) => {
    server.on('error', (err: Error) => {
      if (server.listening) {
        logger.error(`Prometheus endpoint error: ${err.message}`);
        return;
      }
      logger.error(
        `Prometheus endpoint could not listen on ${config.host ?? '*'}:${config.port}: ${err.message}. ` +
          'Metrics keep being recorded; the other exporters are unaffected',
      );
      reject(err);
    });
    server.listen({ port: config.port, host: config.host }, () => {
      const addr = server.address() as AddressInfo;
      const host = addr.address;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({ host, port: addr.port, url: `http://${shown}:${addr.port}${config.endpoint}` });
    });
  });
  ready.catch(() => undefined);
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { exporter, ready, close };
}
