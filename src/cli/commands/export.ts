import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { compileDesired } from '../../compile/index.js';
import type { ExportPart, ExportResult, ExportSource } from '../../export/index.js';
import {
  exportFerm,
  exportNft,
  exportPf,
  exportRestore,
  sourceFromDesired,
  sourceFromState,
} from '../../export/index.js';
import type { DockerGeneration } from '../../export/index.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_OK } from '../exit-codes.js';
import { collectRepeatable, readInventoryFile, readPolicy, readStateFiles } from '../inputs.js';
import { registerImport } from './import.js';
import { unitPath } from '../../export/index.js';
import { errorWords } from '../../model/index.js';

type Run = (fn: (ctx: CliContext) => Promise<number>) => Promise<void>;

interface ExportOpts {
  format: string;
  file?: string;
  state?: string[];
  ipsetState?: string[];
  dockerState?: string;
  output?: string;
  unit?: boolean;
  dockerLayout?: string;
  vmInterface?: string[];
  vmSubnet?: string[];
  nfsPorts?: string;
  json?: boolean;
}

const FORMATS = ['restore', 'ferm', 'nft', 'pf'];
const LAYOUTS: DockerGeneration[] = ['17.06-27', '28', '29'];

/** Registers `export` and `import`. */
export function registerExport(program: Command, run: Run): void {
  program
    .command('export')
    .description(
      'write a policy (or a saved rule set) as an iptables-restore file, a ferm config, an nftables script or macOS pf rules',
    )
    .requiredOption('--format <format>', `output format: ${FORMATS.join(', ')}`)
    .option(
      '-f, --file <policy>',
      'policy file (dockwall YAML or pyfw wishes): export the rules it compiles to',
    )
    .option(
      '--state <dump>',
      'export a saved iptables-save/ip6tables-save dump, the whole rule set (repeatable)',
      collectRepeatable,
    )
    .option(
      '--ipset-state <dump>',
      'saved `ipset save` output the dump refers to (repeatable)',
      collectRepeatable,
    )
    .option('--docker-state <json>', "Docker inventory JSON, for the policy's containers: rules")
    .option(
      '-o, --output <path>',
      'write to this file, or into this directory (needed when the export has several files); hints in the files name the paths written',
    )
    .option(
      '--unit',
      'restore: also the systemd unit that loads the files at boot; pf: also the launchd plist',
    )
    .option(
      '--docker-layout <layout>',
      `ferm from a policy: Docker's chains to preserve (${LAYOUTS.join(', ')}; default 17.06-27)`,
    )
    .option(
      '--vm-interface <name>',
      "pf: an interface of the Docker VM's network (repeatable; default vboxnet0)",
      collectRepeatable,
    )
    .option(
      '--vm-subnet <cidr>',
      "pf: the Docker VM's network (repeatable; default 192.168.99.0/24)",
      collectRepeatable,
    )
    .option('--nfs-ports <ports>', 'pf: ports the VM may reach on the host, comma separated (default: all)')
    .option('--json', 'print the files and diagnostics as JSON')
    .action((opts: ExportOpts) => run(async (ctx) => exportCommand(ctx, opts)));
  registerImport(program, run);
}

