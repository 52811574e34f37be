#include "integrations/zstd_stream.h"

#include <zstd.h>

#include <vector>

namespace medic {

struct ZstdCompressor::Impl {
  ZSTD_CCtx* cctx = nullptr;
  std::vector<char> buffer;
  ~Impl() { ZSTD_freeCCtx(cctx); }
};

ZstdCompressor::~ZstdCompressor() = default;

Result<std::unique_ptr<ZstdCompressor>> ZstdCompressor::Create(int level, int workers) {
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel() || level == 0) {
    return Status::Invalid("zstd level " + std::to_string(level) + " is out of range (1.." +
                           std::to_string(ZSTD_maxCLevel()) + ", or negative for faster)");
  }
  if (workers < 0) return Status::Invalid("zstd workers must be >= 0");
  std::unique_ptr<ZstdCompressor> c(new ZstdCompressor());
  c->impl_ = std::make_unique<Impl>();
  c->impl_->cctx = ZSTD_createCCtx();
  if (!c->impl_->cctx) return Status::Internal("ZSTD_createCCtx failed (out of memory?)");
  auto set = [&](ZSTD_cParameter p, int v) -> Status {
    size_t rc = ZSTD_CCtx_setParameter(c->impl_->cctx, p, v);
    if (ZSTD_isError(rc)) {
      return Status::Invalid(std::string("zstd parameter: ") + ZSTD_getErrorName(rc));
    }
    return Status::Ok();
  };
  MEDIC_RETURN_IF_ERROR(set(ZSTD_c_compressionLevel, level));
  MEDIC_RETURN_IF_ERROR(set(ZSTD_c_checksumFlag, 1));
  // A libzstd built without threads rejects nbWorkers > 0; compressing on the caller's
  // thread is still correct, only slower.
  if (workers > 0) (void)set(ZSTD_c_nbWorkers, workers);
  c->impl_->buffer.resize(ZSTD_CStreamOutSize());
  return c;
}

Status ZstdCompressor::Compress(std::string_view input, bool finish, std::string* out) {
  return Compress(input, finish, [out](std::string_view bytes) {
    out->append(bytes);
    return Status::Ok();
  });
}

Status ZstdCompressor::Compress(std::string_view input, bool finish, const Sink& sink) {
  ZSTD_inBuffer in = {input.data(), input.size(), 0};
  ZSTD_EndDirective mode = finish ? ZSTD_e_end : ZSTD_e_continue;
  std::vector<char>& buf = impl_->buffer;
  for (;;) {
    ZSTD_outBuffer o = {buf.data(), buf.size(), 0};
    size_t left = ZSTD_compressStream2(impl_->cctx, &o, &in, mode);
    if (ZSTD_isError(left)) {
      return Status::Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(left));
    }
    if (o.pos > 0) MEDIC_RETURN_IF_ERROR(sink(std::string_view(buf.data(), o.pos)));
    // Without `finish`, zstd is done with this call once it has taken all the input; with
    // it, once nothing is left to flush.
    if (finish ? left == 0 : in.pos == in.size) return Status::Ok();
  }
}

}  // namespace medic
