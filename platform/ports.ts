import net from 'node:net';

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/**
 * Ports are picked below Linux's ephemeral range (32768 and up), where the OS never hands out the
 * local end of an outgoing connection. A port the OS chose with listen(0) comes from that range, and
 * between the probe closing and the server binding it, any outgoing connection on the machine (a
 * gRPC call, an HTTP client) may take it: CI saw `TEMPORAL_UI_PORT 35015 is already in use` that way.
 * Below the range only another listener can take it. Temporal also keeps membership ports in a
 * smallint column, which a port from the ephemeral range overflows.
 */
const LOW = 20_000;
const HIGH = 32_000;
const handedOut = new Set<number>();

/** A port free right now that this process has not handed out before. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    // Reserved before the probe, so concurrent callers never probe, and get, the same port.
    handedOut.add(port);
    if (await isPortFree(port, host)) return port;
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} after 1000 tries`);
}
