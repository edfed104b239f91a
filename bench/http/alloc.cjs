'use strict';
// Bytes allocated on the JS heap over an interval, GCs included. V8 keeps no running total of allocation, so
// this adds up what the heap grew by between collections: a GC profile (v8.GCProfiler, Node 18.15+) gives
// the used heap before and after each GC, and allocated = sum over GCs of (used before this GC - used after the
// previous one), plus the growth since the last. Promotion between spaces does not change the used total, so
// it is not counted twice. Buffers' external memory is not JS heap and is not counted.
const v8 = require('node:v8');

function allocationMeter() {
  const profiler = new v8.GCProfiler();
  const startUsed = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  return {
    stop() {
      const endUsed = v8.getHeapStatistics().used_heap_size;
      const { statistics } = profiler.stop();
      let bytes = 0;
      let last = startUsed;
      for (const gc of statistics) {
        bytes += gc.beforeGC.heapStatistics.usedHeapSize - last;
        last = gc.afterGC.heapStatistics.usedHeapSize;
      }
      return bytes + endUsed - last;
    },
  };
}

module.exports = { allocationMeter };