async function exportCommand(ctx: CliContext, opts: ExportOpts): Promise<number> {
  if (!FORMATS.includes(opts.format))
    throw new CliError(`unknown format "${opts.format}": expected ${FORMATS.join(', ')}`);
  if (opts.unit && opts.format !== 'restore' && opts.format !== 'pf')
    throw new CliError('--unit is for --format restore (systemd) and pf (launchd)');
  if (opts.dockerLayout !== undefined && !LAYOUTS.includes(opts.dockerLayout as DockerGeneration)) {
    throw new CliError(`unknown --docker-layout "${opts.dockerLayout}": expected ${LAYOUTS.join(', ')}`);
  }
  const pfOnly = opts.vmInterface || opts.vmSubnet || opts.nfsPorts !== undefined;
  if (pfOnly && opts.format !== 'pf')
    throw new CliError('--vm-interface, --vm-subnet and --nfs-ports are for --format pf');

  let result: ExportResult;
  if (opts.format === 'pf') {
    if (opts.state)
      throw new CliError(
        '--format pf works from a policy (-f) or from the VM options alone, not from a Linux rule dump',
      );
    const policy = opts.file ? readPolicy(ctx, opts.file) : undefined;
    result = exportPf(policy, {
      ...(opts.vmInterface ? { vmInterfaces: opts.vmInterface } : {}),
      ...(opts.vmSubnet ? { vmSubnets: opts.vmSubnet } : {}),
      ...(opts.nfsPorts !== undefined ? { nfsPorts: [opts.nfsPorts] } : {}),
      plist: !!opts.unit,
    });
  } else {
    const source = readSource(ctx, opts);
    if (opts.format === 'restore') result = exportRestore(source, { unit: !!opts.unit });
    else if (opts.format === 'ferm')
      result = exportFerm(
        source,
        opts.dockerLayout ? { dockerLayout: opts.dockerLayout as DockerGeneration } : {},
      );
    else result = exportNft(source);
  }
  ctx.collect(result.diagnostics);
  if (opts.json) {
    ctx.output.out(
      JSON.stringify({ parts: result.parts ?? [], diagnostics: ctx.diagnostics }, null, 2) + '\n',
    );
    return result.parts ? EXIT_OK : 1;
  }
  ctx.failOnErrors(`cannot export to ${opts.format}`);
  const parts = result.parts ?? [];
  ctx.flushDiagnostics();
  if (opts.output) writeParts(ctx, opts.output, parts);
  else if (parts.length === 1) ctx.output.out(parts[0]!.text);
  else ctx.output.out(parts.map((p) => `==> ${p.path} <==\n${p.text}`).join('\n'));
  return EXIT_OK;
}

function readSource(ctx: CliContext, opts: ExportOpts): ExportSource {
  if (!!opts.file === !!opts.state) throw new CliError('give either -f POLICY or --state DUMP');
  if (opts.file) {
    const policy = readPolicy(ctx, opts.file);
    const inventory = opts.dockerState ? readInventoryFile(ctx, opts.dockerState) : undefined;
    const desired = compileDesired(policy, inventory ? { inventory } : {});
    ctx.collect(desired.diagnostics);
    ctx.failOnErrors(`${opts.file} cannot be compiled`);
    return sourceFromDesired(desired, opts.file);
  }
  const state = readStateFiles(ctx, opts.state ?? [], opts.ipsetState ?? []);
  return sourceFromState(state, (opts.state ?? []).join(', '));
}

/**
 * One file: to PATH (or into PATH when it is a directory). Several: into the directory PATH, each
 * named as where it is installed; a PATH that names a file (an existing file, or a name with an
 * extension) is refused, never silently made a directory. The files' own hints ("load with …") and
 * the boot unit then name the paths actually written.
 */
function writeParts(ctx: CliContext, path: string, parts: ExportPart[]): void {
  let isDir: boolean | undefined;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    isDir = undefined;
  }
  const intoDir = isDir === true || path.endsWith('/') || parts.length > 1;
  if (intoDir && parts.length > 1 && (isDir === false || (isDir === undefined && namesFile(path)))) {
    const names = parts.map((p) => basename(p.path)).join(', ');
    throw new CliError(
      `this export is ${parts.length} files (${names}): -o ${path} names a file; give a directory to write them into`,
    );
  }
  if (intoDir) {
    try {
      mkdirSync(path, { recursive: true });
    } catch (e) {
      throw new CliError(`cannot create the directory ${path}: ${errorWords(e)}`);
    }
  }
  const written = new Map(
    parts.map((p) => [p.path, resolve(intoDir ? join(path, basename(p.path)) : path)] as const),
  );
  for (const p of parts) {
    const file = written.get(p.path)!;
    try {
      writeFileSync(file, withWrittenPaths(p.text, written, p.path.endsWith('.service')));
    } catch (e) {
      throw new CliError(`cannot write ${file}: ${errorWords(e)}`);
    }
    ctx.output.err(`wrote ${file}: ${withWrittenPaths(p.description, written, false)}\n`);
  }
}

/** A name with an extension (`single.rules`) is taken for a file, not a directory to create. */
function namesFile(path: string): boolean {
  return /\.[A-Za-z0-9]+$/.test(basename(path));
}

/** The text with each part's install path replaced by where it was written. */
function withWrittenPaths(text: string, written: Map<string, string>, unit: boolean): string {
  let out = text;
  for (const [install, file] of written) {
    if (install !== file) out = out.split(install).join(unit ? unitPath(file) : file);
  }
  return out;
}
