/**
 * Each route declares its contract once: method, path, zod schemas for its path parameters,
 * query, headers and body, and its answers. From that one declaration come the Express route
 * (its path, its body parser, the checking of every input) and the route's operation in the
 * OpenAPI document (openapi.ts), so what is served and what is described cannot drift.
 *
 * A handler sees only parsed input: a value the schema refuses is a 400 naming the parameter
 * before any handler runs. Query parameters a route does not declare are ignored (the original
 * client sends its extra arguments there); a declared one given twice is refused.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { ZodOpenApiResponseObject } from 'zod-openapi';
import { BadRequest } from '../errors';
import { bodyDeadline } from './middleware/slowClients';

/**
 * How long a JSON body may take to arrive: on public routes (sign-in, a few KiB, reachable
 * without a token) 10 s; elsewhere (a completion of up to 2 MB) 30 s.
 */
export const PUBLIC_JSON_BODY_DEADLINE_MS = 10_000;
export const JSON_BODY_DEADLINE_MS = 30_000;

export type Method = 'get' | 'head' | 'put' | 'post' | 'delete';

/** The fields of one part of a request: path parameters, query parameters or headers. */
export type Fields = z.ZodObject<z.ZodRawShape>;
type NoFields = z.ZodObject<Record<never, never>>;

/** A route's answers by status. A JSON one is declared with `json(schema)` (schemas.ts). */
export type Responses = Record<string, ZodOpenApiResponseObject>;

type JsonSchemaOf<Answer> = Answer extends { content: { 'application/json': { schema: infer S extends z.ZodType } } } ? S : never;

/** Each JSON answer a route declares, as the status and body its handler returns. */
type JsonReplies<R extends Responses> = {
  [Status in keyof R & string]: [JsonSchemaOf<R[Status]>] extends [never]
    ? never
    : { status: Status extends `${infer N extends number}` ? N : never; body: z.output<JsonSchemaOf<R[Status]>> };
}[keyof R & string];

/**
 * What a handler returns: on a route with JSON answers, one of them, which the route sends, so
 * a body of a shape the contract does not declare does not compile; on any other route,
 * nothing (it wrote its answer: a stream, a redirect, an empty 204).
 */
export type Reply<R extends Responses> = [JsonReplies<R>] extends [never] ? void : JsonReplies<R>;

export interface Contract<
  P extends Fields = NoFields,
  Q extends Fields = NoFields,
  H extends Fields = NoFields,
  B extends z.ZodType = z.ZodUndefined,
  R extends Responses = Responses,
> {
  method: Method;
  /**
   * From the server root, as documented. `{name+}` marks a parameter that takes the rest of
   * the path, slashes included (API Gateway's notation); text after it splits the rest again.
   */
  path: string;
  /** For logs and metrics. */
  name: string;
  summary: string;
  /** Served without a bearer token (probes, the API description, sign-in). */
  public?: boolean;
  params?: P;
  query?: Q;
  /** Header names as documented; read case-insensitively. */
  headers?: H;
  /** A JSON body, parsed up to `limit`; `refusal` is the 400's message when it does not fit. */
  json?: { schema: B; limit: string; required: boolean; refusal: string };
  /** A body the handler streams itself, documented as bytes of any type. */
  stream?: { description: string };
  responses: R;
  /** Error statuses of this route beyond those every authenticated route may answer (openapi.ts). */
  errors?: readonly number[];
}

export interface Input<P extends Fields, Q extends Fields, H extends Fields, B extends z.ZodType> {
  params: z.output<P>;
  query: z.output<Q>;
  headers: z.output<H>;
  body: z.output<B>;
}

/** A contract with the Express handlers it became. */
export interface Route {
  // The contract's own types end at the handler; the table and the document read only its shape.
  contract: Contract<Fields, Fields, Fields, z.ZodType, Responses>;
  /** The Express path, relative to where the route is mounted (API_BASE or the root). */
  expressPath(mount: string): string;
  handlers: RequestHandler[];
}

/**
 * A route: its contract and its handler, which runs on parsed input. `before` runs ahead of
 * body parsing and input checks (the per-caller transfer budget).
 */
export function defineRoute<
  P extends Fields = NoFields,
  Q extends Fields = NoFields,
  H extends Fields = NoFields,
  B extends z.ZodType = z.ZodUndefined,
  R extends Responses = Responses,
>(
  contract: Contract<P, Q, H, B, R>,
  handle: (input: Input<P, Q, H, B>, req: Request, res: Response) => Promise<Reply<R>> | Reply<R>,
  before: RequestHandler[] = [],
): Route {
  const path = parsePath(contract.path, contract.params);
  const read: RequestHandler = async (req, res) => {
    const input = {
      params: check(contract.params, path.values(req), 'path parameter'),
      query: check(contract.query, queryValues(req, contract.query), 'query parameter'),
      headers: check(contract.headers, headerValues(req, contract.headers), 'header'),
      body: contract.json ? checkBody(contract.json, req.body) : undefined,
    } as Input<P, Q, H, B>;
    const reply = (await handle(input, req, res)) as { status: number; body: unknown } | undefined;
    if (reply) res.status(reply.status).json(reply.body);
  };
  const bodyParser = contract.json
    ? [bodyDeadline(contract.public ? PUBLIC_JSON_BODY_DEADLINE_MS : JSON_BODY_DEADLINE_MS), express.json({ limit: contract.json.limit })]
    : [];
  return {
    contract: contract as unknown as Route['contract'],
    expressPath: path.express,
    handlers: [...before, ...bodyParser, read],
  };
}

