/**
 * The deployment files say what the code does: no Docker engine runs here, so what can be
 * checked is checked as text. The docs list every configuration variable.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface Service {
  build: string | { context: string; args?: Record<string, string> };
  environment: Record<string, string>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes: Record<string, unknown> };

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
    for (const name of Object.keys(gateway.environment)) expect(CONFIG_VARIABLES).toContain(name);
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
