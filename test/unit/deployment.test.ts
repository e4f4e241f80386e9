/**
 * The deployment files say what the code does: no Docker engine runs here, so what can be
 * checked is checked as text. The docs list every configuration variable.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  build: string | { context: string; args?: Record<string, string> };
  environment: Record<string, string>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
// Compose resolves YAML merge keys (the cluster nodes share one definition).
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

describe('docker-compose.yml', () => {
  const { minio, gateway } = compose.services as { minio: Service; gateway: Service };

  it('builds the MinIO version pinned in minio/VERSION', () => {
    const build = minio.build as { args: Record<string, string> };
    expect(build.args.MINIO_VERSION).toBe(read('minio/VERSION').trim());
  });

  it('keeps MinIO data on a named volume and checks both services’ health', () => {
    expect(minio.volumes).toEqual(['minio-data:/data']);
    expect(Object.keys(compose.volumes)).toContain('minio-data');
    expect(minio.healthcheck?.test.join(' ')).toContain('/minio/health/ready');
    expect(gateway.healthcheck?.test.join(' ')).toContain('/readyz');
    expect(gateway.depends_on).toEqual({ minio: { condition: 'service_healthy' } });
  });

  it('signs presigned URLs for an endpoint callers outside compose can reach', () => {
    expect(gateway.environment.S3_ENDPOINT).toBe('http://minio:9000');
    expect(gateway.environment.S3_PUBLIC_ENDPOINT).toMatch(/localhost:9000/);
  });

  it('sets only variables the gateway reads', () => {
    for (const service of [gateway, compose.services['gateway-cluster'] as Service]) {
      for (const name of Object.keys(service.environment)) expect(CONFIG_VARIABLES).toContain(name);
    }
  });

  describe('the cluster profile', () => {
    const nodes = ['minio1', 'minio2', 'minio3', 'minio4'].map(
      (name) => compose.services[name] as Service & { command: string; profiles: string[] },
    );
    const front = compose.services['gateway-cluster'] as Service & { profiles: string[] };

    it('runs four MinIO nodes of two drives each, every node started with every drive, at the pinned version', () => {
      for (const [i, node] of nodes.entries()) {
        expect(node.profiles).toEqual(['cluster']);
        expect(node.command).toBe('server http://minio{1...4}:9000/data{1...2}');
        expect(node.volumes).toEqual([`minio${i + 1}-data1:/data1`, `minio${i + 1}-data2:/data2`]);
        expect((node.build as { args: Record<string, string> }).args.MINIO_VERSION).toBe(read('minio/VERSION').trim());
      }
    });

    it('puts a gateway in front that knows every node, with public endpoints paired in order', () => {
      expect(front.profiles).toEqual(['cluster']);
      const loaded = loadConfig({
        ...front.environment,
        AUTH_JWT_SECRET: 'x'.repeat(32),
        S3_PUBLIC_ENDPOINT: front.environment.S3_PUBLIC_ENDPOINT?.replace(/^\$\{[A-Z0-9_]+:-(.*)\}$/, '$1'),
      });
      expect(loaded.s3.endpoints).toEqual(nodes.map((_, i) => `http://minio${i + 1}:9000`));
      expect(loaded.s3.publicEndpoints).toEqual(nodes.map((_, i) => `http://localhost:900${i + 1}`));
      expect(Object.keys(front.depends_on ?? {})).toEqual(['minio1', 'minio2', 'minio3', 'minio4']);
    });
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('is multi-stage and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('runs node as PID 1 (exec form), so SIGTERM reaches the graceful shutdown', () => {
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main.js"\]$/m);
  });
});

describe('documentation', () => {
  it.each(['README.md', 'docs/operations.md'])('%s names every configuration variable', (file) => {
    const text = read(file);
    const missing = CONFIG_VARIABLES.filter((name) => !text.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
