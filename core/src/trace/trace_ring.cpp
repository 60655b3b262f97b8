#include "forkscope/trace_ring.hpp"

#include <sys/mman.h>

#include <immintrin.h>

#include "session/futex.hpp"

namespace forkscope {

void RingWriter::prefault() const {
#ifdef MADV_POPULATE_WRITE
  const auto begin = reinterpret_cast<std::uintptr_t>(events_) & ~std::uintptr_t{4095};
  const auto end = reinterpret_cast<std::uintptr_t>(events_ + mask_ + 1);
  (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);  // an optimisation only
#endif
}

void RingWriter::wait_for_space(std::uint64_t head) {
  std::uint64_t& tail = header_->writer_tail;
  tail = header_->tail.load(std::memory_order_acquire);
  if (head - tail <= mask_) return;
  header_->full_waits.fetch_add(1, std::memory_order_relaxed);
  for (int i = 0; i < 2000; ++i) {  // the viewer drains often; a short spin usually suffices
    _mm_pause();
    tail = header_->tail.load(std::memory_order_acquire);
    if (head - tail <= mask_) return;
  }
  while (true) {
    const std::uint32_t progress = header_->reader_progress.load(std::memory_order_seq_cst);
    header_->writer_waiting.store(1, std::memory_order_seq_cst);
    tail = header_->tail.load(std::memory_order_seq_cst);
    if (head - tail <= mask_) break;
    // Bounded wait: the reader wakes us, and the timeout covers a viewer that is momentarily busy elsewhere.
    detail::futex_wait(header_->reader_progress, progress, 10'000'000);
  }
  header_->writer_waiting.store(0, std::memory_order_relaxed);
}

void RingReader::release(std::uint64_t new_tail) {
  header_->tail.store(new_tail, std::memory_order_seq_cst);
  if (header_->writer_waiting.load(std::memory_order_seq_cst) != 0) {
    header_->reader_progress.fetch_add(1, std::memory_order_seq_cst);
    detail::futex_wake(header_->reader_progress, 1);
  }
}

}  // namespace forkscope
