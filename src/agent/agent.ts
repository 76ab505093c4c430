import type { Logger } from '../pipeline/component.js';
import { FlowGate } from '../pipeline/flow-gate.js';
import { loadPipeline, type PipelineConfig } from '../pipeline/load.js';
import { runPipeline, stderrLogger, type RunSummary } from '../pipeline/run.js';
import { Stats } from '../pipeline/stats.js';
import { LiveFeed, openLiveSource, type PacketSource } from '../sources/live/index.js';
import { AdminServer, type AdminTarget } from './admin-server.js';
import { RoundtripWatch } from './watch.js';

export interface AgentOptions {
  /** The pipeline file SIGHUP and `/-/reload` re-read; without one (a pipeline built from flags) reloads are refused. */
  file?: string;
  log?: Logger;
  /** Flush every sink this often so output shows while running. Default 1000 ms. */
  flushEveryMs?: number;
  /** Serve the admin endpoints. Default: the pipeline's `admin.enabled`. */
  admin?: boolean;
}

interface CurrentRun {
  config: PipelineConfig;
  done: Promise<RunSummary | undefined>;
  /** Set when the run failed to start or failed later. */
  error: Error | undefined;
}

/**
 * A pipeline on a live source, running until stopped: the capture is opened once and feeds
 * one pipeline run at a time (LiveFeed), so `reload()` swaps the pipeline without losing the
 * capture: the new file is loaded and validated first, an invalid one is rejected with the old
 * run untouched; a valid one ends the old run (it flushes: pending requests become unanswered,
 * sinks shut down) while packets queue, then the new run starts with the queued packets.
 * `stop()` stops the capture and flushes the run. Counters accumulate across reloads.
 */
export class Agent implements AdminTarget {
  readonly stats = new Stats();
  readonly watch = new RoundtripWatch();
  private readonly log: Logger;
  private readonly source: PacketSource;
  private readonly feed: LiveFeed;
  private current: CurrentRun;
  private admin: AdminServer | undefined;
  private reloads: Promise<unknown> = Promise.resolve();
  private stopped: Promise<void> | undefined;
  private captureRunning = true;
  /** Set once start() succeeded: a capture failure before that is start()'s error, not logged here. */
  private started = false;
  /** Resolves once the agent has stopped, by `stop()` or because the capture failed (its error). */
  readonly finished: Promise<Error | undefined>;
  /** The capture's BPF expression. */
  readonly filter: string;

  private constructor(
    config: PipelineConfig,
    private readonly options: AgentOptions,
  ) {
    this.log = options.log ?? stderrLogger;
    const opened = openLiveSource(config, this.stats);
    this.source = opened.source;
    this.filter = opened.filter;
    this.feed = new LiveFeed(this.source, { queueSize: opened.queueSize }, this.stats);
    this.current = { config, done: Promise.resolve(undefined), error: undefined };
    this.finished = this.feed.done.then(
      async () => {
        await this.stop();
        return undefined;
      },
      async (err: Error) => {
        if (this.started) this.log.error(`capture failed: ${err.message}`);
        await this.stop();
        return err;
      },
    );
  }

  /** Opens the capture, starts the pipeline and the admin server; throws one line when any cannot start. */
  static async start(config: PipelineConfig, options: AgentOptions = {}): Promise<Agent> {
    const agent = new Agent(config, options);
    try {
      await agent.source.ready();
      agent.current = await agent.startRun(config);
      if (agent.current.error) throw agent.current.error;
      if (options.admin ?? config.admin.enabled) agent.admin = await AdminServer.listen(agent, config.admin.host, config.admin.port, agent.log);
    } catch (err) {
      await agent.stop();
      throw err;
    }
    agent.started = true;
    return agent;
  }

  /** What the capture runs on, and the admin address when serving. */
  describe(): string {
    const admin = this.admin ? `; admin on ${this.current.config.admin.host}:${this.admin.port}` : '';
    return `capturing on ${this.source.description} (filter: ${this.filter})${admin}`;
  }

  get adminPort(): number | undefined {
    return this.admin?.port;
  }

  healthy(): boolean {
    return this.captureRunning && this.current.error === undefined;
  }

  /** Re-reads the pipeline file; resolves to the reason when it was rejected (logged too). Reloads run one at a time. */
  reload(): Promise<string | undefined> {
    const result = this.reloads.then(() => this.reloadNow());
    this.reloads = result;
    return result;
  }

  /** Stops the capture, ends the run (it flushes every sink) and the admin server. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.captureRunning = false;
      await this.source.stop();
      this.feed.close();
      await this.reloads;
      await this.current.done;
      await this.admin?.close();
    })();
    return this.stopped;
  }

  private async reloadNow(): Promise<string | undefined> {
    if (this.stopped) return 'stopping';
    if (this.options.file === undefined) return 'this pipeline was not read from a file';
    let next: PipelineConfig;
    try {
      next = await loadPipeline(this.options.file);
    } catch (err) {
      const reason = (err as Error).message;
      this.log.error(`reload rejected, the running pipeline goes on: ${reason}`);
      return reason;
    }
    const previous = this.current.config;
    if (JSON.stringify(next.source) !== JSON.stringify(previous.source)) this.log.warn('reload: source changes take effect on restart; the capture goes on as before');
    if (JSON.stringify(next.admin) !== JSON.stringify(previous.admin)) this.log.warn('reload: admin changes take effect on restart');
    // Keep the capture's view of the world: the source and admin the agent runs with.
    next = { ...next, source: previous.source, admin: previous.admin };
    this.feed.detach();
    await this.current.done;
    if (this.stopped) return 'stopping';
    this.current = await this.startRun(next);
    if (this.current.error) {
      const reason = this.current.error.message;
      this.log.error(`reload failed (${reason}); going back to the previous pipeline`);
      this.current = await this.startRun(previous);
      return reason;
    }
    this.log.info(`reloaded ${next.file} (pipelines: ${next.pipelines.map((p) => p.name).join(', ')})`);
    return undefined;
  }

  /** Starts a run on the feed; resolves once it consumes packets, or has failed to start (`error` set). */
  private async startRun(config: PipelineConfig): Promise<CurrentRun> {
    const gate = new FlowGate();
    const input = this.feed.attach(gate);
    const run: CurrentRun = { config, done: Promise.resolve(undefined), error: undefined };
    const withWatch = { ...config, pipelines: [...config.pipelines, this.watch.pipeline()] };
    run.done = runPipeline(withWatch, {
      packets: input.packets,
      clock: input.clock,
      gate,
      stats: this.stats,
      log: this.log,
      flushEveryMs: this.options.flushEveryMs ?? 1000,
    }).then(
      (summary) => {
        for (const { pipeline, error } of summary.pipelineErrors) run.error ??= new Error(`pipeline ${pipeline}: ${error.message}`);
        return summary;
      },
      (err: Error) => {
        run.error = err;
        this.log.error(`pipeline failed: ${err.message}`);
        return undefined;
      },
    );
    await Promise.race([input.started, run.done]);
    return run;
  }
}
