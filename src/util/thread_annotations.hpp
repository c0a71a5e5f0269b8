// Clang's thread-safety analysis (-Wthread-safety, checked by the clang build CI runs): which
// lock guards a member (GUARDED_BY), which a function needs (REQUIRES), and the annotated
// mutexes and scoped locks it understands (libstdc++'s are not annotated). Other compilers
// ignore the annotations.
#pragma once

#include <cassert>
#include <mutex>
#include <shared_mutex>
#include <thread>

#if defined(__clang__)
#define NADB_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define NADB_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) NADB_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY NADB_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) NADB_THREAD_ANNOTATION(guarded_by(x))
#define ACQUIRED_BEFORE(...) NADB_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define REQUIRES(...) NADB_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) NADB_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) NADB_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) NADB_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) NADB_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) NADB_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) NADB_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) NADB_THREAD_ANNOTATION(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS NADB_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace nadb::util {

// std::mutex, annotated; in debug builds it knows its owner, so that "caller holds" is an
// assertion (assert_held) rather than a comment.
class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() {
    mutex_.lock();
    set_owner(std::this_thread::get_id());
  }
  void unlock() RELEASE() {
    set_owner({});
    mutex_.unlock();
  }
  bool try_lock() TRY_ACQUIRE(true) {
    if (!mutex_.try_lock()) return false;
    set_owner(std::this_thread::get_id());
    return true;
  }
  // Debug builds: aborts unless the calling thread holds the mutex.
  void assert_held() const ASSERT_CAPABILITY(this) {
#ifndef NDEBUG
    assert(owner_ == std::this_thread::get_id());
#endif
  }

 private:
  void set_owner([[maybe_unused]] std::thread::id owner) {
#ifndef NDEBUG
    owner_ = owner;
#endif
  }

  std::mutex mutex_;
#ifndef NDEBUG
  std::thread::id owner_;  // written only by the holder
#endif
};

// A scoped hold of a Mutex that may be released early and taken again (like std::unique_lock;
// also BasicLockable, for std::condition_variable_any).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~MutexLock() RELEASE() {
    if (held_) mutex_.unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void unlock() RELEASE() {
    mutex_.unlock();
    held_ = false;
  }
  void lock() ACQUIRE() {
    mutex_.lock();
    held_ = true;
  }

 private:
  Mutex& mutex_;
  bool held_ = true;
};

}  // namespace nadb::util
