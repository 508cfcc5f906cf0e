import { spawnSync } from 'node:child_process';

const warned = new Set<string>();

/**
 * Whether the tests that need a program (zsh, fish, systemd-analyze) run here. Outside CI a missing
 * program skips them with one line saying why; with CI=true `assertAvailable` throws instead, as the
 * lab tests do.
 */
export function toolGate(bin: string, debianPackage: string): { skip: boolean; assertAvailable(): void } {
  const found = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).status === 0;
  if (found) return { skip: false, assertAvailable: () => undefined };
  const reason = `${bin} is missing (Debian: apt-get install ${debianPackage})`;
  if (/^(1|true|yes)$/i.test(process.env.CI ?? '')) {
    return {
      skip: false,
      assertAvailable: () => {
        throw new Error(`these tests must run under CI but cannot: ${reason}`);
      },
    };
  }
  if (!warned.has(bin)) {
    warned.add(bin);
    console.warn(`tests skipped: ${reason}`);
  }
  return { skip: true, assertAvailable: () => undefined };
}
