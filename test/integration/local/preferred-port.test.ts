import { afterEach, describe, expect, it } from 'vitest';
import { listenOnLoopback, type LoopbackServer } from '../../../local/http/loopback-server.ts';
import { startOnPreferredPort } from '../../../local/http/start-on-preferred-port.ts';

// How `pushgate dev --data` keeps its ports across a restart: the previous port when it is free,
// any free port (and a note) when another program took it meanwhile.

const servers: LoopbackServer[] = [];
const listen = async (port: number) => {
  const server = await listenOnLoopback((_req, res) => res.end(), port);
  servers.push(server);
  return server;
};
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

describe('startOnPreferredPort', () => {
  it('listens on the preferred port when it is free', async () => {
    const probe = await listen(0);
    const free = probe.port;
    await probe.stop();
    const taken: number[] = [];
    const server = await startOnPreferredPort(free, listen, (port) => taken.push(port));
    expect({ port: server.port, taken }).toEqual({ port: free, taken: [] });
  });

  it('listens on any free port, and says which one was taken, when another program holds it', async () => {
    const squatter = await listen(0);
    const taken: number[] = [];
    const server = await startOnPreferredPort(squatter.port, listen, (port) => taken.push(port));
    expect(server.port).not.toBe(squatter.port);
    expect(taken).toEqual([squatter.port]);
  });

  it('takes any free port without a preference, and passes other errors on', async () => {
    const ports: number[] = [];
    await startOnPreferredPort(
      undefined,
      async (port) => ports.push(port),
      () => undefined,
    );
    await startOnPreferredPort(
      0,
      async (port) => ports.push(port),
      () => undefined,
    );
    expect(ports).toEqual([0, 0]);
    const denied = Object.assign(new Error('listen EACCES'), { code: 'EACCES' });
    await expect(
      startOnPreferredPort(
        80,
        () => Promise.reject(denied),
        () => undefined,
      ),
    ).rejects.toBe(denied);
  });
});
