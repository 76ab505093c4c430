/** The memcached text protocol's command grammar: which commands exist and how their lines read. */

export const enum Shape {
  /** get/gets <key>+ */
  Retrieval,
  /** gat/gats <exptime> <key>+ */
  TouchRetrieval,
  /** set/add/replace/append/prepend <key> <flags> <exptime> <bytes> [noreply], then a data block. */
  Storage,
  /** cas <key> <flags> <exptime> <bytes> <cas unique> [noreply], then a data block. */
  Cas,
  /** delete <key> [<time>] [noreply] */
  Delete,
  /** incr/decr <key> <value> [noreply] */
  Arithmetic,
  /** touch <key> <exptime> [noreply] */
  Touch,
  /** ms <key> <datalen> <flag>*, then a data block (meta set). */
  MetaSet,
  /** Anything else known: stats, version, flush_all, verbosity, quit, meta commands, … */
  Other,
}

const COMMANDS: ReadonlyMap<string, Shape> = new Map([
  ['get', Shape.Retrieval],
  ['gets', Shape.Retrieval],
  ['gat', Shape.TouchRetrieval],
  ['gats', Shape.TouchRetrieval],
  ['set', Shape.Storage],
  ['add', Shape.Storage],
  ['replace', Shape.Storage],
  ['append', Shape.Storage],
  ['prepend', Shape.Storage],
  ['cas', Shape.Cas],
  ['delete', Shape.Delete],
  ['incr', Shape.Arithmetic],
  ['decr', Shape.Arithmetic],
  ['touch', Shape.Touch],
  ['stats', Shape.Other],
  ['version', Shape.Other],
  ['flush_all', Shape.Other],
  ['verbosity', Shape.Other],
  ['quit', Shape.Other],
  ['shutdown', Shape.Other],
  ['cache_memlimit', Shape.Other],
  ['slabs', Shape.Other],
  ['lru_crawler', Shape.Other],
  ['watch', Shape.Other],
  ['misbehave', Shape.Other],
  ['ms', Shape.MetaSet],
  ['mg', Shape.Other],
  ['md', Shape.Other],
  ['ma', Shape.Other],
  ['mn', Shape.Other],
  ['me', Shape.Other],
]);

/** Longest key memcached accepts. */
export const MAX_KEY = 250;

export function commandShape(name: string): Shape | undefined {
  return COMMANDS.get(name);
}

function isNumber(word: string | undefined): boolean {
  return word !== undefined && /^-?\d{1,20}$/.test(word);
}

function isKey(word: string | undefined): boolean {
  return word !== undefined && word.length > 0 && word.length <= MAX_KEY;
}

/** A parsed command line: what the decoder needs to frame it and describe it. */
export interface CommandLine {
  name: string;
  shape: Shape;
  /** Words after the command name. */
  args: string[];
  /** Data block bytes that follow the line (storage commands), without its CR LF. */
  dataBytes: number;
  /** Keys asked for (retrieval commands). */
  keys: number;
  /** Ends in `noreply` (or is `quit`): the server sends nothing back. */
  noReply: boolean;
  /** Not a command memcached accepts (unknown, or bad arguments): it will answer an error. */
  rejected?: true;
}

/**
 * The words of a command line (blank-separated, without the line end), checked against the
 * command's grammar; undefined when it does not read as a memcached command.
 */
export function parseCommandLine(words: string[]): CommandLine | undefined {
  const [name = '', ...args] = words;
  const shape = commandShape(name);
  if (shape === undefined) return undefined;
  const noReply = name === 'quit' || (args.length > 0 && args.at(-1) === 'noreply' && shape !== Shape.Retrieval && shape !== Shape.TouchRetrieval);
  const fixed = noReply && name !== 'quit' ? args.length - 1 : args.length;
  const line: CommandLine = { name, shape, args, dataBytes: 0, keys: 0, noReply };
  switch (shape) {
    case Shape.Retrieval:
      line.keys = args.length;
      return args.length > 0 && args.every(isKey) ? line : undefined;
    case Shape.TouchRetrieval:
      line.keys = args.length - 1;
      return args.length > 1 && isNumber(args[0]) && args.slice(1).every(isKey) ? line : undefined;
    case Shape.Storage:
    case Shape.Cas: {
      const expected = shape === Shape.Cas ? 5 : 4;
      if (fixed !== expected || !isKey(args[0]) || !args.slice(1, expected).every(isNumber)) return undefined;
      line.dataBytes = Number(args[3]);
      return line.dataBytes >= 0 ? line : undefined;
    }
    case Shape.MetaSet:
      if (!isKey(args[0]) || !isNumber(args[1])) return undefined;
      line.dataBytes = Number(args[1]);
      return line.dataBytes >= 0 ? line : undefined;
    case Shape.Delete:
      return (fixed === 1 || fixed === 2) && isKey(args[0]) && (fixed === 1 || isNumber(args[1])) ? line : undefined;
    case Shape.Arithmetic:
    case Shape.Touch:
      return fixed === 2 && isKey(args[0]) && isNumber(args[1]) ? line : undefined;
    default:
      return line;
  }
}

/**
 * A line memcached will answer without accepting it (an unknown command, or a known one with
 * bad arguments: `ERROR`, `CLIENT_ERROR`): a request of its first word, expecting one reply.
 */
export function rejectedCommandLine(words: string[]): CommandLine | undefined {
  const [name, ...args] = words;
  return name === undefined ? undefined : { name, shape: Shape.Other, args, dataBytes: 0, keys: 0, noReply: false, rejected: true };
}

/** First words of the replies memcached sends (protocol.txt), besides numbers (incr/decr). */
const REPLY_WORDS: ReadonlySet<string> = new Set([
  'STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND', 'DELETED', 'TOUCHED', 'OK', 'RESET', 'END', 'VALUE', 'STAT', 'ITEM',
  'PREFIX', 'ERROR', 'CLIENT_ERROR', 'SERVER_ERROR', 'VERSION', 'BUSY', 'BADCLASS', 'NOSPARE', 'NOTFULL', 'UNSAFE',
  'SAME', 'VA', 'HD', 'EN', 'NF', 'NS', 'EX', 'MN', 'ME', 'mg',
]);

/**
 * Whether a reply line starting with `first` is one memcached sends: a reply word, a number,
 * or a `key=value …` line (`lru_crawler metadump`, `watch`). A status line (`HTTP/1.1 200 OK`)
 * or any other text is not.
 */
export function isReplyLine(first: string, line: string): boolean {
  return REPLY_WORDS.has(first) || /^\d{1,20}$/.test(first) || first.startsWith('ERROR') || /^[a-z_]+=/.test(line) || line.length === 0;
}

/** Reply lines that open a multi-line reply closed by `END`. */
export function opensBlock(first: string): boolean {
  return first === 'VALUE' || first === 'STAT' || first === 'ITEM' || first === 'PREFIX';
}

/** Reply words that are errors. */
export function isErrorReply(first: string): boolean {
  return first === 'ERROR' || first === 'CLIENT_ERROR' || first === 'SERVER_ERROR';
}
