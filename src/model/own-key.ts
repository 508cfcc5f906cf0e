/**
 * A value of a lookup table by a key that came from outside (a rule's protocol, a chain name, a
 * label). `table[key]` on a plain object also finds what every object inherits: `constructor`
 * gives a function and `__proto__` the prototype. Only the table's own entries count here.
 */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/** An empty record without a prototype, for maps whose keys come from outside. */
export function keyedRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
