// Every public type, imported the way users import them: a change that breaks a user's types
// breaks this file first.
import type { RoutedClient, SentinelClient } from '@sentinelkit/core';
import type { SessionData, Store } from 'express-session';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  DEFAULT_STORE_OPTIONS,
  isSessionStoreError,
  type ResolvedSentinelStoreOptions,
  type SESSION_STORE_ERROR_CODES,
  type SentinelStore,
  type SentinelStoreOptions,
  type SessionReadFrom,
  type SessionSerializer,
  type SessionStoreError,
  SessionStoreError as SessionStoreErrorClass,
  type SessionStoreErrorCode,
  type SessionStoreStats,
  type StoreCallback,
  type StoredSession,
} from '../src/index.js';

describe('public types', () => {
  it('SentinelStore is an express-session Store whose methods return promises', () => {
    expectTypeOf<SentinelStore>().toMatchTypeOf<Store>();
    expectTypeOf<SentinelStore['get']>().returns.toEqualTypeOf<Promise<SessionData | null>>();
    expectTypeOf<SentinelStore['set']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<SentinelStore['all']>().returns.toEqualTypeOf<Promise<StoredSession[]>>();
    expectTypeOf<SentinelStore['ids']>().returns.toEqualTypeOf<Promise<string[]>>();
    expectTypeOf<SentinelStore['length']>().returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf<SentinelStore['stats']>().returns.toEqualTypeOf<SessionStoreStats>();
    expectTypeOf<StoreCallback<number>>().parameters.toEqualTypeOf<[unknown, number?]>();
  });

  it('options: the client is required, everything else optional', () => {
    expectTypeOf<SentinelStoreOptions['client']>().toEqualTypeOf<RoutedClient>();
    expectTypeOf<{ client: SentinelClient }>().toMatchTypeOf<SentinelStoreOptions>();
    expectTypeOf<SessionReadFrom>().toEqualTypeOf<'replica' | 'master'>();
    expectTypeOf<ResolvedSentinelStoreOptions['serializer']>().toEqualTypeOf<SessionSerializer>();
    expectTypeOf(DEFAULT_STORE_OPTIONS.maxReplicaLag).toMatchTypeOf<number>();
  });

  it('errors have a closed code union', () => {
    expectTypeOf<SessionStoreErrorCode>().toEqualTypeOf<
      (typeof SESSION_STORE_ERROR_CODES)[number]
    >();
    expectTypeOf<SessionStoreError['code']>().toEqualTypeOf<SessionStoreErrorCode>();
    expectTypeOf(isSessionStoreError).guards.toMatchTypeOf<SessionStoreError>();
  });

  it('isSessionStoreError narrows to the code it is given', () => {
    const e: unknown = new SessionStoreErrorClass('SESSION_TOO_LARGE', 'too large');
    if (isSessionStoreError(e, 'SESSION_TOO_LARGE')) {
      expectTypeOf(e.code).toEqualTypeOf<'SESSION_TOO_LARGE'>();
      expectTypeOf(e).toMatchTypeOf<SessionStoreError>();
    } else {
      expect.unreachable('a SessionStoreError is one');
    }
    const any: unknown = e;
    if (isSessionStoreError(any)) expectTypeOf(any.code).toEqualTypeOf<SessionStoreErrorCode>();
  });

  it('isSessionStoreError checks the class, not a name or code any Error can carry', () => {
    const impostor = Object.assign(new Error('x'), { code: 'PARSE_FAILED' });
    Object.defineProperty(impostor, 'name', { value: 'SessionStoreError' });
    expect(isSessionStoreError(impostor)).toBe(false);
    // Another copy of the class (ESM and CJS builds both loaded) shares the brand.
    class OtherCopy extends Error {
      readonly code = 'PARSE_FAILED';
    }
    Object.defineProperty(
      OtherCopy.prototype,
      Symbol.for('@sentinelkit/express-session.SessionStoreError'),
      { value: true },
    );
    expect(isSessionStoreError(new OtherCopy('x'), 'PARSE_FAILED')).toBe(true);
  });
});
