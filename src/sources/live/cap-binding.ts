import { createRequire } from 'node:module';

/** What packetd uses of the `cap` addon (cap 0.2.1, a CommonJS module). */
export interface CapDevice {
  name: string;
  description?: string;
  addresses: { addr: string; netmask?: string; broadaddr?: string }[];
  flags?: string;
}

export interface CapHandle {
  /** Opens and starts capturing; returns the link type's name (or libpcap's message for others). Throws libpcap's error. */
  open(device: string, filter: string, bufferSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
}

interface CapModule {
  Cap: { new (): CapHandle; deviceList(): CapDevice[] };
}

/** The one line printed when live capture cannot work on this install. */
export class LiveCaptureUnavailableError extends Error {
  constructor(cause: string) {
    super(
      `live capture needs the optional "cap" module, whose native addon is not built here (${cause}): ` +
        'install libpcap-dev (Debian/Ubuntu; libpcap-devel on Fedora/RHEL), g++ and make, then run `npm rebuild cap`; ' +
        'or use the tcpdump source (source.tcpdump in the pipeline file)',
    );
  }
}

let loaded: CapModule | LiveCaptureUnavailableError | undefined;

/** Loads cap once; throws LiveCaptureUnavailableError when it is missing or its addon did not build. */
export function loadCap(): CapModule {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('cap') as CapModule;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      loaded = new LiveCaptureUnavailableError(code === 'MODULE_NOT_FOUND' ? 'cap is not installed or its addon is missing' : (err as Error).message.split('\n')[0]);
    }
  }
  if (loaded instanceof Error) throw loaded;
  return loaded;
}

export function capAvailable(): boolean {
  try {
    loadCap();
    return true;
  } catch {
    return false;
  }
}
