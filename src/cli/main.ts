#!/usr/bin/env node
/**
 * `storage`: the Storage API from a shell. The gateway comes from --url or STORAGE_URL, the
 * token from --token or STORAGE_TOKEN. Output is for people unless --json is given; exit codes
 * tell outcomes apart for scripts (see exitCodes.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { StorageClient, STORAGE_TYPES, UnavailableError, type StorageType } from '../client';
import { contentTypeFor } from './contentTypes';
import { credentialProcessJson, credentialsText } from './credentials';
import { EXIT, exitCodeFor, exitCodesHelp, InterruptedError, UsageError } from './exitCodes';
import { checkFileToUpload, checkFileToWrite } from './localFiles';
import { command, describeError, explainCredentials, explainLimits, explainMissingKey, explainSetup } from './messages';
import { bytes, progressDisplay } from './progress';
import { retryReporter, type RetryReporter } from './retryNotice';
import { usageTable } from './usage';

interface GlobalOptions {
  url: string;
  token?: string;
  actFor?: string;
  /** Seconds to keep retrying an unanswered call (STORAGE_RETRY_SECONDS). */
  retryFor: number;
  json?: boolean;
}

/** The package's version: dist/cli/main.js sits two folders below package.json. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

const program = new Command('storage')
  .description('Store and fetch blobs through the Storage API')
  .version(packageVersion(), '-V, --version')
  .addOption(new Option('--url <url>', 'gateway URL').env('STORAGE_URL').default('http://localhost:8080'))
  .addOption(new Option('--token <jwt>', 'bearer token').env('STORAGE_TOKEN'))
  .addOption(new Option('--act-for <namespace>', 'namespace a service token acts for').env('STORAGE_NAMESPACE'))
  .addOption(
    new Option('--retry-for <seconds>', 'keep retrying a call the gateway or store could not answer for this long (0: no retries)')
      .env('STORAGE_RETRY_SECONDS')
      .default(60)
      .argParser((value: string) => {
        if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number of seconds');
        return Number(value);
      }),
  )
  .option('--json', 'machine-readable output on stdout, errors as JSON on stderr, no progress bar')
  .addHelpText('after', exitCodesHelp())
  .showHelpAfterError()
  .exitOverride();

const typeOption = () => new Option('-t, --type <type>', 'storage type').choices(STORAGE_TYPES).default('data');
const byteCount = (value: string) => {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('expected a whole number of bytes');
  return Number(value);
};
const seconds = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of seconds');
  return Number(value);
};

function globals(): GlobalOptions {
  return program.opts<GlobalOptions>();
}

/** One for the whole run, made with the first client: the global options are parsed by then. */
let retries: RetryReporter | undefined;

function client(): StorageClient {
  const { url, token, actFor, retryFor, json } = globals();
  retries ??= retryReporter(retryFor, json === true);
  const retry = retryFor === 0 ? { retries: 0 } : { budgetMs: retryFor * 1000, onRetry: retries.onRetry };
  return new StorageClient({ url, token, actFor, retry });
}

