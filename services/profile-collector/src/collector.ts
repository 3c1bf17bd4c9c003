// The profile of the moment. Every poll reads the alerts Prometheus holds, pending and firing; an
// alert whose rule names a profile (annotation profile_type: cpu or heap) gets one of the instance it
// is about, taken once per episode (while the alert is pending, so that it is there when the alert
// fires). What was found is published while the alert lasts: the top functions, or the one line that
// says why there is no profile, as series the alert's own annotations read.
import {
  type CpuProfile,
  type HeapProfile,
  type ProfileType,
  type TopFunction,
  topCpuFunctions,
  topHeapFunctions,
} from '@fos/fastify-profiler';
import type { PrometheusClient, RuleAlert } from '@fos/service-kit';
import { ProfileStore } from './store.ts';
import type { FailureOutcome, TakenProfile, TakeProfileOptions } from './take-profile.ts';

export const PROFILE_TYPES: readonly ProfileType[] = ['cpu', 'heap'];
/** The functions a profile's record keeps and the series name. */
export const TOP_FUNCTIONS = 5;
export const PUBLISHED_FUNCTIONS = 3;
/** An alert about a job rather than one instance (HighLatencyP95) has this many of its instances profiled. */
export const INSTANCES_PER_JOB_ALERT = 3;

export type CaptureOutcome = 'taken' | FailureOutcome | 'not_scraped' | 'too_large';

/** What is known of one instance's profile for the alerts that are active about it. */
export interface Target {
  job: string;
  instance: string;
  type: ProfileType;
  /** The alerts asking, by name. */
  alerts: string[];
  /** When the earliest of them became active: one capture per episode. */
  activeSince: string;
  result?: { profileId: string; top: TopFunction[] } | { problem: string };
}

export interface CollectorOptions {
  prometheus: Pick<PrometheusClient, 'alerts' | 'query'>;
  store: ProfileStore;
  take: (options: TakeProfileOptions) => Promise<TakenProfile>;
  token: string;
  seconds: Record<ProfileType, number>;
  /**
   * The least time between two captures of one instance and type: an alert that flaps (its scrapes
   * time out while the loop is blocked, and it starts over) keeps the profile of its last episode
   * rather than adding a capture's cost to a process already struggling.
   */
  cooldownMs: number;
  now: () => Date;
  onCapture?: (type: ProfileType, outcome: CaptureOutcome) => void;
  log: { warn: (object: object, message: string) => void; info: (object: object, message: string) => void };
}

const key = (job: string, instance: string, type: ProfileType) => `${job}\u0000${instance}\u0000${type}`;

export class ProfileCollector {
  readonly #options: CollectorOptions;
  readonly #targets = new Map<string, Target & { attemptedFor?: string }>();
  readonly #running = new Map<string, Promise<void>>();
  /** The last capture of each instance and type, kept past its alert for the cooldown. */
  readonly #recent = new Map<string, { at: number; result?: Target['result'] }>();
  readonly #closing = new AbortController();

  constructor(options: CollectorOptions) {
    this.#options = options;
  }

