/**
 * Peer liveness by ping (Bitcoin Core src/net_processing.cpp MaybeSendPing, src/net.h
 * TIMEOUT_INTERVAL): a peer that leaves one of our pings unanswered for 20 minutes is
 * disconnected, and no new ping is sent while one is outstanding (a fresh nonce would forgive
 * the unanswered one). Requests we make (getheaders, getdata, getblocktxn) keep their own
 * deadlines; pings are left to this timeout, as btcd's stall handler does. Pure: the peer's
 * ticker passes the times.
 */

/** Core TIMEOUT_INTERVAL: 20 minutes. */
export const PING_TIMEOUT_MS = 20 * 60_000;

export interface PingState {
  /** Unix ms our unanswered ping was sent; null when none is outstanding. */
  readonly outstandingSince: number | null;
  /** Unix ms the next ping is due. */
  readonly nextPingAt: number;
}

/** What the ticker should do now: close the peer, send a ping, or nothing. */
export function pingDecision(state: PingState, nowMs: number, timeoutMs = PING_TIMEOUT_MS): 'timeout' | 'send' | 'wait' {
  if (state.outstandingSince !== null) return nowMs - state.outstandingSince >= timeoutMs ? 'timeout' : 'wait';
  return nowMs >= state.nextPingAt ? 'send' : 'wait';
}
