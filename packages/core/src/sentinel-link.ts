import { ConnectionSetupError, closedBeforeReplyHint } from './connection-errors.js';
import {
  ClosingConnections,
  messageOf,
  openConnection,
  Redis,
  sentinelOptions,
  withTimeout,
} from './connections.js';
import { closedError } from './context.js';
import {
  MasterNameUnknownError,
  NoSentinelReachableError,
  type SentinelFailure,
  SentinelKitError,
} from './errors.js';
import { type ResolvedSentinelClientOptions, secretsOf } from './options.js';
import { applyNatMap, parseSentinelInfo } from './replicas.js';
import { MAX_SENTINELS, parseSentinelList } from './sentinel-list.js';
import { formatAddress, type NodeAddress } from './types.js';

/** Thrown inside {@link SentinelLink.ask} when a sentinel does not know the master name. */
export class UnknownMasterAnswer extends Error {}

/** What one sentinel says about our master name. */
export interface SentinelAnswer {
  /** The master's address as Sentinel announces it (before the NAT map). */
  master: NodeAddress;
  /**
   * Sentinel's `config-epoch` for this master: every failover raises it, so a
   * lagging sentinel's older answer can be told from a newer one.
   */
  epoch: number | undefined;
  /** Sentinel's flags for the master (`s_down`, `o_down`, …). */
  masterFlags: string[];
  /** Raw `SENTINEL replicas` reply. */
  replicas: unknown;
  /** Other sentinels watching this master, as announced (before the NAT map). */
  sentinels: NodeAddress[];
  /** The sentinel that answered. */
  from: NodeAddress;
}

/**
 * Talks to "the" sentinel: one connection to the sentinel that answered last,
 * and on any failure the next one in turn (redis.io client spec, points 1, 2
 * and 8). The sentinel that answers moves to the front of the list.
 */
export class SentinelLink {
  private readonly known: NodeAddress[];
  private connection: { address: NodeAddress; redis: Redis } | undefined;
  private readonly secrets: (string | undefined)[];
  private stopped = false;
  // Connections being opened (a survey's, or the link's own): shutdown() closes them too.
  private readonly surveying = new Set<Redis>();
  // Connections closed (a query cut short, a sentinel dropped) whose socket has not closed yet:
  // until it has, ioredis keeps their commands' timeouts and its disconnectTimeout armed, so
  // shutdown() waits for them too.
  private readonly closing = new ClosingConnections();
  // Learnt sentinels forgotten (see forget()): not learnt again while the peers still list them.
  private readonly forgotten = new Set<string>();

  constructor(
    private readonly options: ResolvedSentinelClientOptions,
    private readonly onConnectionError: (error: Error) => void,
  ) {
    this.known = options.sentinels.map((s) => ({ host: s.host, port: s.port }));
    this.secrets = secretsOf(options);
  }

  /** Sentinels in the order they are tried (the one that answered last first). */
  get sentinels(): readonly NodeAddress[] {
    return this.known;
  }

  /**
   * Asks the sentinels in turn until one answers for our master name, each
   * attempt bounded by `sentinelTimeout` and all of them by `deadline`. Throws
   * {@link MasterNameUnknownError} when the sentinels that answered do not know
   * the name, {@link NoSentinelReachableError} when none answered.
   */
  async ask(deadline: number): Promise<SentinelAnswer> {
    const failures: SentinelFailure[] = [];
    const setupErrors: ConnectionSetupError[] = [];
    let unknownBy: string[] = [];
    for (const address of [...this.known]) {
      if (this.stopped) break;
      const remaining = deadline - this.options.clock();
      if (remaining <= 0) {
        failures.push({
          sentinel: formatAddress(address),
          error: 'not tried: connect timeout reached',
        });
        continue;
      }
      const budget = Math.min(this.options.sentinelTimeout, remaining);
      try {
        const answer = await withTimeout(
          this.query(address, budget),
          budget,
          `sentinel ${formatAddress(address)}`,
        );
        this.promote(address);
        return answer;
      } catch (error) {
        this.drop(address);
        if (error instanceof ConnectionSetupError) setupErrors.push(error);
        if (error instanceof UnknownMasterAnswer) {
          unknownBy = [...unknownBy, formatAddress(address)];
        } else {
          // A TLS-only sentinel closes a plain connection without a word.
          const hint = closedBeforeReplyHint(error, {
            side: 'sentinel',
            tls: this.options.sentinelTls !== false,
          });
          failures.push({
            sentinel: formatAddress(address),
            error: `${messageOf(error, this.secrets)}${hint ? ` (${hint})` : ''}`,
          });
        }
      }
    }
    if (unknownBy.length > 0) {
      throw new MasterNameUnknownError({
        masterName: this.options.masterName,
        sentinels: unknownBy,
      });
    }
    // Every sentinel refused the TLS handshake the same way: a certificate or
    // TLS option to fix, not sentinels to wait for.
    const tls = setupErrors.filter((e) => e.code === 'TLS_FAILED');
    if (tls[0] && tls.length === failures.length) throw tls[0];
    throw new NoSentinelReachableError({ failures });
  }