/** Writes the command's answer: `json` for --json, else `text` (if any). */
function answer(json: unknown, text?: string): void {
  if (globals().json) process.stdout.write(`${JSON.stringify(json)}\n`);
  else if (text !== undefined) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

program
  .command('put')
  .description('upload a file (or stdin, given as -) to a key; large files go up in resumable parallel parts')
  .argument('<source>', 'file to upload, or - for stdin')
  .argument('[key]', 'key to store it at (default: the file name)')
  .addOption(typeOption())
  .option('--content-type <type>', 'media type to store with the blob')
  .option('--no-resume', 'start over instead of resuming an interrupted upload of this file')
  .option('--keep-parts', 'when the upload fails or is interrupted, keep the parts sent so a later put of the same file resumes')
  .option(
    '--size <bytes>',
    "stdin only: its exact length (needed on a storage type with a quota or a largest upload; a file's is known)",
    byteCount,
  )
  .action(
    async (
      source: string,
      key: string | undefined,
      options: { type: StorageType; contentType?: string; resume: boolean; keepParts?: boolean; size?: number },
    ) => {
      if (source === '-' && !key) throw new UsageError('a key is needed when uploading from stdin');
      if (source !== '-' && options.size !== undefined) throw new UsageError("--size is for stdin only: a file's size is known");
      if (source !== '-') await checkFileToUpload(source);
      const target = key ?? path.basename(source);
      const contentType = options.contentType ?? contentTypeFor(source === '-' ? target : source);
      const progress = progressDisplay(`put ${target}`, !globals().json);
      // Ctrl-C stops the upload and aborts its session (no parts left on the store); a second
      // Ctrl-C leaves at once.
      const interrupted = new AbortController();
      const onInterrupt = () => {
        if (interrupted.signal.aborted) process.exit(EXIT.interrupted);
        interrupted.abort(new Error('interrupted'));
      };
      process.on('SIGINT', onInterrupt);
      const result = await client()
        .setFile(target, source === '-' ? process.stdin : source, {
          type: options.type,
          contentType,
          resume: options.resume,
          abortOnFailure: options.keepParts !== true,
          size: options.size,
          onProgress: progress.update,
          signal: interrupted.signal,
        })
        .catch((error: unknown) => {
          if (interrupted.signal.aborted) throw new InterruptedError();
          throw error;
        })
        .finally(() => {
          progress.stop();
          process.off('SIGINT', onInterrupt);
        });
      const resumed = result.resumedBytes > 0 ? ` (resumed: ${bytes(result.resumedBytes)} were already uploaded)` : '';
      const getBack = command('get', options.type, result.key, path.basename(result.key));
      answer(
        { ...result, contentType },
        `${result.key}: ${bytes(result.size)} stored as ${contentType}${resumed}\nget it back with: ${getBack}`,
      );
    },
  );

program
  .command('get')
  .description('download a key to a file, or to stdout when no file (or -) is given')
  .argument('<key>', 'key to download')
  .argument('[file]', 'file to write (default: stdout)')
  .addOption(typeOption())
  .action(async (key: string, file: string | undefined, options: { type: StorageType }) => {
    const missing = explainMissingKey(key, options.type);
    if (!file || file === '-') {
      await client().getFile(key, process.stdout, { type: options.type }).catch(missing);
      return;
    }
    await checkFileToWrite(file);
    const progress = progressDisplay(`get ${key}`, !globals().json);
    const result = await client()
      .getFile(key, file, { type: options.type, onProgress: progress.update })
      .catch(missing)
      .finally(progress.stop);
    answer({ key, file, ...result }, `${file}: ${bytes(result.size)}`);
  });

program
  .command('ls')
  .description('list keys, all pages, in key order')
  .argument('[prefix]', 'only keys starting with this', '')
  .addOption(typeOption())
  .action(async (prefix: string, options: { type: StorageType }) => {
    const keys: string[] = [];
    for await (const key of client().iterList(prefix, { type: options.type })) {
      if (globals().json) keys.push(key);
      else process.stdout.write(`${key}\n`);
    }
    answer(keys);
  });

program
  .command('rm')
  .description('delete keys (a key that is not there is not an error)')
  .argument('<keys...>', 'keys to delete')
  .addOption(typeOption())
  .action(async (keys: string[], options: { type: StorageType }) => {
    const storage = client();
    for (const key of keys) await storage.delete(key, { type: options.type });
    answer({ deleted: keys });
  });

program
  .command('url')
  .description('print a presigned URL: upload (a plain PUT of the bytes) or download (a plain GET)')
  .addArgument(new Argument('<direction>', 'upload or download').choices(['upload', 'download']))
  .argument('<key>', 'key the URL is for')
  .addOption(typeOption())
  .option('--expires-in <seconds>', 'lifetime of the URL', seconds)
  .option('--content-type <type>', 'upload only: the Content-Type the uploader must send')
  .option(
    '--size <bytes>',
    'upload only: the exact length the uploader must send (needed on a storage type with a quota or a largest upload)',
    byteCount,
  )
  .action(
    async (
      direction: 'upload' | 'download',
      key: string,
      options: { type: StorageType; expiresIn?: number; contentType?: string; size?: number },
    ) => {
      const storage = client();
      const { type, expiresIn, contentType, size } = options;
      const url =
        direction === 'upload'
          ? await storage.getUploadUrl(key, { type, expiresIn, contentType, size })
          : await storage.getSignedUrl(key, { type, expiresIn });
      answer({ url }, url);
    },
  );

program
  .command('cp')
  .description('copy an object from another bucket the gateway may read (COPY_SOURCE_BUCKETS) to a key, server-side')
  .argument('<bucket>', 'source bucket')
  .argument('<source-key>', 'key in the source bucket')
  .argument('<key>', 'key to copy to')
  .addOption(typeOption())
  .action(async (bucket: string, sourceKey: string, key: string, options: { type: StorageType }) => {
    const result = await client().copyFromBucket(bucket, sourceKey, key, { type: options.type });
    answer(result, `${result.key}: ${bytes(result.size)} copied from ${bucket}`);
  });

program
  .command('usage')
  .description('show, per storage type, the bytes and objects stored, the bytes uploads under way hold, the quota and the largest upload')
  .action(async () => {
    const usage = await client().usage();
    answer(usage, usageTable(usage));
  });

program
  .command('credentials')
  .description(
    'print temporary S3 credentials for S3 tools (aws cli, boto3, rclone, GDAL) on your namespace, as shell exports, with what they allow and when they expire as comments',
  )
  .option('--expires-in <seconds>', "their lifetime, 900 up to the gateway's maximum (its default; 3600 unless configured)", seconds)
  .option('--process', 'print only the JSON an AWS credential_process prints (for a profile in ~/.aws/config)')
  .addHelpText(
    'after',
    `
Examples:
  eval "$(storage credentials)" && aws s3 ls s3://<bucket>/<namespace>/
  storage credentials --expires-in 900
  storage --json credentials          the gateway's answer, grants included

A profile that refreshes itself (~/.aws/config; STORAGE_TOKEN in the environment, or --token):
  [profile storage]
  credential_process = storage --url https://gateway.example.com credentials --process
  endpoint_url = <the endpoint storage credentials prints>
  region = us-east-1
  s3 =
    addressing_style = path
`,
  )
  .action(async (options: { expiresIn?: number; process?: boolean }) => {
    if (options.process && globals().json) throw new UsageError('--process prints its own JSON: give --process or --json, not both');
    const credentials = await client().credentials({ expiresIn: options.expiresIn }).catch(explainCredentials);
    if (options.process) process.stdout.write(credentialProcessJson(credentials));
    else answer(credentials, credentialsText(credentials));
  });

program
  .command('token')
  .description(
    "mint a token for a subject with the gateway's local secret (AUTH_JWT_SECRET, or the one npm start keeps in STORAGE_DATA_DIR)",
  )
  .argument('<subject>', 'whose token it is')
  .option('--expires-in <seconds>', 'lifetime of the token (default 30 days)', seconds)
  .action(async (subject: string, options: { expiresIn?: number }) => {
    const token = await (await localTokens()).mintLocalToken(subject, options.expiresIn);
    answer({ token }, token);
  });

/**
 * The gateway's own token signing (tools/localToken.ts), loaded only for `storage token`: it is
 * in the gateway's build, and left out of the client package, which holds no secret.
 */
async function localTokens(): Promise<{ mintLocalToken(subject: string, expiresIn: number | undefined): Promise<string> }> {
  const file = path.join(__dirname, '..', 'tools', 'localToken.js');
  if (!existsSync(file)) {
    throw new UsageError(
      "storage token signs with the gateway's secret, so it runs only from the gateway's own build (npm run token); ask the gateway's operator for a token",
    );
  }
  return (await import(pathToFileURL(file).href)) as { mintLocalToken(subject: string, expiresIn: number | undefined): Promise<string> };
}

async function run(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    // commander has already printed its own usage errors and help.
    const { json, url, token, retryFor } = globals();
    const explained = explainLimits(explainSetup(error, { url, token }));
    const retriedFor = retries?.retriedFor();
    if (explained instanceof UnavailableError && retriedFor) {
      explained.message += `; gave up after retrying for ${retriedFor} (--retry-for ${retryFor})`;
    }
    if (!(error instanceof CommanderError)) process.stderr.write(describeError(explained, json === true));
    process.exitCode = exitCodeFor(explained);
  }
}

// stdout closed early (`storage get key | head`) is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
});

void run(process.argv);
