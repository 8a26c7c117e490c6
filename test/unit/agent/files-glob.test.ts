import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileExcludes, Glob } from '../../../agent/src/sources/files/glob.js';

describe('Class: Glob', () => {
  it.each([
    ['/var/log/*.log', '/var/log/syslog.log', true],
    ['/var/log/*.log', '/var/log/a/b.log', false],
    ['/var/log/*.log', '/var/log/.hidden.log', false],
    ['/var/log/.*.log', '/var/log/.hidden.log', true],
    ['/var/log/app-?.log', '/var/log/app-1.log', true],
    ['/var/log/app-?.log', '/var/log/app-12.log', false],
    ['/var/log/app-[0-9].log', '/var/log/app-7.log', true],
    ['/var/log/app-[0-9].log', '/var/log/app-x.log', false],
    ['/var/log/app-[!0-9].log', '/var/log/app-x.log', true],
    ['/var/log/app-[^0-9].log', '/var/log/app-7.log', false],
    ['/var/log/[]]x', '/var/log/]x', true],
    ['/var/log/[a-]x', '/var/log/-x', true],
    ['/var/log/**/*.log', '/var/log/x.log', true],
    ['/var/log/**/*.log', '/var/log/a/b/c/x.log', true],
    ['/var/log/**/*.log', '/var/log/.git/x.log', false],
    ['/var/log/**', '/var/log/a/b.txt', true],
    ['/var/**/nginx/*.log', '/var/log/nginx/access.log', true],
    ['/var/log/a\\*b', '/var/log/a*b', true],
    ['/var/log/a\\*b', '/var/log/axb', false],
    ['/var/log/[ab', '/var/log/[ab', true],
    ['/var/log/(x)+.log', '/var/log/(x)+.log', true],
    ['/var/log/*.log', '/var/log/x.log.1', false],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(new Glob(pattern).matches(path)).toBe(expected);
  });

  describe('expand', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'vigil-glob-'));
      await mkdir(join(dir, 'a', 'b'), { recursive: true });
      await mkdir(join(dir, '.git'));
      for (const file of ['x.log', 'y.txt', '.h.log', 'a/z.log', 'a/b/w.log', '.git/g.log']) {
        await writeFile(join(dir, file), '');
      }
      await symlink(join(dir, 'a'), join(dir, 'loop'));
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('lists the files of one directory', async () => {
      const found = await new Glob(join(dir, '*.log')).expand();

      expect(found).toEqual([join(dir, 'x.log')]);
    });

    it('descends with ** but not into dot-directories or symlinks', async () => {
      const found = await new Glob(join(dir, '**/*.log')).expand();

      expect(found.sort()).toEqual(
        [join(dir, 'x.log'), join(dir, 'a/z.log'), join(dir, 'a/b/w.log')].sort(),
      );
    });

    it('follows a literal path without listing and skips missing directories', async () => {
      expect(await new Glob(join(dir, 'a/z.log')).expand()).toEqual([join(dir, 'a/z.log')]);
      expect(await new Glob(join(dir, 'missing/*.log')).expand()).toEqual([]);
    });

    it('passes through a symlinked directory named by a wildcard segment', async () => {
      const found = await new Glob(join(dir, 'l*/z.log')).expand();

      expect(found).toEqual([join(dir, 'loop/z.log')]);
    });
  });
});

describe('Function: compileExcludes', () => {
  it('matches names without a slash against the file name and others against the path', () => {
    const excluded = compileExcludes(['*.gz', '/var/log/secret/**']);

    expect(excluded('/var/log/app.log.1.gz')).toBe(true);
    expect(excluded('/var/log/secret/a/b.log')).toBe(true);
    expect(excluded('/var/log/app.log')).toBe(false);
  });
});
