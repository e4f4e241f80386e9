/**
 * The gateway's background work on the store, beside callers' requests: what an engine does
 * not do by itself. Each job runs at start (once the buckets are prepared) and then on its
 * own interval; a failure is one warn line and the next round tries again. Several replicas
 * may run the same jobs at once: every one of them is idempotent.
 *   - every engine: aborting the streamed uploads a gateway that stopped mid-stream left;
 *   - MinIO and SeaweedFS: aborting callers' multipart sessions left open past
 *     MULTIPART_ABANDON_HOURS (AWS applies the buckets' lifecycle rule itself);
 *   - SeaweedFS: settling objects stored through upload URLs, aborting multipart uploads older
 *     than the lifecycle rule allows, and keeping the tmp expiry in the filer configuration.
 */
import type { StoreEngine } from './config';
import type { Logger } from './log';
import type { StorageService } from './storage/service';
import { ABORT_INCOMPLETE_UPLOAD_DAYS, TMP_EXPIRY_DAYS } from './storage/types';
import type { StoreUpkeep } from './store/types';

export interface UpkeepSettings {
  engine: StoreEngine;
  /** Every bucket of the gateway, and the tmp one among them. */
  buckets: string[];
  tmpBucket: string;
  orphanAgeMs: number;
  abandonAfterMs: number;
  /** Jobs wait until the buckets are prepared. */
  ready: () => boolean;
}

/** SeaweedFS: how often what upload URLs stored is settled (urlUploadRecords.ts, settle). */
const SETTLE_SWEEP_MS = 30_000;
/** How often namespaces that hold tmp objects are recounted there (the bucket's expiry deletes them). */
const EXPIRY_RECOUNT_MS = 6 * 3600_000;
/** SeaweedFS: how often stale multipart uploads are looked for, and the tmp expiry checked. */
const SEAWEEDFS_UPKEEP_MS = 10 * 60_000;

/** Starts the jobs; the answer stops them. */
export function startUpkeep(store: StoreUpkeep, service: StorageService, settings: UpkeepSettings, logger: Logger): () => void {
  const { buckets, ready } = settings;
  const failed = (what: string, bucket?: string) => (error: unknown) => {
    logger.warn({ bucket, reason: (error as { reason?: string }).reason ?? (error as Error).message }, `could not ${what}; will retry`);
    return 0;
  };
  const jobs: Job[] = [
    {
      // Half the orphan age, at most 10 minutes: an orphan is never left much past its age.
      everyMs: Math.min(settings.orphanAgeMs / 2, 10 * 60_000),
      run: async () => {
        for (const bucket of buckets) {
          const swept = await store.sweepOrphanedStreams(bucket, settings.orphanAgeMs).catch(failed('sweep orphaned uploads', bucket));
          if (swept > 0) logger.info({ bucket, swept }, 'aborted uploads left by a gateway that stopped mid-stream');
        }
      },
    },
  ];
  jobs.push({
    // The tmp expiry removes objects a day at a time: their usage follows within hours. Not
    // at start: every replica restarting would recount every namespace.
    everyMs: EXPIRY_RECOUNT_MS,
    skipFirst: true,
    run: async () => {
      const changed = await service.usage.recountExpiring().catch(failed('recount usage of expiring objects'));
      if (changed > 0) logger.info({ namespaces: changed }, 'recounted tmp usage after objects expired');
    },
  });
  if (settings.engine !== 'aws') {
    jobs.push({
      everyMs: Math.min(settings.abandonAfterMs / 4, 30 * 60_000),
      run: async () => {
        const aborted = await service.uploads.abortAbandoned(settings.abandonAfterMs).catch(failed('abort abandoned upload sessions'));
        if (aborted > 0) {
          logger.info(
            { aborted, olderThanHours: settings.abandonAfterMs / 3600_000 },
            'aborted multipart upload sessions callers left open',
          );
        }
      },
    });
  }
  if (settings.engine === 'seaweedfs') {
    jobs.push(
      {
        everyMs: SETTLE_SWEEP_MS,
        skipFirst: true,
        run: async () => {
          for (const bucket of buckets) {
            const settled = await store.sweepUrlUploads(bucket).catch(failed('settle upload URL objects', bucket));
            if (settled > 0) logger.debug({ bucket, settled }, 'settled the type and metadata of objects stored through upload URLs');
          }
        },
      },
      {
        everyMs: SEAWEEDFS_UPKEEP_MS,
        run: async () => {
          for (const bucket of buckets) {
            const stale = ABORT_INCOMPLETE_UPLOAD_DAYS * 24 * 3600_000;
            const aborted = await store.abortStaleUploads(bucket, stale).catch(failed('abort stale multipart uploads', bucket));
            if (aborted > 0) {
              logger.info({ bucket, aborted }, `aborted multipart uploads begun more than ${ABORT_INCOMPLETE_UPLOAD_DAYS} days ago`);
            }
          }
          const tmp = settings.tmpBucket;
          const outcome = await store.ensureFilerTtl(tmp, TMP_EXPIRY_DAYS).catch(failed('keep the tmp expiry in the filer', tmp));
          if (outcome === 'written') logger.warn({ bucket: tmp }, 'the tmp expiry had gone from the filer configuration; restored');
        },
      },
    );
  }
  const timers = jobs.map((job) => schedule(job, ready));
  return () => timers.forEach((timer) => clearInterval(timer));
}

interface Job {
  everyMs: number;
  /** Not at start: the first round comes after one interval. */
  skipFirst?: boolean;
  run: () => Promise<void>;
}

function schedule(job: Job, ready: () => boolean): NodeJS.Timeout {
  const round = () => (ready() ? job.run() : Promise.resolve());
  if (!job.skipFirst) void round();
  const timer = setInterval(() => void round(), job.everyMs);
  timer.unref();
  return timer;
}
