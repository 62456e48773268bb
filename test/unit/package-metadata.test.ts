// What npm shows and installs for each published package: licence, links, release metadata, the
// ioredis range, the shipped bins and README links that work on the registry's page.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const REPOSITORY = 'https://github.com/sentinelkit/sentinelkit';
const PACKAGES = ['core', 'cache-manager', 'express-session', 'nestjs', 'cli', 'testing'];

interface PackageJson {
  name: string;
  license?: string;
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
  publishConfig?: { access?: string };
  engines?: { node?: string };
  files?: string[];
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const read = (path: string) => readFileSync(join(root, path), 'utf8');
const manifest = (dir: string) => JSON.parse(read(`packages/${dir}/package.json`)) as PackageJson;

describe.each(PACKAGES)('@sentinelkit/%s', (dir) => {
  const pkg = manifest(dir);

  it('ships the MIT licence, the same text as the repository', () => {
    expect(pkg.license).toBe('MIT');
    expect(read('LICENSE')).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 sentinelkit contributors\n/,
    );
    expect(read(`packages/${dir}/LICENSE`)).toBe(read('LICENSE'));
    expect(pkg.files).toContain('LICENSE');
  });

  it('has a changelog, shipped', () => {
    expect(read(`packages/${dir}/CHANGELOG.md`)).toMatch(new RegExp(`^# ${pkg.name}\n`));
    expect(pkg.files).toContain('CHANGELOG.md');
  });

  it('links to its place in the repository, its issues, and publishes in public', () => {
    expect(pkg.repository).toEqual({
      type: 'git',
      url: `git+${REPOSITORY}.git`,
      directory: `packages/${dir}`,
    });
    expect(pkg.homepage).toBe(`${REPOSITORY}/tree/main/packages/${dir}#readme`);
    expect(pkg.bugs).toEqual({ url: `${REPOSITORY}/issues` });
    expect(pkg.publishConfig?.access).toBe('public');
    expect(pkg.engines?.node).toBe(manifest('core').engines?.node);
  });

  it('ships its source once: src/ next to maps without a copy of it', () => {
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'src']));
    expect(read(`packages/${dir}/tsup.config.ts`)).toContain('options.sourcesContent = false');
  });

  it('depends on ioredis 6 by range, never on one exact version', () => {
    for (const deps of [pkg.dependencies, pkg.peerDependencies]) {
      if (deps?.ioredis !== undefined) expect(deps.ioredis).toBe('^6.0.0');
    }
  });

  it('names the other sentinelkit packages it needs by workspace:^ (rewritten at publish)', () => {
    for (const deps of [pkg.dependencies, pkg.peerDependencies]) {
      for (const [name, range] of Object.entries(deps ?? {})) {
        if (name.startsWith('@sentinelkit/')) expect(range, name).toBe('workspace:^');
      }
    }
  });

  it('links to the repository from its README, not to paths that only exist in a checkout', () => {
    const relative = [...read(`packages/${dir}/README.md`).matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1] ?? '')
      .filter((target) => !/^(https?:|#|mailto:)/.test(target));
    expect(relative).toEqual([]);
  });
});

describe('ioredis', () => {
  it('is a peer of the core (the app installs the one copy) and a dev dependency here', () => {
    const core = manifest('core');
    expect(core.peerDependencies?.ioredis).toBe('^6.0.0');
    expect(core.dependencies?.ioredis).toBeUndefined();
    // The workspace develops against the oldest version the range accepts; CI also runs the
    // newest (.ci/ioredis-range.sh).
    expect(core.devDependencies?.ioredis).toBe('6.0.0');
  });
});

describe('bins', () => {
  it.each([
    ['cli', 'sentinelkit'],
    ['testing', 'sentinelkit-topology'],
  ])(
    '@sentinelkit/%s ships %s: a committed shim loading dist/cli.js, built from src/cli.ts',
    (dir, bin) => {
      // pnpm links workspace bins at install, before the build: a bin inside dist/ warned "Failed
      // to create bin" on every fresh install. The shim is in the repository and in the tarball.
      const target = `./bin/${bin}.js`;
      expect(manifest(dir).bin).toEqual({ [bin]: target });
      expect(manifest(dir).files).toContain('bin');
      const path = join(root, `packages/${dir}`, target);
      const shim = read(`packages/${dir}/${target}`);
      expect(shim.startsWith('#!/usr/bin/env node\n')).toBe(true);
      expect(shim).toContain("new URL('../dist/cli.js', import.meta.url)");
      expect(statSync(path).mode & 0o111, 'the shim is executable').not.toBe(0);
      const tsup = read(`packages/${dir}/tsup.config.ts`);
      expect(tsup).toContain("entry: ['src/cli.ts']");
      expect(existsSync(join(root, `packages/${dir}/src/cli.ts`))).toBe(true);
    },
  );
});
