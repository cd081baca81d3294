// Which local addresses a port is listening on, read from /proc/net/tcp{,6} (Linux): proves a
// service is bound to loopback without sending any traffic off the loopback range.
import fs from 'node:fs';

function decodeV4(hex: string): string {
  // /proc prints the address as a little-endian 32-bit word.
  const bytes = hex
    .match(/../g)!
    .map((b) => parseInt(b, 16))
    .reverse();
  return bytes.join('.');
}

function decodeV6(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  const full = words.join('').toLowerCase();
  if (full.startsWith('00000000000000000000ffff'))
    return `::ffff:${decodeV4(words[3]!.match(/../g)!.reverse().join(''))}`;
  if (/^0+$/.test(full)) return '::';
  if (full === '00000000000000000000000000000001') return '::1';
  return full;
}

export function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const [file, decode] of [
    ['/proc/net/tcp', decodeV4],
    ['/proc/net/tcp6', decodeV6],
  ] as const) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [addr, portHex] = cols[1]!.split(':');
      if (parseInt(portHex!, 16) === port) found.push(decode(addr!));
    }
  }
  return found;
}

export function isLoopback(address: string): boolean {
  return /^(127\.|::ffff:127\.|::1$)/.test(address);
}
