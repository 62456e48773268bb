/**
 * The master: which node writes go to, and the operations waiting for one. It runs the pure state
 * machine of master-state.ts: every change (discovered, failover started, switch announced, node
 * verified, lost, suspected, closed) is an event, and this class carries out the effects it
 * returns (dial and verify a node, hold writes, release or reject the waiters, emit events).
 */
import { withTimeout } from './connections.js';
import { type ClientContext, closedError } from './context.js';
import { type DataNode, delay, dialMaster, sameAddress } from './data-node.js';
import { SentinelKitError } from './errors.js';
import type { MasterChangeReason, MasterLostReason } from './events.js';
import type { NodeVerdict } from './failure-policy.js';
import {
  initialMasterState,
  isNewerEpoch,
  type Lifecycle,
  type MasterEffect,
  type MasterEvent,
  type MasterState,
  type MasterTarget,
  masterTarget,
  transition,
} from './master-state.js';
import type { SentinelAnswer } from './sentinel-link.js';
import { formatAddress } from './types.js';

type Waiter = { resolve: (node: DataNode) => void; reject: (error: Error) => void };

// Pause between attempts when Sentinel names a node that is not (yet) master:
// spec point 3, "wait a little and start again".
export const RETRY_PAUSE_MS = 100;

/** What the master needs from the other parts (wired by the facade, client.ts). */
export interface MasterHooks {
  /** Ask Sentinel now and bring the client in line (sentinel-side.ts). */
  refresh(reason: MasterChangeReason): Promise<void>;
  /** A replica promoted to master leaves the read rotation (replica-rotation.ts). */
  removePromoted(node: DataNode): void;
  /** The discovery in progress, if connect() is running. */
  connecting(): Promise<void> | undefined;
}

export class Master {
  #state: MasterState<DataNode> = initialMasterState();
  readonly #waiters = new Set<Waiter>();
  #hold: NodeJS.Timeout | undefined;
  #suspicion: Promise<void> | undefined;
  #recovering = false;
  readonly #switching = new Map<string, Promise<void>>();

  /** Writes of masters no longer in use, so stats() stays cumulative. */
  retiredWrites = 0;
  /** Times writes moved to another master after the first discovery. */
  changes = 0;
  /** Operations rejected because of a failover. */
  rejections = 0;

  constructor(
    private readonly context: ClientContext,
    private readonly hooks: MasterHooks,
  ) {}

  get lifecycle(): Lifecycle {
    return this.#state.lifecycle;
  }

  /** The verified master, `undefined` while there is none. */
  get node(): DataNode | undefined {
    return this.#state.master;
  }

