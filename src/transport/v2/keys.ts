/**
 * BIP324 key exchange: ElligatorSwift-encoded ephemeral keys, x-only ECDH and the HKDF-SHA256
 * derivation of the four cipher keys, the garbage terminators and the session id. The curve
 * arithmetic and ElligatorSwift come from @scure/btc-signer (docs/dependencies.md); HKDF from
 * node:crypto. Runs once per connection, off the hot path.
 */
import { hkdfSync } from 'node:crypto';
import { elligatorSwift } from '@scure/btc-signer/p2p.js';

export const ELLSWIFT_BYTES = 64;
export const GARBAGE_TERMINATOR_BYTES = 16;

/** An ephemeral key pair: 32-byte secret key and its 64-byte ElligatorSwift encoding. */
export interface V2KeyPair {
  readonly privateKey: Uint8Array;
  readonly ellswift: Uint8Array;
}

/** Everything one side derives from the handshake (BIP324 initialize_v2_transport). */
export interface V2SessionKeys {
  readonly sessionId: Uint8Array;
  readonly sendL: Uint8Array;
  readonly sendP: Uint8Array;
  readonly recvL: Uint8Array;
  readonly recvP: Uint8Array;
  readonly sendGarbageTerminator: Uint8Array;
  readonly recvGarbageTerminator: Uint8Array;
}

/** A fresh ephemeral key pair (random secret key, random one of its encodings). */
export function generateKeyPair(): V2KeyPair {
  const { privateKey, publicKey } = elligatorSwift.keygen();
  return { privateKey, ellswift: publicKey };
}

/** The x coordinate (32 bytes, big-endian) an ElligatorSwift encoding maps to; every 64-byte string decodes. */
export function ellswiftDecode(encoded: Uint8Array): Uint8Array {
  return elligatorSwift.decode(encoded);
}

/**
 * The BIP324 ECDH secret: tagged hash "bip324_ellswift_xonly_ecdh" of the initiator's and the
 * responder's 64-byte encodings and the shared x. Undefined if the library rejects the input
 * (never expected: every encoding decodes to a point); peer bytes never throw out of here.
 */
export function ecdhSecret(ours: V2KeyPair, theirs: Uint8Array, initiating: boolean): Uint8Array | undefined {
  try {
    return elligatorSwift.getSharedSecretBip324(ours.privateKey, theirs, ours.ellswift, initiating);
  } catch {
    return undefined;
  }
}

/** HKDF-SHA256 (RFC 5869, extract then expand) of the ECDH secret with BIP324's salt. */
function hkdf(secret: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, salt, info, 32));
}

/** Writes a u32 network magic as its 4 wire bytes (little-endian, e.g. mainnet f9 be b4 d9). */
function magicBytes(magic: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, magic >>> 0, true);
  return b;
}

/** Keys and terminators for our side, from the ECDH secret and the network magic (u32 value). */
export function deriveKeys(secret: Uint8Array, magic: number, initiating: boolean): V2SessionKeys {
  const salt = new Uint8Array([...Buffer.from('bitcoin_v2_shared_secret', 'ascii'), ...magicBytes(magic)]);
  const initiatorL = hkdf(secret, salt, 'initiator_L');
  const initiatorP = hkdf(secret, salt, 'initiator_P');
  const responderL = hkdf(secret, salt, 'responder_L');
  const responderP = hkdf(secret, salt, 'responder_P');
  const terminators = hkdf(secret, salt, 'garbage_terminators');
  const sessionId = hkdf(secret, salt, 'session_id');
  const initiatorTerminator = terminators.slice(0, 16);
  const responderTerminator = terminators.slice(16, 32);
  return initiating
    ? { sessionId, sendL: initiatorL, sendP: initiatorP, recvL: responderL, recvP: responderP, sendGarbageTerminator: initiatorTerminator, recvGarbageTerminator: responderTerminator }
    : { sessionId, sendL: responderL, sendP: responderP, recvL: initiatorL, recvP: initiatorP, sendGarbageTerminator: responderTerminator, recvGarbageTerminator: initiatorTerminator };
}
