import { describe, expect, it } from 'vitest';
import { parseTimeDate, timeMatches, type TimeSpec } from '../../../../src/sim/match-time.js';
import { auditProbe, groupOf, inputVerdict } from './match-helpers.js';

const office = '-m time --timestart 08:00:00 --timestop 17:00:00 --weekdays Mon,Tue,Wed,Thu,Fri -j ACCEPT';

describe('-m time', () => {
  it('--at in UTC (the kernel default), or with an offset', () => {
    // 2026-12-03 is a Thursday.
    expect(inputVerdict([office], { at: '2026-12-03T09:00:00Z' })).toBe('accept');
    expect(inputVerdict([office], { at: '2026-12-03T18:00:00Z' })).toBe('drop');
    expect(inputVerdict([office], { at: '2026-12-05T09:00:00Z' })).toBe('drop');
    expect(inputVerdict([office], { at: '2026-12-03T09:00' })).toBe('accept');
    // 18:30 at +10:00 is 08:30 UTC.
    expect(inputVerdict([office], { at: '2026-12-03T18:30:00+10:00' })).toBe('accept');
  });

  it('dates, month days, negated week days', () => {
    const d = '-m time --datestart 2026-01-01T00:00:00 --datestop 2026-06-30T23:59:59 -j ACCEPT';
    expect(inputVerdict([d], { at: '2026-03-01T00:00:00Z' })).toBe('accept');
    expect(inputVerdict([d], { at: '2026-12-03T00:00:00Z' })).toBe('drop');
    expect(inputVerdict(['-m time --monthdays 3 -j ACCEPT'], { at: '2026-12-03T12:00:00Z' })).toBe('accept');
    expect(inputVerdict(['-m time ! --weekdays Thu -j ACCEPT'], { at: '2026-12-03T12:00:00Z' })).toBe('drop');
    expect(parseTimeDate('2026-12')).toBe(Date.UTC(2026, 11, 1) / 1000);
  });

  it('a window over midnight, with --contiguous counting the early hours to the day before', () => {
    const s: TimeSpec = {
      dateStart: 0,
      dateStop: 0x7fffffff,
      dayStart: 22 * 3600,
      dayStop: 2 * 3600,
      weekdays: 1 << 5, // Friday
      monthdays: 0xfffffffe,
      contiguous: false,
    };
    const sat1am = Date.UTC(2026, 11, 5, 1) / 1000;
    expect(timeMatches(s, sat1am)).toBe(false);
    expect(timeMatches({ ...s, contiguous: true }, sat1am)).toBe(true);
    expect(timeMatches(s, Date.UTC(2026, 11, 4, 23) / 1000)).toBe(true);
    expect(timeMatches(s, Date.UTC(2026, 11, 4, 12) / 1000)).toBe(false);
  });

  it('without --at, or with --kerneltz, the answer is unknown', () => {
    expect(inputVerdict([office])).toBe('unknown');
    expect(
      inputVerdict(['-m time --timestart 08:00 --kerneltz -j ACCEPT'], { at: '2026-12-03T09:00:00Z' }),
    ).toBe('unknown');
    expect(groupOf(auditProbe({ INPUT: { policy: 'DROP', rules: [office] } }), '203.0.113.5')!.verdict).toBe(
      'unknown',
    );
  });
});
