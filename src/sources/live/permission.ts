const PERMISSION = /permission|not permitted/i;

/** One line for libpcap's "you don't have permission…": what is missing and where the README shows the fix. */
export function captureError(iface: string, message: string): Error {
  if (PERMISSION.test(message)) {
    return new Error(
      `cannot capture on ${iface}: permission denied (capturing needs CAP_NET_RAW and CAP_NET_ADMIN: run as root, ` +
        'or grant them with setcap or a systemd unit, see README "Run as an agent")',
    );
  }
  return new Error(`cannot capture on ${iface}: ${message.replace(/^\S+: /, '')}`);
}
