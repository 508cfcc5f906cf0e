import { describe, expect, it } from 'vitest';
import {
  REVERT_COMMAND,
  revertArgv,
  revertUnitName,
  systemdRunArgv,
} from '../../../src/cli/confirm-reverter.js';

describe('the --confirm reverter', () => {
  it('on systemd: a transient timer that runs the revert command SECONDS from now, as a collected oneshot', () => {
    const command = [
      '/usr/bin/node',
      '/opt/dockwall/dist/dockwall.cjs',
      REVERT_COMMAND,
      '--state-dir',
      '/var/lib/dockwall',
      '--apply-id',
      'ab12cd34',
    ];
    const argv = systemdRunArgv(revertUnitName('ab12cd34'), 30, command);
    expect(argv.slice(0, argv.indexOf('--'))).toEqual([
      'systemd-run',
      '--unit=dockwall-revert-ab12cd34',
      '--description=dockwall: restore the previous rules unless confirmed',
      '--on-active=30s',
      '--timer-property=AccuracySec=100ms',
      '--property=Type=oneshot',
      '--collect',
      '--quiet',
    ]);
    expect(argv.slice(argv.indexOf('--') + 1)).toEqual(command);
    // Fractions round up: the timer never fires before the deadline.
    expect(systemdRunArgv('u', 2.2, ['x'])).toContain('--on-active=3s');
  });

  it('runs this node and this dockwall by absolute path, with the state directory made absolute', () => {
    const argv = revertArgv('relative/state', 'ab12cd34');
    expect(argv[0]).toBe(process.execPath);
    expect(argv[1]!.startsWith('/')).toBe(true);
    expect(argv.slice(2)).toEqual([
      REVERT_COMMAND,
      '--state-dir',
      `${process.cwd()}/relative/state`,
      '--apply-id',
      'ab12cd34',
    ]);
  });
});
