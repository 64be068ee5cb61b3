import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/** A real HTTP server standing in for a webhook receiver. */
export class WebhookServer {
  readonly received: ReceivedRequest[] = [];
  /** Decides the status of each request (default 200); may wait first. */
  respond: (request: ReceivedRequest, index: number) => number | Promise<number> = () => 200;
  #server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = {
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        };
        const index = this.received.length;
        this.received.push(request);
        void Promise.resolve(this.respond(request, index)).then((status) => {
          res.writeHead(status, { 'content-type': 'text/plain' });
          res.end(status >= 300 ? 'receiver is unhappy' : 'ok');
        });
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/hook`;
    return this;
  }

  /** Deliveries per message id. */
  countsById(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const request of this.received) {
      const id = request.body.id as string;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}
