/**
 * Socket reads handed to the transport and socket writes made by the writers, node-wide. The hot
 * path adds one to a plain field (a prom-client `inc()` hashes labels and validates on every
 * call); the metrics copy the two numbers into their counters when /metrics is scraped. Divided
 * into the received and sent message counts they give the mean frames per read and per write,
 * which show whether batching happens.
 */
export class SocketCounts {
  reads = 0;
  writes = 0;
}
