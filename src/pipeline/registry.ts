import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { filter, filterOptions } from '../processors/filter.js';
import { jsonlOptions, jsonlSink } from '../sinks/jsonl.js';
import { nullOptions, nullSink } from '../sinks/null.js';
import { textOptions, textSink } from '../sinks/text.js';
import type { ComponentContext, ProcessorFactory, SinkFactory } from './component.js';

/** A built-in component: its options schema and its factory (which gets the parsed options). */
export interface BuiltinComponent<F> {
  options: z.ZodType;
  create: F;
}

/** The factory only ever gets what `options` parsed, so its own options type can be erased here. */
function builtin<O, F>(options: z.ZodType<O>, create: (options: O, context: ComponentContext) => unknown): BuiltinComponent<F> {
  return { options, create: create as unknown as F };
}

const processors = new Map<string, BuiltinComponent<ProcessorFactory>>([
  ['filter', builtin(filterOptions, filter)],
]);

const sinks = new Map<string, BuiltinComponent<SinkFactory>>([
  ['jsonl', builtin(jsonlOptions, jsonlSink)],
  ['text', builtin(textOptions, textSink)],
  ['null', builtin(nullOptions, nullSink)],
]);

export function getProcessor(name: string): BuiltinComponent<ProcessorFactory> | undefined {
  return processors.get(name);
}

export function getSink(name: string): BuiltinComponent<SinkFactory> | undefined {
  return sinks.get(name);
}

export function processorNames(): string[] {
  return [...processors.keys()];
}

export function sinkNames(): string[] {
  return [...sinks.keys()];
}

/** Add a built-in processor (for embedders; pipeline files name it like the bundled ones). */
export function registerProcessor<O>(name: string, options: z.ZodType<O>, create: ProcessorFactory<O>): void {
  processors.set(name, builtin(options, create));
}

export function registerSink<O>(name: string, options: z.ZodType<O>, create: SinkFactory<O>): void {
  sinks.set(name, builtin(options, create));
}

/** `use: ./my-processor.js` (or ../, or an absolute path) loads a module instead of a built-in. */
export function isModulePath(use: string): boolean {
  return use.startsWith('./') || use.startsWith('../') || isAbsolute(use);
}

/**
 * Imports a custom processor module, resolved against the pipeline file's directory. Its
 * default export (or its `createProcessor` export) is the ProcessorFactory. Throws an Error
 * with a one-line message when the module cannot be loaded or exports no factory.
 */
export async function loadProcessorModule(use: string, baseDir: string): Promise<ProcessorFactory> {
  const file = resolve(baseDir, use);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes(file)) throw new Error(`cannot load ${use}: no such file (${file})`);
    throw new Error(`cannot load ${use}: ${e.message.split('\n')[0]}`);
  }
  const factory = typeof mod.default === 'function' ? mod.default : mod.createProcessor;
  if (typeof factory !== 'function') {
    throw new Error(`${use} exports no processor factory (expected a default export or "createProcessor": (options, context) => operator)`);
  }
  return factory as ProcessorFactory;
}
