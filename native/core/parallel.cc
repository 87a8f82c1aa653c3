#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace dinov3 {
namespace {

struct Job {
  const ChunkFn* fn;
  int64_t count;
  int64_t grain;
  int64_t chunks;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::mutex mutex;
  std::condition_variable finished;
  std::exception_ptr error;

  // Runs chunks until none are left. Returns true if this call completed the last chunk.
  void work() {
    for (;;) {
      const int64_t chunk = next.fetch_add(1);
      if (chunk >= chunks) return;
      const int64_t begin = chunk * grain;
      const int64_t end = std::min(count, begin + grain);
      try {
        (*fn)(begin, end, chunk);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
      }
      if (done.fetch_add(1) + 1 == chunks) {
        std::lock_guard<std::mutex> lock(mutex);
        finished.notify_all();
      }
    }
  }
};

class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void submit(const std::shared_ptr<Job>& job, int helpers) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (int i = 0; i < helpers; ++i) queue_.push_back(job);
    }
    if (helpers == 1) {
      wake_.notify_one();
    } else {
      wake_.notify_all();
    }
  }

  int workers() const { return static_cast<int>(threads_.size()); }

 private:
  void loop() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_ && queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job->work();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

int configured_threads() {
  if (const char* env = std::getenv("DINOV3_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return std::min(n, 256);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(std::min(hw, 256u));
}

Pool& pool() {
  static Pool instance(configured_threads() - 1);
  return instance;
}

}  // namespace

int thread_count() { return configured_threads(); }

void parallel_for(int64_t count, int64_t grain, const ChunkFn& fn) {
  if (count <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = chunk_count(count, grain);
  if (chunks == 1 || thread_count() == 1) {
    for (int64_t c = 0; c < chunks; ++c) fn(c * grain, std::min(count, (c + 1) * grain), c);
    return;
  }
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->count = count;
  job->grain = grain;
  job->chunks = chunks;
  Pool& p = pool();
  const int helpers = static_cast<int>(std::min<int64_t>(p.workers(), chunks - 1));
  p.submit(job, helpers);
  job->work();
  {
    std::unique_lock<std::mutex> lock(job->mutex);
    job->finished.wait(lock, [&] { return job->done.load() == job->chunks; });
  }
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace dinov3
