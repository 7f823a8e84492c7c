/**
 * The version handshake of one connection (btcd peer.go): version first, then feature negotiation
 * (wtxidrelay, sendaddrv2) until verack both ways. Decides; the peer carries out.
 */
import type { OffenceId } from '../ban/ban-policy.js';
import type { Message } from '../wire/codec.js';
import { ADDRV2_VERSION, MIN_PEER_PROTOCOL_VERSION, PROTOCOL_VERSION, RejectCode } from '../wire/constants.js';
import type { DisconnectReason } from '../types.js';

/** What the handshake needs from its peer. */
export interface HandshakePeer {
  readonly direction: 'inbound' | 'outbound';
  protocolVersion: number | null;
  userAgent: string | null;
  services: bigint;
  startHeight: number | null;
  relayTxs: boolean;
  wantsAddrV2: boolean;
  wantsWtxid: boolean;
  /** A nonce we sent in a version recently (a self-connection). */
  isOwnNonce(nonce: bigint): boolean;
  /** The version's user agent names one of our mesh instances. */
  checkMesh(userAgent: string | undefined): void;
  sendVersion(): void;
  sendMessage(msg: Message): void;
  sendReject(command: string, code: number, reason: string): void;
  offence(id: OffenceId | null, why: string): void;
  close(reason: DisconnectReason): void;
  onHandshakeDone(): void;
}

export class Handshake {
  private gotVersion = false;
  private sentVerack = false;
  private gotVerack = false;
  done = false;

  constructor(private readonly peer: HandshakePeer) {}

  /** A message before the handshake completed. */
  onMessage(msg: Message): void {
    const p = this.peer;
    if (!this.gotVersion) {
      if (msg.command !== 'version') {
        p.sendReject(msg.command, RejectCode.Malformed, 'first message must be version');
        p.offence(null, 'first message must be version');
        p.close('protocol');
        return;
      }
      this.onVersion(msg);
      return;
    }
    switch (msg.command) {
      case 'version':
        this.rejectDuplicate('version');
        return;
      case 'verack':
        this.gotVerack = true;
        this.maybeEstablish();
        return;
      case 'sendaddrv2':
        if ((p.protocolVersion ?? 0) >= ADDRV2_VERSION) p.wantsAddrV2 = true;
        return;
      case 'wtxidrelay':
        if ((p.protocolVersion ?? 0) >= ADDRV2_VERSION) p.wantsWtxid = true;
        return;
      default:
        // btcd: anything else before verack is an invalid handshake (disconnect, no score).
        p.offence(null, `${msg.command} before verack`);
        p.close('protocol');
    }
  }

  /** btcd: a second version or verack gets reject(duplicate) and the connection is closed. */
  rejectDuplicate(command: 'version' | 'verack'): void {
    const p = this.peer;
    p.sendReject(command, RejectCode.Duplicate, `duplicate ${command} message`);
    p.offence(command === 'version' ? 'DUPLICATE_VERSION' : 'DUPLICATE_VERACK', `duplicate ${command}`);
    p.close('duplicate');
  }

  private onVersion(msg: Extract<Message, { command: 'version' }>): void {
    const p = this.peer;
    this.gotVersion = true;
    if (msg.nonce !== undefined && p.isOwnNonce(msg.nonce)) {
      p.close('self_connection');
      return;
    }
    if (msg.protocolVersion < MIN_PEER_PROTOCOL_VERSION) {
      p.sendReject('version', RejectCode.Obsolete, `protocol version must be ${MIN_PEER_PROTOCOL_VERSION} or greater`);
      p.close('protocol');
      return;
    }
    p.protocolVersion = Math.min(PROTOCOL_VERSION, msg.protocolVersion);
    p.userAgent = msg.userAgent ?? null;
    p.services = msg.services;
    p.startHeight = msg.startHeight ?? null;
    // Absent before BIP37 (pver 70001): such peers always get transactions.
    p.relayTxs = msg.relay ?? true;
    if (p.direction === 'inbound') {
      p.checkMesh(msg.userAgent);
      p.sendVersion();
    }
    if (p.protocolVersion >= ADDRV2_VERSION) {
      // BIP339 and BIP155 feature negotiation goes between version and verack.
      p.sendMessage({ command: 'wtxidrelay' });
      p.sendMessage({ command: 'sendaddrv2' });
    }
    p.sendMessage({ command: 'verack' });
    this.sentVerack = true;
    this.maybeEstablish();
  }

  private maybeEstablish(): void {
    if (!this.gotVerack || !this.sentVerack || this.done) return;
    this.done = true;
    this.peer.onHandshakeDone();
  }
}
