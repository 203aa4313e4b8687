// libarchive handles that are freed however the scope is left (an error
// thrown half-way through a layer must not leak its readers).
#pragma once

#include <archive.h>

#include <memory>

namespace dkr::image {

struct ArchiveReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteFree>;

}  // namespace dkr::image
