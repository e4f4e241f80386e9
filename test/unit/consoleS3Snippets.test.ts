/** The console's "Use with S3 tools" snippets: aws cli, rclone and GDAL, pointed at the folder shown. */
import { execFileSync } from 'node:child_process';
import { awsSnippet, gdalSnippet, rcloneSnippet, type S3Credentials } from '../../console/src/s3Snippets';

const credentials = (endpoint = 'http://127.0.0.1:9000', secret = 'se/cr+et'): S3Credentials => ({
  accessKeyId: 'AKID',
  secretAccessKey: secret,
  sessionToken: 'tok.en',
  expiration: '2026-12-03T11:00:00.000Z',
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  grants: [{ type: 'data', bucket: 'storage-data', prefix: 'ab12/', access: ['read', 'list'] }],
});
const grant = credentials().grants[0]!;

describe('S3 tool snippets', () => {
  it('aws cli: the exports, then a listing of the folder at the endpoint', () => {
    expect(awsSnippet(credentials(), grant, 'scenes/')).toBe(
      [
        'export AWS_ACCESS_KEY_ID=AKID',
        'export AWS_SECRET_ACCESS_KEY=se/cr+et',
        'export AWS_SESSION_TOKEN=tok.en',
        'export AWS_REGION=us-east-1',
        'export AWS_DEFAULT_REGION=us-east-1',
        'aws s3 ls s3://storage-data/ab12/scenes/ --endpoint-url http://127.0.0.1:9000',
        '',
      ].join('\n'),
    );
  });

  it('quotes what a shell would read otherwise, and a shell reads it back exactly', () => {
    const nasty = credentials('http://127.0.0.1:9000', `it's $X`);
    const snippet = awsSnippet(nasty, grant, 'my folder/');
    expect(snippet).toContain(`export AWS_SECRET_ACCESS_KEY='it'\\''s $X'`);
    expect(snippet).toContain(`aws s3 ls 's3://storage-data/ab12/my folder/'`);
    const exportsOnly = snippet.split('\naws ')[0] ?? '';
    expect(execFileSync('sh', ['-c', `${exportsOnly}\nprintf %s "$AWS_SECRET_ACCESS_KEY"`]).toString()).toBe(`it's $X`);
  });

  it('rclone: an s3 remote named storage, path-style, and a listing of the folder', () => {
    const snippet = rcloneSnippet(credentials(), grant, '');
    expect(snippet).toContain('[storage]\ntype = s3\nprovider = Other\naccess_key_id = AKID\nsecret_access_key = se/cr+et\n');
    expect(snippet).toContain('session_token = tok.en\nendpoint = http://127.0.0.1:9000\nregion = us-east-1\nforce_path_style = true\n');
    expect(snippet).toContain('\nno_check_bucket = true\n');
    expect(snippet).toMatch(/\nrclone ls storage:storage-data\/ab12\/\n$/);
  });

  it('GDAL: the endpoint as host:port, AWS_HTTPS=NO only over http, path-style, and gdalinfo on /vsis3/', () => {
    const plain = gdalSnippet(credentials(), grant, 'scenes/');
    expect(plain).toContain('export AWS_S3_ENDPOINT=127.0.0.1:9000\nexport AWS_HTTPS=NO\nexport AWS_VIRTUAL_HOSTING=FALSE\n');
    expect(plain).toContain('export AWS_SESSION_TOKEN=tok.en\n');
    expect(plain).toMatch(/\ngdalinfo \/vsis3\/storage-data\/ab12\/scenes\/file\.tif\n$/);
    const secure = gdalSnippet(credentials('https://s3.example.com'), grant, '');
    expect(secure).toContain('export AWS_S3_ENDPOINT=s3.example.com\n');
    expect(secure).not.toContain('AWS_HTTPS');
  });
});
