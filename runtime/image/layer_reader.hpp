// Reads a layer blob entry by entry: a tar, plain or compressed with any
// filter libarchive knows (gzip, zstd, xz, bzip2). Two libarchive readers are
// chained so that one pass yields both digests an image records: the blob's
// as stored (the manifest's descriptor) and the uncompressed tar's (the
// config's diff_id). The outer reader decompresses ("raw" format), the inner
// one parses the tar it is fed.
#pragma once

#include <archive.h>

#include <string>

#include "runtime/image/archive_handles.hpp"
#include "runtime/image/digest.hpp"
#include "runtime/sys/fd.hpp"

namespace dkr::image {

class LayerReader {
public:
    // `what` names the layer in errors.
    LayerReader(sys::Fd blob, std::string what);
    LayerReader(const LayerReader&) = delete;
    LayerReader& operator=(const LayerReader&) = delete;

    // The next entry, or nullptr at the end of the tar.
    archive_entry* next();
    // The tar reader, for archive_read_data_block on the current entry.
    archive* tar() { return inner_.get(); }
    const std::string& what() const { return what_; }
    // Throws "<what>: <libarchive's message>".
    [[noreturn]] void fail(archive* a) const;

    struct Sums {
        Digest blob;  // as stored
        uint64_t blob_size = 0;
        Digest diff;  // of the uncompressed tar
    };
    // After next() returned nullptr: reads the rest of both streams (tar
    // padding, compressor trailers) so that the digests cover everything.
    Sums finish();

private:
    static la_ssize_t read_blob(archive*, void* self, const void** buf);
    static la_ssize_t read_tar(archive*, void* self, const void** buf);

    sys::Fd fd_;
    std::string what_;
    ArchiveReader outer_;
    ArchiveReader inner_;
    Hasher blob_hash_, diff_hash_;
    std::string blob_buf_, tar_buf_;
};

}  // namespace dkr::image
