/**
 * deriveContainerSpec on hand-written inspect answers, shaped like Docker Engine 20.10
 * (API 1.41) writes them: null for unset lists, image defaults merged into Config, the short
 * id as hostname and as a network alias.
 */
import { describe, expect, it } from 'vitest';
import {
  anonymousVolumes,
  deriveContainerSpec,
  type ImageConfig,
  type InspectedContainer,
} from '../../../src/platforms/docker/container-spec.ts';

const id = 'a1b2c3d4e5f6'.padEnd(64, '0');
const anonymousName = 'f'.repeat(64);

/** The image moodle:4.4 as `docker image inspect` shows its Config. */
const oldImage: ImageConfig = {
  Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'MOODLE_VERSION=4.4'],
  Cmd: ['apache2-foreground'],
  Entrypoint: ['/entrypoint.sh'],
  Labels: { 'org.opencontainers.image.version': '4.4', maintainer: 'pes' },
  Healthcheck: { Test: ['CMD', 'curl', '-f', 'http://localhost/'], Interval: 30e9, Retries: 3 },
  WorkingDir: '/var/www/html',
  User: 'www-data',
  ExposedPorts: { '80/tcp': {} },
  Volumes: { '/var/www/moodledata': {} },
  StopSignal: 'SIGWINCH',
};

/** A Compose replica of moodle:4.4 with settings of its own on top of the image's. */
function moodle(extra: Partial<InspectedContainer> = {}): InspectedContainer {
  return {
    Id: id,
    Name: '/pes-moodle-1',
    Config: {
      Hostname: id.slice(0, 12),
      Domainname: '',
      User: 'www-data',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: [
        'MOODLE_DB_HOST=postgres',
        'MOODLE_VERSION=4.4-custom',
        'PATH=/usr/local/bin:/usr/bin:/bin',
      ],
      Cmd: ['apache2-foreground'],
      Entrypoint: ['/entrypoint.sh'],
      Image: 'moodle:4.4',
      Labels: {
        'com.docker.compose.project': 'pes',
        'com.docker.compose.service': 'moodle',
        'com.docker.compose.container-number': '1',
        'org.opencontainers.image.version': '4.4',
        maintainer: 'pes',
      },
      Volumes: { '/var/www/moodledata': {}, '/cache': {} },
      WorkingDir: '/var/www/html',
      ExposedPorts: { '80/tcp': {}, '9000/tcp': {} },
      StopSignal: 'SIGWINCH',
      StopTimeout: 30,
      Healthcheck: oldImage.Healthcheck,
    },
    HostConfig: {
      Binds: ['moodle-config:/etc/moodle:ro', '/srv/pes/php.ini:/usr/local/etc/php/php.ini'],
      Mounts: [{ Type: 'tmpfs', Source: '', Target: '/tmp' }],
      NetworkMode: 'pes_default',
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } },
      Memory: 536870912,
      Links: ['/pes-redis-1:/pes-moodle-1/redis'],
    },
    Mounts: [
      {
        Type: 'volume',
        Name: 'moodle-config',
        Source: '/v/moodle-config/_data',
        Destination: '/etc/moodle',
        RW: false,
      },
      {
        Type: 'bind',
        Source: '/srv/pes/php.ini',
        Destination: '/usr/local/etc/php/php.ini',
        RW: true,
      },
      {
        Type: 'volume',
        Name: anonymousName,
        Source: `/v/${anonymousName}/_data`,
        Destination: '/var/www/moodledata',
        RW: true,
      },
      { Type: 'tmpfs', Source: '', Destination: '/tmp', RW: true },
    ],
    NetworkSettings: {
      Networks: {
        pes_default: {
          Aliases: ['pes-moodle-1', 'moodle', id.slice(0, 12)],
          IPAMConfig: undefined,
          NetworkID: 'n1',
          IPAddress: '172.18.0.5',
        },
        pes_backend: { Aliases: ['moodle', id.slice(0, 12)], NetworkID: 'n2' },
      },
    },
    ...extra,
  };
}

