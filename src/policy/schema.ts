import * as z from 'zod';

/**
 * The native policy format (`dockwall: 1`), as a zod schema. It checks the shape of the file
 * (keys, types, enums, name spelling); what needs more than the shape (addresses, port ranges,
 * references between sections, rule text) is checked while the policy is built.
 * The JSON Schema in schema/dockwall-policy.schema.json is generated from it.
 */

export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const NAME_MESSAGE = 'a name uses only letters, digits, `_`, `.` and `-`';

/** One-key rule maps must not use the explicit form's keys as a rule name. */
export const ONE_KEY_NAME_PATTERN = /^(?!name$|rule$)[A-Za-z0-9_.-]+$/;

export const SET_TYPES = [
  'hash:ip',
  'hash:net',
  'hash:ip,port',
  'hash:net,port',
  'hash:ip,port,ip',
  'hash:ip,port,net',
  'hash:net,port,net',
  'hash:net,net',
  'hash:ip,mark',
  'hash:net,iface',
  'hash:mac',
  'hash:ip,mac',
  'bitmap:ip',
  'bitmap:ip,mac',
  'bitmap:port',
  'list:set',
] as const;

const PORT_MESSAGE = 'a port is a number from 1 to 65535, or a range `LOW:HIGH`';

const name = (what: string) =>
  z
    .string()
    .max(128, { error: 'a name is at most 128 characters (it goes into the rule comment)' })
    .regex(NAME_PATTERN, { error: NAME_MESSAGE })
    .describe(what);

export const setName = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,31}$/, {
    error: 'an ipset name is 1 to 31 letters, digits, `_`, `.`, `:` or `-`',
  })
  .describe('The name of an ipset declared under `ipsets`.');

const iface = z
  .string()
  .regex(/^[A-Za-z0-9_.@+-]{1,15}$/, {
    error: 'an interface name is 1 to 15 letters, digits, `_`, `.`, `@`, `-` (`+` as a wildcard)',
  })
  .describe('A network interface name, e.g. `eth0`; a trailing `+` matches every name with that prefix.');

const port = z
  .union([
    z.int().min(1, { error: PORT_MESSAGE }).max(65535, { error: PORT_MESSAGE }),
    z.string().regex(/^\d{1,5}([:-]\d{1,5})?$/, { error: PORT_MESSAGE }),
  ])
  .describe('A port (`22`) or an inclusive range (`"8000:8010"`).');

const address = z
  .string()
  .describe(
    'An IPv4 or IPv6 address or network in CIDR notation: `192.168.1.10`, `10.0.0.0/8`, `fd00::/64`.',
  );

const positiveInt = (what: string) =>
  z
    .int()
    .min(0, { error: 'must be a whole number, 0 or more' })
    .max(4294967295, { error: 'must be below 2^32' })
    .describe(what);

const ipsetOptions = z
  .strictObject({
    hashsize: positiveInt('Initial hash size (hash types).'),
    maxelem: positiveInt('Maximal number of members (hash types).'),
    timeout: positiveInt('Default timeout of members in seconds; 0 means members never expire.'),
    netmask: positiveInt('Store addresses as networks of this prefix length (hash:ip, bitmap:ip).'),
    bucketsize: positiveInt('Bucket size of the hash (ipset 7.11+).'),
    size: positiveInt('Maximal number of sets (list:set).'),
    range: z.string().describe('Address or port range of a bitmap set: `192.168.0.0/16`, `1-1024`.'),
    markmask: z.union([z.int().min(0).max(4294967295), z.string()]).describe('Mark mask (hash:ip,mark).'),
    initval: z.string().describe('Initial hash seed, e.g. `0xa6b1a53a`.'),
    counters: z.boolean().describe('Keep packet and byte counters per member.'),
    comment: z.boolean().describe('Allow a comment per member.'),
    skbinfo: z.boolean().describe('Store skb info (mark, priority, queue) per member.'),
    forceadd: z.boolean().describe('When full, evict a random member to add a new one.'),
  })
  .partial()
  .describe('Creation options, as `ipset create` takes them. A change to these recreates the set.');

const ipset = z
  .strictObject({
    type: z.enum(SET_TYPES).describe('The ipset type, e.g. `hash:ip` or `hash:net`.'),
    family: z
      .enum(['inet', 'inet6'])
      .optional()
      .describe('Address family of the members: `inet` (IPv4, the default) or `inet6` (IPv6).'),
    options: ipsetOptions.optional(),
    members: z
      .array(z.union([z.string(), z.number()]))
      .optional()
      .describe(
        'The exact member list: members not listed here are removed. A member may carry ipset\'s options after it: `10.66.0.0/16 nomatch`, `10.1.2.0/24 comment "build farm"`, skbmark/skbprio/skbqueue. Default: no members.',
      ),
    members_from: z
      .string()
      .min(1, { error: 'must name a file' })
      .optional()
      .describe(
        'A file of more members, one per line (`#` comments and blank lines are ignored; FireHOL `.netset`/`.ipset` lists load as they are), relative to the policy file. Its members join `members`.',
      ),
  })
  .describe('An ipset that dockwall creates and keeps in sync.');

