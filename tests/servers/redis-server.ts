// The shared start-up fixture for real redis-server tests (Debian's Redis 7.0): a minimal RESP2 client
// that returns error replies as values (so every reply's text is checked exactly), and the start of
// redis-server as the redis user on a generated config, with readiness probed, never slept on.
import { spawnSync } from "node:child_process";
import { connect, type Socket } from "node:net";
import { asUser, portAccepts, startServer, type ServerProcess } from "./fixtures";

export type RespValue = string | number | null | RespError | RespValue[];
export class RespError {
  constructor(readonly message: string) {}
}

/** A minimal RESP2 client: one command at a time, error replies returned (not thrown). */
export class RespConnection {
  private buffer = Buffer.alloc(0);
  private waiting: ((value: RespValue) => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.deliver();
    });
  }

  static open(port: number): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port }, () => resolve(new RespConnection(socket)));
      socket.once("error", reject);
    });
  }

  call(...args: string[]): Promise<RespValue> {
    const payload = [`*${args.length}\r\n`, ...args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`)].join("");
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(payload);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private deliver(): void {
    if (!this.waiting) return;
    const parsed = parse(this.buffer, 0);
    if (!parsed) return;
    this.buffer = this.buffer.subarray(parsed.end);
    const resolve = this.waiting;
    this.waiting = null;
    resolve(parsed.value);
  }
}

function parse(buf: Buffer, start: number): { value: RespValue; end: number } | null {
  const lineEnd = buf.indexOf("\r\n", start);
  if (lineEnd < 0) return null;
  const type = String.fromCharCode(buf[start]);
  const line = buf.toString("utf8", start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new RespError(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buf.length < next + length + 2) return null;
      return { value: buf.toString("utf8", next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, at);
        if (!item) return null;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`unexpected RESP type ${type}`);
  }
}

export function errorText(value: RespValue): string {
  if (!(value instanceof RespError)) throw new Error(`expected an error reply, got ${JSON.stringify(value)}`);
  return value.message;
}

/** Starts redis-server as the redis user with `args`; ready once `port` accepts connections. */
export function startRedis(args: readonly string[], port: number, cwd: string): Promise<ServerProcess> {
  return startServer({ name: "redis-server", user: "redis", cwd, argv: ["redis-server", ...args], ready: () => portAccepts(port) });
}

/**
 * Runs redis-server with `args` and reports how it ended when it refuses to start: exit status and
 * output. A server that starts is killed at the timeout (status null).
 */
export function startRefused(args: readonly string[], cwd: string, timeoutMs = 3_000): { status: number | null; output: string } {
  const [command, ...rest] = asUser("redis", ["redis-server", ...args]);
  const run = spawnSync(command!, rest, { cwd, timeout: timeoutMs, killSignal: "SIGKILL", encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
