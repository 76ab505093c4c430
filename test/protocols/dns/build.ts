/** DNS messages as bytes, for decoder tests: names uncompressed unless a record says otherwise. */

export interface RecordSpec {
  /** Owner name as text, or raw wire bytes (e.g. a compression pointer). */
  name: string | number[];
  type: number;
  ttl?: number;
  data: number[];
}

export interface MessageSpec {
  id: number;
  response?: boolean;
  opcode?: number;
  rcode?: number;
  truncated?: boolean;
  question?: { name: string | number[]; type: number; class?: number };
  answers?: RecordSpec[];
  authorities?: RecordSpec[];
  /** An OPT record: payload size, extended RCODE bits, DO flag. */
  edns?: { udpPayloadSize: number; extendedRcode?: number; dnssecOk?: boolean };
  /** Override the header counts (to lie about them). */
  counts?: [number, number, number, number];
}

export function wireName(name: string): number[] {
  if (name === '.') return [0];
  const out: number[] = [];
  for (const label of name.split('.')) out.push(label.length, ...Buffer.from(label, 'latin1'));
  out.push(0);
  return out;
}

const u16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const nameBytes = (name: string | number[]): number[] => (typeof name === 'string' ? wireName(name) : name);

function record(r: RecordSpec): number[] {
  return [...nameBytes(r.name), ...u16(r.type), ...u16(1), ...u32(r.ttl ?? 300), ...u16(r.data.length), ...r.data];
}

export function dnsMessage(spec: MessageSpec): Buffer {
  const flags =
    (spec.response ? 0x8000 : 0) | ((spec.opcode ?? 0) << 11) | (spec.truncated ? 0x0200 : 0) | 0x0100 | (spec.rcode ?? 0);
  const answers = spec.answers ?? [];
  const authorities = spec.authorities ?? [];
  const additional = spec.edns === undefined ? [] : [spec.edns];
  const counts = spec.counts ?? [spec.question === undefined ? 0 : 1, answers.length, authorities.length, additional.length];
  const bytes = [spec.id >>> 8, spec.id & 0xff, ...u16(flags), ...counts.flatMap(u16)];
  if (spec.question !== undefined) bytes.push(...nameBytes(spec.question.name), ...u16(spec.question.type), ...u16(spec.question.class ?? 1));
  for (const r of [...answers, ...authorities]) bytes.push(...record(r));
  for (const e of additional) {
    bytes.push(0, ...u16(41), ...u16(e.udpPayloadSize), e.extendedRcode ?? 0, 0, e.dnssecOk ? 0x80 : 0, 0, ...u16(0));
  }
  return Buffer.from(bytes);
}

/** The message behind its two-byte TCP length prefix. */
export function tcpFramed(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(u16(message.length)), message]);
}

/** A query for `name`/`type` and its response carrying `answers`. */
export function exchange(id: number, name: string, type: number, answers: RecordSpec[] = [], rcode = 0): [Buffer, Buffer] {
  return [
    dnsMessage({ id, question: { name, type } }),
    dnsMessage({ id, response: true, rcode, question: { name, type }, answers }),
  ];
}

export const A = 1;
export const AAAA = 28;
export const ipv4 = (text: string): number[] => text.split('.').map(Number);
/** A compression pointer to `offset` in the message. */
export const pointer = (offset: number): number[] => [0xc0 | (offset >>> 8), offset & 0xff];