  /** One round: the alerts read, captures started for new episodes (not awaited), finished ones forgotten. */
  async poll(): Promise<void> {
    const { prometheus } = this.#options;
    const alerts = await prometheus.alerts();
    const nowMs = this.#options.now().getTime();
    const wanted = new Map<string, Omit<Target, 'result'>>();
    for (const alert of alerts) {
      const type = alert.annotations.profile_type as ProfileType;
      const job = alert.labels.job;
      if (alert.state === 'inactive' || !PROFILE_TYPES.includes(type) || !job) continue;
      for (const instance of await this.#instances(alert, job)) {
        const k = key(job, instance, type);
        const target = wanted.get(k) ?? { job, instance, type, alerts: [], activeSince: alert.activeAt };
        const name = alert.labels.alertname ?? '';
        if (!target.alerts.includes(name)) target.alerts.push(name);
        if (alert.activeAt < target.activeSince) target.activeSince = alert.activeAt;
        wanted.set(k, target);
      }
    }
    for (const k of this.#targets.keys())
      if (!wanted.has(k) && !this.#running.has(k)) this.#targets.delete(k);
    for (const [k, want] of wanted) {
      const target = this.#targets.get(k);
      if (target) {
        target.alerts = want.alerts;
        if (target.activeSince !== want.activeSince) {
          // A new episode: what the last one found no longer speaks for this one.
          target.activeSince = want.activeSince;
          delete target.result;
        }
      } else {
        this.#targets.set(k, { ...want });
      }
      const current = this.#targets.get(k) as Target & { attemptedFor?: string };
      if (current.attemptedFor === current.activeSince || this.#running.has(k)) continue;
      current.attemptedFor = current.activeSince;
      const recent = this.#recent.get(k);
      if (recent && nowMs - recent.at < this.#options.cooldownMs) {
        if (recent.result) current.result = recent.result;
        continue;
      }
      const capture = this.#capture(current)
        .then(() => {
          this.#recent.set(k, { at: nowMs, ...(current.result ? { result: current.result } : {}) });
        })
        .finally(() => this.#running.delete(k));
      this.#running.set(k, capture);
    }
    for (const [k, recent] of this.#recent)
      if (nowMs - recent.at >= this.#options.cooldownMs) this.#recent.delete(k);
  }

  /** How many captures are under way now. */
  get running(): number {
    return this.#running.size;
  }

  /** The targets of active alerts, with what their capture found. */
  targets(): Target[] {
    return [...this.#targets.values()].map(({ attemptedFor: _, ...target }) => target);
  }

  /** Waits for the captures under way (each ends by its own timeout, or at once after close()). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#running.values()]);
  }

  /** Stops the captures under way: their profilers stop when the connection closes. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.drain();
  }

  /** The instance the alert is about, or (for an alert about a whole job) the first few that are up. */
  async #instances(alert: RuleAlert, job: string): Promise<string[]> {
    if (alert.labels.instance) return [alert.labels.instance];
    const up = await this.#options.prometheus.query(
      `up{job=${JSON.stringify(job)}} == 1`,
      this.#options.now(),
    );
    return up
      .map((sample) => sample.labels.instance ?? '')
      .filter((instance) => instance !== '')
      .sort()
      .slice(0, INSTANCES_PER_JOB_ALERT);
  }

  async #capture(target: Target): Promise<void> {
    const { job, instance, type } = target;
    const outcome = await this.#take(target).catch((error: unknown) => {
      const problem = `the capture failed: ${error instanceof Error ? error.message : String(error)}`;
      target.result = { problem };
      return 'failed' as const;
    });
    this.#options.onCapture?.(type, outcome);
    const result = target.result;
    if (result && 'problem' in result) {
      this.#options.log.warn({ job, instance, type, outcome, problem: result.problem }, 'no profile');
    } else if (result) {
      this.#options.log.info({ job, instance, type, profileId: result.profileId }, 'profile taken');
    }
  }

  async #take(target: Target): Promise<CaptureOutcome> {
    const { job, instance, type } = target;
    const { prometheus, store, now } = this.#options;
    const scraped = await prometheus.query(
      `up{job=${JSON.stringify(job)}, instance=${JSON.stringify(instance)}}`,
      now(),
    );
    if (scraped.length === 0) {
      target.result = {
        problem: `${job} is not scraped by Prometheus (its metrics arrive by OTLP): a profile needs @fos/fastify-profiler registered in the service and its address scraped`,
      };
      return 'not_scraped';
    }
    const seconds = this.#options.seconds[type];
    const taken = await this.#options.take({
      instance,
      type,
      seconds,
      token: this.#options.token,
      signal: this.#closing.signal,
    });
    if (!taken.ok) {
      target.result = { problem: taken.reason };
      return taken.outcome;
    }
    const profile = JSON.parse(taken.body.toString('utf8')) as CpuProfile | HeapProfile;
    const cwd = taken.workingDirectory || '/';
    const top =
      type === 'cpu'
        ? topCpuFunctions(profile as CpuProfile, TOP_FUNCTIONS, cwd)
        : topHeapFunctions(profile as HeapProfile, TOP_FUNCTIONS, cwd);
    const capturedAt = now();
    const id = ProfileStore.newId(type, capturedAt);
    const kept = await store.add(
      {
        id,
        type,
        job,
        instance,
        alerts: [...target.alerts],
        capturedAt: capturedAt.toISOString(),
        seconds,
        workingDirectory: taken.workingDirectory,
        top,
      },
      taken.body,
    );
    if (!kept) {
      target.result = {
        problem: `the ${type} profile of ${instance} (${Math.ceil(taken.body.length / 1048576)} MiB) is larger than the whole store (STORE_MAX_MIB)`,
      };
      return 'too_large';
    }
    target.result = { profileId: id, top };
    return 'taken';
  }
}
