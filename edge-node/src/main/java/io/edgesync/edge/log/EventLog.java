package io.edgesync.edge.log;

import io.edgesync.edge.dedup.DedupIndex;
import io.edgesync.edge.dedup.DedupKey;
import io.edgesync.edge.dedup.DedupStats;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.IndexType;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.Range;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.SizeApproximationFlag;
import org.rocksdb.Slice;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's durable event log: the single owner of the RocksDB instance (column
 * families {@code default}, {@code log}, {@code meta}, and the auxiliary {@code dedup},
 * {@code dlq}, {@code state}). Appends go through the
 * {@link GroupCommitWriter} (one writer thread, WAL fsynced per group); reads and releases
 * come from the forwarder through {@link LogReader}. See docs/ARCHITECTURE-edge.md for the
 * key layout and the RocksDB options.
 *
 * <p>Every native handle is registered as it is created and released in reverse order by
 * {@link #close()}, which is idempotent and waits for running reads and releases.
 * Every {@link RocksDBException} is wrapped in an {@link EventLogException} naming the path.
 *
 * <p>Thread-safety: all methods are safe from any thread; {@link #open}, {@link #read},
 * {@link #release} and {@link #close} block and must not run on an event loop.
 */
public final class EventLog implements LogReader, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);
  /** Column families beside {@code log} and {@code meta}, in open order. */
  static final List<String> AUX_STORES = List.of("dedup", "dlq", "state");

  private final Path path;
  private final String dbPath;
  private final Deque<AutoCloseable> handles;
  private final RocksDB db;
  private final ColumnFamilyHandle logCf;
  private final ColumnFamilyHandle metaCf;
  private final Map<String, AuxStore> stores = new java.util.HashMap<>();
  private final WriteOptions releaseWrite;
  private final GroupCommitWriter writer;
  private final DedupIndex dedup; // null when dedup.enabled is false
  private final LogSettings settings;
  private final LogSpace space;
  // read lock: any RocksDB use outside the writer thread; write lock: close
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final AtomicBoolean closing = new AtomicBoolean();
  private volatile boolean open;
  /** Released events kept per class for replay ({@code log.retainReleased}); 0 = deleted on release. */
  private volatile long retainReleased;
  /**
   * Per class, the classSeq through which a range delete covers the released events ({@code
   * meta deleted.<class>}); released events above it wait for the next range delete. Guarded by
   * {@code space.lock}.
   */
  private final long[] deletedThrough = new long[LogKeys.CLASSES];
  /** Per class, released bytes above {@link #deletedThrough} since whole files were last dropped. */
  private final long[] undeletedBytes = new long[LogKeys.CLASSES];
  /**
   * Per class, whether the last file drop left more than {@link #releasedOnDiskBound} released
   * bytes on disk: the next release writes the range delete. Guarded by {@code space.lock}.
   */
  private final boolean[] tombstoneDue = new boolean[LogKeys.CLASSES];
  private volatile long releasedOnDiskBound = -1;
  /** Per class, range deletes written on release: [0] the class was drained, [1] past the bound. */
  private final Counter[][] releaseDeletes = new Counter[LogKeys.CLASSES][2];
  /** Gaps a release had to read to count their bytes ({@link #releasedBytes}). */
  private final Counter releaseScans;
  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  private final long logEpoch;

  /**
   * This log's epoch, drawn at random (never 0) the first time it is opened and kept in
   * {@code meta}: a wiped or recreated data folder gets a new one, so the cloud can tell its
   * sequence numbers from the old log's (docs/PROTOCOL.md, flag EPOCH).
   */
  private static long loadOrDrawEpoch(RocksDB db, ColumnFamilyHandle metaCf, WriteOptions syncWrite)
      throws RocksDBException {
    long epoch = LogKeys.parseLong(db.get(metaCf, LogKeys.LOG_EPOCH), 0);
    if (epoch == 0) {
      java.security.SecureRandom random = new java.security.SecureRandom();
      while (epoch == 0) {
        epoch = random.nextLong();
      }
      db.put(metaCf, syncWrite, LogKeys.LOG_EPOCH, LogKeys.longValue(epoch));
    }
    return epoch;
  }

  private EventLog(Path path, Deque<AutoCloseable> handles, RocksDB db, ColumnFamilyHandle logCf,
      ColumnFamilyHandle metaCf, List<ColumnFamilyHandle> auxCfs, WriteOptions syncWrite, WriteOptions releaseWrite, LogSettings settings,
      Vertx vertx, MeterRegistry registry, Clock clock) throws RocksDBException {
    this.path = path;
    this.settings = settings;
    this.dbPath = path.toString();
    this.handles = handles;
    this.db = db;
    this.logCf = logCf;
    this.metaCf = metaCf;
    this.releaseWrite = releaseWrite;
    this.registry = registry;
    for (int i = 0; i < AUX_STORES.size(); i++) {
      stores.put(AUX_STORES.get(i), new AuxStore(AUX_STORES.get(i), dbPath, db, auxCfs.get(i), syncWrite,
          lifecycle.readLock(), () -> open));
    }
    this.space = new LogSpace(settings.quota());
    this.logEpoch = loadOrDrawEpoch(db, metaCf, syncWrite);
    long nextSeq = LogKeys.parseLong(db.get(metaCf, LogKeys.NEXT_SEQ), 1);
    long[] nextClassSeq = new long[LogKeys.CLASSES];
    for (int c = 0; c < LogKeys.CLASSES; c++) {
      nextClassSeq[c] = LogKeys.parseLong(db.get(metaCf, LogKeys.nextClassSeq(c)), 1);
      long rel = LogKeys.parseLong(db.get(metaCf, LogKeys.released(c)), 0);
      if (rel > nextClassSeq[c] - 1) {
        throw new IllegalStateException("[db: " + dbPath + "] released." + Priority.fromCode(c).label() + " = " + rel
            + " is above the last class sequence " + (nextClassSeq[c] - 1));
      }
      space.released.set(c, rel);
      deletedThrough[c] = LogKeys.parseLong(db.get(metaCf, LogKeys.deleted(c)), 0);
      space.evicted.set(c, LogKeys.parseLong(db.get(metaCf, LogKeys.evicted(c)), 0));
      space.evictedEvents.set(c, LogKeys.parseLong(db.get(metaCf, LogKeys.evictedEvents(c)), 0));
      byte[] appended = db.get(metaCf, LogKeys.bytesAppended(c));
      if (appended == null) {
        // a log written before the quota existed: count its live bytes once and persist the counters
        long live = LogSpace.sizes(db, logCf, c, space.firstLive(c), nextClassSeq[c] - 1, Long.MAX_VALUE)[0];
        try (WriteBatch b = new WriteBatch()) {
          b.put(metaCf, LogKeys.bytesAppended(c), LogKeys.longValue(live));
          b.put(metaCf, LogKeys.bytesReleased(c), LogKeys.longValue(0));
          b.put(metaCf, LogKeys.bytesEvicted(c), LogKeys.longValue(0));
          db.write(syncWrite, b);
        }
        space.bytesAppended.set(c, live);
      } else {
        space.bytesAppended.set(c, LogKeys.parseLong(appended, 0));
        space.bytesReleased.set(c, LogKeys.parseLong(db.get(metaCf, LogKeys.bytesReleased(c)), 0));
        space.bytesEvicted.set(c, LogKeys.parseLong(db.get(metaCf, LogKeys.bytesEvicted(c)), 0));
      }
    }
    AuxStore dedupStore = stores.get("dedup");
    if (settings.dedup().enabled()) {
      this.dedup = new DedupIndex(settings.dedup(), new RocksDedupStore(dbPath, db, dedupStore.handle(), releaseWrite),
          clock::millis, registry, dbPath);
      dedup.open();
    } else {
      this.dedup = null;
    }
    this.writer = new GroupCommitWriter(vertx, dbPath, db, logCf, metaCf, dedupStore.handle(), dedup, syncWrite,
        settings, nextSeq, nextClassSeq, space, registry);
    for (Priority p : Priority.values()) {
      meters.add(Gauge.builder("edge.log.backlog.events", this, l -> l.backlog(p))
          .description("events in the log not yet committed by the cloud nor evicted")
          .tag("class", p.label()).register(registry));
      meters.add(Gauge.builder("edge.buffer.class.bytes", space, sp -> sp.liveBytes(p.code()))
          .description("live envelope bytes of the class (not released, not evicted)")
          .tag("class", p.label()).register(registry));
      meters.add(FunctionCounter.builder("edge.log.evicted.events", space, sp -> sp.evictedEvents.get(p.code()))
          .description("events evicted at the disk quota (persisted total; each range has a loss-ledger event)")
          .tag("class", p.label()).tag("reason", "quota").register(registry));
      meters.add(FunctionCounter.builder("edge.log.evicted.bytes", space, sp -> sp.bytesEvicted.get(p.code()))
          .description("envelope bytes evicted at the disk quota (persisted total)")
          .tag("class", p.label()).register(registry));
      String[] reasons = {"drained", "bound"};
      for (int r = 0; r < reasons.length; r++) {
        releaseDeletes[p.code()][r] = Counter.builder("edge.log.release.range.deletes")
            .description("range deletes of released events (drained: nothing live after them; bound: files"
                + " dropped whole left too many released bytes on disk)")
            .tag("class", p.label()).tag("reason", reasons[r]).register(registry);
        meters.add(releaseDeletes[p.code()][r]);
      }
    }
    releaseScans = Counter.builder("edge.log.release.scans")
        .description("stretches of released events read again to count their bytes (no forwarder read covered them)")
        .register(registry);
    meters.add(releaseScans);
    meters.add(Gauge.builder("edge.buffer.used.bytes", space, LogSpace::usedBytes)
        .description("live envelope bytes in the log (what the quota counts)").register(registry));
    meters.add(Gauge.builder("edge.buffer.quota.bytes", space, sp -> sp.quota.quotaBytes())
        .description("disk quota of the log (buffer.quotaBytes)").register(registry));
    meters.add(Gauge.builder("edge.buffer.disk.bytes", space, sp -> sp.diskBytes)
        .description("RocksDB on disk: SST files of every column family + live WAL").register(registry));
    meters.add(Gauge.builder("edge.buffer.time.to.full.seconds", space, sp -> {
      Double t = sp.timeToFullSeconds();
      return t == null ? Double.NaN : t;
    }).description("forecast until the quota is reached at the current net growth; NaN when not growing")
        .register(registry));
    meters.add(Gauge.builder("edge.buffer.ingress.bytes.per.second", space, sp -> sp.ingressBytesPerSec)
        .description("appended envelope bytes per second (EWMA, ~5 s)").register(registry));
    meters.add(Gauge.builder("edge.buffer.egress.bytes.per.second", space, sp -> sp.egressBytesPerSec)
        .description("released (cloud-committed) envelope bytes per second (EWMA, ~5 s)").register(registry));
    meters.add(Gauge.builder("edge.buffer.blocked", this, l -> l.writer.blocked() ? 1 : 0)
        .description("1 while appends are held at the disk quota (backpressure)").register(registry));
    // RocksDB's own view of its native memory (docs/OPERATIONS.md "Memory bounds"): the shared
    // cache (holding the memtables and index/filter blocks) is bounded by log.memoryBytes; table
    // readers outside it grow with the number of SST files
    rocksMemory("block_cache", "rocksdb.block-cache-usage", false);
    rocksMemory("block_cache_pinned", "rocksdb.block-cache-pinned-usage", false);
    rocksMemory("memtables", "rocksdb.cur-size-all-mem-tables", true);
    rocksMemory("table_readers", "rocksdb.estimate-table-readers-mem", true);
    this.open = true;
    writer.start();
    LOG.info("[db: {}] event log open: next seq {}, classes {}", dbPath, nextSeq, describe());
  }

  /**
   * Opens (creating when missing, parent folders included) the log at {@code dir} and
   * recovers its counters and release watermarks. Blocking.
   *
   * @throws EventLogException when RocksDB refuses (e.g. another process holds the lock)
   */
  public static EventLog open(Path dir, LogSettings settings, Vertx vertx, MeterRegistry registry) {
    return open(dir, settings, vertx, registry, Clock.systemUTC());
  }

  /**
   * Like {@link #open(Path, LogSettings, Vertx, MeterRegistry)} with the clock that files
   * dedup keys into time buckets and expires them (tests inject one). Also drops expired
   * dedup buckets and rebuilds the dedup Bloom filters from the live ones. Blocking.
   */
  public static EventLog open(Path dir, LogSettings settings, Vertx vertx, MeterRegistry registry, Clock clock) {
    Path abs = dir.toAbsolutePath().normalize();
    String dbPath = abs.toString();
    try {
      // folders it creates are 0700 (data.dir holds every event; SECURITY.md)
      if (abs.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createDirectories(abs, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
      } else {
        Files.createDirectories(abs);
      }
    } catch (IOException e) {
      throw new EventLogException(dbPath, "creating the folder", e);
    }
    RocksLibrary.load();
    Deque<AutoCloseable> handles = new ArrayDeque<>();
    try {
      // Memory bound (docs/ARCHITECTURE-edge.md "Memory bounds"): ONE block cache of
      // log.memoryBytes for every column family; the write buffer manager charges the memtables
      // to it (flushing the largest when they pass half of it), and index and filter blocks live
      // in it too instead of growing with the number of SST files.
      long budget = settings.memoryBytes();
      LRUCache cache = push(handles, new LRUCache(budget, cacheShardBits(budget), false));
      WriteBufferManager memtables = push(handles, new WriteBufferManager(budget / 2, cache));
      long logMemtable = Math.min(16L * 1024 * 1024, budget / 6);
      long smallMemtable = Math.min(2L * 1024 * 1024, budget / 16);
      // log: append-only, keys in seq order; read back once by the forwarder, soon after writing
      ColumnFamilyOptions logOptions = push(handles, new ColumnFamilyOptions()
          .setWriteBufferSize(logMemtable)
          // released events are dropped a whole file at a time (release()): small quota, small files
          .setTargetFileSizeBase(logFileBytes(settings.quota().quotaBytes()))
          .setMaxWriteBufferNumber(2)
          .setCompressionType(CompressionType.LZ4_COMPRESSION)
          .setLevelCompactionDynamicLevelBytes(true)
          .setTableFormatConfig(table(cache).setBlockSize(16 * 1024)));
      ColumnFamilyOptions metaOptions = push(handles, new ColumnFamilyOptions()
          .setWriteBufferSize(smallMemtable)
          .setMaxWriteBufferNumber(2)
          .setTableFormatConfig(table(cache)));
      // dedup: point lookups confirm in-memory Bloom "maybe"s; RocksDB's own filter spares
      // reading data blocks of SST files that do not hold the key. Filters and index are
      // partitioned (4 KiB blocks under a pinned top level): a file of millions of keys has a
      // filter of MBs, and a lookup then reads one partition instead of all of it
      // (docs/ARCHITECTURE-edge.md "Options and why", dedup). Files of 4 MiB: keys start with
      // their time bucket and only the newest bucket gets new ones, so a compaction rewrites that
      // bucket's files; in RocksDB's default 64 MiB it rewrote the whole window every time.
      // Each L0 compaction rewrites the newest bucket's files: at 8 L0 files instead of 4, half as
      // often (the extra L0 files are read only for the in-memory filters' "maybe"s)
      org.rocksdb.BloomFilter dedupFilter = push(handles, new org.rocksdb.BloomFilter(10, false));
      ColumnFamilyOptions dedupOptions = push(handles, new ColumnFamilyOptions()
          .setWriteBufferSize(Math.min(4L * 1024 * 1024, budget / 12))
          .setMaxWriteBufferNumber(2)
          .setLevel0FileNumCompactionTrigger(8)
          .setTargetFileSizeBase(4L * 1024 * 1024)
          .setTableFormatConfig(table(cache).setFilterPolicy(dedupFilter)
              .setIndexType(IndexType.kTwoLevelIndexSearch)
              .setPartitionFilters(true)
              .setMetadataBlockSize(4096)
              .setPinTopLevelIndexAndFilter(true)));
      ColumnFamilyOptions defaultOptions = push(handles, new ColumnFamilyOptions()
          .setWriteBufferSize(smallMemtable)
          .setMaxWriteBufferNumber(2));
      DBOptions dbOptions = push(handles, new DBOptions()
          .setCreateIfMissing(true)
          .setCreateMissingColumnFamilies(true)
          .setMaxTotalWalSize(64L * 1024 * 1024)
          .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
          .setMaxBackgroundJobs(2)
          .setWriteBufferManager(memtables)
          .setInfoLogLevel(InfoLogLevel.INFO_LEVEL)
          .setMaxLogFileSize(4L * 1024 * 1024)
          .setKeepLogFileNum(3));
      WriteOptions syncWrite = push(handles, new WriteOptions().setSync(true));
      // a release lost in a crash only makes the forwarder resend events the cloud then acks as duplicates
      WriteOptions releaseWrite = push(handles, new WriteOptions().setSync(false));
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>(List.of(
          new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, defaultOptions),
          new ColumnFamilyDescriptor(bytes("log"), logOptions),
          new ColumnFamilyDescriptor(bytes("meta"), metaOptions)));
      for (String aux : AUX_STORES) {
        descriptors.add(new ColumnFamilyDescriptor(bytes(aux), aux.equals("dedup") ? dedupOptions : metaOptions));
      }
      List<ColumnFamilyHandle> cfs = new ArrayList<>();
      RocksDB db = push(handles, RocksDB.open(dbOptions, dbPath, descriptors, cfs));
      cfs.forEach(h -> handles.push(h));
      return new EventLog(abs, handles, db, cfs.get(1), cfs.get(2), cfs.subList(3, cfs.size()), syncWrite, releaseWrite, settings, vertx,
          registry, clock);
    } catch (RocksDBException | RuntimeException e) {
      closeAll(handles, dbPath);
      if (e instanceof RocksDBException) {
        throw new EventLogException(dbPath, "open", e);
      }
      throw (RuntimeException) e;
    }
  }

  /** A gauge of a RocksDB memory property: of the shared cache, or summed over the column families. */
  private void rocksMemory(String kind, String property, boolean allColumnFamilies) {
    meters.add(Gauge.builder("edge.log.rocksdb.memory.bytes", this, l -> l.rocksProperty(property, allColumnFamilies))
        .description("RocksDB native memory by kind (" + property + "); NaN while the log is closed")
        .tag("kind", kind).register(registry));
  }

  private double rocksProperty(String property, boolean allColumnFamilies) {
    // a scrape never waits for a close, and never reads a closed database
    if (!lifecycle.readLock().tryLock()) {
      return Double.NaN;
    }
    try {
      if (!open) {
        return Double.NaN;
      }
      // the shared cache is the log column family's (the default column family has its own, unused)
      return allColumnFamilies ? db.getAggregatedLongProperty(property) : db.getLongProperty(logCf, property);
    } catch (RocksDBException | RuntimeException e) {
      return Double.NaN;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Shard bits of the block cache: shards of at least 8 MiB, at most 8 of them. RocksDB's
   * default (-1) cuts 48 MiB into 64 shards of 768 KiB, and a block larger than its shard is
   * evicted as soon as it is released, so it is read again on every use.
   */
  static int cacheShardBits(long budget) {
    int bits = 0;
    while (bits < 3 && (budget >> (bits + 1)) >= 8L * 1024 * 1024) {
      bits++;
    }
    return bits;
  }

  /** Block-based table options on the shared cache, index and filter blocks charged to it. */
  private static BlockBasedTableConfig table(LRUCache cache) {
    return new BlockBasedTableConfig()
        .setBlockCache(cache)
        .setCacheIndexAndFilterBlocks(true)
        .setCacheIndexAndFilterBlocksWithHighPriority(true)
        .setPinL0FilterAndIndexBlocksInCache(true);
  }

  /**
   * The auxiliary store {@code name}: {@code dedup}, {@code dlq} or {@code state} (see
   * {@link AuxStore}); they live in the same RocksDB and close with the log.
   *
   * @throws IllegalArgumentException for another name
   */
  public AuxStore store(String name) {
    AuxStore s = stores.get(name);
    if (s == null) {
      throw new IllegalArgumentException("no store " + name + " (have " + AUX_STORES + ")");
    }
    return s;
  }

  /** The database folder. */
  public Path path() {
    return path;
  }

  /** Whether the log is open (false once {@link #close()} started). */
  public boolean isOpen() {
    return open;
  }

  /**
   * Appends one encoded envelope; see {@link GroupCommitWriter#append(byte[])}. Never
   * blocks; call from an event loop. The future completes on the calling context with the
   * assigned {@code seq} once the event is durable (WAL fsynced).
   */
  public Future<Long> append(byte[] envelope) {
    return writer.append(envelope);
  }

  /**
   * Appends one encoded envelope unless it duplicates {@code key} (see
   * {@link io.edgesync.edge.dedup.DedupIndex}): a key stored within {@code dedup.window}, or
   * an earlier append of the same group commit. The check and the key's insert run on the
   * writer thread; the key is written in the same WriteBatch as the event. Never blocks;
   * call from an event loop. Completes on the calling context once the event (or, for a
   * duplicate, its original) is durable.
   *
   * @param key what to dedup on; null when there is nothing (or dedup is disabled: ignored)
   * @return {@code (seq, false)} for a stored event; {@code (original seq or -1, true)} for a
   *     duplicate, which was not stored. Same failures as {@link #append(byte[])}.
   */
  public Future<AppendResult> append(byte[] envelope, DedupKey key) {
    return writer.append(envelope, key);
  }

  /**
   * Target size of the {@code log} column family's SST files: 1/32 of the disk quota, between 2 and
   * 64 MiB (RocksDB's default, reached from a 2 GiB quota on). Released events still in a file
   * that is not wholly released wait for its drop (or a range delete, {@link #release}), so this
   * bounds that dead space.
   */
  static long logFileBytes(long quotaBytes) {
    return Math.max(2L << 20, Math.min(64L << 20, quotaBytes / 32));
  }

  /** The handle of column family {@code name}: {@code log} or an auxiliary store. */
  private ColumnFamilyHandle columnFamily(String name) {
    return "log".equals(name) ? logCf : store(name).handle();
  }

  /** Flushes and fully compacts column family {@code name} (tests: one run of SST files). Blocking. */
  void compactColumnFamily(String name) {
    flushColumnFamily(name);
    lifecycle.readLock().lock();
    try {
      db.compactRange(columnFamily(name));
    } catch (RocksDBException e) {
      throw new EventLogException(dbPath, name + " compaction", e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Flushes the memtable of column family {@code name} into an L0 file (tests). Blocking. */
  void flushColumnFamily(String name) {
    ColumnFamilyHandle cf = columnFamily(name);
    lifecycle.readLock().lock();
    try (org.rocksdb.FlushOptions flush = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
      db.flush(flush, cf);
    } catch (RocksDBException e) {
      throw new EventLogException(dbPath, name + " flush", e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** RocksDB integer property {@code property} of column family {@code name} (tests). */
  long columnFamilyProperty(String name, String property) {
    lifecycle.readLock().lock();
    try {
      return db.getLongProperty(columnFamily(name), property);
    } catch (RocksDBException e) {
      throw new EventLogException(dbPath, name + " property " + property, e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** The live SST files of column family {@code name} (tests: which files a compaction rewrote). Blocking. */
  List<LiveFileMetaData> columnFamilyFiles(String name) {
    lifecycle.readLock().lock();
    try {
      byte[] cf = columnFamily(name).getName();
      return db.getLiveFilesMetaData().stream().filter(f -> Arrays.equals(cf, f.columnFamilyName())).toList();
    } catch (RocksDBException e) {
      throw new EventLogException(dbPath, name + " files", e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** The dedup index's state for {@code /status}. Non-blocking. */
  public DedupStats dedupStats() {
    DedupIndex d = dedup;
    return d != null ? d.stats() : new DedupStats(false, settings.dedup().window(), settings.dedup().bucketMs(), 0,
        0, 0, 0, 0);
  }

  /** The seq the next event will get (1 for an empty log). */
  public long nextSeq() {
    return writer.nextSeq();
  }

  /**
   * Why the last group commit failed (e.g. no space left on the disk), or null while appends
   * succeed. RocksDB resumes by itself a few seconds after space is free again.
   */
  public String writeError() {
    return writer.writeError();
  }

  /** Appends waiting for the writer thread. */
  public int queueDepth() {
    return writer.queueDepth();
  }

  /**
   * Writer queue fill, 0..1; the MQTT ingest pauses its sockets above a high watermark. 1 while
   * appends are held at the disk quota, until the log is back under {@code buffer.lowWatermark}.
   */
  public double queuePressure() {
    return writer.pressure();
  }

  @Override
  public List<byte[]> read(Priority c, long fromClassSeq, int maxEvents, int maxBytes) {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      List<byte[]> out = new ArrayList<>();
      long bytes = 0;
      int code = c.code();
      // never past lastClassSeq: a group's events are visible in RocksDB once its write returns, a
      // moment before the writer publishes them; a reader must not hold events that the log does
      // not report as appended yet (the forwarder would send them, and the cloud's answer would
      // then be past the end of the log as the forwarder sees it)
      long end = writer.lastClassSeq(code);
      // released events beyond log.retainReleased may still be on disk (their delete is deferred): never read them
      long first = Math.max(space.evicted.get(code), space.released.get(code) - retainReleased) + 1;
      long lowest = Math.max(first, fromClassSeq);
      if (lowest > end) {
        return out;
      }
      byte[] from = LogKeys.logKey(code, lowest);
      long generation = space.readSpans.generation(code);
      try (Slice lower = new Slice(from);
           Slice upper = new Slice(LogKeys.logKey(code, end + 1));
           ReadOptions options = new ReadOptions().setFillCache(false)
               .setIterateLowerBound(lower).setIterateUpperBound(upper);
           RocksIterator it = db.newIterator(logCf, options)) {
        byte[] key = new byte[LogKeys.LOG_KEY_BYTES];
        long start = 0;
        for (it.seek(from); it.isValid() && out.size() < maxEvents; it.next()) {
          byte[] value = it.value();
          if (!out.isEmpty() && bytes + value.length > maxBytes) {
            break;
          }
          if (out.isEmpty()) {
            it.key(key);
            start = LogKeys.classSeqOf(key);
          }
          out.add(value);
          bytes += value.length;
        }
        it.status();
        // a class's live events have consecutive class sequence numbers: the run is start .. start + n - 1
        // (checked against the key after it, when there is one)
        if (!out.isEmpty()
            && (!it.isValid() || (it.key(key) == key.length && LogKeys.classSeqOf(key) == start + out.size()))) {
          space.readSpans.record(code, generation, start, start + out.size() - 1, bytes);
        }
      } catch (RocksDBException e) {
        throw new EventLogException(dbPath, "read of " + c.label() + " from classSeq " + fromClassSeq, e);
      }
      return out;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  @Override
  public long logEpoch() {
    return logEpoch;
  }

  @Override
  public long lastClassSeq(Priority c) {
    return writer.lastClassSeq(c.code());
  }

  @Override
  public long releasedClassSeq(Priority c) {
    return space.released.get(c.code());
  }

  /** Events of {@code c} still in the log: neither released nor evicted. */
  public long backlog(Priority c) {
    return Math.max(0, lastClassSeq(c) - space.firstLive(c.code()) + 1);
  }

  @Override
  public long firstClassSeq(Priority c) {
    return space.firstLive(c.code());
  }

  /** Events of {@code c} evicted at the disk quota so far (persisted total). */
  public long evictedEvents(Priority c) {
    return space.evictedEvents.get(c.code());
  }

  /** Live envelope bytes of the log (what {@code buffer.quotaBytes} counts). Non-blocking. */
  public long usedBytes() {
    return space.usedBytes();
  }

  /** Whether appends are held at the disk quota. Non-blocking. */
  public boolean atQuota() {
    return writer.blocked();
  }

  /**
   * Appends the writer holds because they do not fit under the quota (their futures are open;
   * later appends wait in the queue behind them). Non-blocking.
   */
  public int heldAppends() {
    return writer.held();
  }

  /** Envelope bytes queued for, held by or inside a group commit. Non-blocking. */
  public long pendingBytes() {
    return writer.queuedBytes();
  }

  /**
   * The {@code buffer} section of {@code /status}: quota, used (logical) and disk bytes, rates,
   * time-to-full, per-class backlog, evictions and the last {@value LogSpace#LEDGER_KEPT} loss-ledger
   * entries. Non-blocking (atomics and figures the writer samples every second).
   */
  public JsonObject bufferStatus() {
    QuotaSettings q = space.quota;
    long now = System.currentTimeMillis();
    JsonObject classes = new JsonObject();
    long evictedEvents = 0;
    long evictedBytes = 0;
    for (Priority p : Priority.values()) {
      int c = p.code();
      long oldest = space.oldestIngestMs.get(c);
      long backlog = backlog(p);
      classes.put(p.label(), new JsonObject()
          .put("overflow", q.policy(p).label())
          .put("backlogEvents", backlog)
          .put("backlogBytes", space.liveBytes(c))
          .put("oldestEventAgeMs", backlog > 0 && oldest > 0 ? Math.max(0, now - oldest) : null)
          .put("firstClassSeq", space.firstLive(c))
          .put("evictedEvents", space.evictedEvents.get(c))
          .put("evictedBytes", space.bytesEvicted.get(c)));
      evictedEvents += space.evictedEvents.get(c);
      evictedBytes += space.bytesEvicted.get(c);
    }
    Double ttf = space.timeToFullSeconds();
    return new JsonObject()
        .put("quotaBytes", q.quotaBytes())
        .put("highWatermarkBytes", q.highBytes())
        .put("lowWatermarkBytes", q.lowBytes())
        .put("usedBytes", space.usedBytes())
        .put("diskBytes", space.diskBytes)
        .put("blocked", writer.blocked())
        .put("heldAppends", writer.held())
        .put("ingressBytesPerSec", Math.round(space.ingressBytesPerSec))
        .put("egressBytesPerSec", Math.round(space.egressBytesPerSec))
        .put("timeToFullSeconds", ttf == null ? null : Math.round(ttf))
        .put("classes", classes)
        .put("evicted", new JsonObject().put("events", evictedEvents).put("bytes", evictedBytes)
            .put("ranges", space.evictions.get()))
        .put("ledger", space.ledger());
  }

  /**
   * Releases {@code c} up to {@code classSeq}: persists the watermark and subtracts the bytes of
   * what was still live of that range (eviction may have deleted part of it) from the quota, in
   * one WriteBatch, decided and written under the space lock shared with eviction.
   *
   * <p>The released events are deleted by dropping whole SST files, not by range deletes, while
   * live events follow them. A range delete lands in the memtable next to the newest events, so
   * the L0 file it is flushed into spans from the oldest event it covers to the newest key: it
   * overlaps the files below it, and the compaction it causes rewrites every live event in
   * between, at steady state as during a catch-up. Without it, a class's L0 files do not overlap
   * (its keys only grow) and reach the bottom level as trivial moves. So, after each file's worth
   * of released bytes ({@link #logFileBytes}), the files wholly below the released position are
   * dropped ({@code DeleteFilesInRange}: a MANIFEST update, no rewrite). The range delete is
   * written only when it rewrites nothing live or when file drops fall behind:
   * <ul>
   *   <li>the class is drained (nothing live after the released position): its merges only drop;
   *   <li>more than {@link #releasedOnDiskBound} bytes of released events are still in SST files
   *       after a drop (files that straddle classes, L0 files of several classes, or retained
   *       events): a bound on the dead space, at the price of one rewrite.
   * </ul>
   * Readers never see the deferred events: every read starts at the first live (or retained) classSeq.
   */
  @Override
  public void release(Priority c, long classSeq) {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      int code = c.code();
      long dropFrom = -1;
      long dropBelow = -1;
      synchronized (space.lock) {
        long current = space.released.get(code);
        if (classSeq <= current) {
          return;
        }
        long last = writer.lastClassSeq(code);
        if (classSeq > last) {
          LOG.warn("[db: {}] release of {} up to classSeq {} is above the last appended {}; releasing up to {}",
              dbPath, c.label(), classSeq, last, last);
          classSeq = last;
          if (classSeq <= current) {
            return;
          }
        }
        long liveFrom = space.firstLive(code);
        // log.retainReleased: keep the last `retain` released events of the class (for /admin/replay);
        // they count as released (outside the quota)
        long deleteThrough = classSeq - retainReleased;
        long deleted = deletedThrough[code];
        boolean rangeDelete = deleteThrough > deleted && (deleteThrough == last || tombstoneDue[code]);
        long bytes = 0;
        try (WriteBatch batch = new WriteBatch()) {
          batch.put(metaCf, LogKeys.released(code), LogKeys.longValue(classSeq));
          if (liveFrom <= classSeq) {
            bytes = releasedBytes(code, liveFrom, classSeq);
            batch.put(metaCf, LogKeys.bytesReleased(code), LogKeys.longValue(space.bytesReleased.get(code) + bytes));
          }
          if (rangeDelete) {
            batch.deleteRange(logCf, LogKeys.logKey(code, deleted + 1), LogKeys.logKey(code, deleteThrough + 1));
            batch.put(metaCf, LogKeys.deleted(code), LogKeys.longValue(deleteThrough));
          }
          db.write(releaseWrite, batch);
          space.bytesReleased.addAndGet(code, bytes);
        } catch (RocksDBException e) {
          throw new EventLogException(dbPath, "release of " + c.label() + " up to classSeq " + classSeq, e);
        }
        space.released.set(code, classSeq);
        space.readSpans.dropThrough(code, classSeq);
        if (rangeDelete) {
          releaseDeletes[code][deleteThrough == last ? 0 : 1].increment();
          deletedThrough[code] = deleteThrough;
          undeletedBytes[code] = 0;
          tombstoneDue[code] = false;
          // the files wholly below go unread: the tombstone's compaction reads only what straddles it
          dropBelow = deleteThrough + 1;
        } else if (deleteThrough > deleted) {
          undeletedBytes[code] += bytes;
          if (undeletedBytes[code] >= logFileBytes(settings.quota().quotaBytes())) {
            undeletedBytes[code] = 0;
            dropFrom = deleted + 1;
            dropBelow = deleteThrough + 1;
          }
        }
      }
      if (dropBelow > 0) {
        dropFilesBelow(c, dropBelow);
        if (dropFrom > 0 && releasedOnDisk(c, dropFrom, dropBelow) > releasedOnDiskBound()) {
          synchronized (space.lock) {
            tombstoneDue[code] = true;
          }
        }
      }
      writer.roomFreed();
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Envelope bytes of class {@code code}'s events {@code from .. to}: from what the forwarder's
   * reads returned ({@link ReadSpans}), reading only the events no read covered.
   */
  private long releasedBytes(int code, long from, long to) throws RocksDBException {
    List<long[]> gaps = new ArrayList<>(1);
    long bytes = space.readSpans.covered(code, from, to, gaps);
    for (long[] gap : gaps) {
      releaseScans.increment();
      bytes += LogSpace.sizes(db, logCf, code, gap[0], gap[1], Long.MAX_VALUE)[0];
    }
    return bytes;
  }

  /**
   * Bytes of {@code c}'s events {@code from .. below - 1} still in SST files (RocksDB's estimate
   * from the files' index; the memtables are not counted: a flush keeps them). -1 if unknown.
   */
  private long releasedOnDisk(Priority c, long from, long below) {
    try (Slice start = new Slice(LogKeys.logKey(c.code(), from)); Slice limit = new Slice(LogKeys.logKey(c.code(), below))) {
      return db.getApproximateSizes(logCf, List.of(new Range(start, limit)), SizeApproximationFlag.INCLUDE_FILES)[0];
    } catch (RuntimeException e) {
      LOG.warn("[db: {}] estimating the released bytes of {} on disk failed: {}", dbPath, c.label(), e.toString());
      return -1;
    }
  }

  /**
   * Most bytes of released events of one class left in SST files after a file drop before a range
   * delete is written ({@link #release}): two files' worth ({@link #logFileBytes}), so about 1/16
   * of the quota (at most 128 MiB), above the L0 files a single flowing class leaves.
   */
  private long releasedOnDiskBound() {
    long bound = releasedOnDiskBound;
    return bound >= 0 ? bound : 2 * logFileBytes(settings.quota().quotaBytes());
  }

  /** Tests: overrides {@link #releasedOnDiskBound()} ({@code -1}: the default). */
  void releasedOnDiskBound(long bytes) {
    releasedOnDiskBound = bytes;
  }

  /** Tests: see {@link GroupCommitWriter#afterGroupWrite(Runnable)}. */
  void afterGroupWrite(Runnable hook) {
    writer.afterGroupWrite(hook);
  }

  /** Tests: the classSeq through which a range delete covers {@code c}'s released events. */
  long deletedThrough(Priority c) {
    synchronized (space.lock) {
      return deletedThrough[c.code()];
    }
  }

  /** Drops the {@code log} SST files holding only keys of {@code c} below {@code classSeq}. */
  private void dropFilesBelow(Priority c, long classSeq) {
    try {
      db.deleteFilesInRanges(logCf, List.of(LogKeys.logKey(c.code(), 0), LogKeys.logKey(c.code(), classSeq)), false);
    } catch (RocksDBException e) {
      // the next range delete covers these events anyway
      LOG.warn("[db: {}] dropping the files of {} below classSeq {} failed: {}", dbPath, c.label(), classSeq,
          e.toString());
    }
  }

  /**
   * Keeps the last {@code events} released events of each class in the log (not deleted on
   * release) so that {@code /admin/replay} can re-forward them; they no longer count
   * against the quota (they are released). 0 (the default) deletes on release. Set once at start.
   */
  public void retainReleased(long events) {
    if (events < 0) {
      throw new IllegalArgumentException("retainReleased must be >= 0");
    }
    this.retainReleased = events;
  }

  /** Released events of each class kept for replay ({@code log.retainReleased}). */
  public long retainReleased() {
    return retainReleased;
  }

  @Override
  public void onDurable(Runnable listener) {
    writer.onDurable(listener);
  }

  /**
   * Refuses new appends, commits what is queued (up to 30 s), then closes RocksDB and every
   * native handle. Blocking; idempotent.
   */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    if (!writer.stopAndDrain(DRAIN_TIMEOUT)) {
      LOG.error("[db: {}] the log writer did not drain within {}s; closing anyway", dbPath,
          DRAIN_TIMEOUT.toSeconds());
    }
    lifecycle.writeLock().lock();
    try {
      open = false;
      meters.forEach(registry::remove);
      if (dedup != null) {
        dedup.close();
      }
      closeAll(handles, dbPath);
    } finally {
      lifecycle.writeLock().unlock();
    }
    LOG.info("[db: {}] event log closed: next seq {}", dbPath, writer.nextSeq());
  }

  private void checkOpen() {
    if (!open) {
      throw new LogClosedException("[db: " + dbPath + "] the log is closed");
    }
  }

  private String describe() {
    StringBuilder b = new StringBuilder();
    for (Priority p : Priority.values()) {
      b.append(p.label()).append(" last=").append(lastClassSeq(p)).append(" released=")
          .append(releasedClassSeq(p)).append(" evicted=").append(space.evicted.get(p.code())).append("; ");
    }
    return b.toString();
  }

  private static <T extends AutoCloseable> T push(Deque<AutoCloseable> handles, T handle) {
    handles.push(handle);
    return handle;
  }

  /** Closes the handles newest first: column families, DB, write options, options, cache. */
  private static void closeAll(Deque<AutoCloseable> handles, String dbPath) {
    while (!handles.isEmpty()) {
      AutoCloseable h = handles.pop();
      try {
        if (h instanceof RocksDB db) {
          db.closeE();
        } else {
          h.close();
        }
      } catch (Exception e) {
        LOG.warn("[db: {}] closing {} failed: {}", dbPath, h.getClass().getSimpleName(), e.toString());
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }
}
