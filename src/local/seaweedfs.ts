/**
 * Runs the SeaweedFS built from source in seaweedfs/ (see seaweedfs/build.sh): builds it when
 * missing, starts an all-in-one `weed server` (master, volume server, filer, S3 gateway) on
 * loopback with a data folder, waits until an object can be written, and stops it.
 * `LOCAL_ENGINE=seaweedfs npm start` and `LOCAL_ENGINE=seaweedfs npm test` use this launcher.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { answers, freePorts, isFree, runBuild, startService, stopProcess, type LocalCredentials, type LocalStore } from './process';

/** src/local and dist/local are both two levels below the project root. */
export const SEAWEEDFS_DIR = path.resolve(__dirname, '..', '..', 'seaweedfs');
export const SEAWEEDFS_BINARY = path.join(SEAWEEDFS_DIR, 'bin', 'weed');

export interface SeaweedfsSecrets extends LocalCredentials {
  /** Signs the session tokens of SeaweedFS's STS; URLs signed with a session die with this key. */
  stsSigningKey: string;
}

export interface LocalSeaweedfsOptions {
  dataDir: string;
  /** The S3 port; 0 picks a free one. Its other servers keep the ports found free at the first start. */
  port: number;
  secrets: SeaweedfsSecrets;
  /** Where SeaweedFS's own output goes; by default it is kept and shown only if start-up fails. */
  onOutput?: (line: string) => void;
}

/** A fresh STS signing key, as SeaweedFS wants it (base64 of 32 random bytes). */
export function newStsSigningKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * Its filer announces itself to the master only after checking for peers (3 s on a fresh
 * cluster, 10 s on a restart); writes wait for that, so start-up waits for a real write.
 */
const READY_TIMEOUT_MS = 90_000;
/**
 * `weed server` stops its volume server before its filer, which then spends 15 s failing to
 * flush its metadata log (a change feed for subscribers, not the files) to it. Entries are
 * already in the filer's journaled store by then, so a short grace before SIGKILL loses nothing.
 */
const STOP_GRACE_MS = 5_000;
/** Volumes: grown one at a time per bucket (each bucket is a collection), at most 256 MiB each. */
const VOLUME_SIZE_LIMIT_MB = 256;
/**
 * Enough volume slots for the test suite, which creates some 200 buckets at once (five per
 * test file); slots cost nothing until used, as volumes are not preallocated.
 */
const MAX_VOLUMES = 1000;
/** The ports of its servers, chosen at the first start (see serverPorts). */
const PORTS_FILE = 'ports.json';
/** Written and removed once at start-up, to know that writes go through. */
const PROBE_BUCKET = 'seaweedfs-ready-probe';

/**
 * Runs seaweedfs/build.sh, which returns at once when the pinned version is already built and
 * otherwise builds it, printing its progress to stderr (about 13 minutes on 2 cores).
 */
export async function ensureSeaweedfsBinary(): Promise<string> {
  return runBuild(path.join(SEAWEEDFS_DIR, 'build.sh'), SEAWEEDFS_BINARY);
}

