const PERMISSION = /permission|not permitted/i;

/**
 * One line for libpcap's errors; for "you don't have permission…", what is missing and where
 * the README shows the fix. `program` is the capture program that lacks it (tcpdump), if not packetd.
 */
export function captureError(iface: string, message: string, program?: string): Error {
  if (PERMISSION.test(message)) {
    const fix =
      program === undefined
        ? 'run as root, or grant them with setcap or a systemd unit'
        : `run as root, or grant them to the program: setcap cap_net_raw,cap_net_admin=eip $(command -v ${program})`;
    return new Error(`cannot capture on ${iface}: permission denied (${program ?? 'capturing'} needs CAP_NET_RAW and CAP_NET_ADMIN: ${fix}; see README "Run as an agent")`);
  }
  return new Error(`cannot capture on ${iface}: ${message.replace(/^\S+: /, '')}`);
}
