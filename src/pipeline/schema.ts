import { z } from 'zod';
import { parseDuration, parseSize } from './units.js';

/** A duration option ("30s", "250ms", "5m", or a number of seconds), parsed to microseconds. */
export const durationOption = z.unknown().transform((value, ctx) => {
  const us = typeof value === 'number' || typeof value === 'string' ? parseDuration(value) : undefined;
  if (us === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "30s", "250ms", "5m" or a number of seconds, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return us;
});

/** A size option ("4MiB", "512KiB", "10MB", or a number of bytes), parsed to bytes. */
export const sizeOption = z.unknown().transform((value, ctx) => {
  const bytes = typeof value === 'number' || typeof value === 'string' ? parseSize(value) : undefined;
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a size like "4MiB", "512KiB", "10MB" or a number of bytes, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return bytes;
});

export const portOption = z.number().int().min(1).max(65535);

const protocolRule = z.strictObject({
  protocol: z.string().min(1),
  ports: z.array(portOption).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});

/**
 * `use` names a built-in component or a module path; every other key is the component's
 * options. A bare `use: null` is YAML's null, read as the sink named "null".
 */
export const componentEntry = z.looseObject({
  use: z.preprocess((name) => (name === null ? 'null' : name), z.string().min(1)),
});

const namedPipeline = z.strictObject({
  processors: z.array(componentEntry).default([]),
  sinks: z.array(componentEntry).min(1, 'a pipeline needs at least one sink'),
});

const ipSelection = z.enum(['both', 'ipv4', 'ipv6']).default('both');

/** A name, a list of names, "any", or `{ regex }`. */
const interfaceSelection = z.union([
  z.literal('any'),
  z
    .string()
    .min(1)
    .transform((name) => [name]),
  z.array(z.string().min(1)).min(1),
  z.strictObject({
    regex: z.string().refine((pattern) => {
      try {
        new RegExp(pattern);
        return true;
      } catch {
        return false;
      }
    }, 'not a valid regular expression'),
  }),
]);

/** Live capture through the cap addon (docs/live.md). */
const liveSource = z.strictObject({
  interfaces: interfaceSelection,
  filter: z.string().optional(),
  promiscuous: z
    .boolean()
    .default(true)
    .refine((on) => on, 'the cap binding always captures promiscuously; use source.tcpdump, which can turn it off (tcpdump -p)'),
  buffer_size: sizeOption.default(64 * 1024 * 1024),
  snaplen: z.number().int().min(64).max(262_144).default(65_535),
  ip: ipSelection,
  queue_size: sizeOption.default(64 * 1024 * 1024),
});

/** Live capture by tcpdump (or another program writing pcap to stdout) run as a child process. */
const tcpdumpSource = z.strictObject({
  interface: z.string().min(1).default('any'),
  filter: z.string().optional(),
  path: z.string().min(1).default('tcpdump'),
  command: z.array(z.string().min(1)).min(1).optional(),
  promiscuous: z.boolean().default(true),
  buffer_size: sizeOption.default(64 * 1024 * 1024),
  snaplen: z.number().int().min(64).max(262_144).default(262_144),
  ip: ipSelection,
  queue_size: sizeOption.default(64 * 1024 * 1024),
});

/** "HOST:PORT" ("127.0.0.1:6061", "[::1]:6061"), read into its parts. */
const listenAddress = z.unknown().transform((value, ctx) => {
  const m = typeof value === 'string' ? /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value) : null;
  const port = m ? Number(m[3]) : 0;
  if (!m || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `expected HOST:PORT like "127.0.0.1:6061" or "[::1]:6061" (port 0: any free port), got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return { host: m[1] ?? m[2], port };
});

/** The pipeline file as written, before components are looked up. Defaults are documented in docs/pipeline.md. */
export const pipelineFileSchema = z.strictObject({
  source: z
    .strictObject({
      pcap: z.strictObject({ path: z.string().min(1) }).optional(),
      live: liveSource.optional(),
      tcpdump: tcpdumpSource.optional(),
    })
    .refine((source) => Object.values(source).filter((v) => v !== undefined).length === 1, 'give exactly one of pcap, live, tcpdump'),
  protocols: z.array(protocolRule).optional(),
  detect: z.boolean().default(true),
  frames: z
    .strictObject({
      max_fragmented_datagrams: z.number().int().positive().default(1024),
      fragment_timeout: durationOption.default(30_000_000),
      max_tunnel_depth: z.number().int().min(0).default(4),
    })
    .prefault({}),
  reassembly: z
    .strictObject({
      max_connections: z.number().int().positive().default(262_144),
      max_buffered_bytes_per_connection: sizeOption.default(4 * 1024 * 1024),
      tcp_idle_timeout: durationOption.default(300_000_000),
      udp_idle_timeout: durationOption.default(60_000_000),
      rst_hold: durationOption.default(3_000_000),
    })
    .prefault({}),
  match: z
    .strictObject({
      request_timeout: durationOption.default(30_000_000),
      max_pending_per_connection: z.number().int().positive().default(1024),
    })
    .prefault({}),
  /** The admin HTTP server of a live run (/metrics, /healthz, /watch, /-/reload): docs/live.md. */
  admin: z
    .strictObject({
      listen: listenAddress.default({ host: '127.0.0.1', port: 6061 }),
      enabled: z.boolean().default(true),
    })
    .prefault({}),
  /** OpenTelemetry resource attributes for everything exported (service.name, deployment.environment.name, …). */
  resource: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  pipelines: z
    .record(z.string(), namedPipeline)
    .refine((pipelines) => Object.keys(pipelines).length > 0, 'define at least one pipeline'),
});

export type PipelineFile = z.output<typeof pipelineFileSchema>;
