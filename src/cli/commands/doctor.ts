import type { Command } from 'commander';
import { dockerClient } from '../docker-client.js';
import { DEFAULT_DAEMON_JSON, diagnose, renderDoctorText } from '../../doctor/index.js';
import { gatherDoctorFacts, type DoctorDockerSource } from '../../host/index.js';
import type { CliContext } from '../context.js';
import { EXIT_CHANGES, EXIT_INCOMPLETE, EXIT_OK } from '../exit-codes.js';
import { hostRunner } from '../live.js';
import type { Run } from './index.js';

interface DoctorOpts {
  json?: boolean;
  daemonJson: string;
}

export function registerDoctor(program: Command, run: Run): void {
  program
    .command('doctor')
    .description(
      'find what breaks Docker networking on this host, with a fix for each (exit 0: nothing found, 2: findings, 3: nothing found but Docker did not answer, 1: error)',
    )
    .option('--json', 'print the findings (and the facts they come from) as JSON')
    .option('--daemon-json <path>', "Docker's daemon.json", DEFAULT_DAEMON_JSON)
    .action((opts: DoctorOpts) => run((ctx) => doctorCommand(ctx, opts)));
}

async function doctorCommand(ctx: CliContext, opts: DoctorOpts): Promise<number> {
  let docker: DoctorDockerSource | undefined;
  let dockerError: string | undefined;
  try {
    const client = dockerClient(ctx, { timeoutMs: 5_000 });
    docker = { info: () => client.info(), listNetworks: () => client.listNetworks() };
  } catch (e) {
    // A bad DOCKER_HOST is a fact about the host like any other.
    dockerError = (e as Error).message;
  }
  const facts = await gatherDoctorFacts({ runner: hostRunner(), docker, daemonJsonPath: opts.daemonJson });
  if (dockerError && !facts.docker.reachable) facts.docker = { reachable: false, error: dockerError };
  const report = diagnose(facts);
  if (opts.json) {
    const incomplete = report.incomplete ? { incomplete: report.incomplete } : {};
    ctx.output.out(
      `${JSON.stringify({ findings: report.findings, notes: report.notes, ...incomplete, facts }, null, 2)}\n`,
    );
  } else {
    ctx.output.out(renderDoctorText(report, ctx.output.paint));
  }
  if (report.findings.length > 0) return EXIT_CHANGES;
  return report.incomplete ? EXIT_INCOMPLETE : EXIT_OK;
}
