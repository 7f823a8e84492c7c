/** wirerelay's version, as in package.json (test/stats/node-stats.test.ts keeps the two equal). */
export const WIRERELAY_VERSION = '0.1.0';
