import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { Attributes } from '../model/message.js';
import { getProtocol, protocolNames } from '../protocols/registry.js';
import type { ProtocolRule } from '../protocols/types.js';
import type { LiveSourceConfig, TcpdumpSourceConfig } from '../sources/live/config.js';
import { resourceAttributes } from '../telemetry/resource.js';
import { ROUNDTRIP_FLOW, type ItemFlow, type ItemKind, type ProcessorFactory, type SinkFactory } from './component.js';
import { PipelineConfigError, type ConfigIssue } from './config-error.js';
import { getProcessor, getSink, isModulePath, loadProcessorModule, processorNames, sinkNames } from './registry.js';
import { pipelineFileSchema, type PipelineFile } from './schema.js';

/** A processor or sink as configured: its name (or module path), parsed options, factory and item kinds. */
export interface ConfiguredComponent<F> extends ItemFlow {
  use: string;
  options: Record<string, unknown>;
  create: F;
}

export interface NamedPipeline {
  name: string;
  processors: ConfiguredComponent<ProcessorFactory>[];
  sinks: ConfiguredComponent<SinkFactory>[];
}

/** A validated pipeline, every component resolved: what `runPipeline` runs. */
export interface PipelineConfig {
  /** Name used in messages (the file's base name, or "<inline>"). */
  file: string;
  /** Relative paths (capture, sink files, custom processors) resolve against this directory. */
  baseDir: string;
  /**
   * Exactly one of: a capture file, or "-" for stdin (already resolved against baseDir); a
   * live capture through cap; a capture program run as a child process (docs/live.md).
   */
  source: { pcap?: { path: string }; live?: LiveSourceConfig; tcpdump?: TcpdumpSourceConfig };
  /** The admin HTTP server of a live run. */
  admin: { enabled: boolean; host: string; port: number };
  protocols: ProtocolRule[];
  detect: boolean;
  frames: { maxFragmentedDatagrams: number; fragmentTimeoutUs: number; maxTunnelDepth: number };
  reassembly: {
    maxConnections: number;
    maxBufferedBytesPerConnection: number;
    tcpIdleTimeoutUs: number;
    udpIdleTimeoutUs: number;
    rstHoldUs: number;
  };
  match: { requestTimeoutUs: number; maxPendingPerConversation: number };
  /** OpenTelemetry resource attributes, defaults filled in (ComponentContext.resource). */
  resource: Attributes;
  pipelines: NamedPipeline[];
}

export interface ResolveOptions {
  /** Name for messages. */
  file?: string;
  baseDir?: string;
  /** Maps an issue path to a line (set when the object came from YAML). */
  lineOf?: (path: PropertyKey[]) => number | undefined;
}

/** Reads, validates and resolves a pipeline file. Throws PipelineConfigError listing every issue. */
export async function loadPipeline(path: string): Promise<PipelineConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'ENOENT' ? `${path}: no such file` : `${path}: ${e.message}`);
  }
  return parsePipeline(text, { file: basename(path), baseDir: dirname(resolve(path)) });
}

/** Validates and resolves pipeline YAML text. */
export async function parsePipeline(text: string, options: { file?: string; baseDir?: string } = {}): Promise<PipelineConfig> {
  const file = options.file ?? '<inline>';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    // The first line of a yaml error message is the message; " at line L, column C:" is said by the prefix.
    const issues = doc.errors.map((e) => ({
      path: [],
      line: e.linePos?.[0].line,
      message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''),
    }));
    throw new PipelineConfigError(file, issues);
  }
  const lineOf = (path: PropertyKey[]): number | undefined => {
    const offset = offsetOf(doc, path);
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return resolvePipeline(doc.toJS(), { ...options, file, lineOf });
}

