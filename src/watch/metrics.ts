import { createServer, type Server } from 'node:http';

/** Counters `watch` exposes in Prometheus' text format. */
export class WatchMetrics {
  reconciles = 0;
  driftFound = 0;
  operationsApplied = 0;
  errors = 0;
  lastSuccessSeconds = 0;
  lastDurationSeconds = 0;
  dockerConnected = 0;

  render(): string {
    const m = (name: string, type: string, help: string, value: number) =>
      `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`;
    return [
      m(
        'dockwall_reconciles_total',
        'counter',
        'Reconciles run (each reads, plans and applies when needed).',
        this.reconciles,
      ),
      m(
        'dockwall_drift_found_total',
        'counter',
        'Reconciles that found the host different from the policy and changed it.',
        this.driftFound,
      ),
      m('dockwall_operations_applied_total', 'counter', 'Plan operations applied.', this.operationsApplied),
      m('dockwall_errors_total', 'counter', 'Reconciles that failed (retried with back-off).', this.errors),
      m(
        'dockwall_last_success_timestamp_seconds',
        'gauge',
        'Unix time of the last successful reconcile.',
        this.lastSuccessSeconds,
      ),
      m(
        'dockwall_last_reconcile_duration_seconds',
        'gauge',
        'Duration of the last successful reconcile.',
        this.lastDurationSeconds,
      ),
      m(
        'dockwall_docker_connected',
        'gauge',
        '1 while the Docker event stream is connected.',
        this.dockerConnected,
      ),
    ].join('');
  }
}

/** Serves `/metrics` on ADDR (`host:port`, `:port` or `port`). */
export function serveMetrics(metrics: WatchMetrics, addr: string): Promise<Server> {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(addr);
  if (!m) return Promise.reject(new Error(`--metrics needs HOST:PORT, got ${addr}`));
  const host = m[1] || '127.0.0.1';
  const port = Number(m[2]);
  const server = createServer((req, res) => {
    if (req.url === '/metrics' || req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metrics.render());
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
