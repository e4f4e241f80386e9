/**
 * Checks real responses against the OpenAPI document: the operation exists, the status is
 * documented, required headers are present, the content type is declared, and JSON bodies
 * validate against the schema (JSON Schema 2020-12, as OpenAPI 3.1 uses).
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { routeTable, type AppDependencies } from '../../src/http/app';
import { openApiDocument } from '../../src/http/openapi';

type Json = Record<string, unknown>;
/** The document as the gateway generates it (only the table's shape is read; no handler runs). */
export const describedApi: unknown = JSON.parse(JSON.stringify(openApiDocument(routeTable({} as AppDependencies))));
const doc = describedApi as { paths: Record<string, Record<string, Json>>; components: Json };
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

/** Keys and other path parameters marked as such may contain `/`. */
const GREEDY = new Set(['key', 'src', 'dest']);

function templateRegex(template: string): RegExp {
  const pattern = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const name = /^\{([^}]+)\}$/.exec(part)?.[1];
      if (!name) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return GREEDY.has(name) ? '(.+)' : '([^/]+)';
    })
    .join('');
  return new RegExp(`^${pattern}$`);
}

function resolve(node: Json): Json {
  const target = node.$ref;
  if (typeof target !== 'string') return node;
  return target
    .replace(/^#\//, '')
    .split('/')
    .reduce<Json>((at, part) => at[part] as Json, doc as unknown as Json);
}

/** The documented operation for a request, the most specific template first. */
export function operationFor(method: string, path: string): { template: string; operation: Json } {
  const candidates = Object.entries(doc.paths)
    .filter(([template, item]) => templateRegex(template).test(path) && item[method.toLowerCase()])
    .sort(([a], [b]) => b.replace(/\{[^}]+\}/g, '').length - a.replace(/\{[^}]+\}/g, '').length);
  const [found] = candidates;
  if (!found) throw new Error(`${method} ${path} is not in the OpenAPI document`);
  return { template: found[0], operation: found[1][method.toLowerCase()] as Json };
}

export const exercised = new Set<string>();

export async function expectDocumented(method: string, url: string, response: Response): Promise<void> {
  const path = decodeURI(new URL(url).pathname);
  const { template, operation } = operationFor(method, path);
  exercised.add(`${method.toLowerCase()} ${template}`);
  const where = `${method} ${template} -> ${response.status}`;
  const documented = (operation.responses as Record<string, Json>)[String(response.status)];
  if (!documented) throw new Error(`${where}: status not documented`);
  const spec = resolve(documented);
  for (const [name, header] of Object.entries((spec.headers as Record<string, Json>) ?? {})) {
    if (resolve(header).required && !response.headers.has(name)) throw new Error(`${where}: missing header ${name}`);
  }
  const content = spec.content as Record<string, { schema: Json }> | undefined;
  if (method === 'HEAD' || !content) return;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  const declared = Object.keys(content).find((t) => t === '*/*' || t === type);
  if (!declared) throw new Error(`${where}: content type ${type} not among ${Object.keys(content).join(', ')}`);
  if (type !== 'application/json') return;
  const validate = ajv.compile({ ...content[declared]?.schema, components: doc.components });
  const body: unknown = await response.clone().json();
  if (!validate(body)) throw new Error(`${where}: body does not match the schema: ${ajv.errorsText(validate.errors)}`);
}

export function documentedOperations(): string[] {
  return Object.entries(doc.paths).flatMap(([template, item]) =>
    Object.keys(item)
      .filter((m) => ['get', 'head', 'put', 'post', 'delete'].includes(m))
      .map((m) => `${m} ${template}`),
  );
}
