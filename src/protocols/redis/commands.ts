/**
 * What the decoder knows of each command name, interned by its bytes: a busy connection
 * builds no string per command, it finds the name's entry straight from the packet bytes.
 */

/** Commands whose first argument is a subcommand that names the operation (`CLIENT SETNAME`). */
const CONTAINERS: ReadonlySet<string> = new Set([
  'ACL', 'CLIENT', 'CLUSTER', 'COMMAND', 'CONFIG', 'DEBUG', 'FUNCTION', 'LATENCY', 'MEMORY',
  'MODULE', 'OBJECT', 'PUBSUB', 'SCRIPT', 'SLOWLOG', 'XGROUP', 'XINFO',
]);

/** Pub/sub kinds: the first element of a confirmation or message push, as codes. */
export const enum PubSub {
  None = 0,
  Subscribe,
  PSubscribe,
  SSubscribe,
  Unsubscribe,
  PUnsubscribe,
  SUnsubscribe,
  /** message / pmessage / smessage: never a reply. */
  Message,
}

const COMMAND_KINDS: ReadonlyMap<string, PubSub> = new Map([
  ['SUBSCRIBE', PubSub.Subscribe],
  ['PSUBSCRIBE', PubSub.PSubscribe],
  ['SSUBSCRIBE', PubSub.SSubscribe],
  ['UNSUBSCRIBE', PubSub.Unsubscribe],
  ['PUNSUBSCRIBE', PubSub.PUnsubscribe],
  ['SUNSUBSCRIBE', PubSub.SUnsubscribe],
]);

const PUSH_KINDS: ReadonlyMap<string, PubSub> = new Map([
  ['subscribe', PubSub.Subscribe],
  ['psubscribe', PubSub.PSubscribe],
  ['ssubscribe', PubSub.SSubscribe],
  ['unsubscribe', PubSub.Unsubscribe],
  ['punsubscribe', PubSub.PUnsubscribe],
  ['sunsubscribe', PubSub.SUnsubscribe],
  ['message', PubSub.Message],
  ['pmessage', PubSub.Message],
  ['smessage', PubSub.Message],
]);

export function pushKind(first: string | undefined): PubSub {
  return first === undefined ? PubSub.None : (PUSH_KINDS.get(first) ?? PubSub.None);
}

export function isSubscribeKind(kind: PubSub): boolean {
  return kind === PubSub.Subscribe || kind === PubSub.PSubscribe || kind === PubSub.SSubscribe;
}

export function isUnsubscribeKind(kind: PubSub): boolean {
  return kind === PubSub.Unsubscribe || kind === PubSub.PUnsubscribe || kind === PubSub.SUnsubscribe;
}

/** Redacted texts are kept per command up to this many arguments; longer ones are built each time. */
const MAX_KEPT_TEXTS = 32;

export class Command {
  /** Upper case, as the record shows it. */
  readonly name: string;
  /** The operation is named with the first argument (`CLIENT SETNAME`). */
  readonly container: boolean;
  /** The decoder reads the first argument: a subcommand, or state it tracks (SELECT, HELLO). */
  readonly wantsFirstArgument: boolean;
  readonly kind: PubSub;
  private readonly texts: string[] = [];

  constructor(
    /** The name's bytes, upper case, for matching packet bytes. */
    readonly bytes: Buffer,
  ) {
    this.name = bytes.toString('latin1');
    this.container = CONTAINERS.has(this.name);
    this.wantsFirstArgument = this.container || this.name === 'SELECT' || this.name === 'HELLO';
    this.kind = COMMAND_KINDS.get(this.name) ?? PubSub.None;
  }

  /** `SET`, 2 → `SET ? ?`: the command with each of its `args` replaced by `?`. */
  redacted(args: number): string {
    if (args > MAX_KEPT_TEXTS) return redact(this.name, args);
    return (this.texts[args] ??= redact(this.name, args));
  }
}

export function redact(operation: string, args: number): string {
  return args <= 0 ? operation : operation + ' ?'.repeat(args);
}

/** Open-addressed by a case-folded hash of the name's bytes; bounded against garbage names. */
const SLOTS = 4096;
const MAX_INTERNED = SLOTS / 2;
const table: (Command | undefined)[] = new Array<Command | undefined>(SLOTS).fill(undefined);
let interned = 0;

function toUpper(c: number): number {
  return c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
}

function sameName(entry: Buffer, buf: Buffer, from: number, to: number): boolean {
  if (entry.length !== to - from) return false;
  for (let i = 0; i < entry.length; i++) if (entry[i] !== toUpper(buf[from + i]!)) return false;
  return true;
}

/** The command named by `buf[from, to)`, in any letter case. */
export function commandOf(buf: Buffer, from: number, to: number): Command {
  let hash = 0;
  for (let i = from; i < to; i++) hash = (Math.imul(hash, 31) + toUpper(buf[i]!)) | 0;
  let slot = hash & (SLOTS - 1);
  for (;;) {
    const entry = table[slot];
    if (entry === undefined) break;
    if (sameName(entry.bytes, buf, from, to)) return entry;
    slot = (slot + 1) & (SLOTS - 1);
  }
  const bytes = Buffer.allocUnsafe(to - from);
  for (let i = from; i < to; i++) bytes[i - from] = toUpper(buf[i]!);
  const command = new Command(bytes);
  if (interned < MAX_INTERNED) {
    table[slot] = command;
    interned++;
  }
  return command;
}
