import fc from 'fast-check';

/**
 * Rule-body words for property tests: words that steer the parser, and values of every class the
 * dump reader's shapes tell apart (non-canonical spellings, negations, odd options, quoting).
 */
export const STRUCTURE = [
  '-s',
  '-d',
  '-i',
  '-o',
  '-p',
  '-f',
  '-m',
  '-j',
  '-g',
  '-c',
  '!',
  '--source',
  '--src',
  '--dst',
  '--prot',
  '--proto',
  '--protocol',
  '--ma',
  '--match',
  '--match=tcp',
  '--ju',
  '--jump',
  '--go',
  '--goto',
  '--',
  '-',
  '-x',
  '-A',
  '-D',
  '--append',
  '--dport',
  '--dports',
  '--sport',
  '--ctstate',
  '--comment',
  '--log-prefix',
  '--match-set',
  '--set-xmark',
  '--to-destination',
  '--reject-with',
  '--tcp-flags',
  '--syn',
  '--state',
  '--foo',
  '--icmp-type',
  '-ptcp',
  '--mac-source',
  '--mac',
  '--m',
  '--s',
  '--sou',
  '--d',
  '--destination',
  '--src=1.2.3.4',
  '--dst=10.0.1.15-10.0.1.17',
];
export const NAMES = [
  'tcp',
  'udp',
  'icmp',
  'TCP',
  'all',
  'comment',
  'conntrack',
  'multiport',
  'set',
  'state',
  'mark',
  'addrtype',
  'frobnicate',
  'ACCEPT',
  'DROP',
  'REJECT',
  'LOG',
  'DNAT',
  'MARK',
  'X',
  'RETURN',
  'DOCKER',
  'NOPE',
  'mac',
];
export const VALUES = [
  '22',
  '80',
  '0',
  '65535',
  '80:90',
  '0:65535',
  '1.2.3.4',
  '10.0.0.0/8',
  '1.2.3.4,5.6.7.8',
  'NEW,ESTABLISHED',
  'RELATED',
  'eth0',
  'docker0',
  '0x1/0x1',
  'src',
  'dst,dst',
  'icmp-port-unreachable',
  'x',
  '!x',
  '"a b"',
  '"-x"',
  "'q r'",
  '"\\"',
  'SYN,ACK',
  '12',
  '007',
  // Addresses and MACs: the parser judges these after -s, -d and --mac-source (issue 11, item 12).
  '10.0.1.15-10.0.1.17',
  '10.1',
  '1.2.3.4/33',
  '1..2',
  '1.2.3.4.5',
  '1.2.3.4/',
  '/8',
  '01.2.3.4/08',
  '1.2.3.4/0032',
  '1.2.3.4/255.255.0.0',
  '1.2.3.256',
  'fd00::1',
  '2001:db8::/32',
  '2001:db8::/ffff::',
  'host.example',
  '00:11:22:33:44:55',
  'XX:XX:XX:XX:XX:XX',
  '00-11-22-33-44-55',
  '"00:11:22:33:44:55"',
];

export const arbWord = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...STRUCTURE) },
  { weight: 3, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
);

/** Likely-valid bodies, so that shapes repeat with different values. */
export const TEMPLATES = [
  ['-s', 'A', '-p', 'tcp', '-m', 'tcp', '--dport', 'P', '-j', 'ACCEPT'],
  ['-p', 'tcp', '--dport', 'P', '-j', 'ACCEPT'],
  ['-s', 'A', '-j', 'X'],
  ['-c', 'P', 'P', '-s', 'A', '-j', 'DROP'],
  ['-m', 'conntrack', '--ctstate', 'V', '-j', 'ACCEPT'],
  ['-p', 'udp', '-m', 'multiport', '--dports', 'V', '-j', 'REJECT'],
  ['-m', 'frobnicate', '--foo', 'V', 'V', '-j', 'LOG', '--log-prefix', 'V'],
  ['!', '-s', 'A', '-p', 'tcp', '-m', 'tcp', '!', '--dport', 'P'],
  ['-p', 'tcp', '--dport', '!', 'P', '-j', 'ACCEPT'],
  ['-p', 'N', '--dport', 'P', '-j', 'N'],
  ['-m', 'N', '--ctstate', 'V', '-g', 'N'],
  ['--prot', 'N', '--ma', 'N', '--sport', 'P', '--ju', 'N', '--reject-with', 'V'],
  ['-d', 'A', '-j', 'N', '--to-destination', 'V'],
  ['-m', 'mac', '--mac-source', 'V', '-j', 'DROP'],
  ['-m', 'mac', '!', '--mac-source', 'V', '-s', 'V', '-j', 'DROP'],
  ['-s', '!', 'V', '-d', 'A', '-j', 'ACCEPT'],
];

export const arbFill = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.constantFrom('22', '1.2.3.4', '8080', '10.9.8.7/32', 'fd00::2', 'aa:bb:cc:dd:ee:ff'),
);

export const arbTemplateBody = fc
  .tuple(
    fc.constantFrom(...TEMPLATES),
    fc.array(arbFill, { minLength: 6, maxLength: 6 }),
    fc.array(fc.constantFrom(...NAMES), { minLength: 3, maxLength: 3 }),
  )
  .map(([t, fills, names]) => {
    let k = 0;
    let n = 0;
    return t.map((w) =>
      w === 'N'
        ? names[n++ % names.length]!
        : w === 'A' || w === 'P' || w === 'V'
          ? fills[k++ % fills.length]!
          : w,
    );
  });

export const arbBody = fc.oneof(arbTemplateBody, fc.array(arbWord, { maxLength: 9 }));

/** A body and siblings that differ from it in one word each: the same shape, or nearly. */
export const arbBodies = fc
  .tuple(
    arbBody,
    fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...VALUES), fc.constantFrom(...NAMES))), {
      maxLength: 3,
    }),
  )
  .map(([body, changes]) => [
    body,
    ...changes.map(([at, word]) =>
      body.map((w, i) => (body.length > 0 && i === at % body.length ? word : w)),
    ),
  ]);
