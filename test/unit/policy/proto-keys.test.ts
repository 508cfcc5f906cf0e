import { describe, expect, it } from 'vitest';
import { containerFromApi, parseDockerEvent } from '../../../src/docker/index.js';
import { ownValue } from '../../../src/model/index.js';
import { parsePort, parseProto } from '../../../src/sim/match-values.js';
import { errorsOf, yaml } from './helpers.js';

/** Issue 11, item 9: `__proto__` keys vanished from the objects a policy is read into. */
describe('__proto__ keys are refused with a position, never dropped', () => {
  const reserved = (line: number, column: number) => ({
    severity: 'error',
    code: 'policy.reserved-key',
    message:
      '`__proto__` cannot be a name here: it is reserved in the JavaScript objects a policy is read into',
    line,
    column,
  });

  it('as a native set name', () => {
    expect(
      errorsOf(
        yaml('dockwall: 1', 'ipsets:', '  __proto__:', '    type: hash:ip', '    members: [10.0.0.1]'),
      ),
    ).toEqual([reserved(3, 3)]);
  });

  it('as a native chain name', () => {
    expect(
      errorsOf(
        yaml('dockwall: 1', 'ipv4:', '  filter:', '    __proto__:', '      rules:', '        - x: -j DROP'),
      ),
    ).toEqual([reserved(4, 5)]);
  });

  it('as a label key of a container selector', () => {
    expect(
      errorsOf(
        yaml('dockwall: 1', 'containers:', '  - name: web', '    labels: { __proto__: x, tier: front }'),
      ),
    ).toEqual([reserved(4, 15)]);
  });

  it('as a pyfw set, chain and rule name', () => {
    expect(
      errorsOf(
        yaml(
          'pyfw_wishes:',
          '  ipsets:',
          '    __proto__:',
          '      type: hash:ip',
          '      members_equal: [10.0.0.1]',
          '  iptables:',
          '    filter:',
          '      __proto__:',
          '        rules:',
          '          - __proto__: -j ACCEPT',
        ),
      ),
    ).toEqual([reserved(3, 5), reserved(8, 7), reserved(10, 13)]);
  });
});

describe('lookups by outside keys see only their own entries', () => {
  it('a protocol or service named after an Object property is not one', () => {
    expect(parseProto('constructor')).toBeUndefined();
    expect(parsePort('__proto__')).toBeUndefined();
    expect(parsePort('toString')).toBeUndefined();
    expect(ownValue({ a: 1 }, 'hasOwnProperty')).toBeUndefined();
  });

  it("Docker's labels and event attributes keep a `__proto__` key as a key", () => {
    const c = containerFromApi({
      Id: 'abc',
      Names: ['/web'],
      Labels: JSON.parse('{"__proto__":"x","a":"b"}'),
    });
    expect(Object.keys(c!.labels).sort()).toEqual(['__proto__', 'a']);
    expect(c!.labels['__proto__']).toBe('x');
    const e = parseDockerEvent({
      Type: 'container',
      Action: 'start',
      Actor: { ID: 'abc', Attributes: JSON.parse('{"__proto__":"y"}') },
    });
    expect(e!.attributes['__proto__']).toBe('y');
  });
});
