import { z } from 'zod';
import { toRecord } from '../model/record.js';
import type { Sink, SinkFactory } from '../pipeline/component.js';
import { LineOutput, lineOutputOptions } from './line-output.js';

export const jsonlOptions = z.strictObject(lineOutputOptions);
export type JsonlOptions = z.output<typeof jsonlOptions>;

/** One roundtrip record (see README, "The roundtrip record") per line, to stdout or a rotating file. */
export const jsonlSink: SinkFactory<JsonlOptions> = (options, context): Sink => {
  const out = new LineOutput(options, context.baseDir, context.gate, context.log);
  return {
    write: (rt) => out.writeLine(JSON.stringify(toRecord(rt))),
    flush: () => out.flush(),
    shutdown: () => out.close(),
  };
};
