import { Inject } from '@nestjs/common';
import { getSentinelClientToken } from './sentinel.constants.js';

/**
 * Injects the `SentinelClient` registered under `name` (`'default'` when omitted):
 *
 * ```ts
 * constructor(@InjectSentinel() private readonly sentinel: SentinelClient) {}
 * constructor(@InjectSentinel('sessions') private readonly sessions: SentinelClient) {}
 * ```
 */
export function InjectSentinel(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getSentinelClientToken(name));
}
