// SharedMutex: a reader-writer lock that prefers writers. glibc's default (behind
// std::shared_mutex) prefers readers, so a steady stream of readers can starve a writer; the
// engine has many readers and one writer at a time, and writers must not starve.
// Not recursive: a thread must not take it shared twice (a waiting writer would deadlock it).
#pragma once

#include <pthread.h>

#include "util/thread_annotations.hpp"

namespace nadb::util {

class CAPABILITY("shared mutex") SharedMutex {
 public:
  SharedMutex() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~SharedMutex() { pthread_rwlock_destroy(&lock_); }
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void lock() ACQUIRE() { pthread_rwlock_wrlock(&lock_); }
  bool try_lock() TRY_ACQUIRE(true) { return pthread_rwlock_trywrlock(&lock_) == 0; }
  void unlock() RELEASE() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() ACQUIRE_SHARED() { pthread_rwlock_rdlock(&lock_); }
  bool try_lock_shared() TRY_ACQUIRE(true) { return pthread_rwlock_tryrdlock(&lock_) == 0; }
  void unlock_shared() RELEASE_SHARED() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

// A scoped exclusive hold of a SharedMutex.
class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mutex) ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~WriterLock() RELEASE() { mutex_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mutex_;
};

// A scoped shared hold of a SharedMutex that may be released early (before file I/O).
class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mutex) ACQUIRE_SHARED(mutex) : mutex_(mutex) {
    mutex_.lock_shared();
  }
  ~ReaderLock() RELEASE() {
    if (held_) mutex_.unlock_shared();
  }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

  void unlock() RELEASE() {
    mutex_.unlock_shared();
    held_ = false;
  }

 private:
  SharedMutex& mutex_;
  bool held_ = true;
};

}  // namespace nadb::util
