import { getProtocol } from '../../protocols/registry.js';
import type { ProtocolRule } from '../../protocols/types.js';
import type { IpSelection } from './config.js';

export interface FilterInputs {
  rules: ProtocolRule[];
  /** With detection on, any port may carry a known protocol, so ports cannot narrow the filter. */
  detect: boolean;
  ip: IpSelection;
  /** The user's own expression, ANDed in. */
  user: string | undefined;
}

/** Non-first IP fragments carry no ports; keep them so datagrams still reassemble. */
const FRAGMENTS = '(ip and ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)';

/**
 * The BPF expression a live source compiles: TCP and UDP only, on the rules' server ports
 * (the protocol's default ports when a rule names none) when detection is off (pcap-filter's
 * `and` and `or` bind equally, hence the parentheses), restricted to
 * one IP version if asked, ANDed with the user's expression.
 *
 * `{ rules: [{ protocol: 'http', ports: [8080] }], detect: false, ip: 'ipv4', user: 'host 10.0.0.1' }` →
 * `ip and (((tcp or udp) and (port 8080)) or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)) and (host 10.0.0.1)`
 */
export function captureFilter(inputs: FilterInputs): string {
  const parts: string[] = [];
  if (inputs.ip === 'ipv4') parts.push('ip');
  if (inputs.ip === 'ipv6') parts.push('ip6');
  const ports = inputs.detect ? [] : rulePorts(inputs.rules);
  parts.push(ports.length > 0 ? `(((tcp or udp) and (${ports.map((p) => `port ${p}`).join(' or ')})) or ${FRAGMENTS})` : '(tcp or udp)');
  if (inputs.user !== undefined && inputs.user.trim() !== '') parts.push(`(${inputs.user})`);
  return parts.join(' and ');
}

/** Every server port the rules name; none (no narrowing) when there are no rules. */
function rulePorts(rules: ProtocolRule[]): number[] {
  const ports = new Set<number>();
  for (const rule of rules) {
    const own = rule.ports !== undefined && rule.ports.length > 0 ? rule.ports : (getProtocol(rule.protocol)?.defaultPorts ?? []);
    for (const port of own) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}
