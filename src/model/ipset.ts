import type { SourcePos } from './diagnostic.js';

/** `family inet` (IPv4) or `family inet6` (IPv6), as ipset names them. */
export type IpSetFamily = 'inet' | 'inet6';

/** One set: `create NAME TYPE [options]` and its `add NAME MEMBER` lines. */
export interface IpSet {
  name: string;
  /** e.g. `hash:ip`, `hash:net`, `hash:ip,port`, `list:set`. */
  type: string;
  family?: IpSetFamily;
  /**
   * Creation options in the order written, without `family` (kept apart above). Flags without a
   * value (`counters`, `comment`, `skbinfo`) have the value `true`.
   */
  options: Array<[string, string | true]>;
  /** Members in canonical spelling (addresses compressed, /32 and /128 dropped), in order read. */
  members: string[];
  pos?: SourcePos;
}

export interface IpSetState {
  sets: IpSet[];
}
