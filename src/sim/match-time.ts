import type { MatchModule } from '../model/ruleset.js';
import { arg, fail, type CompiledMatches } from './match-common.js';

// Local copies of thread.ts's NO/YES/UNK: hot paths read them without a module lookup.
const NO = 0;
const YES = 1;
const UNK = 2;

const DAY = 86400;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]` in UTC (as iptables reads `--datestart`), in epoch seconds. */
export function parseTimeDate(text: string): number | undefined {
  const m = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:T(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?)?)?)?$/.exec(text);
  if (!m) return undefined;
  const n = (i: number, d: number) => (m[i] === undefined ? d : Number(m[i]));
  const ms = Date.UTC(n(1, 0), n(2, 1) - 1, n(3, 1), n(4, 0), n(5, 0), n(6, 0));
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** `hh:mm[:ss]` → seconds into the day. */
export function parseDaytime(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(text);
  if (!m) return undefined;
  const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  return h < 24 && mi < 60 && s < 60 ? h * 3600 + mi * 60 + s : undefined;
}

/** `Mon,Tue` or `1,2` (1 = Monday … 7 = Sunday) → bit mask with bit d for weekday d. */
function parseWeekdays(text: string): number {
  let mask = 0;
  for (const w of text.split(',')) {
    const i = /^[1-7]$/.test(w)
      ? Number(w)
      : WEEKDAYS.findIndex((d) => d.toLowerCase() === w.toLowerCase()) + 1;
    if (i < 1) fail(`weekday ${w}`);
    mask |= 1 << i;
  }
  return mask;
}

function parseMonthdays(text: string): number {
  let mask = 0;
  for (const d of text.split(',')) {
    if (!/^\d{1,2}$/.test(d) || Number(d) < 1 || Number(d) > 31) fail(`day of the month ${d}`);
    mask |= 1 << Number(d);
  }
  return mask >>> 0;
}

export interface TimeSpec {
  dateStart: number;
  dateStop: number;
  dayStart: number;
  dayStop: number;
  weekdays: number;
  monthdays: number;
  contiguous: boolean;
}

const ALL_WEEKDAYS = 0xfe;
const ALL_MONTHDAYS = 0xfffffffe;

/** xt_time's test of an instant (epoch seconds, UTC) against a rule's window. */
export function timeMatches(s: TimeSpec, stamp: number): boolean {
  if (stamp < s.dateStart || stamp > s.dateStop) return false;
  const inDay = ((stamp % DAY) + DAY) % DAY;
  if (s.dayStart < s.dayStop) {
    if (inDay < s.dayStart || inDay > s.dayStop) return false;
  } else {
    if (inDay < s.dayStart && inDay > s.dayStop) return false;
    // --contiguous: the early hours after midnight belong to the day the window started.
    if (s.contiguous && inDay <= s.dayStop) stamp -= DAY;
  }
  const date = new Date(stamp * 1000);
  const weekday = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
  if (!(s.weekdays & (1 << weekday))) return false;
  if (s.monthdays !== ALL_MONTHDAYS && !((s.monthdays >>> 0) & (1 << date.getUTCDate()))) return false;
  return true;
}

/**
 * `-m time`: the probe's instant (trace `--at`), in UTC as the kernel takes it by default. With
 * `--kerneltz` the kernel's time zone, which the host model does not give, decides: unknown.
 */
export function compileTime(m: MatchModule, out: CompiledMatches): void {
  const s: TimeSpec = {
    dateStart: 0,
    dateStop: 0x7fffffff,
    dayStart: 0,
    dayStop: DAY - 1,
    weekdays: ALL_WEEKDAYS,
    monthdays: ALL_MONTHDAYS,
    contiguous: false,
  };
  let kernelTz = false;
  for (const o of m.options) {
    const neg = o.negated;
    if (neg && o.name !== '--weekdays' && o.name !== '--monthdays') fail(`-m time ! ${o.name}`);
    switch (o.name) {
      case '--datestart':
      case '--datestop': {
        const v = parseTimeDate(arg(o));
        if (v === undefined) fail(`date ${arg(o)}`);
        if (o.name === '--datestart') s.dateStart = v;
        else s.dateStop = v;
        break;
      }
      case '--timestart':
      case '--timestop': {
        const v = parseDaytime(arg(o));
        if (v === undefined) fail(`time of day ${arg(o)}`);
        if (o.name === '--timestart') s.dayStart = v;
        else s.dayStop = v;
        break;
      }
      case '--weekdays':
        s.weekdays = neg ? ~parseWeekdays(arg(o)) & ALL_WEEKDAYS : parseWeekdays(arg(o));
        break;
      case '--monthdays':
        s.monthdays = neg ? (~parseMonthdays(arg(o)) & ALL_MONTHDAYS) >>> 0 : parseMonthdays(arg(o));
        break;
      case '--contiguous':
        s.contiguous = true;
        break;
      case '--kerneltz':
      case '--localtz':
        kernelTz = true;
        break;
      case '--utc':
        break;
      default:
        fail(`-m time ${o.name}`);
    }
  }
  out.checks.push((t) => {
    if (kernelTz) {
      t.why = "the kernel's time zone (-m time --kerneltz)";
      return UNK;
    }
    const at = t.probe.at;
    if (at === undefined) {
      t.why = 'the time the packet passes (trace --at)';
      return UNK;
    }
    return timeMatches(s, at) ? YES : NO;
  });
}