describe('deriveContainerSpec for a replica (same image)', () => {
  const spec = deriveContainerSpec(moodle(), {
    name: 'pes-moodle-2',
    labels: { 'com.docker.compose.container-number': '2' },
    keepAnonymousVolumes: false,
  });

  it('copies the whole Config but the engine-made hostname, with the new replica number', () => {
    expect(spec.create).toMatchObject({
      name: 'pes-moodle-2',
      Image: 'moodle:4.4',
      User: 'www-data',
      Env: [
        'MOODLE_DB_HOST=postgres',
        'MOODLE_VERSION=4.4-custom',
        'PATH=/usr/local/bin:/usr/bin:/bin',
      ],
      Cmd: ['apache2-foreground'],
      Entrypoint: ['/entrypoint.sh'],
      WorkingDir: '/var/www/html',
      ExposedPorts: { '80/tcp': {}, '9000/tcp': {} },
      Volumes: { '/var/www/moodledata': {}, '/cache': {} },
      StopSignal: 'SIGWINCH',
      StopTimeout: 30,
      Healthcheck: oldImage.Healthcheck,
      Tty: false,
      OpenStdin: false,
    });
    expect(spec.create.Labels).toEqual({
      'com.docker.compose.project': 'pes',
      'com.docker.compose.service': 'moodle',
      'com.docker.compose.container-number': '2',
      'org.opencontainers.image.version': '4.4',
      maintainer: 'pes',
    });
    expect(spec.create).not.toHaveProperty('Hostname');
    expect(spec.create).not.toHaveProperty('Domainname');
  });

  it('copies HostConfig; links are written as a create request takes them', () => {
    expect(spec.create.HostConfig).toEqual({
      ...moodle().HostConfig,
      Links: ['pes-redis-1:redis'],
    });
  });

  it('gives a replica fresh anonymous volumes, as Compose does', () => {
    expect(spec.create.HostConfig?.Mounts).toEqual([{ Type: 'tmpfs', Source: '', Target: '/tmp' }]);
  });

  it('attaches the primary network at create and the others after, with its own aliases', () => {
    expect(spec.create.NetworkingConfig).toEqual({
      EndpointsConfig: { pes_default: { Aliases: ['pes-moodle-2', 'moodle'] } },
    });
    expect(spec.connect).toEqual([{ network: 'pes_backend', endpoint: { Aliases: ['moodle'] } }]);
  });

  it('keeps a hostname that was set explicitly', () => {
    const named = moodle();
    const explicit = deriveContainerSpec(
      { ...named, Config: { ...named.Config, Hostname: 'lms', Domainname: 'pes.example' } },
      { name: 'pes-moodle-2', keepAnonymousVolumes: false },
    );
    expect(explicit.create).toMatchObject({ Hostname: 'lms', Domainname: 'pes.example' });
  });

  it('configures no endpoint for the none, host and container: network modes', () => {
    for (const mode of ['none', 'host', 'container:abc']) {
      const base = moodle();
      const derived = deriveContainerSpec(
        { ...base, HostConfig: { ...base.HostConfig, NetworkMode: mode } },
        { name: 'x', keepAnonymousVolumes: false },
      );
      expect(derived.create.NetworkingConfig).toBeUndefined();
      expect(derived.connect).toEqual([]);
      expect(derived.create.HostConfig?.NetworkMode).toBe(mode);
    }
  });
});

