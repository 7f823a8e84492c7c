/**
 * The interfaces operators' Bitcoin Core tooling talks to (issue 22): the JSON-RPC listener
 * (`--rpc`) and the ZMQ publishers (`--zmqpub<topic>`), opened together at start and closed
 * together at stop. Each is built over the node's public API only (src/rpc/backend.ts,
 * src/zmq/publisher.ts ZmqSource).
 */
import type { Logger } from '../log.js';
import type { RpcBackend } from '../rpc/backend.js';
import { RpcServer } from '../rpc/server.js';
import { ZmqPublisher } from '../zmq/publisher.js';
import type { ZmqSource } from '../zmq/publisher.js';
import type { RelayConfig } from '../types.js';

export class OperatorEndpoints {
  private constructor(
    readonly rpc: RpcServer | undefined,
    readonly zmq: ZmqPublisher | undefined,
  ) {}

  /** Binds what the config asks for; on a failure closes what it opened and throws (a typed error). */
  static async open(config: RelayConfig, node: RpcBackend & ZmqSource, log: Logger, adminCookiePath: string | null): Promise<OperatorEndpoints> {
    const zmq = ZmqPublisher.configured(config) ? await ZmqPublisher.start(config, node) : undefined;
    if (config.rpc === null) return new OperatorEndpoints(undefined, zmq);
    const rpc = new RpcServer({ backend: node, sharedCookiePath: adminCookiePath, log });
    try {
      await rpc.start();
    } catch (err) {
      zmq?.close();
      throw err;
    }
    return new OperatorEndpoints(rpc, zmq);
  }

  drops(): Array<{ readonly feed: string; readonly dropped: number }> {
    return this.zmq?.drops() ?? [];
  }

  async close(): Promise<void> {
    this.zmq?.close();
    await this.rpc?.close().catch(() => {});
  }
}