  /** Operations waiting for a master now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Where an operation that needs the master goes now (see master-state.ts). */
  target(): MasterTarget<DataNode> {
    return masterTarget(this.#state);
  }

  dispatch(event: MasterEvent<DataNode>): void {
    const { state, effects } = transition(this.#state, event);
    this.#state = state;
    for (const effect of effects) this.#carryOut(effect);
  }

  #carryOut(effect: MasterEffect<DataNode>): void {
    switch (effect.type) {
      case 'verify':
        void this.#switchTo(effect.address, effect.reason, effect.epoch);
        return;
      case 'discard':
        effect.node.close();
        return;
      case 'retire':
        this.retiredWrites += effect.node.writes;
        effect.node.close();
        return;
      case 'adopt': {
        const node = effect.node;
        this.hooks.removePromoted(node);
        node.redis.once('close', () => this.drop(node, 'connection-lost'));
        return;
      }
      case 'check-alive':
        this.#checkAlive(effect.node);
        return;
      case 'hold-writes':
        // Bounded by failoverTimeout, after which Sentinel is asked again.
        this.#hold = setTimeout(
          () => this.dispatch({ type: 'failover-end' }),
          this.context.options.failoverTimeout,
        );
        this.#hold.unref();
        return;
      case 'end-hold':
        clearTimeout(this.#hold);
        this.#hold = undefined;
        return;
      case 'release-waiters':
        for (const waiter of this.#waiters) waiter.resolve(effect.node);
        this.#waiters.clear();
        return;
      case 'reject-waiters':
        for (const waiter of this.#waiters) waiter.reject(closedError());
        this.#waiters.clear();
        return;
      case 'emit':
        if (effect.event.type === 'MASTER_CHANGE' && effect.event.reason !== 'discovered') {
          this.changes++;
        }
        this.context.emit(effect.event);
        return;
      case 'refresh':
        void this.hooks.refresh('poll');
        return;
      case 'recover':
        void this.#recover();
        return;
    }
  }

  /** Stops using `node` as master (if it still is), and asks Sentinel until there is one again. */
  drop(node: DataNode, reason: MasterLostReason): void {
    this.dispatch({ type: 'lost', node, reason, at: this.context.options.clock() });
  }

  /** A command on `node` timed out: resolves once a PING decided whether it is still used. */
  suspect(node: DataNode): Promise<void> {
    this.dispatch({ type: 'suspect', node });
    return this.#suspicion ?? Promise.resolve();
  }

  /** Carries out what a failed operation says about the master (see failure-policy.ts). */
  async actOn(node: DataNode, verdict: NodeVerdict): Promise<void> {
    if (verdict === 'drop-readonly') this.drop(node, 'readonly');
    else if (verdict === 'drop-connection-lost') this.drop(node, 'connection-lost');
    else if (verdict === 'suspect') await this.suspect(node);
  }

  count(what: 'queued' | 'retried' | 'rejected'): void {
    if (what === 'rejected') this.rejections++;
    this.dispatch({ type: 'count', what });
  }

  /**
   * Brings writes in line with one sentinel's answer: keeps the master when it names ours,
   * switches when it names a newer one. Whether the client ends up on (or stays with) the master
   * it names; `false` when that node could not be verified.
   */
  async follow(answer: SentinelAnswer, reason: MasterChangeReason): Promise<boolean> {
    const before = this.#state.master;
    // Ours, or an older configuration than the one we follow: nothing to switch, nothing wrong.
    const keeps =
      before !== undefined &&
      (sameAddress(before.announced, answer.master) || !isNewerEpoch(this.#state, answer.epoch));
    const down = answer.masterFlags.includes('s_down') || answer.masterFlags.includes('o_down');
    this.dispatch({ type: 'named', address: answer.master, epoch: answer.epoch, down, reason });
    if (keeps) return true;
    await this.#switching.get(formatAddress(answer.master));
    const now = this.#state.master;
    return now !== undefined && sameAddress(now.announced, answer.master);
  }

  /**
   * Waits for a master an operation can be sent to, up to `failoverTimeout` from `startedAt`
   * (then `MASTER_UNAVAILABLE`), or until the call's `deadline` aborts.
   */
  await(startedAt: number, deadline?: AbortSignal): Promise<DataNode> {
    const target = this.target();
    if (target.kind === 'send') return Promise.resolve(target.node);
    if (target.kind === 'reject') {
      return Promise.reject(
        target.code === 'CLIENT_CLOSED'
          ? closedError()
          : new SentinelKitError('NOT_CONNECTED', 'call connect() before sending commands'),
      );
    }
    this.count('queued');
    const { options } = this.context;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.#waiters.delete(waiter);
          this.count('rejected');
          reject(
            new SentinelKitError(
              'MASTER_UNAVAILABLE',
              `no verified master for "${options.masterName}" within failoverTimeout (${options.failoverTimeout} ms)`,
            ),
          );
        },
        Math.max(0, startedAt + options.failoverTimeout - options.clock()),
      );
      // Past the call's deadline the waiter leaves at once: with no master for long, waiters of
      // timed-out calls would otherwise pile up until failoverTimeout.
      const abandon = () => {
        this.#waiters.delete(waiter);
        waiter.reject(deadline?.reason as Error);
      };
      const waiter: Waiter = {
        resolve: (node) => {
          clearTimeout(timer);
          deadline?.removeEventListener('abort', abandon);
          resolve(node);
        },
        reject: (error) => {
          clearTimeout(timer);
          deadline?.removeEventListener('abort', abandon);
          reject(error);
        },
      };
      if (deadline?.aborted) return abandon();
      deadline?.addEventListener('abort', abandon, { once: true });
      this.#waiters.add(waiter);
      if (this.#state.lifecycle === 'connecting') {
        // Waiters are released when discovery adopts a master, but the client is usable only
        // once discovery has finished.
        this.hooks.connecting()?.then(
          () => this.#state.master && waiter.resolve(this.#state.master),
          (error: Error) => {
            this.#waiters.delete(waiter);
            waiter.reject(error);
          },
        );
      }
    });
  }

  /**
   * Verifies `announced` and moves writes there, unless it already is our master or a newer one
   * is known (the `verified` event decides). Single flight per address.
   */
  #switchTo(
    announced: SentinelAnswer['master'],
    reason: MasterChangeReason,
    epoch: number | undefined,
  ): Promise<void> {
    const current = this.#state.master;
    if (current && sameAddress(current.announced, announced)) return Promise.resolve();
    const key = formatAddress(announced);
    let flight = this.#switching.get(key);
    if (!flight) {
      flight = (async () => {
        try {
          // "Quickly" (spec): a candidate that does not answer its ROLE check within
          // sentinelTimeout is not used; the next event or poll tries again.
          const { options } = this.context;
          const node = await dialMaster(
            this.context,
            announced,
            options.clock() + options.sentinelTimeout,
          );
          this.dispatch({ type: 'verified', node, reason, epoch, at: options.clock() });
        } catch (error) {
          this.context.report(error);
        } finally {
          this.#switching.delete(key);
        }
      })();
      this.#switching.set(key, flight);
    }
    return flight;
  }

  async #recover(): Promise<void> {
    if (this.#recovering) return;
    this.#recovering = true;
    try {
      while (!this.#state.master && this.#state.lifecycle === 'ready') {
        await this.hooks.refresh('reconnect');
        if (!this.#state.master) await delay(RETRY_PAUSE_MS);
      }
    } finally {
      this.#recovering = false;
    }
  }

  /**
   * The master may be hung (Sentinel flags it down, or a command timed out): a PING must come
   * back within `sentinelTimeout`, or we stop sending it anything. Commands then wait for the
   * next master instead of piling up on a node that does not answer.
   */
  #checkAlive(node: DataNode): void {
    this.#suspicion ??= withTimeout(node.redis.ping(), this.context.options.sentinelTimeout, 'PING')
      .then(
        () => undefined,
        () => this.drop(node, 'unresponsive'),
      )
      .finally(() => {
        this.#suspicion = undefined;
      });
  }
}
