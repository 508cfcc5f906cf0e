import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Pair } from 'yaml';
import { diag, hasNonPrintable, printable } from '../model/index.js';
import type { Diagnostic } from '../model/index.js';
import type { YamlSource } from './yaml-source.js';

/**
 * Checks every map key of a policy before anything is built from it, and every `name:` value.
 *
 * `__proto__` is refused wherever it is a key: JavaScript objects built from the file (and zod's
 * records) would take it as the object's prototype and drop the entry, so a set, chain or pyfw
 * section of that name would vanish while validate said "valid". Names (keys, and `name:` values)
 * may not hold control or format characters: they are printed in plans and logs.
 */
export function checkKeyNames(src: YamlSource): Diagnostic[] {
  const out: Diagnostic[] = [];
  // The fast reader leaves every text with a `__proto__` key or a control or format character to
  // yaml: a text it read has nothing to report.
  if (src.readFast) return out;
  const report = (code: string, message: string, range: readonly number[] | undefined, hint?: string) => {
    const span = range ? src.spanOf(range[0]!, range[1]!) : src.startSpan();
    const extra: { length?: number; hint?: string } = {};
    if (span.length !== undefined) extra.length = span.length;
    if (hint !== undefined) extra.hint = hint;
    out.push(diag('error', code, message, span.pos, extra));
  };
  // Every pair of every map, in document order (yaml's `visit` order, without its path arrays).
  const walk = (node: unknown): void => {
    if (isMap(node) || isSeq(node)) {
      const inMap = isMap(node);
      for (const item of node.items) {
        if (isPair(item)) {
          if (inMap) checkPair(item);
          walk(item.key);
          walk(item.value);
        } else {
          walk(item);
        }
      }
    }
  };
  const checkPair = (pair: Pair): void => {
    if (!isScalar(pair.key)) return;
    const key = pair.key.value;
    if (typeof key !== 'string') return;
    if (key === '__proto__') {
      report(
        'policy.reserved-key',
        '`__proto__` cannot be a name here: it is reserved in the JavaScript objects a policy is read into',
        pair.key.range ?? undefined,
        'choose another name',
      );
    } else if (hasNonPrintable(key)) {
      report(
        'policy.control-character',
        `the key \`${printable(key)}\` holds a control character: names are printed in plans and logs`,
        pair.key.range ?? undefined,
      );
    }
    if (key === 'name' && isScalar(pair.value) && typeof pair.value.value === 'string') {
      if (hasNonPrintable(pair.value.value)) {
        report(
          'policy.control-character',
          `the name \`${printable(pair.value.value)}\` holds a control character: names are printed in plans and logs`,
          pair.value.range ?? undefined,
        );
      }
    }
  };
  walk(src.doc.contents);
  return out;
}
