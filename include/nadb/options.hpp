// Options that open a KeyValueStore, and the per-write SetOptions.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nadb {

class KeyValueSync;

// What an acknowledged write survives (docs/ARCHITECTURE.md, "Durability").
enum class Durability {
  // Visible at once; written and fsynced when the buffer fills, every flush_interval, on
  // flush() and on close. A crash (even of the machine) loses at most the last flush_interval.
  Buffered,
  // fsynced before the write returns (concurrent writers share one fsync: group commit).
  Sync,
};

// Codec used for values of at least Options::compression_threshold bytes (kept only if smaller).
enum class Compression { None, Zstd, Zlib };

enum class IsolationLevel { ReadCommitted, Serializable };

// What opening an fs db does with records it cannot read (docs/FORMAT.md, "Recovery rules").
// Bytes left out are never deleted: they are kept beside their segment as
// <segment>.<offset>.torn or .damaged, counted in Stats::storage and logged.
enum class RecoveryMode {
  // A torn tail of the active segment (an interrupted write) is left out; any other damage
  // is Corruption.
  TolerateTornTail,
  // Even a torn tail is Corruption: the db opens only when every byte reads back.
  AbsoluteConsistency,
  // A torn tail is left out, and damaged records are skipped: every intact record is kept
  // (a key whose newest record is damaged shows its previous one). What `nadb repair` uses.
  SkipDamagedRecords,
};

// The redis backend's server and connection pool (docs/ARCHITECTURE.md, "Redis").
struct RedisOptions {
  // redis://[user:password@]host[:port][/database][?shards=N], or for a Redis Cluster
  // redis+cluster://[user:password@]host[:port][,host[:port]...][/0][?shards=N]; rediss:// and
  // rediss+cluster:// for TLS. When set it overrides host, port, database, username, password,
  // cluster, seed_nodes and tls, and shards when it has ?shards=N (InvalidArgument at open
  // when malformed).
  std::string url;
  std::string host = "127.0.0.1";
  int port = 6379;
  int database = 0;
  std::string username;
  std::string password;
  // A Redis Cluster: host:port and seed_nodes are asked for its map of slots, and each
  // namespace lives on the master of its hash slot (database must be 0). See README,
  // "Redis Cluster", for what a cluster cannot do (batches over namespaces of other slots).
  bool cluster = false;
  // More cluster nodes ("host:port") to learn the map from when host:port does not answer.
  std::vector<std::string> seed_nodes;
  // Durability on replicas: after each write, WAIT until this many replicas confirm it or
  // wait_timeout passes; then the write throws BackendUnavailable (it is applied on the
  // master, and may or may not survive a failover, as Redis says of WAIT). 0: no waiting.
  int wait_replicas = 0;
  std::chrono::milliseconds wait_timeout{1000};
  // TLS to every server or node: the server's certificate must verify against tls_ca_file (a
  // PEM file of trusted CAs; the system's store when empty) and name tls_server_name (host
  // when empty; an IP address is checked as one). A client certificate and its key are sent
  // when both are set. Never a plaintext fallback. Bad files are InvalidArgument at open; a
  // certificate that does not verify is BackendUnavailable saying why.
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
  // Connecting (with the TLS handshake) ends within connect_timeout; each wait for the server
  // after that within socket_timeout (on a cluster, each call with its retries). Both must be
  // positive (InvalidArgument at open).
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds socket_timeout{10000};
  std::size_t pool_size = 10;
  std::chrono::milliseconds pool_wait_timeout{20000};
  // An idle connection unused this long is PINGed before it is handed out.
  std::chrono::milliseconds health_check_interval{30000};
  // Every key of the store starts with <key_prefix>:{<db>:<ns>}: (or, sharded,
  // <key_prefix>:{<db>:<ns>:<shard>}:).
  std::string key_prefix = "nadb";
  // Sharded namespaces, for a namespace larger than one cluster node: each namespace's keys are
  // spread over this many hash slots by the key's hash (of its {tag} when it has a non-empty
  // one: keys sharing a tag share a shard). Gets and writes go to one shard; scans, counts,
  // queries, exports and backups run on every shard and merge (ordered, paged, exact). On a
  // Redis Cluster a batch or transaction whose keys fall in different shards is NotSupported
  // naming them, and a clear or replacing restore is atomic per shard (on one server: as a
  // whole); a read over the whole namespace is merged from per-shard snapshots, not one
  // (README, "Sharded namespaces"). The count is recorded with each namespace at its first
  // write and is the one every operation on it uses: opening a store on a namespace written
  // with another count is InvalidArgument at its first use; backups, restores and syncs reach
  // the db's other namespaces with their own counts. 1 to 1024.
  int shards = 1;
  // How long deletes are remembered for incremental logical backups.
  std::chrono::hours tombstone_retention{24 * 7};
  // The largest request the server takes: its client-query-buffer-limit (1 GiB unless
  // configured lower). A batch that would exceed it is InvalidArgument before anything is
  // sent; restores, imports and syncs split themselves well below it.
  std::uint64_t max_request_bytes = 1ull << 30;
};

