import type { Lab, LabHost } from './lab.js';

/** What came back for an SCTP INIT: an SCTP answer or ICMP protocol unreachable (the packet was
 * delivered), another ICMP unreachable (refused: REJECT), or nothing (dropped). */
export type SctpOutcome = 'delivered' | 'refused' | 'timeout';

// One INIT chunk (CRC32c as the kernel checks it) through a raw socket: node has no SCTP, and the
// kernel need not have it either. Prints what came back from the destination for these ports.
const SCTP_SCRIPT = `
import os, select, socket, struct, sys, time
dst, dport, sport, ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xffffffff
tag = int.from_bytes(os.urandom(4), 'big') | 1
init = struct.pack('!BBHIIHHI', 1, 0, 20, tag, 65535, 10, 10, tag)
head = struct.pack('!HHI', sport, dport, 0)
pkt = head + struct.pack('<I', crc32c(head + b'\\0\\0\\0\\0' + init)) + init
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(pkt, (dst, 0))
deadline = time.time() + ms / 1000
while True:
    left = deadline - time.time()
    if left <= 0:
        print('timeout'); break
    ready, _, _ = select.select([s, icmp], [], [], left)
    for sock in ready:
        data, addr = sock.recvfrom(4096)
        if addr[0] != dst:
            continue
        ihl = (data[0] & 15) * 4
        if sock is s:
            if struct.unpack('!HH', data[ihl:ihl + 4]) == (dport, sport):
                print('delivered'); sys.exit(0)
            continue
        if data[ihl] != 3:
            continue
        inner = data[ihl + 8:]
        iihl = (inner[0] & 15) * 4
        if inner[9] != 132 or struct.unpack('!HH', inner[iihl:iihl + 4]) != (sport, dport):
            continue
        print('delivered' if data[ihl + 1] == 2 else 'refused'); sys.exit(0)
`;

/** Sends one SCTP INIT from a lab host (python3's raw sockets) and says what came back. */
export async function sendSctpInit(
  lab: Lab,
  from: LabHost | string,
  addr: string,
  dport: number,
  sport: number,
  timeoutMs = 1_500,
): Promise<SctpOutcome> {
  const r = await lab.execChecked(
    from,
    ['python3', '-c', SCTP_SCRIPT, addr, String(dport), String(sport), String(timeoutMs)],
    {
      timeoutMs: timeoutMs + 15_000,
    },
  );
  const out = r.stdout.trim();
  if (out !== 'delivered' && out !== 'refused' && out !== 'timeout')
    throw new Error(`sctp probe to ${addr}:${dport} printed ${out} ${r.stderr}`);
  return out;
}
