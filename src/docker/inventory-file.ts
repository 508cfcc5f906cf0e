import * as z from 'zod';
import {
  diag,
  dockerIdProblem,
  dockerNameProblem,
  hasErrors,
  interfaceNameProblem,
  ipAddressProblem,
  shownValue,
  subnetProblem,
  type Diagnostic,
  type DockerInventory,
  type Result,
} from '../model/index.js';
import { YamlSource } from '../policy/yaml-source.js';
import { issuesToDiagnostics } from '../policy/zod-issues.js';
import { inventoryFromApi } from './inventory-map.js';

/**
 * Reads a `--docker-state` file. Two shapes are taken:
 * - dockwall's inventory: `{"networks": [...], "containers": [...]}` (the model's DockerInventory);
 * - what `docker inspect` prints: a JSON array of containers and networks, e.g.
 *   `docker inspect $(docker ps -aq) $(docker network ls -q)`, or several such arrays one after the
 *   other (`docker inspect …` then `docker network inspect …` into one file).
 * Every problem is an error positioned in the file (file, line, column), as for policies; a file with
 * errors gives no inventory, so nothing is planned from half of it.
 */
export function loadInventoryFile(text: string, file: string): Result<DockerInventory> {
  const parts = topLevelArrays(text);
  if (parts.length > 1) {
    // `{ docker inspect …; docker network inspect …; } > FILE`: several arrays one after the other.
    // Each is read on its own, blanked outside itself so that positions stay those of the file.
    const read = parts.map(([start, end]) => readDocument(blankOutside(text, start, end), file));
    const diagnostics = read.flatMap((r) => r.diagnostics);
    if (hasErrors(diagnostics)) return { diagnostics };
    return fromInspect(read.map((r) => ({ items: r.data as unknown[], src: r.src })));
  }
  const { src, data, diagnostics } = readDocument(text, file);
  if (hasErrors(diagnostics)) return { diagnostics };
  if (Array.isArray(data)) return fromInspect([{ items: data, src }]);
  const schema = inventorySchema();
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    return { diagnostics: issuesToDiagnostics(parsed.error.issues, src, schema).map(asStateCode) };
  }
  return { value: parsed.data as DockerInventory, diagnostics: [] };
}

function readDocument(
  text: string,
  file: string,
): { src: YamlSource; data?: unknown; diagnostics: Diagnostic[] } {
  const src = new YamlSource(text, file);
  const diagnostics = src.yamlDiagnostics().filter((d) => d.severity === 'error');
  if (hasErrors(diagnostics)) return { src, diagnostics };
  try {
    return { src, data: src.toJS(100), diagnostics };
  } catch (e) {
    const span = src.startSpan();
    return { src, diagnostics: [diag('error', 'docker-state.unreadable', (e as Error).message, span.pos)] };
  }
}

/**
 * The [start, end) offsets of JSON arrays written one after another (only white space between);
 * empty when the text is anything else (one value, or not JSON arrays: read as one document).
 */
function topLevelArrays(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let depth = 0;
  let start = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (depth === 0) {
      if (/\s/.test(c)) continue;
      if (c !== '[') return [];
      start = i;
      depth = 1;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') && --depth === 0) out.push([start, i + 1]);
  }
  return depth === 0 ? out : [];
}

/** `text` with every character outside [start, end) but line breaks turned into a space. */
function blankOutside(text: string, start: number, end: number): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  return blank(text.slice(0, start)) + text.slice(start, end) + blank(text.slice(end));
}

function asStateCode(d: Diagnostic): Diagnostic {
  return { ...d, code: d.code.replace(/^policy\./, 'docker-state.') };
}

/** A zod check from one of the model's value checks (which say what is wrong, or nothing). */
function checked(what: string, problem: (v: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const why = problem(value);
    if (why !== undefined) ctx.addIssue({ code: 'custom', message: `this ${what} ${why}` });
  });
}

/**
 * The `--docker-state` schema, built when a file is first read: building it costs several
 * milliseconds at the start of every command that can take such a file, which most runs do not.
 */
let inventorySchemaBuilt: ReturnType<typeof buildInventorySchema> | undefined;
function inventorySchema() {
  return (inventorySchemaBuilt ??= buildInventorySchema());
}

function buildInventorySchema() {
  const port = z.number().int().min(1).max(65535);
  const address = checked('address', ipAddressProblem);
  const hostAddress = checked('address', (v) => (v === '' ? undefined : ipAddressProblem(v)));

  const networkSchema = z.object({
    id: checked('id', dockerIdProblem),
    name: checked('name', dockerNameProblem),
    driver: z.string(),
    bridge: checked('bridge name', interfaceNameProblem).optional(),
    subnets: z.array(checked('subnet', subnetProblem)).default([]),
    gateways: z.array(address).default([]),
    internal: z.boolean().default(false),
    enableIPv6: z.boolean().optional(),
  });

  const containerSchema = z.object({
    id: checked('id', dockerIdProblem),
    name: checked('name', dockerNameProblem),
    labels: z.record(z.string(), z.string()).default({}),
    running: z.boolean().default(true),
    endpoints: z
      .array(
        z.object({
          network: checked('network name', dockerNameProblem),
          ipv4: address.optional(),
          ipv6: address.optional(),
        }),
      )
      .default([]),
    ports: z
      .array(
        z.object({
          hostIp: hostAddress.default('0.0.0.0'),
          hostPort: port,
          containerPort: port,
          proto: z.enum(['tcp', 'udp', 'sctp']),
        }),
      )
      .default([]),
  });

  return z.object({
    serverVersion: z.string().optional(),
    apiVersion: z.string().optional(),
    firewallBackend: z.enum(['iptables', 'iptables+firewalld', 'nftables']).optional(),
    networks: z.array(networkSchema),
    containers: z.array(containerSchema),
  });
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `docker inspect` prints containers with `State`/`Config`, networks with `IPAM`/`Driver`. */
function kindOf(item: Json): 'container' | 'network' | undefined {
  if ('State' in item || 'Config' in item || 'NetworkSettings' in item) return 'container';
  if ('IPAM' in item || ('Driver' in item && 'Scope' in item)) return 'network';
  return undefined;
}

function fromInspect(documents: Array<{ items: unknown[]; src: YamlSource }>): Result<DockerInventory> {
  const diagnostics: Diagnostic[] = [];
  const networks: unknown[] = [];
  const containers: unknown[] = [];
  for (const { items, src } of documents) {
    const error = (index: number, code: string, message: string) => {
      const span = src.spanAt([index]);
      diagnostics.push(diag('error', code, message, span.pos, { length: span.length }));
    };
    items.forEach((item, index) => {
      const kind = isObject(item) ? kindOf(item) : undefined;
      if (!isObject(item) || kind === undefined || typeof (item['Id'] ?? item['ID']) !== 'string') {
        error(
          index,
          'docker-state.unknown-entry',
          `entry ${index + 1} is neither a container nor a network as \`docker inspect\` prints them (an object with "Id" and "State" or "IPAM")`,
        );
        return;
      }
      // Each entry is mapped alone, so a value it gets wrong is reported where the entry starts.
      const one = kind === 'network' ? inventoryFromApi([item], []) : inventoryFromApi([], [item]);
      for (const r of one.rejected ?? [])
        error(index, 'docker-state.bad-value', `Docker ${r.kind} ${shownValue(r.name)}: ${r.reason}`);
      (kind === 'network' ? networks : containers).push(item);
    });
  }
  if (hasErrors(diagnostics)) return { diagnostics };
  return { value: inventoryFromApi(networks, containers), diagnostics };
}
