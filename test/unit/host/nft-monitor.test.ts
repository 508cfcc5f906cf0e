import { describe, expect, it } from 'vitest';
import { NftMonitor, deathSignalPrefix } from '../../../src/host/nft-monitor.js';
import type { FollowedCommand, Runner } from '../../../src/host/runner.js';

/** A runner that records what it follows; each command ends with what `ends` gives for it. */
function followingRunner(ends: (argv: readonly string[]) => string | undefined) {
  const started: string[][] = [];
  const runner: Runner = {
    wrap: [],
    run: () => Promise.reject(new Error('not used')),
    follow: (argv): FollowedCommand => {
      started.push([...argv]);
      const stderr = ends(argv);
      const exited =
        stderr === undefined
          ? new Promise<never>(() => undefined)
          : Promise.resolve({ code: 1, signal: null, stderr });
      return { pid: 100 + started.length, stop: () => undefined, exited };
    },
  };
  return { runner, started };
}

describe('nft monitor dies with dockwall', () => {
  it('is started through `setpriv --pdeathsig KILL` where setpriv is installed', () => {
    expect(deathSignalPrefix((p) => p === '/usr/bin/setpriv')).toEqual([
      'setpriv',
      '--pdeathsig',
      'KILL',
      '--',
    ]);
    expect(deathSignalPrefix(() => false)).toEqual([]);
    const { runner, started } = followingRunner(() => undefined);
    const m = new NftMonitor(runner, { prefix: ['setpriv', '--pdeathsig', 'KILL', '--'] });
    m.start();
    expect(started).toEqual([['setpriv', '--pdeathsig', 'KILL', '--', 'nft', 'monitor']]);
    m.stop();
  });

  it('a setpriv without --pdeathsig: started again at once without it', async () => {
    const { runner, started } = followingRunner((argv) =>
      argv[0] === 'setpriv'
        ? "setpriv: unrecognized option '--pdeathsig'\nTry 'setpriv --help'.\n"
        : undefined,
    );
    const m = new NftMonitor(runner, { prefix: ['setpriv', '--pdeathsig', 'KILL', '--'] });
    const died: string[] = [];
    m.on('died', (d) => died.push(d.message));
    m.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toEqual([
      ['setpriv', '--pdeathsig', 'KILL', '--', 'nft', 'monitor'],
      ['nft', 'monitor'],
    ]);
    expect(died).toEqual([]);
    m.stop();
  });
});