  /** Adds sentinels learnt from `SENTINEL sentinels` (spec point 9); true when the list grew. */
  learn(addresses: readonly NodeAddress[]): boolean {
    let grew = false;
    const mapped = addresses.map((announced) => applyNatMap(announced, this.options.natMap));
    // One no longer listed may be learnt again once a peer lists it (it came back).
    const listed = new Set(mapped.map(formatAddress));
    for (const key of this.forgotten) if (!listed.has(key)) this.forgotten.delete(key);
    for (const address of mapped) {
      if (this.forgotten.has(formatAddress(address))) continue;
      if (this.known.some((k) => k.host === address.host && k.port === address.port)) continue;
      if (this.known.length >= MAX_SENTINELS) break;
      this.known.push(address);
      grew = true;
    }
    return grew;
  }

  /**
   * Asks every sentinel but `except` at once, each on a connection of its own bounded by
   * `sentinelTimeout` and `deadline`, and returns the answers, highest config epoch first. Used
   * when the sentinel asked first named a node that is not master: it may be partitioned away
   * and stale, and the others know better. Sentinels that fail are left out.
   */
  async survey(deadline: number, except: NodeAddress): Promise<SentinelAnswer[]> {
    const answers = await Promise.all(
      this.known.filter((address) => address !== except).map((a) => this.askOnce(a, deadline)),
    );
    return answers
      .filter((answer) => answer !== undefined)
      .sort((a, b) => (b.epoch ?? -1) - (a.epoch ?? -1));
  }

  /**
   * Forgets a sentinel learnt from `SENTINEL sentinels` (one given in the options stays); true
   * when it was known and learnt.
   */
  forget(address: NodeAddress): boolean {
    const given = this.options.sentinels.some(
      (s) => s.host === address.host && s.port === address.port,
    );
    const index = this.known.findIndex((k) => k.host === address.host && k.port === address.port);
    if (given || index < 0) return false;
    const [forgotten] = this.known.splice(index, 1);
    if (forgotten) this.drop(forgotten);
    this.forgotten.add(formatAddress(address));
    return true;
  }

  /** Moves a sentinel that gave a stale answer to the end of the list. */
  demote(address: NodeAddress): void {
    const index = this.known.indexOf(address);
    if (index < 0 || index === this.known.length - 1) return;
    this.known.splice(index, 1);
    this.known.push(address);
    this.drop(address);
  }

  /** Moves a sentinel whose answer proved right to the front. */
  promote(address: NodeAddress): void {
    const index = this.known.indexOf(address);
    if (index > 0) {
      this.known.splice(index, 1);
      this.known.unshift(address);
    }
  }

  close(): void {
    if (this.connection) this.closeConnection(this.connection.redis);
    this.connection = undefined;
  }

  /** Closes `redis` now; shutdown() waits until it has ended. */
  private closeConnection(redis: Redis): void {
    this.closing.close(redis);
  }

