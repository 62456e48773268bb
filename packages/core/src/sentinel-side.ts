/**
 * The Sentinel side of a client: asking the sentinels (sentinel-link.ts), watching their events
 * (sentinel-watch.ts), polling, and turning both into events for the master (master.ts) and
 * changes of the read rotation (replica-rotation.ts).
 */
import type { ClientContext } from './context.js';
import { sameAddress } from './data-node.js';
import type { MasterChangeReason } from './events.js';
import type { Master } from './master.js';
import type { ReplicaRotation } from './replica-rotation.js';
import { isFailoverAbort, isFailoverStart, type SentinelEvent } from './sentinel-events.js';
import { type SentinelAnswer, SentinelLink } from './sentinel-link.js';
import { SentinelWatch } from './sentinel-watch.js';
import { formatAddress, type NodeAddress } from './types.js';

/**
 * A learnt sentinel whose watch connection stayed down this long is forgotten (see
 * #forgetUnreachable). Sentinel itself flags a peer it cannot reach (`s_down`) within its
 * `down-after-milliseconds`, and flagged peers are never learnt: a minute is past that for the
 * usual settings, and long enough for a sentinel restarting at the same address to come back.
 */
export const FORGET_UNREACHABLE_MS = 60_000;

export class SentinelSide {
  readonly link: SentinelLink;
  readonly #watch: SentinelWatch;
  #pollTimer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  /** Times the client asked Sentinel for the topology (polls and event-driven refreshes). */
  queries = 0;
  /** Of those, the ones no sentinel answered. */
  queryFailures = 0;

  constructor(
    private readonly context: ClientContext,
    private readonly master: Master,
    private readonly rotation: ReplicaRotation,
  ) {
    this.link = new SentinelLink(context.options, (error) => context.report(error));
    this.#watch = new SentinelWatch(
      context.options,
      (event, receivedAt) => this.#onEvent(event, receivedAt),
      (error) => context.report(error),
    );
  }

  /** Sentinels in the order they are asked. */
  get sentinels(): readonly NodeAddress[] {
    return this.link.sentinels;
  }

  /** Sentinels whose event subscription is live. */
  get watched(): number {
    return this.#watch.live;
  }

  /** Once connected: watch every known sentinel's events and poll them. */
  start(): void {
    this.#watch.watch(this.link.sentinels);
    this.#schedulePoll();
  }

  /** Stops polling and closes every sentinel connection. */
  close(): Promise<void> {
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    return Promise.all([this.link.shutdown(), this.#watch.close()]).then(() => undefined);
  }

  /** Brings sentinels and replicas in line with what a sentinel said. */
  async reconcile(answer: SentinelAnswer, deadline: number): Promise<void> {
    const learnt = this.link.learn(answer.sentinels);
    if (this.#forgetUnreachable() || learnt) {
      this.context.emit({
        type: 'SENTINEL_LIST_CHANGE',
        sentinels: this.link.sentinels.map((s) => ({ ...s })),
      });
      this.#watch.watch(this.link.sentinels);
    }
    const master = this.master.node;
    // A lagging sentinel describes replicas of another master: not ours to act on.
    if (!master || !sameAddress(master.announced, answer.master)) return;
    await this.rotation.reconcile(answer, master, deadline);
  }

  /**
   * Forgets the learnt sentinels (never those of the options) whose watch connection has been
   * down for {@link FORGET_UNREACHABLE_MS}: a churned Kubernetes pod IP is not dialled forever.
   * True when one was forgotten.
   */
  #forgetUnreachable(): boolean {
    let forgot = false;
    for (const sentinel of [...this.link.sentinels]) {
      const down = this.#watch.downFor(sentinel);
      if (down === undefined || down < FORGET_UNREACHABLE_MS) continue;
      if (!this.link.forget(sentinel)) continue;
      void this.#watch.unwatch(sentinel);
      forgot = true;
    }
    return forgot;
  }

  /** Asks Sentinel for the current topology and brings the client's view in line. */
  refresh(reason: MasterChangeReason): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const deadline = this.context.options.clock() + this.context.options.connectTimeout;
        this.queries++;
        const first = await this.link.ask(deadline).catch((error: unknown) => {
          this.queryFailures++;
          throw error;
        });
        if (this.master.lifecycle !== 'ready') return;
        this.#watch.watch(this.link.sentinels);
        let answer = (await this.master.follow(first, reason)) ? first : undefined;
        if (!answer) {
          // The sentinel asked first named a node that is not master: it may be stale
          // (partitioned away). The others are asked, highest config epoch first.
          this.link.demote(first.from);
          for (const other of await this.link.survey(deadline, first.from)) {
            if (sameAddress(other.master, first.master)) continue;
            if (await this.master.follow(other, reason)) {
              this.link.promote(other.from);
              answer = other;
              break;
            }
          }
        }
        if (answer) await this.reconcile(answer, deadline);
      } catch (error) {
        this.context.report(error);
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  #schedulePoll(): void {
    if (this.master.lifecycle !== 'ready') return;
    this.#pollTimer = setTimeout(() => {
      void this.refresh('poll').finally(() => this.#schedulePoll());
    }, this.context.options.sentinelPollInterval);
    // Polling alone must not keep the process alive; open connections do that.
    this.#pollTimer.unref();
  }

  #onEvent(event: SentinelEvent, receivedAt: number): void {
    if (this.master.lifecycle !== 'ready') return;
    if (event.type === '+switch-master' && event.newMaster) {
      this.master.dispatch({ type: 'switch-announced', address: event.newMaster, at: receivedAt });
      return;
    }
    if (isFailoverStart(event.type)) {
      // Until +switch-master (or an abort) new writes wait: the old master keeps accepting
      // writes until it is reconfigured, and whatever it accepts after the promotion is lost.
      this.master.dispatch({ type: 'failover-start', at: receivedAt });
      return;
    }
    if (isFailoverAbort(event.type)) {
      this.master.dispatch({ type: 'failover-end' });
      return;
    }
    const instance = event.instance;
    if (!instance) return;
    if ((event.type === '+sdown' || event.type === '+odown') && instance.kind === 'master') {
      this.master.dispatch({ type: 'flagged-down', address: instance.address });
      return;
    }
    if (event.type === '+sdown' && instance.kind === 'replica') {
      const replica = this.rotation.get(formatAddress(instance.address));
      if (replica) this.rotation.remove(replica, 'down');
      return;
    }
    // Anything else (-sdown, +slave, +convert-to-slave, +reboot, …) may bring a
    // replica back or change roles: look again now rather than at the next poll.
    void this.refresh('poll');
  }
}
