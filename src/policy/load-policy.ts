import { visit } from 'yaml';
import { diag, hasErrors } from '../model/diagnostic.js';
import type { Diagnostic, Result } from '../model/diagnostic.js';
import type { Policy } from '../model/policy.js';
import { buildNative } from './build-native.js';
import { buildPyfw } from './build-pyfw.js';
import { parseCollecting } from './collect-issues.js';
import { BuildContext } from './context.js';
import { checkKeyNames } from './key-names.js';
import { checkRuleReferences } from './rule-references.js';
import { pyfwSchema } from './pyfw-schema.js';
import {
  putBackPyfwRuleLists,
  putBackRuleLists,
  setAsidePyfwRuleLists,
  setAsideRuleLists,
} from './rule-lists.js';
import { policySchema } from './schema.js';
import { YamlSource } from './yaml-source.js';
import type { ReadMemberFile } from './member-files.js';

export interface LoadPolicyOptions {
  /** Reads the files `members_from:` names (relative to the policy file); without it they are errors. */
  readMemberFile?: ReadMemberFile;
  /** Read the YAML with yaml's full document path only, never the fast block reader (for comparing). */
  fullYaml?: boolean;
}

/**
 * Reads a policy file: the native format (`dockwall: 1`) or a pyfw wishes file (`pyfw_wishes:`).
 * Every problem comes back as a diagnostic positioned in `file`; `value` is absent when there are
 * errors. Never throws on bad input.
 */
export function loadPolicy(text: string, file: string, opts: LoadPolicyOptions = {}): Result<Policy> {
  try {
    return load(text, file, opts);
  } catch (e) {
    // A bug in the loader must not take the caller down with a stack trace about YAML internals.
    const message = e instanceof Error ? e.message : String(e);
    return {
      diagnostics: [
        diag('error', 'policy.internal', `the policy could not be read: ${message}`, {
          file,
          line: 1,
          column: 1,
        }),
      ],
    };
  }
}

function load(text: string, file: string, opts: LoadPolicyOptions): Result<Policy> {
  const src = new YamlSource(text, file, !opts.fullYaml);
  const diagnostics: Diagnostic[] = src.yamlDiagnostics();
  if (hasErrors(diagnostics)) return { diagnostics };

  const root = src.rootKind();
  if (root === 'empty') {
    diagnostics.push(
      diag(
        'error',
        'policy.empty',
        'the policy file is empty',
        { file, line: 1, column: 1 },
        {
          hint: 'a dockwall policy starts with `dockwall: 1`',
        },
      ),
    );
    return { diagnostics };
  }
  if (root !== 'map') {
    const span = src.startSpan();
    diagnostics.push(
      diag(
        'error',
        'policy.not-a-map',
        'a policy file is a map of sections (`dockwall: 1`, `ipsets:`, `filter:` ...)',
        span.pos,
        {
          length: span.length,
        },
      ),
    );
    return { diagnostics };
  }

  const keyProblems = checkKeyNames(src);
  if (keyProblems.length > 0) return { diagnostics: sorted([...diagnostics, ...keyProblems]) };

  const data = toData(src);
  if (!data.ok) {
    diagnostics.push(data.diagnostic);
    return { diagnostics };
  }
  // Values the schema refuses are reported and set aside; the rest is still built and checked, so
  // one run reports every problem in the file.
  const isPyfw = src.mapKeys([]).some((k) => k.key === 'pyfw_wishes');
  let policy: Policy;
  let ctx: BuildContext;
  if (isPyfw) {
    const aside = setAsidePyfwRuleLists(data.value);
    const parsed = parseCollecting(pyfwSchema, data.value, src);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.ok) return { diagnostics: sorted(diagnostics) };
    putBackPyfwRuleLists(parsed.data, aside);
    ctx = new BuildContext(src, opts.readMemberFile, parsed.dropped);
    policy = buildPyfw(ctx, parsed.data);
    checkRuleReferences(ctx, policy, parsed.data.extensions);
  } else {
    // Rule lists that plainly fit the schema skip it (the schema's per-rule work is most of its time).
    const aside = setAsideRuleLists(data.value);
    const parsed = parseCollecting(policySchema, data.value, src);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.ok) return { diagnostics: sorted(diagnostics) };
    putBackRuleLists(parsed.data, aside);
    ctx = new BuildContext(src, opts.readMemberFile, parsed.dropped);
    policy = buildNative(ctx, parsed.data);
    checkRuleReferences(ctx, policy, parsed.data.extensions);
  }
  diagnostics.push(...ctx.diagnostics);
  sorted(diagnostics);
  return hasErrors(diagnostics) ? { diagnostics } : { value: policy, diagnostics };
}

/** Diagnostics in file order (the sort is stable: same position keeps the order found). */
function sorted(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.column ?? 0) - (b.pos?.column ?? 0),
  );
}

/**
 * The document as plain data. yaml reports an alias without an anchor before it, or aliases that
 * expand too much, only when converting: those become a diagnostic on the first such alias.
 */
function toData(src: YamlSource): { ok: true; value: unknown } | { ok: false; diagnostic: Diagnostic } {
  try {
    // A document the block reader read has no aliases: its data is the reader's own.
    return { ok: true, value: src.toJS(1000) };
  } catch (e) {
    let at: [number, number] | undefined;
    let unresolved: string | undefined;
    visit(src.doc, {
      Alias(_, node) {
        at ??= node.range ? [node.range[0], node.range[1]] : undefined;
        if (node.resolve(src.doc) === undefined) {
          unresolved = node.source;
          at = node.range ? [node.range[0], node.range[1]] : at;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    const span = at ? src.spanOf(at[0], at[1]) : src.startSpan();
    const message =
      unresolved !== undefined
        ? `YAML: the alias \`*${unresolved}\` refers to no anchor \`&${unresolved}\` defined before it`
        : `YAML: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, diagnostic: diag('error', 'yaml.alias', message, span.pos, { length: span.length }) };
  }
}
