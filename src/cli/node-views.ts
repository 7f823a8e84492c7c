/**
 * Text views of a node for the CLI: `wirerelay status`, `peers` (getpeerinfo's fields) and the ban
 * list. Commands fetch the JSON and print these; strings from the network go through admin/format.ts's
 * `clean()` (renderTable and renderKeyValues do it).
 */
import type { BanInfo, NodeStatus, PeerInfo } from '../types.js';
import {
  clean,
  formatAgo as ago,
  formatBytes,
  formatBytesByCommand as perMessage,
  formatDuration,
  formatRate,
  formatTimestamp,
  peerFlags,
  renderKeyValues,
  renderTable,
  type Column,
} from '../admin/format.js';

const ms = (v: number | null): string => (v === null ? '-' : `${Math.round(v)}ms`);
const perSec = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

/** One line per peer; `now` (Unix ms) dates the "ago" columns. */
export function renderPeerTable(peers: readonly PeerInfo[], now: number): string {
  const columns: readonly Column<PeerInfo>[] = [
    { header: 'ADDR', value: (p) => p.addr },
    { header: 'DIR', value: (p) => (p.direction === 'inbound' ? 'in' : 'out') },
    { header: 'STATE', value: (p) => p.state },
    { header: 'TRANSPORT', value: (p) => p.transport },
    { header: 'FLAGS', value: peerFlags },
    { header: 'SCORE', align: 'right', value: (p) => String(p.banScore) },
    { header: 'PING', align: 'right', value: (p) => ms(p.rttMs) },
    { header: 'MINPING', align: 'right', value: (p) => ms(p.minRttMs) },
    { header: 'SEND', align: 'right', value: (p) => ago(now, p.lastSend) },
    { header: 'RECV', align: 'right', value: (p) => ago(now, p.lastRecv) },
    { header: 'IN', align: 'right', value: (p) => formatBytes(p.bytesIn) },
    { header: 'OUT', align: 'right', value: (p) => formatBytes(p.bytesOut) },
    { header: 'CONNTIME', align: 'right', value: (p) => ago(now, p.connectedAt) },
    { header: 'VER', align: 'right', value: (p) => (p.protocolVersion === null ? '-' : String(p.protocolVersion)) },
    { header: 'AGENT', value: (p) => p.userAgent ?? '-' },
    // BIP324: compare out of band with the peer's operator; the full id is in -v and --json.
    { header: 'SESSION', value: (p) => (p.sessionId === null ? '-' : p.sessionId.slice(0, 16)) },
  ];
  return renderTable(columns, peers);
}

/** A block per peer with everything getpeerinfo has, per-message bytes included (`peers -v`). */
export function renderPeerDetails(peers: readonly PeerInfo[], now: number): string {
  return peers
    .map((p) => {
      const flags = peerFlags(p);
      const block = renderKeyValues([
        ['direction', `${p.direction}${flags === '-' ? '' : ` (${flags})`}`],
        ['state', `${p.state}, connected ${ago(now, p.connectedAt)} ago (${formatTimestamp(p.connectedAt)})`],
        ['transport', p.sessionId === null ? p.transport : `${p.transport}, session id ${p.sessionId}`],
        ['version', `${p.protocolVersion ?? '-'} ${p.userAgent ?? ''}`],
        ['services', `${p.servicesNames.join(' ') || 'none'} (0x${BigInt(p.services).toString(16)})`],
        ['start height', p.startHeight === null ? '-' : String(p.startHeight)],
        ['best known height', p.bestKnownHeight === null || p.bestKnownHeight === undefined ? '-' : String(p.bestKnownHeight)],
        ['relay txs', p.relay ? 'yes' : 'no'],
        ['ping', `${ms(p.rttMs)} (min ${ms(p.minRttMs)})`],
        ['last send', p.lastSend === null ? '-' : `${ago(now, p.lastSend)} ago`],
        ['last recv', p.lastRecv === null ? '-' : `${ago(now, p.lastRecv)} ago`],
        ['sent', `${formatBytes(p.bytesOut)} in ${p.messagesOut} msgs: ${perMessage(p.bytesSentPerMsg)}`],
        ['received', `${formatBytes(p.bytesIn)} in ${p.messagesIn} msgs: ${perMessage(p.bytesRecvPerMsg)}`],
        ['send queue', formatBytes(p.sendQueueBytes)],
        ['ban score', String(p.banScore)],
      ]);
      return `${clean(p.addr)}\n${block.replace(/^/gm, '  ')}`;
    })
    .join('\n');
}

export function renderBanTable(bans: readonly BanInfo[], now: number): string {
  const columns: readonly Column<BanInfo>[] = [
    { header: 'TARGET', value: (b) => b.target },
    { header: 'CREATED', value: (b) => (b.createdAt === null ? '-' : formatTimestamp(b.createdAt)) },
    { header: 'EXPIRES', value: (b) => `${formatTimestamp(b.until)} (in ${formatDuration(Math.max(0, b.until - now))})` },
    { header: 'REASON', value: (b) => b.reason },
  ];
  return renderTable(columns, bans);
}

export function renderStatus(s: NodeStatus): string {
  const r10 = s.rates.last10s;
  const r60 = s.rates.last1m;
  const rates = (msgs: 'msgsIn' | 'msgsOut' | 'relayedMsgs', bytes: 'bytesIn' | 'bytesOut' | 'relayedBytes'): string =>
    `${perSec(r10[msgs])} msgs/s ${formatRate(r10[bytes])} (10 s), ${perSec(r60[msgs])} msgs/s ${formatRate(r60[bytes])} (1 min)`;
  const pairs: Array<readonly [string, string]> = [
    ['version', s.version],
    ['network', s.network],
    ['user agent', s.userAgent],
    ['data dir', s.dataDir ?? '- (in memory)'],
    ['listen', s.listen ?? 'off'],
    ['admin', s.http ?? 'off'],
    ['uptime', formatDuration(s.uptimeMs)],
    ['peers', `${s.peers.established} established (${s.peers.inbound} in, ${s.peers.outbound} out)`],
    ['bans', String(s.bans)],
    ['addresses', `${s.addresses.new} new, ${s.addresses.tried} tried`],
    ['received', rates('msgsIn', 'bytesIn')],
    ['sent', rates('msgsOut', 'bytesOut')],
    ['relayed', `${s.relayed.messages} messages, ${formatBytes(s.relayed.bytes)}; ${rates('relayedMsgs', 'relayedBytes')}`],
    ['relay cache', `${s.relayCache.items} items, ${formatBytes(s.relayCache.bytes)}`],
    ['chain', s.chain === null || s.chain === undefined ? '-' : `height ${s.chain.height}, ${s.chain.headers} headers, tip ${s.chain.tip}`],
    ['verify pool', `${s.pool.threads} threads, queue ${s.pool.queueDepth}`],
    ['event loop', `lag ${s.process.eventLoopLagMs.toFixed(1)} ms p99, ${s.process.eventLoopLagMaxMs.toFixed(1)} ms max`],
    ['process', `CPU ${s.process.cpuPercent.toFixed(1)}%, RSS ${formatBytes(s.process.rssBytes)}`],
    ['state version', s.stateVersion === null ? '-' : String(s.stateVersion)],
    ['backup', s.backup === null ? '-' : `${s.backup.url} ${s.backup.status}, ${s.backup.pending} pending`],
  ];
  for (const w of s.warnings) pairs.push(['warning', w]);
  return renderKeyValues(pairs);
}
