'use strict';
// bcoin's database layer (bdb) requires leveldown at load time; the interop tests open bcoin with
// `memory: true`, so nothing here is ever called. A call means a test asked for a disk database.
module.exports = function leveldown() {
  throw new Error('leveldown stub: the interop tests run bcoin with memory: true');
};
