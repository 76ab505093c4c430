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

/** The pipeline file as written, before components are looked up. Defaults are documented in docs/pipeline.md. */
export const pipelineFileSchema = z.strictObject({
  source: z.strictObject({
    pcap: z.strictObject({ path: z.string().min(1) }),
  }),
  protocols: z.array(protocolRule).optional(),
  detect: z.boolean().default(true),
  reassembly: z
    .strictObject({
      max_connections: z.number().int().positive().default(262_144),
      max_buffered_bytes_per_connection: sizeOption.default(4 * 1024 * 1024),
      tcp_idle_timeout: durationOption.default(300_000_000),
      udp_idle_timeout: durationOption.default(60_000_000),
    })
    .prefault({}),
  match: z
    .strictObject({
      request_timeout: durationOption.default(30_000_000),
      max_pending_per_connection: z.number().int().positive().default(1024),
    })
    .prefault({}),
  pipelines: z
    .record(z.string(), namedPipeline)
    .refine((pipelines) => Object.keys(pipelines).length > 0, 'define at least one pipeline'),
});

export type PipelineFile = z.output<typeof pipelineFileSchema>;
