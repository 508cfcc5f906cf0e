import type { HostInterface, HostModel, HostRoute } from '../model/index.js';
import { HostCommandError, type Runner } from './runner.js';

interface IpAddrJson {
  ifname: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}
interface IpRouteJson {
  dst: string;
  dev?: string;
  gateway?: string;
}

/** The host's interfaces, addresses and routes, from `ip -j addr` and `ip -j route` (both families). */
export async function readHostModel(runner: Runner): Promise<HostModel> {
  const addr = await runner.run(['ip', '-j', 'addr', 'show']);
  if (addr.code !== 0) throw new HostCommandError([...runner.wrap, 'ip', '-j', 'addr', 'show'], addr);
  const interfaces: HostInterface[] = (JSON.parse(addr.stdout || '[]') as IpAddrJson[]).map((i) => ({
    name: i.ifname,
    addresses: (i.addr_info ?? [])
      .filter((a) => a.family === 'inet' || a.family === 'inet6')
      .map((a) => `${a.local}/${a.prefixlen}`),
  }));
  const routes: HostRoute[] = [];
  for (const fam of ['-4', '-6']) {
    const r = await runner.run(['ip', fam, '-j', 'route', 'show']);
    if (r.code !== 0) continue;
    for (const x of JSON.parse(r.stdout || '[]') as IpRouteJson[]) {
      if (!x.dev) continue;
      const route: HostRoute = {
        destination: x.dst === 'default' ? (fam === '-4' ? '0.0.0.0/0' : '::/0') : x.dst,
        device: x.dev,
      };
      if (x.gateway) route.via = x.gateway;
      routes.push(route);
    }
  }
  return { interfaces, routes };
}
