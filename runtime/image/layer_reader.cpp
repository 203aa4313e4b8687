#include "runtime/image/layer_reader.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"

namespace dkr::image {

namespace {
constexpr size_t kBufSize = 256 * 1024;
}

LayerReader::LayerReader(sys::Fd blob, std::string what)
    : fd_(std::move(blob)), what_(std::move(what)), blob_buf_(kBufSize, '\0'), tar_buf_(kBufSize, '\0') {
    outer_.reset(archive_read_new());
    inner_.reset(archive_read_new());
    if (!outer_ || !inner_) throw Error(what_ + ": libarchive: out of memory");
    archive* outer = outer_.get();
    archive* inner = inner_.get();
    archive_read_support_filter_all(outer);
    archive_read_support_format_raw(outer);
    if (archive_read_open(outer, this, nullptr, read_blob, nullptr) != ARCHIVE_OK) fail(outer);
    archive_entry* raw;
    if (archive_read_next_header(outer, &raw) != ARCHIVE_OK) fail(outer);
    archive_read_support_format_tar(inner);
    if (archive_read_open(inner, this, nullptr, read_tar, nullptr) != ARCHIVE_OK) fail(inner);
}

void LayerReader::fail(archive* a) const {
    const char* msg = archive_error_string(a);
    throw Error(what_ + ": " + (msg ? msg : "unreadable archive"), archive_errno(a));
}

la_ssize_t LayerReader::read_blob(archive* a, void* self, const void** buf) {
    auto* r = static_cast<LayerReader*>(self);
    ssize_t n;
    do {
        n = ::read(r->fd_.get(), r->blob_buf_.data(), r->blob_buf_.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        archive_set_error(a, errno, "read: %s", std::strerror(errno));
        return -1;
    }
    r->blob_hash_.update(r->blob_buf_.data(), static_cast<size_t>(n));
    *buf = r->blob_buf_.data();
    return n;
}

la_ssize_t LayerReader::read_tar(archive* a, void* self, const void** buf) {
    auto* r = static_cast<LayerReader*>(self);
    la_ssize_t n = archive_read_data(r->outer_.get(), r->tar_buf_.data(), r->tar_buf_.size());
    if (n < 0) {
        archive_set_error(a, archive_errno(r->outer_.get()), "%s", archive_error_string(r->outer_.get()));
        return -1;
    }
    r->diff_hash_.update(r->tar_buf_.data(), static_cast<size_t>(n));
    *buf = r->tar_buf_.data();
    return n;
}

archive_entry* LayerReader::next() {
    archive_entry* e;
    int rc = archive_read_next_header(inner_.get(), &e);
    if (rc == ARCHIVE_EOF) return nullptr;
    if (rc < ARCHIVE_WARN) fail(inner_.get());
    return e;
}

LayerReader::Sums LayerReader::finish() {
    const void* buf;
    la_ssize_t n;
    while ((n = read_tar(inner_.get(), this, &buf)) > 0) {
    }
    if (n < 0) fail(inner_.get());
    while ((n = read_blob(outer_.get(), this, &buf)) > 0) {
    }
    if (n < 0) fail(outer_.get());
    Sums s;
    s.blob_size = blob_hash_.bytes();
    s.blob = blob_hash_.finish();
    s.diff = diff_hash_.finish();
    return s;
}

}  // namespace dkr::image
