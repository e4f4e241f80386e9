/**
 * The JSON answers are declared once (src/protocol/answers.ts): the route contracts declare
 * exactly those schemas, every JSON answer in the OpenAPI document has its schema, and a
 * handler returning a body of another shape does not compile (the `@ts-expect-error` lines
 * below: `npm run typecheck` fails when one of them compiles).
 */
import type { Request, Response } from 'express';
import { routeTable, type AppDependencies } from '../../src/http/app';
import { defineRoute, type Contract, type Responses } from '../../src/http/contract';
import { openApiDocument } from '../../src/http/openapi';
import { json } from '../../src/http/schemas';
import { ANSWERS, errorAnswer, readiness, status, type AnsweredRoute } from '../../src/protocol/answers';

const routes = routeTable({} as AppDependencies);

/** The JSON schema of each 2xx answer a contract declares. */
function successSchemas(contract: Contract<never, never, never, never, Responses>): unknown[] {
  return Object.entries(contract.responses)
    .filter(([code]) => code.startsWith('2'))
    .map(([, answer]) => (answer.content as Record<string, { schema?: unknown }> | undefined)?.['application/json']?.schema)
    .filter((schema) => schema !== undefined);
}

describe('the route contracts', () => {
  it.each(Object.keys(ANSWERS) as AnsweredRoute[])('%s answers the schema the protocol declares for it', (name) => {
    const route = routes.find((candidate) => candidate.contract.name === name);
    expect(route).toBeDefined();
    expect(successSchemas(route?.contract as never)).toEqual([ANSWERS[name]]);
  });

  it('answer JSON only as the protocol declares (the probes with theirs, the API description with OpenAPI)', () => {
    const others = routes
      .filter((route) => !(route.contract.name in ANSWERS) && successSchemas(route.contract as never).length > 0)
      .map((route) => [route.contract.name, successSchemas(route.contract as never)]);
    expect(others).toEqual([
      ['healthz', [status]],
      ['readyz', [readiness]],
      ['openapi', [{ type: 'object', description: 'An OpenAPI 3.1 document' }]],
    ]);
  });
});

describe('the OpenAPI document', () => {
  type Json = Record<string, unknown>;
  const document = JSON.parse(JSON.stringify(openApiDocument(routes))) as { paths: Record<string, Record<string, Json>>; components: Json };
  const components = document.components as { responses: Record<string, Json>; schemas: Record<string, Json> };
  const answers = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).flatMap(([method, operation]) =>
      Object.entries(operation.responses as Record<string, Json>).map(([code, answer]) => {
        const ref = typeof answer.$ref === 'string' ? answer.$ref.split('/').at(-1) : undefined;
        return { where: `${method} ${path} ${code}`, answer: ref ? (components.responses[ref] ?? {}) : answer };
      }),
    ),
  );

  it('gives every JSON answer a schema', () => {
    const jsonAnswers = answers.filter(({ answer }) => (answer.content as Json | undefined)?.['application/json'] !== undefined);
    expect(jsonAnswers.length).toBeGreaterThan(50);
    const without = jsonAnswers.filter(({ answer }) => {
      const schema = ((answer.content as Record<string, Json>)['application/json'] as { schema?: Json }).schema;
      const named = typeof schema?.$ref === 'string' && components.schemas[schema.$ref.split('/').at(-1) ?? ''] !== undefined;
      return !named && typeof schema?.type !== 'string';
    });
    expect(without.map(({ where }) => where)).toEqual([]);
  });

  it('describes every error answer with the one error schema', () => {
    const errors = answers.filter(({ where }) => /\s[45]\d\d$/.test(where));
    expect(errors.length).toBeGreaterThan(50);
    const schemas = new Set(
      errors.map(({ answer }) => JSON.stringify(((answer.content as Record<string, Json>)['application/json'] as Json).schema)),
    );
    expect([...schemas]).toEqual([JSON.stringify({ $ref: '#/components/schemas/Error' })]);
    expect(errorAnswer.meta()?.id).toBe('Error');
  });
});

describe('a handler', () => {
  const contract = {
    method: 'get',
    path: '/storage/v1/example',
    name: 'example',
    summary: 'An example',
    responses: { '200': { description: 'Stored', content: json(ANSWERS.set) }, '204': { description: 'Nothing' } },
  } as const;

  it('has its reply sent as JSON with its status', async () => {
    const route = defineRoute(contract, () => ({ status: 200, body: { key: 'k', size: 1, etag: '"e"' } }));
    const sent: unknown[] = [];
    const res = {
      status: (code: number) => (sent.push(code), res),
      json: (body: unknown) => sent.push(body),
    };
    const handle = route.handlers.at(-1) as unknown as (req: Request, res: Response) => Promise<void>;
    await handle({ params: {}, query: {}, get: () => undefined } as unknown as Request, res as unknown as Response);
    expect(sent).toEqual([200, { key: 'k', size: 1, etag: '"e"' }]);
  });
});

/**
 * Never run: checked by `npm run typecheck`, which fails if any line marked below compiles, that
 * is, if a handler could answer a body of a shape its contract does not declare.
 */
export function bodiesThatDoNotCompile(): void {
  const contract = {
    method: 'get',
    path: '/storage/v1/example',
    name: 'example',
    summary: 'An example',
    responses: { '200': { description: 'Stored', content: json(ANSWERS.set) } },
  } as const;
  // @ts-expect-error: etag missing
  defineRoute(contract, () => ({ status: 200, body: { key: 'k', size: 1 } }));
  // @ts-expect-error: size is not a number
  defineRoute(contract, () => ({ status: 200, body: { key: 'k', size: '1', etag: '"e"' } }));
  // @ts-expect-error: 201 is not among its answers
  defineRoute(contract, () => ({ status: 201, body: { key: 'k', size: 1, etag: '"e"' } }));
  // @ts-expect-error: a route with a JSON answer returns it rather than writing its own
  defineRoute(contract, (_input, _req, res) => void res.json({ anything: true }));
}
