/** Core's default -zmqpub<topic>hwm (zmq/zmqabstractnotifier.h DEFAULT_ZMQ_SNDHWM). */
export const DEFAULT_ZMQ_HWM = 1000;

/** The ZMQ topics and their options (endpoint list, high-water mark), in Core's names (doc/zmq.md). */
export const ZMQ_TOPIC_OPTIONS = [
  ['rawtx', 'zmqPubRawTx', 'zmqPubRawTxHwm'],
  ['hashtx', 'zmqPubHashTx', 'zmqPubHashTxHwm'],
  ['rawblock', 'zmqPubRawBlock', 'zmqPubRawBlockHwm'],
  ['hashblock', 'zmqPubHashBlock', 'zmqPubHashBlockHwm'],
  ['sequence', 'zmqPubSequence', 'zmqPubSequenceHwm'],
] as const;
