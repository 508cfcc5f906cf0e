import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary, type LabGate } from '../helpers/index.js';
import { createDiffLab, type DiffLab } from './diff-lab.js';
import { crossCheck, explain, probeTable, runScenario } from './run-scenario.js';
import type { ScenarioGroup } from './scenarios.js';

/**
 * One lab for a group of scenarios; per scenario one test that sends its probes for real, walks
 * the same packets through the simulator on the live state, and wants every verdict to agree.
 * With DWL_DIFF_DUMP=DIR, each scenario's probes and both answers are written to DIR/<name>.txt.
 */
export function differentialSuite(title: string, group: ScenarioGroup, gate: LabGate): void {
  // conntrack(8) flushes the table between scenarios and shows the kernel's NAT.
  const conntrack = !!findBinary('conntrack');
  const inCi = /^(1|true|yes)$/i.test(process.env.CI ?? '');
  if (!gate.skip && !conntrack && !inCi)
    console.warn('differential test skipped: conntrack missing (Debian: apt-get install conntrack)');
  describe.skipIf(gate.skip || (!conntrack && !inCi))(title, () => {
    let d: DiffLab | undefined;

    beforeAll(async () => {
      gate.assertAvailable();
      if (!conntrack) throw new Error('the differential test must run under CI but conntrack is missing');
      d = await createDiffLab(group.lab);
    });
    afterAll(async () => {
      await d?.lab.destroy();
    });

    for (const sc of group.scenarios) {
      it(`${sc.name}: ${sc.about}`, async () => {
        const lab = d!;
        try {
          const o = await runScenario(lab, sc);
          const { open, refused, timeout } = o.real;
          console.log(
            `scenario ${o.name}: ${o.agree}/${o.total} agree (real: ${open} open, ${refused} refused, ${timeout} timeout); ` +
              `NAT of ${o.natChecked - o.natDisagreements.length}/${o.natChecked} accepted probes agrees with conntrack; ` +
              `audit agrees on ${o.audit.checked - o.audit.disagreements.length}/${o.audit.checked} probes from outside`,
          );
          const dump = process.env.DWL_DIFF_DUMP;
          if (dump) writeFileSync(join(dump, `${o.name}.txt`), `${probeTable(o)}\n`);
          expect(o.total).toBeGreaterThanOrEqual(200);
          expect(o.agree, explain(o)).toBe(o.total);
          // The probes see every kind of answer, so agreement means something for each.
          expect(open).toBeGreaterThan(0);
          expect(refused).toBeGreaterThan(0);
          expect(timeout).toBeGreaterThan(0);
          expect(o.natDisagreements).toEqual([]);
          expect(o.audit.checked).toBeGreaterThan(0);
          expect(o.audit.disagreements).toEqual([]);
          expect(await crossCheck(lab, o)).toEqual([]);
        } finally {
          await sc.teardown?.(lab);
        }
      });
    }
  });
}