/** Validates and resolves a pipeline given as a plain object (what the YAML parses to). */
export async function resolvePipeline(raw: unknown, options: ResolveOptions = {}): Promise<PipelineConfig> {
  const file = options.file ?? '<inline>';
  const baseDir = options.baseDir ?? process.cwd();
  const issues: ConfigIssue[] = [];
  const report = (path: PropertyKey[], message: string): void => {
    issues.push({ path, message, line: options.lineOf?.(path) });
  };

  const parsed = pipelineFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    reportZodIssues(parsed.error.issues, [], report);
    throw new PipelineConfigError(file, issues);
  }
  const config = parsed.data;
  checkProtocols(config, report);
  const pipelines: NamedPipeline[] = [];
  for (const [name, pipeline] of Object.entries(config.pipelines)) {
    const at = ['pipelines', name];
    const processors: ConfiguredComponent<ProcessorFactory>[] = [];
    for (const [i, entry] of pipeline.processors.entries()) {
      const component = await resolveProcessor(entry, baseDir, [...at, 'processors', i], report);
      if (component) processors.push(component);
    }
    const allProcessors = processors.length === pipeline.processors.length;
    const carried = allProcessors ? (processors.at(-1)?.gives ?? 'roundtrip') : undefined;
    const sinks: ConfiguredComponent<SinkFactory>[] = [];
    for (const [i, entry] of pipeline.sinks.entries()) {
      const component = resolveBuiltin('sink', getSink(entry.use, carried), sinkNames(), entry, [...at, 'sinks', i], report);
      if (component) sinks.push(component);
    }
    if (allProcessors && sinks.length === pipeline.sinks.length) checkItemKinds(processors, sinks, at, report);
    pipelines.push({ name, processors, sinks });
  }
  if (issues.length > 0) throw new PipelineConfigError(file, issues);

  return {
    file,
    baseDir,
    source: resolveSource(config.source, baseDir),
    admin: { enabled: config.admin.enabled, ...config.admin.listen },
    // No rules means every known protocol on its default ports (decodeL7's reading of []).
    protocols: config.protocols ?? [],
    detect: config.detect,
    frames: {
      maxFragmentedDatagrams: config.frames.max_fragmented_datagrams,
      fragmentTimeoutUs: config.frames.fragment_timeout,
      maxTunnelDepth: config.frames.max_tunnel_depth,
    },
    reassembly: {
      maxConnections: config.reassembly.max_connections,
      maxBufferedBytesPerConnection: config.reassembly.max_buffered_bytes_per_connection,
      tcpIdleTimeoutUs: config.reassembly.tcp_idle_timeout,
      udpIdleTimeoutUs: config.reassembly.udp_idle_timeout,
      rstHoldUs: config.reassembly.rst_hold,
    },
    match: {
      requestTimeoutUs: config.match.request_timeout,
      maxPendingPerConversation: config.match.max_pending_per_connection,
    },
    resource: resourceAttributes(config.resource),
    pipelines,
  };
}

type Report = (path: PropertyKey[], message: string) => void;

function resolveSource({ pcap, live, tcpdump }: PipelineFile['source'], baseDir: string): PipelineConfig['source'] {
  if (live) {
    const { buffer_size: bufferSize, queue_size: queueSize, ...rest } = live;
    return { live: { ...rest, filter: live.filter, bufferSize, queueSize } };
  }
  if (tcpdump) {
    const { buffer_size: bufferSize, queue_size: queueSize, ...rest } = tcpdump;
    return { tcpdump: { ...rest, filter: tcpdump.filter, command: tcpdump.command, bufferSize, queueSize } };
  }
  const path = pcap!.path;
  return { pcap: { path: path === '-' ? '-' : resolve(baseDir, path) } };
}

function reportZodIssues(zodIssues: z.core.$ZodIssue[], prefix: PropertyKey[], report: Report): void {
  for (const issue of zodIssues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) report([...path, key], 'unknown key');
    } else {
      report(path, issue.message.replace(/^Invalid (input|option): /, ''));
    }
  }
}

