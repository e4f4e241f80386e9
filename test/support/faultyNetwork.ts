/**
 * A fetch for the client that records every request and can break chosen ones the way a
 * network does: refuse the connection before anything is sent, or drop it after part of the
 * response body has arrived. The gateway and the store on the other side are real.
 */
export interface SeenRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
}

export type Fault = { kind: 'refuse' } | { kind: 'dropAfter'; bytes: number };

export interface FaultyNetwork {
  fetch: typeof fetch;
  requests: SeenRequest[];
}

export function faultyNetwork(
  faultFor: (request: SeenRequest, seenBefore: SeenRequest[]) => Fault | undefined = () => undefined,
): FaultyNetwork {
  const requests: SeenRequest[] = [];
  const faulty: typeof fetch = async (input, init) => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const request: SeenRequest = { method: init?.method ?? 'GET', url: new URL(String(input)), headers };
    const fault = faultFor(request, [...requests]);
    requests.push(request);
    if (fault?.kind === 'refuse') {
      await (init?.body as ReadableStream | undefined)?.cancel?.();
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNRESET (injected)') });
    }
    const response = await fetch(input, init);
    if (fault?.kind !== 'dropAfter' || !response.body) return response;
    return new Response(dropAfter(response.body, fault.bytes), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  return { fetch: faulty, requests };
}

/** The body's first `limit` bytes, then a connection error. */
function dropAfter(body: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let passed = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (passed === limit) {
        // The bytes before the break have been read; now the break.
        await reader.cancel();
        controller.error(new TypeError('terminated', { cause: new Error('other side closed (injected)') }));
        return;
      }
      const { done, value } = await reader.read();
      if (done) return controller.close();
      const room = limit - passed;
      const delivered = value.length > room ? value.subarray(0, room) : value;
      passed += delivered.length;
      controller.enqueue(delivered);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** Part number of a presigned part PUT, or undefined for any other request. */
export function partNumberOf(request: SeenRequest): number | undefined {
  const part = request.url.searchParams.get('partNumber');
  return request.method === 'PUT' && part ? Number(part) : undefined;
}
