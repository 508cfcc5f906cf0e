declare const DOCKWALL_VERSION: string | undefined;
/**
 * The version the bundle was built as (0.1.0 when run from the sources). A module of its own: the
 * entry point imports it for `--version`, and must not pull in any command's code with it.
 */
export const dockwallVersion = (): string =>
  typeof DOCKWALL_VERSION === 'string' ? DOCKWALL_VERSION : '0.1.0';
