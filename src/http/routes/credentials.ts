/** POST /credentials (extension): temporary S3 credentials for the caller's own namespace. */
import { z } from 'zod';
import { ANSWERS } from '../../protocol/answers';
import { serverPath } from '../../protocol/routes';
import type { StorageService } from '../../storage/service';
import { defineRoute, type Route } from '../contract';
import { callerOf } from '../request';
import { json } from '../schemas';

export function s3Credentials(service: StorageService): Route {
  return defineRoute(
    {
      method: 'post',
      path: serverPath('credentials'),
      name: 'credentials',
      summary:
        "Extension: temporary S3 credentials for the caller's namespace, with the rights raw S3 can enforce (aws cli, boto3, rclone, GDAL)",
      query: z.object({
        expires_in: z
          .string()
          .regex(/^\d{1,9}$/, 'must be a whole number of seconds')
          .transform(Number)
          .optional()
          .meta({ description: 'Seconds, from 900 to CREDENTIALS_MAX_TTL_SECONDS; never past the token' }),
      }),
      responses: { '200': { description: 'The credentials and what they allow', content: json(ANSWERS.credentials) } },
      errors: [501],
    },
    async ({ query }, _req, res) => ({ status: 200, body: await service.s3Credentials.issue(callerOf(res), query.expires_in) }),
  );
}
