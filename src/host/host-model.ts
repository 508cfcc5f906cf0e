import type { HostModel, HostRoute } from '../model/index.js';
import { interfacesFromIpAddr, routesFromIpRoute } from '../parse/index.js';
import { HostCommandError, type Runner } from './runner.js';

/** The host's interfaces, addresses and routes, from `ip -j addr` and `ip -j route` (both families). */
export async function readHostModel(runner: Runner): Promise<HostModel> {
  // The three commands at once.
  const routeReads = (['-4', '-6'] as const).map((fam) =>
    runner.run(['ip', fam, '-j', 'route', 'show'], { batch: true }),
  );
  for (const r of routeReads) r.catch(() => undefined);
  const addr = await runner.run(['ip', '-j', 'addr', 'show'], { batch: true });
  if (addr.code !== 0) throw new HostCommandError([...runner.wrap, 'ip', '-j', 'addr', 'show'], addr);
  const interfaces = interfacesFromIpAddr(JSON.parse(addr.stdout || '[]') as unknown[]);
  const routes: HostRoute[] = [];
  for (const [i, fam] of (['-4', '-6'] as const).entries()) {
    const r = await routeReads[i]!;
    if (r.code !== 0) continue;
    routes.push(
      ...routesFromIpRoute(JSON.parse(r.stdout || '[]') as unknown[], fam === '-4' ? 'ipv4' : 'ipv6'),
    );
  }
  return { interfaces, routes };
}