const families = (description: string) =>
  z
    .array(z.enum(['ipv4', 'ipv6']))
    .min(1, { error: 'list at least one family: `ipv4`, `ipv6`' })
    .describe(description);

const ipv6Essentials = z
  .union([
    z.boolean(),
    z.array(z.enum(['neighbour-discovery', 'router-discovery', 'multicast-listener', 'dhcpv6-client'])),
  ])
  .describe(
    'IPv6 traffic the filter lets in before its allow list, so IPv6 keeps working: ICMPv6 neighbour ' +
      'discovery (135–137) and router discovery (133, 134) with hop limit 255, multicast listener ' +
      'discovery (130–132, 143) from link-local addresses, DHCPv6 replies to udp/546 on link-local ' +
      'addresses. Default `true` (all four); `false` or a shorter list turns them off.',
  );

const proto = z
  .enum(['tcp', 'udp', 'icmp', 'icmpv6', 'any'])
  .describe('Protocol. Default: `tcp` when `ports` are given, else `any`.');

const sharedAllow = z
  .strictObject({
    name: name('Name of this entry; it names the generated rules.'),
    proto: proto.optional(),
    ports: z
      .array(port)
      .optional()
      .describe(
        'Destination ports as the client sees them (before Docker rewrites them). Default: all ports.',
      ),
    sources: z
      .array(address)
      .optional()
      .describe('Allowed source addresses or networks. Default: any source.'),
    sets: z.array(setName).optional().describe('ipsets whose members are allowed sources.'),
  })
  .describe('Who may reach which ports, on the host itself and on published container ports.');

const sharedFilter = z
  .strictObject({
    interfaces: z
      .array(iface)
      .min(1, { error: 'list at least one external interface' })
      .describe('External interfaces: only packets entering on these are filtered.'),
    otherwise: z
      .enum(['drop', 'reject'])
      .optional()
      .describe('What happens to packets no entry allows: `drop` (default) or `reject`.'),
    allow: z.array(sharedAllow).optional().describe('What is allowed, first match wins.'),
    families: families(
      'Address families the shared filter covers. Default: every family the host has (both on a ' +
        'dual-stack host). A family left out is not filtered at all: only do it on purpose.',
    ).optional(),
    ipv6_essentials: ipv6Essentials.optional(),
  })
  .describe(
    'The shared filter: one list of what may enter from outside, for the host and for containers alike.',
  );

const containerAllow = z
  .strictObject({
    name: name('Name of this entry; it names the generated rules.'),
    container: z
      .string()
      .min(1, { error: 'must not be empty' })
      .optional()
      .describe('Select the container by name.'),
    labels: z
      .record(z.string(), z.string())
      .optional()
      .describe('Select containers carrying all these labels.'),
    compose: z
      .strictObject({
        project: z
          .string()
          .min(1, { error: 'must not be empty' })
          .optional()
          .describe('Docker Compose project name.'),
        service: z
          .string()
          .min(1, { error: 'must not be empty' })
          .optional()
          .describe('Docker Compose service name.'),
      })
      .optional()
      .describe('Select containers of a Docker Compose project and/or service.'),
    ports: z
      .array(z.int().min(1, { error: PORT_MESSAGE }).max(65535, { error: PORT_MESSAGE }))
      .optional()
      .describe('Container (private) ports to allow. Default: every published port of the container.'),
    proto: z.enum(['tcp', 'udp']).optional().describe('Protocol. Default: both.'),
    sources: z
      .array(address)
      .optional()
      .describe('Allowed source addresses or networks. Default: any source.'),
    sets: z.array(setName).optional().describe('ipsets whose members are allowed sources.'),
    families: families(
      'Address families this grant applies to. Default: every family the host has. Over a family ' +
        'left out, the grant allows nothing (published ports there are refused when unlisted ones are).',
    ).optional(),
  })
  .describe('Allow access to the published ports of selected containers.');

const explicitRule = z
  .strictObject({
    name: name('The rule name (unique in its chain); dockwall tags the live rule with it.'),
    rule: z
      .string()
      .describe('The rule as iptables options, without `-A CHAIN`: `-p tcp --dport 22 -j ACCEPT`.'),
  })
  .describe('A named rule, explicit form.');

const oneKeyRule = z
  .record(
    z
      .string()
      .max(128, { error: 'a name is at most 128 characters (it goes into the rule comment)' })
      .regex(ONE_KEY_NAME_PATTERN, { error: NAME_MESSAGE }),
    z.string().describe('The rule as iptables options, without `-A CHAIN`.'),
  )
  .refine((o) => Object.keys(o).length === 1, {
    error: 'a rule entry is one `NAME: RULE TEXT` pair, or the explicit form `{name: NAME, rule: RULE TEXT}`',
  })
  .meta({ minProperties: 1, maxProperties: 1 })
  .describe('A named rule, short form: `NAME: RULE TEXT`.');

