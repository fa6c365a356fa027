// Whether a TCP port accepts a connection, within a timeout: open, refused (a RST), or no answer
// (filtered). Opens and closes the connection, sends nothing.
import { connect } from "node:net";

export type PortState = "open" | "refused" | "no answer";

export function probePort(address: string, port: number, timeoutMs = 3000): Promise<PortState> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: timeoutMs });
    const done = (state: PortState) => {
      socket.destroy();
      resolve(state);
    };
    socket.once("connect", () => done("open"));
    socket.once("timeout", () => done("no answer"));
    socket.once("error", (err: NodeJS.ErrnoException) => done(err.code === "ECONNREFUSED" ? "refused" : "no answer"));
  });
}
