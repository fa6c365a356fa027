// Stand-in for the administrators' SSH tunnel (README, "Reaching the database"): the database
// providers connect to 127.0.0.1:<postgres.adminPort>; this forwards that port to PostgreSQL's
// fixed address on the internal data network, which the Docker host reaches directly.
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface AdminTunnel {
  readonly local: { readonly host: string; readonly port: number };
  readonly remote: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

export async function openAdminTunnel(local: { host: string; port: number }, remote: { host: string; port: number }): Promise<AdminTunnel> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(remote);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(new Error(`the admin tunnel stand-in cannot listen on ${local.host}:${local.port} (${error.code}): something else holds the port`)));
    server.listen(local.port, local.host, () => resolve());
  });
  return {
    local,
    remote,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
