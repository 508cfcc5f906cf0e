import { describe, expect, it } from 'vitest';
import { initChunkMatches } from '../../../../src/sim/match-sctp.js';
import { inputVerdict } from './match-helpers.js';

const sctp = { proto: 'sctp' as const, dport: 3868 };

describe('-m sctp', () => {
  it('ports as for tcp and udp, only on sctp packets', () => {
    expect(inputVerdict(['-p sctp -m sctp --dport 3868 -j ACCEPT'], sctp)).toBe('accept');
    expect(inputVerdict(['-p sctp -m sctp --sport 1:1024 -j ACCEPT'], sctp)).toBe('drop');
    expect(inputVerdict(['-p sctp -m sctp ! --dport 3868 -j ACCEPT'], sctp)).toBe('drop');
    expect(inputVerdict(['-m sctp --dport 22 -j ACCEPT'])).toBe('drop');
  });

  it('--chunk-types on a NEW packet, which is an INIT chunk alone', () => {
    expect(inputVerdict(['-p sctp -m sctp --chunk-types any INIT,DATA -j ACCEPT'], sctp)).toBe('accept');
    expect(inputVerdict(['-p sctp -m sctp --chunk-types only INIT -j ACCEPT'], sctp)).toBe('accept');
    expect(inputVerdict(['-p sctp -m sctp --chunk-types all INIT,DATA -j ACCEPT'], sctp)).toBe('drop');
    expect(inputVerdict(['-p sctp -m sctp --chunk-types any DATA:Be -j ACCEPT'], sctp)).toBe('drop');
    expect(inputVerdict(['-p sctp -m sctp ! --chunk-types any DATA -j ACCEPT'], sctp)).toBe('accept');
    expect(
      inputVerdict(['-p sctp -m sctp --chunk-types any DATA -j ACCEPT'], { ...sctp, state: 'ESTABLISHED' }),
    ).toBe('unknown');
  });

  it('the chunk list: ALL, unknown names', () => {
    expect(initChunkMatches('all', 'INIT')).toBe(true);
    expect(initChunkMatches('any', 'ALL')).toBe(true);
    expect(initChunkMatches('all', 'ALL')).toBe(false);
    expect(() => initChunkMatches('any', 'BOGUS')).toThrow(/SCTP chunk type BOGUS/);
    // A chunk name the model does not know: the rule is taken both ways, never guessed.
    expect(inputVerdict(['-p sctp -m sctp --chunk-types any BOGUS -j ACCEPT'], sctp)).toBe('depends');
  });
});
