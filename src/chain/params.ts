/**
 * Consensus parameters of each network that headers and block checks need, from Bitcoin Core
 * src/kernel/chainparams.cpp (v30 development tree, 2025-09: CMainParams, CTestNetParams,
 * CTestNet4Params, SigNetParams with the default challenge, CRegTestParams).
 *
 * Signet: its difficulty is checked in full (it retargets as mainnet does), but its blocks also
 * carry a signature over the signet challenge (BIP325) whose check needs script validation; that
 * check is not done here, so a signet header with valid proof of work and a bad signature is
 * accepted.
 */
import type { NetworkName } from '../wire/constants.js';

export interface ChainParams {
  readonly network: Exclude<NetworkName, 'simnet'>;
  /** The genesis block's 80-byte header. */
  readonly genesisHeader: Uint8Array;
  /** The genesis hash as usually displayed (reversed byte order). */
  readonly genesisHashHex: string;
  /** consensus.powLimit as a number. */
  readonly powLimit: bigint;
  /** powLimit in compact form (GetCompact): the min-difficulty bits. */
  readonly powLimitBits: number;
  /** nPowTargetTimespan, seconds. */
  readonly targetTimespan: number;
  /** nPowTargetSpacing, seconds. */
  readonly targetSpacing: number;
  /** fPowAllowMinDifficultyBlocks: testnet's 20-minute rule. */
  readonly allowMinDifficulty: boolean;
  /** fPowNoRetargeting (regtest). */
  readonly noRetarget: boolean;
  /** enforce_BIP94: retarget from the period's first block, and the timewarp rule (testnet4). */
  readonly enforceBip94: boolean;
  /** nMinimumChainWork: a chain with less work is not trusted to be stored in bulk. */
  readonly minimumChainWork: bigint;
  readonly bip34Height: number;
  readonly bip65Height: number;
  readonly bip66Height: number;
  /** BIP113 median-time-past lock-time cutoff from here (CSV deployment). */
  readonly csvHeight: number;
  /** Witness commitment required (and witness data allowed) from here. */
  readonly segwitHeight: number;
}

/** Blocks per retarget period: nPowTargetTimespan / nPowTargetSpacing (2016 outside regtest). */
export function retargetInterval(p: ChainParams): number {
  return p.targetTimespan / p.targetSpacing;
}

/** The 80-byte genesis header: version 1, null parent, the shared coinbase's merkle root. */
function genesis(merkleRootHex: string, time: number, nonce: number, bits: number): Uint8Array {
  const h = new Uint8Array(80);
  const dv = new DataView(h.buffer);
  dv.setInt32(0, 1, true);
  const root = Buffer.from(merkleRootHex, 'hex').reverse();
  h.set(root, 36);
  dv.setUint32(68, time, true);
  dv.setUint32(72, bits, true);
  dv.setUint32(76, nonce, true);
  return h;
}

/** Satoshi's genesis coinbase, shared by mainnet, testnet3, signet and regtest. */
const SATOSHI_ROOT = '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b';
const MAIN_LIMIT = (1n << 224n) - 1n; // 00000000ffff…ff
const TWO_WEEKS = 14 * 24 * 60 * 60;

export const CHAIN_PARAMS: Readonly<Record<ChainParams['network'], ChainParams>> = Object.freeze({
  mainnet: {
    network: 'mainnet',
    genesisHeader: genesis(SATOSHI_ROOT, 1231006505, 2083236893, 0x1d00ffff),
    genesisHashHex: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
    powLimit: MAIN_LIMIT,
    powLimitBits: 0x1d00ffff,
    targetTimespan: TWO_WEEKS,
    targetSpacing: 600,
    allowMinDifficulty: false,
    noRetarget: false,
    enforceBip94: false,
    // assumevalid block 912683 (Core chainparams.cpp, 2025-09).
    minimumChainWork: 0x0000000000000000000000000000000000000000dee8e2a309ad8a9820433c68n,
    bip34Height: 227931,
    bip65Height: 388381,
    bip66Height: 363725,
    csvHeight: 419328,
    segwitHeight: 481824,
  },
  testnet3: {
    network: 'testnet3',
    genesisHeader: genesis(SATOSHI_ROOT, 1296688602, 414098458, 0x1d00ffff),
    genesisHashHex: '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943',
    powLimit: MAIN_LIMIT,
    powLimitBits: 0x1d00ffff,
    targetTimespan: TWO_WEEKS,
    targetSpacing: 600,
    allowMinDifficulty: true,
    noRetarget: false,
    enforceBip94: false,
    minimumChainWork: 0x0000000000000000000000000000000000000000000016dd270dd94fac1d7632n,
    bip34Height: 21111,
    bip65Height: 581885,
    bip66Height: 330776,
    csvHeight: 770112,
    segwitHeight: 834624,
  },
  testnet4: {
    network: 'testnet4',
    genesisHeader: genesis('7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e', 1714777860, 393743547, 0x1d00ffff),
    genesisHashHex: '00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043',
    powLimit: MAIN_LIMIT,
    powLimitBits: 0x1d00ffff,
    targetTimespan: TWO_WEEKS,
    targetSpacing: 600,
    allowMinDifficulty: true,
    noRetarget: false,
    enforceBip94: true,
    minimumChainWork: 0x00000000000000000000000000000000000000000000034a4690fe592dc49c7cn,
    bip34Height: 1,
    bip65Height: 1,
    bip66Height: 1,
    csvHeight: 1,
    segwitHeight: 1,
  },
  signet: {
    network: 'signet',
    genesisHeader: genesis(SATOSHI_ROOT, 1598918400, 52613770, 0x1e0377ae),
    genesisHashHex: '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6',
    powLimit: 0x00000377ae000000000000000000000000000000000000000000000000000000n,
    powLimitBits: 0x1e0377ae,
    targetTimespan: TWO_WEEKS,
    targetSpacing: 600,
    allowMinDifficulty: false,
    noRetarget: false,
    enforceBip94: false,
    minimumChainWork: 0x0000000000000000000000000000000000000000000000000000067d328e681an,
    bip34Height: 1,
    bip65Height: 1,
    bip66Height: 1,
    csvHeight: 1,
    segwitHeight: 1,
  },
  regtest: {
    network: 'regtest',
    genesisHeader: genesis(SATOSHI_ROOT, 1296688602, 2, 0x207fffff),
    genesisHashHex: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
    powLimit: 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
    powLimitBits: 0x207fffff,
    targetTimespan: 24 * 60 * 60,
    targetSpacing: 600,
    allowMinDifficulty: true,
    noRetarget: true,
    enforceBip94: false,
    minimumChainWork: 0n,
    bip34Height: 1,
    bip65Height: 1,
    bip66Height: 1,
    csvHeight: 1,
    segwitHeight: 0,
  },
});

/** Parameters of a network; simnet (btcd's) has none here. */
export function chainParams(network: NetworkName): ChainParams {
  if (network === 'simnet') throw new TypeError('no chain parameters for simnet');
  return CHAIN_PARAMS[network];
}
