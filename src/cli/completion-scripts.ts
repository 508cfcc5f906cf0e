import type { CommandDoc } from './command-docs.js';
import { allCommands } from './command-docs.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** A command's place in the tree, as the scripts name it: `dockwall`, `dockwall tls check`. */
const key = (c: CommandDoc): string => ['dockwall', ...c.path].join(' ');
const flagsOf = (c: CommandDoc): string[] => c.options.flatMap((o) => [o.short, o.long].filter(isSet));
const valueFlags = (c: CommandDoc): string[] =>
  c.options.filter((o) => o.takesValue).flatMap((o) => [o.short, o.long].filter(isSet));
const words = (c: CommandDoc): string[] => [
  ...c.subcommands.map((s) => s.path.at(-1)!),
  ...c.args.flatMap((a) => a.choices ?? []),
];

function isSet(s: string | undefined): s is string {
  return s !== undefined;
}

/** Single-quoted for sh, bash, zsh and fish alike (none of the words holds a quote). */
function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
function fishQ(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The script for one shell, from the same command tree `--help` prints. */
export function completionScript(shell: Shell, program: CommandDoc): string {
  const cmds = allCommands(program);
  if (shell === 'bash') return bashScript(cmds);
  if (shell === 'zsh') return zshScript(cmds);
  return fishScript(cmds);
}

/**
 * bash: the words before the cursor that name commands give the command path; then a word starting
 * with `-` completes that command's options, another word its subcommands (or argument choices),
 * and the value of an option that takes one falls back to file names (`complete -o default`).
 */
function bashScript(cmds: CommandDoc[]): string {
  const cases = (f: (c: CommandDoc) => string[]) =>
    cmds.map((c) => `    ${sq(key(c))}) echo ${sq(f(c).join(' '))} ;;`).join('\n');
  return `# bash completion for dockwall (dockwall completion bash); generated from its command definitions.
_dockwall_words() {
  case "$1" in
${cases(words)}
  esac
}
_dockwall_options() {
  case "$1" in
${cases(flagsOf)}
  esac
}
_dockwall_value_options() {
  case "$1" in
${cases(valueFlags)}
  esac
}
_dockwall() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} path=dockwall i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    case "$w" in -*) continue ;; esac
    case " $(_dockwall_words "$path") " in *" $w "*) path="$path $w" ;; esac
  done
  COMPREPLY=()
  if [[ $COMP_CWORD -gt 1 && $prev == -* ]]; then
    case " $(_dockwall_value_options "$path") " in *" $prev "*) return 0 ;; esac
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_dockwall_options "$path")" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "$(_dockwall_words "$path")" -- "$cur")
  fi
  return 0
}
complete -o default -F _dockwall dockwall
`;
}

/** zsh: the same walk as bash, with each command's and option's description shown. */
function zshScript(cmds: CommandDoc[]): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  const entries = (f: (c: CommandDoc) => string[]) =>
    cmds.map((c) => `  ${sq(key(c))} ${sq(f(c).join('\n'))}`).join('\n');
  const described = (c: CommandDoc): string[] => [
    ...c.subcommands.map((s) => `${esc(s.path.at(-1)!)}:${esc(s.description)}`),
    ...c.args.flatMap((a) => (a.choices ?? []).map((v) => `${esc(v)}:${esc(a.name)}`)),
  ];
  const options = (c: CommandDoc): string[] =>
    c.options.flatMap((o) => [o.short, o.long].filter(isSet).map((f) => `${esc(f)}:${esc(o.description)}`));
  return `#compdef dockwall
# zsh completion for dockwall (dockwall completion zsh); generated from its command definitions.
typeset -gA _dockwall_words _dockwall_options _dockwall_value_options
_dockwall_words=(
${entries(described)}
)
_dockwall_options=(
${entries(options)}
)
_dockwall_value_options=(
${entries((c) => valueFlags(c))}
)

_dockwall() {
  local cmdpath=dockwall w i
  local -a names choices
  for (( i = 2; i < CURRENT; i++ )); do
    w=\${words[i]}
    [[ $w == -* ]] && continue
    names=(\${\${(f)_dockwall_words[$cmdpath]}%%:*})
    (( \${names[(Ie)$w]} )) && cmdpath="$cmdpath $w"
  done
  if (( CURRENT > 2 )) && [[ \${words[CURRENT-1]} == -* ]]; then
    choices=(\${(f)_dockwall_value_options[$cmdpath]})
    if (( \${choices[(Ie)\${words[CURRENT-1]}]} )); then
      _files
      return
    fi
  fi
  if [[ $PREFIX == -* ]]; then
    choices=(\${(f)_dockwall_options[$cmdpath]})
    _describe -t options option choices
  elif [[ -n \${_dockwall_words[$cmdpath]} ]]; then
    choices=(\${(f)_dockwall_words[$cmdpath]})
    _describe -t commands command choices
  else
    _files
  fi
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _dockwall "$@"
else
  compdef _dockwall dockwall
fi
`;
}

/** fish: one `complete` line per command and option, conditioned on the command path typed so far. */
function fishScript(cmds: CommandDoc[]): string {
  const lines = [
    '# fish completion for dockwall (dockwall completion fish); generated from its command definitions.',
    'function __dockwall_path',
    '    set -l path dockwall',
    '    for w in (commandline -opc)[2..-1]',
    "        string match -q -- '-*' $w; and continue",
    '        contains -- "$path $w" $__dockwall_commands; and set path "$path $w"',
    '    end',
    '    echo $path',
    'end',
    `set -g __dockwall_commands ${cmds.map((c) => fishQ(key(c))).join(' ')}`,
    'complete -c dockwall -f',
  ];
  for (const c of cmds) {
    const cond = `-n ${fishQ(`test (__dockwall_path) = ${fishQ(key(c))}`)}`;
    for (const s of c.subcommands)
      lines.push(`complete -c dockwall ${cond} -a ${fishQ(s.path.at(-1)!)} -d ${fishQ(s.description)}`);
    for (const a of c.args) {
      if (a.choices) lines.push(`complete -c dockwall ${cond} -a ${fishQ(a.choices.join(' '))}`);
      else lines.push(`complete -c dockwall ${cond} -F`);
    }
    for (const o of c.options) {
      const flags = [o.short ? `-s ${o.short.slice(1)}` : '', o.long ? `-l ${o.long.slice(2)}` : '']
        .filter((x) => x !== '')
        .join(' ');
      const value = o.takesValue ? (o.choices ? ` -x -a ${fishQ(o.choices.join(' '))}` : ' -r -F') : '';
      lines.push(`complete -c dockwall ${cond} ${flags}${value} -d ${fishQ(o.description)}`);
    }
  }
  return lines.join('\n') + '\n';
}
