import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfigPath } from '../../src/config/load.ts';
import { makeTempDir } from './temp-config.ts';

describe('resolveConfigPath', () => {
  const withLocal = makeTempDir({
    'config/pes.yaml': '{}\n',
    'config/pes.example.yaml': '{}\n',
    'other.yaml': '{}\n',
  });
  const exampleOnly = makeTempDir({ 'config/pes.example.yaml': '{}\n' });

  it('prefers --config over PES_CONFIG and the files in config/', () => {
    const path = resolveConfigPath({
      flag: 'flag.yaml',
      env: { PES_CONFIG: '/etc/pes/env.yaml' },
      cwd: withLocal,
    });
    expect(path).toBe(join(withLocal, 'flag.yaml'));
  });

  it('uses PES_CONFIG when there is no flag, relative to cwd', () => {
    expect(resolveConfigPath({ env: { PES_CONFIG: 'other.yaml' }, cwd: withLocal })).toBe(
      join(withLocal, 'other.yaml'),
    );
    expect(resolveConfigPath({ env: { PES_CONFIG: '/etc/pes/env.yaml' }, cwd: withLocal })).toBe(
      '/etc/pes/env.yaml',
    );
  });

  it('treats an empty PES_CONFIG as unset', () => {
    expect(resolveConfigPath({ env: { PES_CONFIG: '' }, cwd: withLocal })).toBe(
      join(withLocal, 'config/pes.yaml'),
    );
  });

  it('uses config/pes.yaml when it exists, else the example', () => {
    expect(resolveConfigPath({ env: {}, cwd: withLocal })).toBe(join(withLocal, 'config/pes.yaml'));
    expect(resolveConfigPath({ env: {}, cwd: exampleOnly })).toBe(
      join(exampleOnly, 'config/pes.example.yaml'),
    );
  });
});
