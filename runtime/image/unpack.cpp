#include "runtime/image/unpack.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>

#include "runtime/error.hpp"
#include "runtime/image/layer.hpp"
#include "runtime/image/progress.hpp"
#include "runtime/image/runtime_config.hpp"
#include "runtime/image/source.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::image {

namespace {

std::string real_path(const std::string& path) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) throw sys_error("resolve", path, errno);
    return buf;
}

// What unpack made, removed unless it completes.
class Undo {
public:
    ~Undo() {
        for (auto it = paths_.rbegin(); it != paths_.rend(); ++it) try {
                sys::remove_all(*it);
            } catch (const Error&) {
                // Best effort while another error is on its way up.
            }
    }
    void add(const std::string& path) { paths_.push_back(path); }
    void keep() { paths_.clear(); }

private:
    std::vector<std::string> paths_;
};

// A blob whose digest the source records is checked whole before any of it
// is unpacked: no tar parsing of unverified bytes.
void verify_stored(const LayerBlob& l, const std::string& what) {
    if (!l.stored_as) return;
    sys::Fd fd = sys::open_file(l.path, O_RDONLY);
    Hasher h(l.stored_as->digest.algorithm);
    std::string buf(1 << 20, '\0');
    for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw sys_error("read", l.path, errno);
        if (n == 0) break;
        h.update(buf.data(), static_cast<size_t>(n));
    }
    if (static_cast<int64_t>(h.bytes()) != l.stored_as->size)
        throw Error(what + ": size mismatch: the manifest says " + std::to_string(l.stored_as->size) +
                    " bytes, the blob has " + std::to_string(h.bytes()));
    check_digest(l.stored_as->digest, h.finish(), what);
}

void apply_layers(const ImageSource& img, int rootfs_fd, std::ostream* progress) {
    for (size_t i = 0; i < img.layers.size(); ++i) {
        const LayerBlob& l = img.layers[i];
        std::string what = "layer " + std::to_string(i + 1) + " (" + l.path + ")";
        verify_stored(l, what);
        LayerReader reader(sys::open_file(l.path, O_RDONLY), what);
        if (progress)
            *progress << "Applying layer " << i + 1 << "/" << img.layers.size() << " " << l.diff_id.algorithm << ":"
                      << l.diff_id.short_hex() << std::flush;
        apply_layer(rootfs_fd, reader);
        LayerReader::Sums sums = reader.finish();
        check_digest(l.diff_id, sums.diff, what + " uncompressed");
        if (progress) *progress << " (" << human_size(sums.blob_size) << ")\n";
    }
}

}  // namespace

void unpack(const UnpackOptions& opts) {
    Undo made, scratch;  // scratch is never kept
    try {
        std::string bundle = sys::absolute_path(opts.bundle);
        if (!sys::path_exists(bundle)) {
            sys::mkdir_all(bundle, 0755);
            made.add(bundle);
        }
        bundle = real_path(bundle);
        std::string rootfs = bundle + "/rootfs", config = bundle + "/config.json";
        for (const auto& p : {rootfs, config})
            if (sys::path_exists(p)) throw Error(p + " exists: remove it first", EEXIST);

        std::string dir = opts.source;
        struct stat st;
        if (::stat(opts.source.c_str(), &st) < 0) throw sys_error("stat", opts.source, errno);
        if (!S_ISDIR(st.st_mode)) {
            // An archive: its contents go to a scratch directory inside the
            // bundle (the same filesystem; not a tmpfs for a large image).
            dir = bundle + "/.image-XXXXXX";
            if (!::mkdtemp(dir.data())) throw sys_error("mkdtemp", dir, errno);
            scratch.add(dir);
            extract_archive(opts.source, dir);
        }
        ImageSource img = open_image(dir, opts.ref);

        if (::mkdir(rootfs.c_str(), 0755) < 0) throw sys_error("mkdir", rootfs, errno);
        made.add(rootfs);
        sys::Fd root = sys::open_file(rootfs, O_RDONLY | O_DIRECTORY);
        apply_layers(img, root.get(), opts.progress);
        made.add(config);
        sys::write_file_atomic(config, runtime_config(img.config, root.get()), 0644);
        made.keep();
    } catch (...) {
        rethrow_with("unpack " + opts.source + " into " + opts.bundle);
    }
}

}  // namespace dkr::image