export async function startLocalSeaweedfs(options: LocalSeaweedfsOptions): Promise<LocalStore> {
  const configDir = path.join(options.dataDir, 'config');
  const storeDir = path.join(options.dataDir, 'store');
  for (const dir of [options.dataDir, configDir, storeDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { s3Config, iamConfig } = writeConfig(configDir, options.secrets);

  for (let attempt = 1; ; attempt++) {
    const { ports, kept } = await serverPorts(configDir, options.port);
    try {
      return await startOn(ports, options, { configDir, storeDir, s3Config, iamConfig });
    } catch (error) {
      // Fresh ports can still be taken between choosing and binding them (SeaweedFS binds
      // some seconds in): choose again. Kept ones hold the cluster's identity: say so.
      if (kept || attempt === 3 || !/address already in use/.test((error as Error).message)) throw error;
      rmSync(path.join(configDir, PORTS_FILE), { force: true });
    }
  }
}

async function startOn(
  ports: ServerPorts,
  options: LocalSeaweedfsOptions,
  files: { configDir: string; storeDir: string; s3Config: string; iamConfig: string },
): Promise<LocalStore> {
  const { master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3Grpc } = ports;
  const { configDir, storeDir, s3Config, iamConfig } = files;
  const s3 = options.port === 0 ? ((await freePorts(1, Object.values(ports)))[0] as number) : options.port;
  const endpoint = `http://127.0.0.1:${s3}`;
  const sockets = localSockets(ports, s3);
  const child = await startService({
    name: 'SeaweedFS',
    binary: SEAWEEDFS_BINARY,
    args: [
      'server',
      `-dir=${storeDir}`,
      // Every server on loopback, every port chosen here (gRPC ports would otherwise be port+10000).
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-master.port=${master}`,
      `-master.port.grpc=${masterGrpc}`,
      `-volume.port=${volume}`,
      `-volume.port.grpc=${volumeGrpc}`,
      `-filer.port=${filer}`,
      `-filer.port.grpc=${filerGrpc}`,
      '-s3',
      `-s3.port=${s3}`,
      `-s3.port.grpc=${s3Grpc}`,
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
      `-s3.config=${s3Config}`,
      `-s3.iam.config=${iamConfig}`,
      // The gateway creates its buckets itself; a mistyped bucket must not spring into being.
      '-s3.autoCreateBucket=false',
      `-volume.max=${MAX_VOLUMES}`,
      `-master.volumeSizeLimitMB=${VOLUME_SIZE_LIMIT_MB}`,
      '-volume.preStopSeconds=0',
      // One master, no peers to hear from: on a restart it elects itself after this (default 10 s).
      '-master.electionTimeout=1s',
      // A local store reports nothing to anyone.
      '-master.telemetry=false',
    ],
    // Only what SeaweedFS needs: the gateway's own environment may hold other credentials.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: options.dataDir,
      // By default the master grows 7 volumes for each new collection (each bucket is one):
      // the slots would run out after a few dozen buckets. One at a time stretches them.
      WEED_MASTER_VOLUME_GROWTH_COPY_1: '1',
      WEED_MASTER_VOLUME_GROWTH_COPY_OTHER: '1',
      // A fresh single-node cluster has no volume servers to wait for before allocating.
      WEED_MASTER_VOLUME_GROWTH_ALLOCATION_DEFERRAL: '0s',
      // Growth freezes when the master's state looks rebuilt, to protect a cluster of several
      // masters; with one master and one volume server the volume server's report is the truth.
      WEED_MASTER_VOLUME_GROWTH_FREEZE_ON_TOPOLOGY_MISMATCH: 'false',
    },
    // SeaweedFS also reads master.toml, filer.toml ... from the working directory: use its own.
    cwd: configDir,
    ready: async () => (await answers(endpoint, (status) => status === 405, 'HEAD')) && (await writesGoThrough(endpoint, options.secrets)),
    readyTimeoutMs: READY_TIMEOUT_MS,
    onOutput: options.onOutput,
  }).catch((error: unknown) => {
    removeSockets(sockets);
    throw error;
  });
  return {
    engine: 'seaweedfs',
    endpoint,
    filerUrl: `http://127.0.0.1:${filer}`,
    pid: child.pid ?? -1,
    stop: async () => {
      await stopProcess(child, STOP_GRACE_MS);
      removeSockets(sockets);
    },
  };
}

/**
 * The Unix sockets `weed server` opens beside its ports, at fixed places in /tmp (the gRPC ones
 * cannot be moved). A process that is killed leaves them behind, so they are removed after it.
 */
function localSockets(ports: ServerPorts, s3: number): string[] {
  return [
    `/tmp/seaweedfs-master-grpc-${ports.masterGrpc}.sock`,
    `/tmp/seaweedfs-volume-grpc-${ports.volumeGrpc}.sock`,
    `/tmp/seaweedfs-filer-grpc-${ports.filerGrpc}.sock`,
    `/tmp/seaweedfs-s3-grpc-${ports.s3Grpc}.sock`,
    `/tmp/seaweedfs-filer-${ports.filer}.sock`,
    `/tmp/seaweedfs-s3-${s3}.sock`,
  ];
}

function removeSockets(sockets: string[]): void {
  for (const socket of sockets) {
    try {
      if (lstatSync(socket).isSocket()) rmSync(socket);
    } catch {
      // Never opened, or gone already.
    }
  }
}

interface ServerPorts {
  master: number;
  masterGrpc: number;
  volume: number;
  volumeGrpc: number;
  filer: number;
  filerGrpc: number;
  s3Grpc: number;
}

/**
 * The ports of the servers other than S3: free ones at the first start, then the same at every
 * start, because SeaweedFS names its master's state folder after the master's port
 * (`m<port>`) and its volume server after its address: other ports would start a new, empty
 * cluster beside the stored volumes.
 */
async function serverPorts(configDir: string, s3Port: number): Promise<{ ports: ServerPorts; kept: boolean }> {
  const file = path.join(configDir, PORTS_FILE);
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as ServerPorts;
    const taken = [];
    for (const [name, port] of Object.entries(kept)) if (!(await isFree(port))) taken.push(`${name} ${port}`);
    if (taken.length > 0) {
      throw new Error(
        `the ports this SeaweedFS was first started on are in use (${taken.join(', ')}); free them, or start afresh without ${path.dirname(configDir)}`,
      );
    }
    return { ports: kept, kept: true };
  }
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3Grpc] = (await freePorts(7, [s3Port])) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ports = { master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3Grpc };
  writeFileSync(file, `${JSON.stringify(ports, null, 2)}\n`, { mode: 0o600 });
  return { ports, kept: false };
}

/** The S3 identity (the gateway's, with every right) and the STS settings, readable by the owner only. */
function writeConfig(configDir: string, secrets: SeaweedfsSecrets): { s3Config: string; iamConfig: string } {
  const s3Config = path.join(configDir, 's3.json');
  const iamConfig = path.join(configDir, 'iam.json');
  const identity = {
    identities: [
      {
        name: 'gateway',
        credentials: [{ accessKey: secrets.accessKeyId, secretKey: secrets.secretAccessKey }],
        actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
      },
    ],
  };
  const iam = {
    // Sessions may last a year, as on MinIO: the gateway asks for what its longest URL needs.
    sts: { tokenDuration: '12h', maxSessionLength: '8760h', issuer: 'storage-gateway-local', signingKey: secrets.stsSigningKey },
    // A session may do only what its session policy names.
    policy: { defaultEffect: 'Deny' },
  };
  writeFileSync(s3Config, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(iamConfig, `${JSON.stringify(iam, null, 2)}\n`, { mode: 0o600 });
  return { s3Config, iamConfig };
}

/** Writes and removes one object: false until the filer has joined and takes writes. */
async function writesGoThrough(endpoint: string, credentials: LocalCredentials): Promise<boolean> {
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
  const signal = () => ({ abortSignal: AbortSignal.timeout(2000) });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: PROBE_BUCKET }), signal()).catch((error: { name?: string }) => {
      if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
    });
    await s3.send(new PutObjectCommand({ Bucket: PROBE_BUCKET, Key: 'probe', Body: 'ok' }), signal());
    await s3.send(new DeleteObjectCommand({ Bucket: PROBE_BUCKET, Key: 'probe' }), signal());
    await s3.send(new DeleteBucketCommand({ Bucket: PROBE_BUCKET }), signal());
    return true;
  } catch {
    return false;
  } finally {
    s3.destroy();
  }
}
