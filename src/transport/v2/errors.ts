/**
 * Why a v2 (BIP324) connection failed. Every reason costs the peer its connection and nothing
 * else: Core does not count a v2 handshake or decryption failure as misbehaviour (no ban score),
 * since an on-path attacker can cause any of them.
 */
import { RelayError } from '../../errors.js';

export const V2_FAILURE_REASONS = [
  /** A packet's Poly1305 tag did not match (tampering, a replayed or reordered packet, wrong keys). */
  'bad-tag',
  /** A decrypted length over Core's MAX_CONTENTS_LEN (4,000,013 bytes). */
  'oversize',
  /** More than 4,095 bytes of garbage without the garbage terminator (also: a peer on another network). */
  'garbage-too-long',
  /** The handshake (key, garbage, version packet) did not finish in time. */
  'no-version',
  /** The stream ended inside the handshake or inside a packet. */
  'truncated',
  /** A v1 peer on a node started with --transport v2only. */
  'v1-refused',
  /** Outbound: the peer answered our key with a v1 version message (it speaks v1 only). */
  'v1-reply',
] as const;

export type V2FailureReason = (typeof V2_FAILURE_REASONS)[number];

export class V2TransportError extends RelayError {
  readonly reason: V2FailureReason;

  constructor(reason: V2FailureReason, message: string, details: Record<string, unknown> = {}) {
    super('ERR_V2_TRANSPORT', message, { reason, ...details });
    this.name = 'V2TransportError';
    this.reason = reason;
  }
}