  /**
   * Closes the connection for good: a query in flight fails and no sentinel is tried after it.
   * Resolves once the socket is closed.
   */
  async shutdown(): Promise<void> {
    this.stopped = true;
    const open = [...this.surveying];
    if (this.connection) open.push(this.connection.redis);
    this.close();
    for (const redis of this.surveying) this.closeConnection(redis);
    await Promise.all([
      ...open.map((redis) =>
        redis.status === 'end'
          ? undefined
          : new Promise<void>((resolve) => redis.once('end', () => resolve())),
      ),
      this.closing.ended(),
    ]);
  }

  private async askOnce(
    address: NodeAddress,
    deadline: number,
  ): Promise<SentinelAnswer | undefined> {
    const budget = Math.min(this.options.sentinelTimeout, deadline - this.options.clock());
    if (budget <= 0 || this.stopped) return undefined;
    const redis = new Redis(sentinelOptions(this.options, address));
    // A sentinel that fails here is simply not counted; the regular link reports failures.
    redis.on('error', () => {});
    this.surveying.add(redis);
    try {
      await openConnection(redis, address, budget, this.secrets, 'sentinel');
      return await withTimeout(this.read(redis, address), budget, formatAddress(address));
    } catch {
      return undefined;
    } finally {
      this.surveying.delete(redis);
      this.closeConnection(redis);
    }
  }

  private async query(address: NodeAddress, budget: number): Promise<SentinelAnswer> {
    return this.read(await this.connectionTo(address, budget), address);
  }

  private async read(redis: Redis, from: NodeAddress): Promise<SentinelAnswer> {
    const name = this.options.masterName;
    const [master, state, replicas, sentinels] = await Promise.all([
      redis.call('SENTINEL', 'get-master-addr-by-name', name),
      redis
        .call('SENTINEL', 'master', name)
        .catch(this.optional(from, 'SENTINEL master', undefined)),
      redis.call('SENTINEL', 'replicas', name).catch(this.optional(from, 'SENTINEL replicas', [])),
      redis
        .call('SENTINEL', 'sentinels', name)
        .catch(this.optional(from, 'SENTINEL sentinels', [])),
    ]);
    if (!Array.isArray(master) || master.length < 2) throw new UnknownMasterAnswer();
    const info = parseSentinelInfo(state);
    const epoch = Number(info['config-epoch']);
    return {
      master: { host: String(master[0]), port: Number(master[1]) },
      epoch: Number.isInteger(epoch) ? epoch : undefined,
      masterFlags: (info.flags ?? '').split(',').filter(Boolean),
      replicas,
      sentinels: parseSentinelList(sentinels),
      from,
    };
  }

  /**
   * The fallback of a query the answer can do without. Discovery goes on without it, but a
   * refusal by ACL (a sentinel user without that permission) is reported, not swallowed: without
   * `SENTINEL replicas` every read would go to the master with no word said.
   */
  private optional<T>(from: NodeAddress, command: string, fallback: T): (error: unknown) => T {
    return (error) => {
      const message = messageOf(error, this.secrets);
      if (/NOPERM/i.test(message)) {
        this.onConnectionError(
          new SentinelKitError(
            'PERMISSION_DENIED',
            `sentinel ${formatAddress(from)} refused ${command} to the sentinel user (sentinelUsername): ${message}`,
            { cause: error },
          ),
        );
      }
      return fallback;
    };
  }

  private async connectionTo(address: NodeAddress, budget: number): Promise<Redis> {
    const current = this.connection;
    if (current && current.address === address && current.redis.status === 'ready')
      return current.redis;
    this.close();
    const redis = new Redis(sentinelOptions(this.options, address));
    // Until it is open, openConnection() turns its errors into the one it throws.
    redis.on('error', (error: Error) => {
      if (redis.status === 'ready') this.onConnectionError(error);
    });
    // A query cut short by its deadline goes on opening: shutdown() closes it meanwhile too.
    this.surveying.add(redis);
    try {
      await openConnection(redis, address, budget, this.secrets, 'sentinel');
    } finally {
      this.surveying.delete(redis);
    }
    if (this.stopped) {
      this.closeConnection(redis);
      throw closedError();
    }
    this.connection = { address, redis };
    return redis;
  }

  private drop(address: NodeAddress): void {
    if (this.connection?.address === address) this.close();
  }
}
