/**
 * Marble-test helpers for custom processors (`import { … } from 'packetd/testing'`). They run
 * on RxJS's TestScheduler and assert with node:assert, so they work under any test runner.
 */
import { deepStrictEqual } from 'node:assert';
import type { Observable, OperatorFunction } from 'rxjs';
import { TestScheduler, type RunHelpers } from 'rxjs/testing';
import type { RoundTrip } from '../model/roundtrip.js';
import type { ComponentContext, ProcessorFactory } from '../pipeline/component.js';
import { FlowGate } from '../pipeline/flow-gate.js';
import { Stats } from '../pipeline/stats.js';

export type { RunHelpers };

/** A roundtrip fixture: an HTTP GET answered 200 in 2 ms, with `overrides` on top. */
export function roundtrip(overrides: Partial<RoundTrip> = {}): RoundTrip {
  return {
    protocol: 'http',
    transport: 'tcp',
    client: { address: '10.0.0.1', port: 51234 },
    server: { address: '10.0.0.2', port: 80 },
    start: 1_700_000_000_000_000,
    end: 1_700_000_000_002_000,
    durationUs: 2_000,
    status: 'ok',
    request: { size: 120 },
    response: { size: 512 },
    attributes: { 'http.request.method': 'GET', 'url.path': '/', 'http.response.status_code': 200 },
    trace: undefined,
    connId: 1,
    ...overrides,
  };
}

/** A ComponentContext for tests: fresh Stats and FlowGate, a logger that keeps lines in `logged`. */
export function testContext(overrides: Partial<ComponentContext> = {}): ComponentContext & { logged: string[] } {
  const logged: string[] = [];
  return {
    stats: new Stats(),
    gate: new FlowGate(),
    log: {
      info: (msg) => logged.push(`info: ${msg}`),
      warn: (msg) => logged.push(`warn: ${msg}`),
      error: (msg) => logged.push(`error: ${msg}`),
    },
    baseDir: process.cwd(),
    resource: { 'service.name': 'packetd' },
    logged,
    ...overrides,
  };
}

/** Runs `callback` with a fresh TestScheduler's helpers (cold, hot, expectObservable, …). */
export function marbles(callback: (helpers: RunHelpers) => void): void {
  new TestScheduler((actual, expected) => deepStrictEqual(actual, expected)).run(callback);
}

export interface ProcessorHarness {
  context: ComponentContext & { logged: string[] };
  operator: OperatorFunction<RoundTrip, RoundTrip>;
  /** Applies the processor to a cold observable of `input` and asserts it emits `expected`. */
  expectMarbles(
    input: string,
    inputValues: Record<string, RoundTrip>,
    expected: string,
    expectedValues?: Record<string, RoundTrip>,
    expectedError?: unknown,
  ): void;
}

/** Builds a processor from its factory as a pipeline would, with a test context. */
export function testProcessor<O>(factory: ProcessorFactory<O>, options: O, context = testContext()): ProcessorHarness {
  const operator = factory(options, context);
  return {
    context,
    operator,
    expectMarbles(input, inputValues, expected, expectedValues = inputValues, expectedError) {
      marbles(({ cold, expectObservable }) => {
        const output: Observable<RoundTrip> = operator(cold(input, inputValues));
        expectObservable(output).toBe(expected, expectedValues, expectedError);
      });
    },
  };
}
