import type { BuildContext } from './context.js';
import type { Path } from './yaml-source.js';

/** Reports a name used twice in one list, pointing at the second use and naming the first's line. */
export class UniqueNames {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ctx: BuildContext,
    private readonly what: string,
    private readonly where: string,
  ) {}

  /** Records a name; false (and an error) when it was already used. `onKey`: the name is a map key. */
  add(name: string, path: Path, onKey = false): boolean {
    const span = onKey ? this.ctx.keyAt(path) : this.ctx.at(path);
    const first = this.seen.get(name);
    if (first !== undefined) {
      this.ctx.error(
        'policy.duplicate-name',
        `${this.what} name \`${name}\` is used twice in ${this.where} (first on line ${first})`,
        span,
        `${this.what} names must be unique in ${this.where}`,
      );
      return false;
    }
    this.seen.set(name, span.pos.line);
    return true;
  }
}
