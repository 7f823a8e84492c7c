"""An independent P2P client for the interop tests: python-bitcoinlib (Debian's python3-bitcoinlib).

Connects to HOST PORT on regtest, completes the version handshake, asks for every transaction and
block announced to it, and prints one line per item received, `EVENT tx <txid>` or
`EVENT block <hash>` (display hex, as python-bitcoinlib computes them), until stdin closes or the
connection ends. Other lines it prints (python-bitcoinlib reports unknown commands) are ignored by
the test.
"""
import socket
import sys
import threading

import bitcoin
from bitcoin.core import b2lx
from bitcoin.messages import MsgSerializable, msg_block, msg_getdata, msg_inv, msg_ping, msg_pong, msg_tx, msg_verack, msg_version
from bitcoin.net import CInv

MSG_TX = 1
MSG_BLOCK = 2


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    bitcoin.SelectParams('regtest')
    sock = socket.create_connection((host, port))
    # The test closes stdin to stop us.
    threading.Thread(target=lambda: (sys.stdin.read(), sock.close()), daemon=True).start()
    out = sock.makefile('wb')
    inp = sock.makefile('rb')
    version = msg_version()
    version.nStartingHeight = 0
    version.strSubVer = b'/python-bitcoinlib-interop/'
    version.stream_serialize(out)
    out.flush()
    print('EVENT connected', flush=True)
    while True:
        try:
            msg = MsgSerializable.stream_deserialize(inp)
        except Exception as err:  # the connection ended (or the test closed it)
            print('EVENT closed', type(err).__name__, flush=True)
            return
        if msg is None:
            continue
        if isinstance(msg, msg_version):
            msg_verack().stream_serialize(out)
        elif isinstance(msg, msg_verack):
            print('EVENT established', flush=True)
        elif isinstance(msg, msg_ping):
            pong = msg_pong()
            pong.nonce = msg.nonce
            pong.stream_serialize(out)
        elif isinstance(msg, msg_inv):
            want = msg_getdata()
            want.inv = [i for i in msg.inv if i.type in (MSG_TX, MSG_BLOCK)]
            if want.inv:
                want.stream_serialize(out)
        elif isinstance(msg, msg_tx):
            print('EVENT tx', b2lx(msg.tx.GetTxid()), flush=True)
        elif isinstance(msg, msg_block):
            print('EVENT block', b2lx(msg.block.GetHash()), flush=True)
        out.flush()


if __name__ == '__main__':
    main()