struct Options {
  // Root folder; the fs backend keeps db `db` in <data_folder>/<db>/.
  std::string data_folder = "./data";
  // Database and namespace names: 1-128 chars of [A-Za-z0-9._-], not "." or ".."; the db
  // name "backups" is reserved (<data_folder>/backups holds the backups).
  std::string db = "default";
  std::string ns = "default";
  // Backend name: "fs", "memory", or one registered with StorageFactory::register_backend.
  std::string backend = "fs";
  // Write buffer size; a full buffer is written and fsynced at once.
  double buffer_size_mb = 1.0;
  // Buffered writes become durable at least this often (by Options::sync or the store's own).
  std::chrono::milliseconds flush_interval{1000};
  Durability durability = Durability::Buffered;
  Compression compression = Compression::Zstd;
  // Values smaller than this many bytes are never compressed.
  std::size_t compression_threshold = 1024;
  // Compression::Zstd only: values of at least compression_threshold and below this many bytes
  // are compressed with a zstd dictionary trained from their namespace's values (smaller, and
  // about twice as fast to read as a value compressed alone); 0: never. The dictionaries are
  // records of the db (16 KiB per namespace; README, "Compression dictionaries").
  std::size_t dictionary_value_limit = 16384;
  // A namespace's dictionary is trained (once, ~40 ms) when the values a store of it wrote
  // that a dictionary is for add up to this many bytes; until then they are compressed alone.
  // 64 KiB to 64 MiB (the samples are held in memory until then).
  std::size_t dictionary_training_bytes = 256 << 10;
  bool enable_transactions = true;
  bool enable_backup = true;
  bool enable_indexing = true;
  std::size_t cache_size = 10000;
  std::chrono::seconds transaction_timeout{60};
  // Default: <data_folder>/backups/<db> (fs), <data_folder>/backups/<db>@<backend> (others).
  // One folder holds the backups of one db of one backend kind (InvalidArgument otherwise).
  std::string backup_dir;
  RedisOptions redis;
  // A started KeyValueSync that flushes and sweeps this store; without one the store runs its
  // own background flusher.
  std::shared_ptr<KeyValueSync> sync;

  // fs engine tuning (shared by every namespace of one db; the first store to open it decides).
  // A segment is sealed and a new one started once it reaches this size.
  double max_segment_size_mb = 64.0;
  // Background compaction rewrites a sealed segment once this fraction of its bytes is dead.
  double compaction_dead_ratio = 0.5;
  RecoveryMode recovery_mode = RecoveryMode::TolerateTornTail;
  // The most memory a writer's keydir (the key index) may hold beyond its image file
  // (<db>/KEYDIR, mapped): entries and hash slots changed or added since the image was
  // written. The image lives in the page cache, which the kernel can evict; this memory cannot
  // be. Once it exceeds the bound, a checkpoint rewrites the image without waiting for writes
  // to pause — writes wait for it (about 0.1 s per million keys) — and the keydir maps the new
  // image instead; once writes pause, a keydir over half the bound does the same. Measured
  // every bound/8 KiB writes (64 to 4,096) and every second: it may reach about twice the
  // bound meanwhile, and more while a compaction runs (the checkpoint waits for it). Each
  // such checkpoint writes the whole image, so a small bound on a big db with scattered
  // updates writes much more than the updates (docs/PERFORMANCE.md). Not bounded by it, and
  // not counted: the expiry schedule of keys with a TTL (about 150 bytes per such key) and
  // the tag index's bitmaps. 0: no bound (the keydir maps a new image
  // only when it reopens). Otherwise at least 64 KiB (InvalidArgument). Ignored by other
  // backends. Stats::storage.keydir_private_bytes says what it is.
  std::uint64_t keydir_memory_bytes = 0;

  // A read-only view of an fs db (NotSupported on other backends), which another process may
  // hold and write meanwhile: opening takes no lock and creates nothing (NotFound for a
  // missing db); the store sees every record the writer had flushed when it opened, and
  // KeyValueStore::refresh() catches up with what it flushed since. Reads, queries, scans,
  // stats, export_jsonl, list_backups and verify_backup work; every write, flushdb,
  // cleanup_expired, compaction, transaction, import and backup create/restore/delete throws
  // NotSupported. Nothing is swept or flushed in the background.
  bool read_only = false;
};

// Per-write options: the key's complete tag set and its time to live (none: never expires).
// A set replaces tags and TTL: omitted tags clear the tags, an omitted ttl clears the TTL.
struct SetOptions {
  std::vector<std::string> tags;
  std::optional<std::chrono::seconds> ttl;
};

}  // namespace nadb
