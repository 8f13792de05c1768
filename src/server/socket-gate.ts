import type { Server } from 'node:http';
import { isIP, type Socket } from 'node:net';

export type SocketRefusal = 'max_sockets' | 'max_sockets_per_address';

export interface SocketGateOptions {
  maxSockets: number;
  /** 0: no per-address cap. */
  maxSocketsPerAddress: number;
  /** Sockets beyond `maxSockets` that `trusted` addresses may still open, for plain HTTP only. */
  reserve: number;
  trusted: (remoteAddress: string | undefined) => boolean;
  refused: (reason: SocketRefusal) => void;
}

/**
 * Counts the TCP sockets of the servers it is attached to, from the moment they are accepted
 * (before any byte is read, so sockets that never send a request count as much as WebSockets),
 * and closes at once those beyond the caps. Without it a few thousand idle sockets use up the
 * process's file descriptors, and with them new WebSockets, /healthz and the admin API.
 */
export class SocketGate {
  private readonly options: SocketGateOptions;
  private open = 0;
  private readonly perAddress = new Map<string, number>();
  private readonly inReserve = new WeakSet<object>();

  constructor(options: SocketGateOptions) {
    this.options = options;
  }

  /** Sockets open now through this gate. */
  get size(): number {
    return this.open;
  }

  /**
   * Runs before the server's own 'connection' listener. node:http still sets up a refused socket,
   * but on a destroyed one that costs no read and ends with its 'close'.
   */
  attach(server: Server): void {
    server.prependListener('connection', (socket: Socket) => this.admit(socket));
  }

  /** True for a socket let in on the reserve; it must not become a WebSocket. */
  isReserve(socket: object): boolean {
    return this.inReserve.has(socket);
  }

  private admit(socket: Socket): void {
    const key = addressKey(socket.remoteAddress);
    // No address: the peer reset the connection before it was accepted.
    if (key === undefined) {
      socket.destroy();
      return;
    }
    const { maxSockets, maxSocketsPerAddress, reserve } = this.options;
    const here = this.perAddress.get(key) ?? 0;
    if (maxSocketsPerAddress > 0 && here >= maxSocketsPerAddress) {
      this.refuse(socket, 'max_sockets_per_address');
      return;
    }
    if (this.open >= maxSockets) {
      if (this.open >= maxSockets + reserve || !this.options.trusted(socket.remoteAddress)) {
        this.refuse(socket, 'max_sockets');
        return;
      }
      this.inReserve.add(socket);
    }
    this.open++;
    this.perAddress.set(key, here + 1);
    socket.once('close', () => {
      this.open--;
      const left = (this.perAddress.get(key) ?? 1) - 1;
      if (left === 0) this.perAddress.delete(key);
      else this.perAddress.set(key, left);
    });
  }

  private refuse(socket: Socket, reason: SocketRefusal): void {
    // A reset rather than a FIN: the proxy keeps no TIME_WAIT entry for a flood it refuses.
    socket.resetAndDestroy();
    this.options.refused(reason);
  }
}

const IPV6_GROUPS = 8;
/** Groups of an IPv6 address that name its /64: one host usually gets a whole /64 to pick from. */
const IPV6_KEY_GROUPS = 4;

/**
 * What the per-address cap counts by, from `socket.remoteAddress`: an IPv4 address as is (also
 * when a dual-stack listener reports it IPv4-mapped, `::ffff:a.b.c.d`), an IPv6 address by its
 * /64. Undefined when there is no address (the socket is gone) or it does not parse.
 */
export function addressKey(remoteAddress: string | undefined): string | undefined {
  if (remoteAddress === undefined) return undefined;
  const zone = remoteAddress.indexOf('%');
  const address = zone === -1 ? remoteAddress : remoteAddress.slice(0, zone);
  const version = isIP(address);
  if (version === 4) return address;
  if (version !== 6) return undefined;
  const g = ipv6Groups(address);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const hi = g[6] ?? 0;
    const lo = g[7] ?? 0;
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return `${g.slice(0, IPV6_KEY_GROUPS).map((x) => x.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an address `isIP` accepted as IPv6 (`::` and a dotted tail expanded). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const gap = text.indexOf('::');
  const split = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const groups = gap === -1 ? split(text) : (() => {
    const head = split(text.slice(0, gap));
    const tail = split(text.slice(gap + 2));
    return [...head, ...new Array<string>(IPV6_GROUPS - head.length - tail.length).fill('0'), ...tail];
  })();
  return groups.map((x) => Number.parseInt(x, 16));
}
