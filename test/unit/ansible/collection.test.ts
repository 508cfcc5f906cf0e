import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/fixtures.js';
import { toolGate } from '../../helpers/tool-gate.js';

/**
 * The Ansible collection without ansible-test: the module compiles, ansible-doc reads its
 * documentation (and every documented option is one the module takes), the example playbook and the
 * role pass --syntax-check, and the module run locally against a stand-in dockwall maps dockwall's
 * exit codes to changed / failed as docs/ansible.md says.
 */

const COLLECTIONS = join(repoRoot, 'ansible');
const MODULE = join(COLLECTIONS, 'ansible_collections/dockwall/dockwall/plugins/modules/dockwall_policy.py');
const ansible = toolGate('ansible-doc', 'ansible-core');

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ANSIBLE_COLLECTIONS_PATH: COLLECTIONS,
      ANSIBLE_HOME: join(tmp, 'ansible-home'),
      ANSIBLE_LOCAL_TEMP: join(tmp, 'local-tmp'),
      ANSIBLE_REMOTE_TEMP: join(tmp, 'remote-tmp'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
      LC_ALL: 'C.UTF-8',
      LANG: 'C.UTF-8',
      PYTHONPYCACHEPREFIX: join(tmp, 'pycache'),
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

let tmp: string;

/**
 * A stand-in for dockwall: logs its arguments, writes a saved plan for `plan -o FILE`, and exits as
 * $FAKE_PLAN_EXIT (plan) or $FAKE_APPLY_EXIT (apply) says, with $FAKE_STDERR on stderr (POLICY in it
 * replaced by the policy file's path).
 */
function fakeDockwall(): string {
  const path = join(tmp, 'fake-dockwall');
  writeFileSync(
    path,
    `#!/bin/sh
echo "$*" >> "$FAKE_CALLS"
cmd=$1; shift
out=
policy=
while [ $# -gt 0 ]; do
  if [ "$1" = -o ]; then out=$2; fi
  if [ "$1" = -f ]; then policy=$2; fi
  shift
done
if [ -n "$FAKE_POLICY_COPY" ]; then cp "$policy" "$FAKE_POLICY_COPY"; fi
if [ -n "$FAKE_STDERR" ]; then echo "$FAKE_STDERR" | sed "s#POLICY#$policy#" >&2; fi
case $cmd in
  plan)
    [ -n "$out" ] && printf '{"kind":"dockwall-plan","plan":{"operations":[{"op":"create-chain","chain":"DOCKWALL-FILTER"}],"summary":{"add":1,"change":0,"remove":0}}}\\n' > "$out"
    echo "dockwall will make these changes:"
    echo "Plan: 1 to add, 0 to change, 0 to remove."
    echo "Saved the plan to $out. Apply exactly this plan with \\\`dockwall apply $out\\\`."
    exit "\${FAKE_PLAN_EXIT:-2}" ;;
  apply) echo "Applied: 1 added"; exit "\${FAKE_APPLY_EXIT:-0}" ;;
esac
exit 1
`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** One run of the module under a playbook task: what it returned and the calls dockwall got. */
interface ModuleRun {
  result: Record<string, unknown>;
  calls: string[];
}

/** The module runs each case is a task of; one playbook on localhost runs them all. */
const CASES: Record<
  string,
  { args: Record<string, unknown>; env?: Record<string, string>; check?: boolean; copyPolicy?: boolean }
> = {
  check: { args: { content: 'dockwall: 1\n' }, check: true },
  mapping: {
    args: { content: { dockwall: 1, filter: { interfaces: ['eth0'] } } },
    env: { FAKE_PLAN_EXIT: '0' },
    copyPolicy: true,
  },
  nothing: { args: { src: '/etc/dockwall/policy.yaml' }, env: { FAKE_PLAN_EXIT: '0' } },
  apply: {
    args: { src: '/etc/dockwall/policy.yaml', state_dir: '/srv/dockwall-state', wait: 5, force: true },
  },
  invalid: {
    args: { content: 'dockwall: 1\n' },
    env: {
      FAKE_PLAN_EXIT: '1',
      FAKE_STDERR: 'dockwall: POLICY is not a valid policy: 1 error; nothing was changed',
    },
  },
  refused: {
    args: { src: '/etc/dockwall/policy.yaml' },
    env: {
      FAKE_APPLY_EXIT: '1',
      FAKE_STDERR: 'dockwall: refusing to apply: this SSH session would be dropped',
    },
  },
};

async function runCases(exe: string): Promise<{ runs: Record<string, ModuleRun>; stdout: string }> {
  const tasks = Object.entries(CASES).map(([name, c]) => ({
    name,
    'dockwall.dockwall.dockwall_policy': { ...c.args, executable: exe },
    environment: {
      ...c.env,
      FAKE_CALLS: join(tmp, `calls-${name}`),
      ...(c.copyPolicy ? { FAKE_POLICY_COPY: join(tmp, `policy-${name}`) } : {}),
    },
    check_mode: c.check ?? false,
    diff: true,
    register: `r_${name}`,
    ignore_errors: true,
  }));
  const collect = {
    name: 'collect',
    'ansible.builtin.copy': {
      dest: join(tmp, 'results.json'),
      content: `{{ {${Object.keys(CASES)
        .map((n) => `'${n}': r_${n}`)
        .join(', ')}} | to_json }}`,
    },
  };
  const playbook = join(tmp, 'module.yml');
  writeFileSync(
    playbook,
    JSON.stringify([{ hosts: 'localhost', gather_facts: false, tasks: [...tasks, collect] }]),
  );
  const r = await run(['ansible-playbook', '-i', 'localhost,', '-c', 'local', playbook]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const results = JSON.parse(readFileSync(join(tmp, 'results.json'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  const runs: Record<string, ModuleRun> = {};
  for (const name of Object.keys(CASES)) {
    const file = join(tmp, `calls-${name}`);
    const calls = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
    runs[name] = { result: results[name]!, calls };
  }
  return { runs, stdout: r.stdout };
}

describe.skipIf(ansible.skip)('the Ansible collection, checked without ansible-test', () => {
  beforeAll(() => {
    ansible.assertAvailable();
    tmp = mkdtempSync(join(tmpdir(), 'dockwall-ansible-'));
  });

  it('the module compiles (python3 -m py_compile)', async () => {
    const r = await run(['python3', '-m', 'py_compile', MODULE]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('ansible-doc reads the module documentation, and it documents exactly the options the module takes', async () => {
    const r = await run(['ansible-doc', '-t', 'module', '--json', 'dockwall.dockwall.dockwall_policy']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, { doc: { options: Record<string, unknown> } }>;
    const documented = Object.keys(doc['dockwall.dockwall.dockwall_policy']!.doc.options).sort();
    // The argument_spec's keys, read from the source with Python's own parser.
    const spec = await run([
      'python3',
      '-c',
      `import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
for node in ast.walk(tree):
    if isinstance(node, ast.keyword) and node.arg == "argument_spec":
        print(json.dumps(sorted(k.arg for k in node.value.keywords)))`,
      MODULE,
    ]);
    expect(spec.code, spec.stderr).toBe(0);
    expect(documented).toEqual(JSON.parse(spec.stdout));
  });

  it('ansible-doc reads the role', async () => {
    const r = await run(['ansible-doc', '-t', 'role', '--list', 'dockwall.dockwall']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('dockwall.dockwall.dockwall');
  });

  it('the example playbook and the role pass ansible-playbook --syntax-check', async () => {
    const examples = join(COLLECTIONS, 'examples');
    const r = await run([
      'ansible-playbook',
      '-i',
      join(examples, 'inventory.ini'),
      '--syntax-check',
      join(examples, 'site.yml'),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  describe('the module against a stand-in dockwall', () => {
    let runs: Record<string, ModuleRun>;
    let stdout: string;
    beforeAll(async () => {
      ({ runs, stdout } = await runCases(fakeDockwall()));
    }, 120_000);

    it('check mode: exit 2 of plan is changed, with the plan as the diff, and nothing is applied', () => {
      const { result, calls } = runs.check!;
      expect(result).toMatchObject({ changed: true, summary: { add: 1 } });
      const plan = 'dockwall will make these changes:\nPlan: 1 to add, 0 to change, 0 to remove.\n';
      expect(result.plan).toBe(plan);
      expect(result.diff).toEqual({ prepared: plan });
      expect(stdout).toContain('dockwall will make these changes:');
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatch(/^plan -f \S+\/policy\.yaml -o \S+\/dockwall\.plan\.json$/);
    });

    it('exit 0 of plan is unchanged and applies nothing', () => {
      const { result, calls } = runs.nothing!;
      expect(result).toMatchObject({ changed: false });
      expect(result.failed).toBeFalsy();
      expect(calls).toEqual([expect.stringMatching(/^plan -f \/etc\/dockwall\/policy\.yaml -o /)]);
    });

    it('content given as a mapping reaches dockwall as JSON, which is YAML', () => {
      expect(runs.mapping!.result).toMatchObject({ changed: false });
      expect(JSON.parse(readFileSync(join(tmp, 'policy-mapping'), 'utf8'))).toEqual({
        dockwall: 1,
        filter: { interfaces: ['eth0'] },
      });
    });

    it('a normal run applies exactly the saved plan, with the state directory, --force and --wait', () => {
      const { result, calls } = runs.apply!;
      expect(result).toMatchObject({ changed: true, applied: 'Applied: 1 added\n' });
      const saved = /-o (\S+)$/.exec(calls[0]!)?.[1];
      expect(calls[1]).toBe(`apply ${saved} --yes --state-dir /srv/dockwall-state --force --wait 5`);
    });

    it('a dockwall error fails the task with dockwall message, naming inline content "content"', () => {
      const { result, calls } = runs.invalid!;
      expect(result).toMatchObject({
        failed: true,
        rc: 1,
        msg: 'dockwall: content is not a valid policy: 1 error; nothing was changed',
      });
      expect(calls).toHaveLength(1);
    });

    it('a refused apply fails the task as unchanged, with dockwall message', () => {
      const { result, calls } = runs.refused!;
      expect(result).toMatchObject({
        failed: true,
        changed: false,
        rc: 1,
        msg: 'dockwall: refusing to apply: this SSH session would be dropped',
      });
      expect(calls).toHaveLength(2);
    });
  });
});
