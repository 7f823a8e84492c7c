import { CommandCounts } from './command-counts.js';

/**
 * What one connection has exchanged, the way Bitcoin Core's getpeerinfo reports it (rpc/net.cpp:
 * lastsend, lastrecv, pingtime, minping, bytessent_per_msg, bytesrecv_per_msg). The peer calls
 * `received()` for every frame and `sent()` for every message it hands to the socket; this file
 * only counts, it decides nothing.
 */
export class PeerStats {
  private readonly recv = new CommandCounts();
  private readonly send = new CommandCounts();
  /** Unix ms of the last frame received / the last write to the socket; null before the first. */
  lastRecv: number | null = null;
  lastSend: number | null = null;
  /** Round trip of the last answered ping, and the smallest seen on this connection (ms). */
  pingMs: number | null = null;
  minPingMs: number | null = null;

  /** A frame of `bytes` (header included) with the scanner's command id. */
  received(commandId: number, bytes: number, now: number): void {
    this.recv.addById(commandId, bytes);
    this.lastRecv = now;
  }

  /** A message of `bytes` (header included) going to the socket. */
  sent(command: string, bytes: number): void {
    this.send.add(command, bytes);
  }

  /** Bytes were handed to the socket at `now`. */
  wrote(now: number): void {
    this.lastSend = now;
  }

  /** A pong answered our ping after `rttMs`. */
  pong(rttMs: number): void {
    this.pingMs = rttMs;
    if (this.minPingMs === null || rttMs < this.minPingMs) this.minPingMs = rttMs;
  }

  bytesReceivedPerMessage(): Record<string, number> {
    return this.recv.bytesByCommand();
  }

  bytesSentPerMessage(): Record<string, number> {
    return this.send.bytesByCommand();
  }
}
