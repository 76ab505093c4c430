/** Which interfaces a live source opens: names, a regular expression over the names, or libpcap's "any". */
export type InterfaceSelection = string[] | 'any' | { regex: string };

/** IP versions a live source keeps (compiled into its BPF filter). */
export type IpSelection = 'both' | 'ipv4' | 'ipv6';

/** `source.live` of a pipeline file, resolved (docs/live.md). */
export interface LiveSourceConfig {
  interfaces: InterfaceSelection;
  /** A BPF expression ANDed with the one packetd derives from the protocol rules. */
  filter: string | undefined;
  promiscuous: boolean;
  /** libpcap's kernel buffer, bytes. */
  bufferSize: number;
  /** Bytes kept per packet (at most 65535: cap's own limit). */
  snaplen: number;
  ip: IpSelection;
  /** Bytes of packets packetd queues while a sink holds the flow gate or a reload is under way. */
  queueSize: number;
}

/** `source.tcpdump`: a capture program whose stdout is a pcap stream. */
export interface TcpdumpSourceConfig {
  interface: string;
  filter: string | undefined;
  /** The tcpdump binary. */
  path: string;
  /** A full command line instead (argv); it must write a pcap or pcapng stream to stdout. */
  command: string[] | undefined;
  promiscuous: boolean;
  /** libpcap's kernel buffer, bytes (tcpdump -B, in KiB). */
  bufferSize: number;
  snaplen: number;
  ip: IpSelection;
  queueSize: number;
}
