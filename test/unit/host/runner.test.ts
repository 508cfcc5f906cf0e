import { describe, expect, it } from 'vitest';
import { commandEnv, createRunner, HostCommandError, runChecked } from '../../../src/host/runner.js';

describe('createRunner', () => {
  const runner = createRunner();

  it('reports exit status 0 and 1', async () => {
    expect((await runner.run(['true'])).code).toBe(0);
    const failed = await runner.run(['false']);
    expect(failed.code).toBe(1);
    expect(failed.timedOut).toBeUndefined();
  });

  it('passes stdin and collects stdout', async () => {
    const r = await runner.run(['cat'], { stdin: 'a line\nand another\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'a line\nand another\n', stderr: '' });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('closes stdin when none is given', async () => {
    const r = await runner.run(['cat'], { timeoutMs: 5_000 });
    expect(r).toMatchObject({ code: 0, stdout: '' });
  });

  it('runs by argument vector, never through a shell', async () => {
    const r = await runner.run(['echo', '$HOME; false', '`id`']);
    expect(r.stdout).toBe('$HOME; false `id`\n');
  });

  it('collects stderr separately', async () => {
    const r = await runner.run(['cat', '/nonexistent/dockwall-test']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('No such file or directory');
  });

  it('uses the C locale and keeps the sbin directories on PATH', async () => {
    const r = await createRunner({ env: { LANG: 'de_DE.UTF-8', DOCKWALL_X: 'y' } }).run(['env']);
    const env = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    expect(env.LANG).toBe('C');
    expect(env.LC_ALL).toBe('C');
    expect(env.DOCKWALL_X).toBe('y');
    expect(env.PATH?.split(':')).toContain('/usr/sbin');
    expect(commandEnv().PATH?.split(':')).toContain('/sbin');
  });

  it('kills a command that runs past its timeout', async () => {
    const r = await runner.run(['sleep', '10'], { timeoutMs: 200 });
    expect(r.code).toBe(124);
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGTERM');
    expect(r.durationMs).toBeLessThan(3_000);
  });

  it('kills what the command started too (its process group)', async () => {
    // The shell waits for a background sleep that holds stdout open; both must go.
    const r = await runner.run(['sh', '-c', 'sleep 10 & wait'], { timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.durationMs).toBeLessThan(3_000);
  });

  it('uses the runner-wide timeout by default', async () => {
    const r = await createRunner({ timeoutMs: 150 }).run(['sleep', '5']);
    expect(r.timedOut).toBe(true);
  });

  it('reports a missing command as 127 without throwing', async () => {
    const r = await runner.run(['dockwall-no-such-command-xyz']);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('command not found');
  });

  it('reports death by signal as 128+N', async () => {
    const r = await runner.run(['sh', '-c', 'kill -9 $$']);
    expect(r.code).toBe(137);
    expect(r.signal).toBe('SIGKILL');
    expect(r.timedOut).toBeUndefined();
  });

  it('survives a command that exits without reading its input', async () => {
    const r = await runner.run(['true'], { stdin: 'x'.repeat(1 << 20) });
    expect(r.code).toBe(0);
  });

  it('prepends the wrap words to every command', async () => {
    const wrapped = createRunner({ wrap: ['env', 'DOCKWALL_WRAPPED=1'] });
    expect(wrapped.wrap).toEqual(['env', 'DOCKWALL_WRAPPED=1']);
    const r = await wrapped.run(['sh', '-c', 'echo $DOCKWALL_WRAPPED']);
    expect(r.stdout).toBe('1\n');
  });

  it('keeps large outputs intact', async () => {
    const text = 'line of output\n'.repeat(20_000);
    const r = await runner.run(['cat'], { stdin: text });
    expect(r.stdout.length).toBe(text.length);
  });
});

describe('runChecked', () => {
  const runner = createRunner();

  it('returns the result when the command succeeds', async () => {
    const r = await runChecked(runner, ['echo', 'ok']);
    expect(r.stdout).toBe('ok\n');
  });

  it('throws HostCommandError with argv, status and stderr', async () => {
    const err = await runChecked(createRunner({ wrap: ['env'] }), [
      'sh',
      '-c',
      'echo boom >&2; exit 3',
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostCommandError);
    const e = err as HostCommandError;
    expect(e.argv).toEqual(['env', 'sh', '-c', 'echo boom >&2; exit 3']);
    expect(e.code).toBe(3);
    expect(e.stderr).toBe('boom\n');
    expect(e.message).toContain('exit status 3: boom');
  });

  it('says when the command timed out', async () => {
    const err = (await runChecked(runner, ['sleep', '5'], { timeoutMs: 100 }).catch(
      (e: unknown) => e,
    )) as HostCommandError;
    expect(err.timedOut).toBe(true);
    expect(err.message).toContain('timed out');
  });
});
