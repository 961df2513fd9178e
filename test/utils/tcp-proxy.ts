import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

/** A TCP relay to a server that a test can cut, hang and restore, standing in for a network fault. */
export class TcpProxy {
  port = 0;
  private server?: Server;
  private stalled = false;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    if (this.stalled) {
      this.stalled = false;
      this.sockets.forEach((socket) => socket.destroy());
    }
    if (this.server) {
      return;
    }
    const server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Refuses new connections and drops the open ones, as a dead server or network would. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.sockets.forEach((socket) => socket.destroy());
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /**
   * Keeps every connection open and accepts new ones, but nothing gets through in either
   * direction: a hung server, or a firewall that drops packets. open() cuts them and recovers.
   */
  stall(): void {
    this.stalled = true;
    for (const socket of this.sockets) {
      socket.unpipe();
      socket.pause();
    }
  }

  private relay(client: Socket): void {
    this.track(client);
    if (this.stalled) {
      client.pause();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.track(upstream);
    for (const socket of [client, upstream]) {
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }
}
