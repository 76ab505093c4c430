import type { Attributes } from '../model/message.js';
import type { Counter, Stats } from '../pipeline/stats.js';
import { TUNNEL_TYPE_NAMES } from './tunnels.js';

/**
 * The tunnels one frame went through: how deep, and the outermost one's facts, which become
 * the packet's `tunnel` attributes. A frame with no tunnel costs one reset of `depth`.
 *
 * Attributes (flat, OpenTelemetry style):
 * - `network.tunnel.type`: vxlan | geneve | gre | erspan | ipip | mpls | pppoe (the outermost)
 * - `network.tunnel.source.address`, `network.tunnel.destination.address`: the outer IP header's
 *   addresses as this packet carried them (absent for mpls and pppoe on a link, which have none)
 * - `network.tunnel.id`: VNI, GRE key, ERSPAN session id, bottom MPLS label, PPTP call id or
 *   PPPoE session id (absent when the header has none: GRE without a key, ipip)
 * - `network.tunnel.depth`: tunnels the packet was inside (1 unless nested)
 */
export class TunnelRecord {
  /** Tunnels unwrapped so far in the current frame. */
  depth = 0;
  private type = 0;
  private id = -1;
  private source: string | undefined;
  private destination: string | undefined;
  /** The last attributes built: consecutive packets of one tunnel share them (never mutated). */
  private last: Attributes | undefined;
  private lastType = 0;
  private lastId = -1;
  private lastSource: string | undefined;
  private lastDestination: string | undefined;
  private lastDepth = 0;
  private readonly unwrapped: Counter[];

  constructor(
    stats: Stats,
    private readonly maxDepth: number,
  ) {
    this.unwrapped = TUNNEL_TYPE_NAMES.map((type) =>
      stats.counter('packetd_tunnel_packets_total', 'Tunnel headers unwrapped, by tunnel type (a nested packet counts at each level)', { type }),
    );
  }

  /** Enters one more tunnel; false (nothing recorded) when that would go past the depth bound. */
  enter(type: number, id: number, source: string | undefined, destination: string | undefined): boolean {
    if (this.depth === this.maxDepth) return false;
    this.unwrapped[type]!.value++;
    if (this.depth++ === 0) {
      this.type = type;
      this.id = id;
      this.source = source;
      this.destination = destination;
    }
    return true;
  }

  attributes(): Attributes {
    const last = this.last;
    if (
      last !== undefined &&
      this.lastType === this.type &&
      this.lastId === this.id &&
      this.lastSource === this.source &&
      this.lastDestination === this.destination &&
      this.lastDepth === this.depth
    ) {
      return last;
    }
    const attributes: Attributes = { 'network.tunnel.type': TUNNEL_TYPE_NAMES[this.type]! };
    if (this.source !== undefined && this.destination !== undefined) {
      attributes['network.tunnel.source.address'] = this.source;
      attributes['network.tunnel.destination.address'] = this.destination;
    }
    if (this.id >= 0) attributes['network.tunnel.id'] = this.id;
    attributes['network.tunnel.depth'] = this.depth;
    this.last = attributes;
    this.lastType = this.type;
    this.lastId = this.id;
    this.lastSource = this.source;
    this.lastDestination = this.destination;
    this.lastDepth = this.depth;
    return attributes;
  }
}
