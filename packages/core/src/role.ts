/** A `ROLE` reply, parsed. Sentinel's `'slave'` is reported as `'replica'`. */
export type RoleInfo =
  | {
      role: 'master';
      /** The master's replication offset. */
      replOffset: number;
      /** Connected replicas with the offset each has acknowledged. */
      replicas: {
        /** Replica address as the master sees it. */
        host: string;
        /** Replica port (its announced port). */
        port: number;
        /** Offset the replica has acknowledged. */
        replOffset: number;
      }[];
    }
  | {
      role: 'replica';
      /** The master it replicates from. */
      masterHost: string;
      /** Port of the master it replicates from. */
      masterPort: number;
      /** `'connected'` once in sync; `'connect'`, `'connecting'`, `'sync'`, `'handshake'` before. */
      linkState: string;
      /** Replication offset, -1 before the first sync. */
      replOffset: number;
    }
  | {
      role: 'sentinel';
      /** Master names this sentinel monitors. */
      masterNames: string[];
    };

/** The replication section of `INFO replication` on a master, parsed. */
export interface ReplicationInfo {
  /** `role:` as Redis writes it (`'master'` or `'slave'`). */
  role: string | undefined;
  /** `master_repl_offset:`. */
  replOffset: number | undefined;
  /** One entry per `slaveN:` line. */
  replicas: {
    /** Replica address as the master sees it (`ip=`). */
    host: string;
    /** Replica port (`port=`). */
    port: number;
    /** `'online'` once in sync; `'wait_bgsave'`, `'send_bulk'` before. */
    state: string;
    /** Offset the replica has acknowledged (`offset=`). */
    replOffset: number | undefined;
    /** Seconds since the replica's last acknowledgement (`lag=`). */
    lagSeconds: number | undefined;
  }[];
}

/** Parses a `ROLE` reply (strings or Buffers); `undefined` when it is not one. */
export function parseRole(reply: unknown): RoleInfo | undefined {
  if (!Array.isArray(reply)) return undefined;
  const role = text(reply[0]);
  if (role === 'master') {
    const replOffset = int(reply[1]);
    const list = Array.isArray(reply[2]) ? reply[2] : [];
    const replicas = list.flatMap((entry: unknown) => {
      if (!Array.isArray(entry)) return [];
      const host = text(entry[0]);
      const port = int(entry[1]);
      const offset = int(entry[2]);
      return host && port !== undefined ? [{ host, port, replOffset: offset ?? 0 }] : [];
    });
    return replOffset === undefined ? undefined : { role, replOffset, replicas };
  }
  if (role === 'slave') {
    const masterHost = text(reply[1]);
    const masterPort = int(reply[2]);
    const linkState = text(reply[3]);
    const replOffset = int(reply[4]);
    if (!masterHost || masterPort === undefined || linkState === undefined) return undefined;
    return { role: 'replica', masterHost, masterPort, linkState, replOffset: replOffset ?? -1 };
  }
  if (role === 'sentinel') {
    const names = Array.isArray(reply[1]) ? reply[1] : [];
    return { role, masterNames: names.map(text).filter((n) => n !== undefined) };
  }
  return undefined;
}

/** Parses the text of `INFO replication`; unknown lines are ignored. */
export function parseReplicationInfo(info: string): ReplicationInfo {
  const fields = new Map<string, string>();
  const replicas: ReplicationInfo['replicas'] = [];
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (!/^slave\d+$/.test(key)) {
      fields.set(key, value);
      continue;
    }
    const entry = new Map(value.split(',').map((pair) => pair.split('=', 2) as [string, string]));
    const host = entry.get('ip');
    const port = int(entry.get('port'));
    if (!host || port === undefined) continue;
    replicas.push({
      host,
      port,
      state: entry.get('state') ?? '',
      replOffset: int(entry.get('offset')),
      lagSeconds: int(entry.get('lag')),
    });
  }
  return { role: fields.get('role'), replOffset: int(fields.get('master_repl_offset')), replicas };
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return undefined;
}

function int(value: unknown): number | undefined {
  const digits = typeof value === 'number' ? String(value) : text(value);
  if (digits === undefined || !/^-?\d+$/.test(digits)) return undefined;
  const number = Number(digits);
  return Number.isSafeInteger(number) ? number : undefined;
}