describe('deriveContainerSpec on a new image (update)', () => {
  const spec = deriveContainerSpec(moodle(), {
    name: 'pes-moodle-1',
    image: { reference: 'moodle:4.5', previous: oldImage },
    labels: { 'pes.bot/previous-image': 'moodle:4.4@sha256:…' },
    keepAnonymousVolumes: true,
  });

  it('drops what the container only inherited from the old image', () => {
    expect(spec.create.Image).toBe('moodle:4.5');
    // Inherited: left to the new image.
    for (const key of ['Cmd', 'Entrypoint', 'Healthcheck', 'WorkingDir', 'User', 'StopSignal']) {
      expect(spec.create).not.toHaveProperty(key);
    }
    // Its own: the changed MOODLE_VERSION and the added variable, port, volume and labels.
    expect(spec.create.Env).toEqual(['MOODLE_DB_HOST=postgres', 'MOODLE_VERSION=4.4-custom']);
    expect(spec.create.ExposedPorts).toEqual({ '9000/tcp': {} });
    expect(spec.create.Volumes).toEqual({ '/cache': {} });
    expect(spec.create.Labels).toEqual({
      'com.docker.compose.project': 'pes',
      'com.docker.compose.service': 'moodle',
      'com.docker.compose.container-number': '1',
      'pes.bot/previous-image': 'moodle:4.4@sha256:…',
    });
    expect(spec.create.StopTimeout).toBe(30);
  });

  it('keeps settings that differ from the old image’s', () => {
    const base = moodle();
    const own = deriveContainerSpec(
      {
        ...base,
        Config: {
          ...base.Config,
          Cmd: ['php-fpm'],
          User: 'root',
          Healthcheck: { Test: ['NONE'] },
          Labels: { ...base.Config.Labels, maintainer: 'someone else' },
        },
      },
      {
        name: 'pes-moodle-1',
        image: { reference: 'moodle:4.5', previous: oldImage },
        keepAnonymousVolumes: true,
      },
    );
    expect(own.create).toMatchObject({
      Cmd: ['php-fpm'],
      User: 'root',
      Healthcheck: { Test: ['NONE'] },
      Labels: { maintainer: 'someone else' },
    });
  });

  it('keeps everything when the old image is gone and its defaults are unknown', () => {
    const blind = deriveContainerSpec(moodle(), {
      name: 'pes-moodle-1',
      image: { reference: 'moodle:4.5', previous: undefined },
      keepAnonymousVolumes: true,
    });
    expect(blind.create).toMatchObject({
      Image: 'moodle:4.5',
      Cmd: ['apache2-foreground'],
      User: 'www-data',
    });
    expect(blind.create.Env).toHaveLength(3);
  });

  it('mounts the old anonymous volume again by name, and leaves binds and named volumes alone', () => {
    expect(spec.create.HostConfig?.Binds).toEqual(moodle().HostConfig.Binds);
    expect(spec.create.HostConfig?.Mounts).toEqual([
      { Type: 'tmpfs', Source: '', Target: '/tmp' },
      { Type: 'volume', Source: anonymousName, Target: '/var/www/moodledata', ReadOnly: false },
    ]);
  });

  it('gives a source to an anonymous volume declared with --mount', () => {
    const base = moodle();
    const declared = deriveContainerSpec(
      {
        ...base,
        HostConfig: {
          ...base.HostConfig,
          Mounts: [{ Type: 'volume', Source: '', Target: '/var/www/moodledata' }],
        },
      },
      {
        name: 'pes-moodle-1',
        image: { reference: 'moodle:4.5', previous: oldImage },
        keepAnonymousVolumes: true,
      },
    );
    expect(declared.create.HostConfig?.Mounts).toEqual([
      { Type: 'volume', Source: anonymousName, Target: '/var/www/moodledata', ReadOnly: false },
    ]);
  });

  it('keeps the container’s own name as a network alias', () => {
    expect(spec.create.NetworkingConfig?.EndpointsConfig?.['pes_default']?.Aliases).toEqual([
      'pes-moodle-1',
      'moodle',
    ]);
  });
});

describe('anonymousVolumes', () => {
  it('finds the volumes no bind and no mount with a source asked for', () => {
    expect(anonymousVolumes(moodle()).map((m) => m.Destination)).toEqual(['/var/www/moodledata']);
  });

  it('finds none in a container without volumes', () => {
    expect(anonymousVolumes(moodle({ Mounts: null }))).toEqual([]);
  });
});
