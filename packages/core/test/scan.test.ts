import { describe, expect, it } from 'vitest';
import { escapeGlob } from '../src/scan.js';

// SCAN itself runs on real servers in the stores' integration tests (cache-manager's clear() and
// iterator, express-session's all/ids/length/clear), each asserting it never reached a replica.
describe('escapeGlob', () => {
  it('a namespace matches only itself in SCAN MATCH', () => {
    expect(escapeGlob('app')).toBe('app');
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
  });
});