/** One entry of a chain's `rules:` (src/policy/rule-lists.ts reads plain entries without it). */
export const ruleEntry = z.union([explicitRule, oneKeyRule]);

const chain = z
  .strictObject({
    policy: z
      .enum(['ACCEPT', 'DROP'])
      .optional()
      .describe('Default policy; only for built-in chains (INPUT, FORWARD, OUTPUT, ...).'),
    rules: z
      .array(ruleEntry)
      .optional()
      .describe('The named rules dockwall manages in this chain, in this order.'),
  })
  .describe(
    'A chain: a built-in chain (dockwall manages its named rules and leaves other rules alone) ' +
      'or a user chain (dockwall owns it wholly).',
  )
  .meta({ id: 'chain' });

export const chainName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,27}$/, {
  error: 'a chain name is 1 to 28 letters, digits, `_`, `.`, `:`, `+` or `-`',
});

const chains = (table: string) =>
  z.record(chainName, chain).optional().describe(`Chains of the \`${table}\` table, by name.`);

const familyTables = z
  .strictObject({
    filter: chains('filter'),
    nat: chains('nat'),
    mangle: chains('mangle'),
    raw: chains('raw'),
    security: chains('security'),
  })
  .meta({ id: 'tables' });

const host = z
  .strictObject({
    interfaces: z
      .record(iface, z.array(z.string()).describe('Addresses with prefix length: `192.168.122.190/24`.'))
      .describe("The host's interfaces and their addresses."),
    routes: z
      .array(
        z.strictObject({
          destination: z.string().describe('Destination prefix or `default`.'),
          device: iface,
          via: z.string().optional().describe('Gateway address.'),
        }),
      )
      .optional()
      .describe('Routes beyond the connected networks.'),
  })
  .describe('A description of the host, so `dockwall check` can prove the expectations offline.');

const expectation = z
  .strictObject({
    name: z.string().optional().describe('What this expectation is about.'),
    from: z.string().describe('Source address of the packet.'),
    to: z
      .string()
      .describe(
        'Destination `ADDR[:PORT][/tcp|udp|icmp|icmpv6]`; IPv6 as `[ADDR]:PORT/tcp`. ' +
          'Protocol default: `tcp` with a port, else ICMP.',
      ),
    in: iface.optional().describe("Interface the packet enters on. Default: found from the host's routes."),
    ct_state: z
      .enum(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID'])
      .optional()
      .describe('Connection tracking state of the packet. Default: NEW.'),
    verdict: z.enum(['accept', 'drop', 'reject']).describe('What must happen to the packet.'),
  })
  .describe('A packet and what the firewall must do with it; `dockwall check` proves it.');

const extensionName = z.string().regex(/^[A-Za-z0-9_-]{1,28}$/, {
  error: 'an extension name is 1 to 28 letters, digits, `_` or `-`',
});

/** Shared by the native format and pyfw files (there at the top level, beside `pyfw_wishes`). */
export const extensions = z
  .strictObject({
    matches: z
      .array(extensionName)
      .optional()
      .describe('Match modules (`-m NAME`) beyond those iptables 1.8.9 ships, e.g. `geoip`.'),
    targets: z
      .array(extensionName)
      .optional()
      .describe('Targets (`-j NAME`) beyond those iptables 1.8.9 ships, e.g. `TARPIT`.'),
  })
  .describe(
    'Extensions dockwall does not know (xtables-addons and the like). A rule may use them; plan and ' +
      'apply check on the live host that iptables can load each one.',
  );

export const policySchema = z
  .strictObject({
    dockwall: z.literal(1).describe('Format version of this file; must be 1.'),
    ipsets: z
      .record(setName, ipset)
      .optional()
      .describe('ipsets dockwall creates and keeps in sync, by name.'),
    filter: sharedFilter.optional(),
    containers: z.array(containerAllow).optional().describe('Container-aware rules for published ports.'),
    deny_unlisted_published: z
      .boolean()
      .optional()
      .describe(
        'Deny published ports that no `containers` entry allows. Default: true when `containers` is present.',
      ),
    ipv4: familyTables.optional().describe('IPv4 (iptables) rules, by table and chain.'),
    ipv6: familyTables.optional().describe('IPv6 (ip6tables) rules, by table and chain.'),
    host: host.optional(),
    expect: z.array(expectation).optional().describe('Expectations that `dockwall check` proves.'),
    extensions: extensions.optional(),
  })
  .describe("A dockwall policy: the firewall this host should have, next to Docker's own rules.");

export type NativePolicyInput = z.infer<typeof policySchema>;
export type NativeChainInput = z.infer<typeof chain>;
export type NativeIpsetInput = z.infer<typeof ipset>;
