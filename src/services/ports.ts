// Free loopback ports for embedded services.
import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** A port that was free a moment ago; a service that then finds it taken is restarted on another. */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const PORT_IN_USE = /Address already in use|BindException|Port .* already in use/i;