function checkProtocols(config: PipelineFile, report: Report): void {
  for (const [i, rule] of (config.protocols ?? []).entries()) {
    const module = getProtocol(rule.protocol);
    if (module === undefined) {
      report(['protocols', i, 'protocol'], `unknown protocol "${rule.protocol}" (known: ${protocolNames().join(', ')})`);
      continue;
    }
    const known = module.optionNames;
    if (known === undefined) continue;
    for (const key of Object.keys(rule.options ?? {})) {
      if (!known.includes(key)) {
        const choices = known.length > 0 ? `known: ${known.join(', ')}` : 'it takes none';
        report(['protocols', i, 'options', key], `unknown ${rule.protocol} option (${choices})`);
      }
    }
  }
}

const PLURAL: Record<ItemKind, string> = { roundtrip: 'roundtrips', span: 'spans', metric: 'metrics' };

/**
 * Each processor must take what the one before it gives (roundtrips at the start), each sink
 * what the last gives. Only the first misfit is reported: what follows it would only echo it.
 */
function checkItemKinds(
  processors: ConfiguredComponent<ProcessorFactory>[],
  sinks: ConfiguredComponent<SinkFactory>[],
  at: PropertyKey[],
  report: Report,
): void {
  let carried: ItemKind = 'roundtrip';
  let from = 'the pipeline start';
  const fits = (component: ItemFlow & { use: string }, path: PropertyKey[]): boolean => {
    if (component.takes === carried) return true;
    report([...path, 'use'], `"${component.use}" takes ${PLURAL[component.takes]}, but ${from} gives ${PLURAL[carried]}`);
    return false;
  };
  for (const [i, processor] of processors.entries()) {
    if (!fits(processor, [...at, 'processors', i])) return;
    carried = processor.gives;
    from = `"${processor.use}" (processors[${i}])`;
  }
  for (const [i, sink] of sinks.entries()) fits(sink, [...at, 'sinks', i]);
}

type Entry = { use: string } & Record<string, unknown>;

function optionsOf(entry: Entry): Record<string, unknown> {
  const { use: _use, ...options } = entry;
  return options;
}

function resolveBuiltin<F>(
  kind: 'processor' | 'sink',
  builtin: ({ options: z.ZodType; create: F } & ItemFlow) | undefined,
  known: string[],
  entry: Entry,
  at: PropertyKey[],
  report: Report,
): ConfiguredComponent<F> | undefined {
  if (builtin === undefined) {
    const hint = kind === 'processor' ? '; custom processors load from a path like ./my-processor.js' : '';
    report([...at, 'use'], `unknown ${kind} "${entry.use}" (built-in: ${known.join(', ')}${hint})`);
    return undefined;
  }
  const parsed = builtin.options.safeParse(optionsOf(entry));
  if (!parsed.success) {
    reportZodIssues(parsed.error.issues, at, report);
    return undefined;
  }
  return { use: entry.use, options: parsed.data as Record<string, unknown>, create: builtin.create, takes: builtin.takes, gives: builtin.gives };
}

async function resolveProcessor(
  entry: Entry,
  baseDir: string,
  at: PropertyKey[],
  report: Report,
): Promise<ConfiguredComponent<ProcessorFactory> | undefined> {
  if (!isModulePath(entry.use)) return resolveBuiltin('processor', getProcessor(entry.use), processorNames(), entry, at, report);
  try {
    return { use: entry.use, options: optionsOf(entry), create: await loadProcessorModule(entry.use, baseDir), ...ROUNDTRIP_FLOW };
  } catch (err) {
    report([...at, 'use'], (err as Error).message);
    return undefined;
  }
}

/**
 * Start offset of the node a path points at: the key for map entries (so "unknown key" and
 * "expected string" point at the line that names it), the item for list entries. A path that
 * runs past the document (a missing key) points at the deepest node that exists.
 */
function offsetOf(doc: Document, path: PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as { range?: [number] } | null)?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
      if (!pair) break;
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as { range?: [number] } | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}