/** The path as documented: `{name+}` is written `{name}` there. */
export function documentedPath(template: string): string {
  return template.replace(/\{(\w+)\+\}/g, '{$1}');
}

interface ParsedPath {
  express(mount: string): string;
  values(req: Request): Record<string, string>;
}

/**
 * Express matches up to the first `{name+}` and hands the rest over as segments. When the
 * template goes on after it (`{src+}/dest/{dest_type}/{dest+}`), the rest is split by a
 * pattern built from that tail: the earliest split whose fixed text and enumerated values fit.
 */
export function parsePath(template: string, params: Fields | undefined): ParsedPath {
  const greedy = /\/\{(\w+)\+\}/.exec(template);
  const head = greedy ? template.slice(0, greedy.index) : template;
  const express = (mount: string) => {
    if (!head.startsWith(mount)) throw new Error(`${template} is not under ${mount}`);
    const routed = head.slice(mount.length).replace(/\{(\w+)\}/g, ':$1');
    return greedy ? `${routed}{/*${greedy[1]}}` : routed || '/';
  };
  if (!greedy?.[1]) return { express, values: (req) => stringParams(req) };

  const restName = greedy[1];
  const tail = template.slice(greedy.index + greedy[0].length);
  if (!tail) return { express, values: (req) => stringParams(req) };

  const names = [restName];
  let pattern = '^(.+?)';
  for (const part of tail.split(/(\{\w+\+?\})/).filter(Boolean)) {
    const name = /^\{(\w+)(\+?)\}$/.exec(part);
    if (!name?.[1]) {
      pattern += escapeRegExp(part);
      continue;
    }
    names.push(name[1]);
    const allowed = params ? enumValues(params.shape[name[1]]) : undefined;
    pattern += name[2] ? '(.*)' : allowed ? `(${allowed.map(escapeRegExp).join('|')})` : '([^/]+)';
  }
  const splitter = new RegExp(`${pattern}$`);
  return {
    express,
    values(req) {
      const values = stringParams(req);
      const match = splitter.exec(values[restName] ?? '');
      if (!match) throw new BadRequest(`The path must be ${documentedPath(template)}`);
      names.forEach((name, i) => (values[name] = match[i + 1] ?? ''));
      return values;
    },
  };
}

/**
 * Express hands a `*name` wildcard over as its decoded segments; `%2F` inside a segment
 * decodes to `/` as the contract says, so joining the segments gives the same key either way.
 * An absent wildcard is the empty string, which the key rules refuse with a 400.
 */
function stringParams(req: Request): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.params as Record<string, unknown>)) {
    values[name] = Array.isArray(value) ? value.join('/') : typeof value === 'string' ? value : '';
  }
  return values;
}

function queryValues(req: Request, query: Fields | undefined): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const name of Object.keys(query?.shape ?? {})) {
    const value = req.query[name];
    if (value !== undefined && typeof value !== 'string') throw new BadRequest(`The query parameter '${name}' must be given once`);
    values[name] = value;
  }
  return values;
}

function headerValues(req: Request, headers: Fields | undefined): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  for (const name of Object.keys(headers?.shape ?? {})) values[name] = req.get(name);
  return values;
}

function check(schema: Fields | undefined, values: Record<string, string | undefined>, where: string): unknown {
  if (!schema) return {};
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const name = String(issue?.path[0] ?? '');
  if (values[name] === undefined) throw new BadRequest(`The ${where} '${name}' is required`);
  const message = issue?.message ?? 'is invalid';
  // Messages written for the contract read on from the name ("must be ..."); zod's own do not.
  throw new BadRequest(`The ${where} '${name}' ${message.startsWith('must ') ? message : `is invalid: ${message}`}`);
}

function checkBody(json: { schema: z.ZodType; required: boolean; refusal: string }, body: unknown): unknown {
  // express.json leaves no body when the request has none or is not JSON.
  if (body === undefined && !json.required) return undefined;
  const result = json.schema.safeParse(body);
  if (!result.success) throw new BadRequest(json.refusal);
  return result.data;
}

/** The values of an enum schema (also behind `.catch`, `.optional`), for splitting a path. */
function enumValues(schema: unknown): readonly string[] | undefined {
  if (schema instanceof z.ZodEnum) return schema.options.map(String);
  if (schema instanceof z.ZodCatch || schema instanceof z.ZodOptional) return enumValues(schema.unwrap());
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
